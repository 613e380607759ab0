/* virtio_mmio.h: the virtio-mmio transport: finding devices, bringing them up, waiting. */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include <stdint.h>

#include "virtq.h"

struct virtio_mmio_dev {
	uintptr_t base; /* guest-physical = virtual: the guest is identity mapped */
	uint64_t size;
	uint64_t features;  /* negotiated */
	uint32_t id;	    /* device id, once probed */
	uint8_t status;	    /* what we last wrote to Status */
	int guessed;	    /* a slot QEMU may or may not use: silent if empty */
	int broken;	    /* the device set NEEDS_RESET or FAILED: requests get EIO */
	uint32_t listed_id; /* from vmm's device tree, 0 if not given */
};

/* Boot: the devices the monitor describes, without touching them (no MMIO). */
void virtio_mmio_option(const char *opt);  /* virtio_mmio.device=<size>@<addr>:<irq> */
void virtio_mmio_collect(const void *fdt); /* fdt: vmm's device tree, or NULL */
void virtio_mmio_start_boot(void);	   /* vsock and net devices, before main */

/* Bring-up, in the order of the spec (3.1.1): start, queues, config reads, ready. */
int virtio_mmio_start(struct virtio_mmio_dev *d, uint64_t wanted);
int virtio_mmio_queue(struct virtio_mmio_dev *d, uint32_t index, struct virtq *q);
uint32_t virtio_mmio_config32(struct virtio_mmio_dev *d, uint32_t off);
uint64_t virtio_mmio_config64(struct virtio_mmio_dev *d, uint32_t off);
void virtio_mmio_ready(struct virtio_mmio_dev *d);
void virtio_mmio_fail(struct virtio_mmio_dev *d);

/* Until q has a used element: 0; -EIO once the device has given up. */
int virtio_mmio_wait(struct virtio_mmio_dev *d, struct virtq *q);

/* Drivers: called at probe time, before any of the device's registers but its id. */
int virtio_blk_attach(struct virtio_mmio_dev *d);
int virtio_vsock_attach(struct virtio_mmio_dev *d);
int virtio_net_attach(struct virtio_mmio_dev *d);

#endif
