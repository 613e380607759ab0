/* virtio_blk.h: the virtio-blk device model. */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"

struct blk {
	struct virtio_dev dev; /* first: the transport hands us &dev */
	int fd;
	bool read_only;
	uint64_t capacity; /* 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct virtq_chain *chain; /* scratch for the I/O thread */
};

void blk_init(struct blk *b, int fd, uint64_t size, bool read_only, const char *serial);

/* One request: the bytes it wrote into the chain, status byte included. */
uint32_t blk_request(struct blk *b, const struct virtq_chain *c);

#endif
