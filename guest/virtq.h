/* virtq.h: the driver side of a split virtqueue (virtio 1.2, section 2.7). */
#ifndef VIRTQ_H
#define VIRTQ_H

#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

/* Our largest queue: requests are synchronous, so a few chains is all we use. */
#define VIRTQ_GUEST_MAX 256

/* A buffer by guest-physical address: the guest is identity mapped. */
struct virtq_buf {
	uint64_t addr;
	uint32_t len;
};

struct virtq {
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	volatile uint16_t *used_event;	/* after avail->ring[size] (EVENT_IDX) */
	volatile uint16_t *avail_event; /* after used->ring[size] (EVENT_IDX) */
	volatile uint32_t *notify;	/* the transport's doorbell, written with index */
	uint32_t index;
	uint16_t size, num_free, free_head;
	uint16_t avail_idx;  /* what we last published */
	uint16_t kicked_idx; /* avail_idx when the device was last considered for a kick */
	uint16_t last_used;  /* used elements we have consumed */
	int event_idx;
	uint64_t avg_ns;		/* recent completion times, for how long to spin */
	uint8_t chain[VIRTQ_GUEST_MAX]; /* per head in flight: its length; 0: not in flight */
};

/* Bytes of ring memory a queue of size entries needs (zeroed, page-aligned). */
size_t virtq_mem_bytes(uint16_t size);
void virtq_init(struct virtq *q, void *mem, uint16_t size, int event_idx);
/* Publishes a chain: nout device-readable buffers, then nin device-writable ones. */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, int nout, int nin);
/* Notifies the device of what was added, unless EVENT_IDX says it is still looking. */
void virtq_kick(struct virtq *q);
/* The head of the next used chain (freed), its written length in *len; -EAGAIN: none
 * yet; -EIO: the device returned something we never gave it. */
int virtq_pop(struct virtq *q, uint32_t *len);
/* Until a used element is ready: 0; or -ETIMEDOUT after timeout_ns, or when the VMM
 * woke us with nothing for this queue (the caller then checks the device status). */
int virtq_wait(struct virtq *q, uint64_t timeout_ns);

#endif
