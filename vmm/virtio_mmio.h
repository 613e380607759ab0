/* virtio_mmio.h: the virtio-mmio transport and the device-model interface. */
#ifndef VMM_VIRTIO_MMIO_H
#define VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "iothread.h"
#include "virtq.h"

#define VIRTIO_QUEUES_MAX 3

struct virtio_dev;

/* A device model: what the transport cannot know. Called with d->lock held. */
struct virtio_dev_ops {
	/* Reads or writes the device's config space (offsets already checked). */
	void (*config)(struct virtio_dev *d, uint32_t off, void *data, uint32_t len, bool write);
	/* Queue q was kicked (I/O thread): take its chains, push results. */
	void (*notify)(struct virtio_dev *d, int q);
	/* The driver reset the device; drop in-flight state. */
	void (*reset)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	uint32_t device_id;
	uint64_t features; /* offered */
	uint32_t config_size;
	int nqueues;
	uint64_t base; /* guest-physical address of the register window */
	const struct guest_mem *mem;
	int wake_fd; /* eventfd: the guest may be waiting for us */
	pthread_mutex_t lock;

	/* Transport state, as the driver set it. */
	uint32_t status, dev_sel, drv_sel, queue_sel, generation;
	bool fail_unseen; /* NEEDS_RESET set, Status not read since: wake the guest */
	uint64_t driver_features;
	bool ready[VIRTIO_QUEUES_MAX];
	struct virtq vq[VIRTIO_QUEUES_MAX];
	struct virtio_kick {
		struct io_watch w; /* first: the I/O thread hands us &w */
		struct virtio_dev *dev;
		int q;
	} kick[VIRTIO_QUEUES_MAX]; /* ioeventfds on QueueNotify */
};

void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, uint32_t id,
		     uint64_t features, uint32_t config_size, int nqueues);

/* A guest access of len (1, 2 or 4) bytes at offset off of the window. */
void virtio_mmio_access(struct virtio_dev *d, uint64_t off, uint8_t *data, uint32_t len,
			bool write);

/* Runs a kicked queue if the device is live (I/O thread). */
void virtio_dev_kick(struct virtio_dev *d, int q);

/* The I/O thread's callback for a queue's ioeventfd. */
void virtio_dev_kicked(struct io_watch *w, uint32_t events);

/* The driver broke the rules: NEEDS_RESET until it resets the device. */
void virtio_dev_fail(struct virtio_dev *d);

/* After pushing to queue q: wake the guest if it asked to hear of it. */
void virtio_dev_signal(struct virtio_dev *d, int q);

/* Is anything published that the guest's used_event says it has not seen? */
bool virtio_dev_pending(struct virtio_dev *d);

bool virtio_dev_has(const struct virtio_dev *d, int feature);

#endif
