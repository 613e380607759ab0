/* fdt_build.h: the device tree vmm hands the guest. */
#ifndef VMM_FDT_BUILD_H
#define VMM_FDT_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct fdt_params {
	uint64_t mem_size;
	const char *bootargs;
	uint64_t tsc_hz;
	uint64_t boot_tsc, boot_realtime_ns;
	uint8_t seed[32];
	int nmmio; /* virtio-mmio windows, in device order */
	uint64_t mmio[8];
	uint32_t mmio_id[8]; /* their virtio device ids */
	/* On the virtio-net node: the guest's MAC and IPv4 settings (host order; 0: none). */
	uint8_t mac[6];
	uint32_t ipv4, prefix, gateway;
};

/* Builds the tree into buf; 0, or a negative libfdt error with *what set. */
int fdt_build(void *buf, size_t size, const struct fdt_params *p, const char **what);

#endif
