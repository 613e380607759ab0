/* virtq.h: the device side of a split virtqueue; every ring field is hostile. */
#ifndef VMM_VIRTQ_H
#define VMM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_mem.h"
#include "virtio.h"

/* Our queues are at most this large, which also bounds every chain. */
#define VIRTQ_NUM_MAX 256

struct virtq {
	uint16_t size;		    /* a power of two, at most VIRTQ_NUM_MAX */
	bool event_idx, indirect;   /* negotiated features */
	uint64_t desc, avail, used; /* guest-physical, checked at setup */
	uint16_t last_avail;	    /* next avail entry to take */
	uint16_t used_idx;	    /* our copy of used->idx */
	uint16_t signalled;	    /* used_idx when the guest was last woken */
};

struct virtq_buf {
	uint8_t *p; /* host address of guest memory, len bytes checked */
	uint32_t len;
	bool write; /* device-writable */
};

struct virtq_chain {
	uint16_t head;
	int n;
	uint32_t in_bytes, out_bytes; /* device-writable, device-readable */
	struct virtq_buf buf[VIRTQ_NUM_MAX];
};

/*
 * A chain is a byte stream in each direction, however the driver cut it
 * into descriptors: the iovecs of its bytes [skip, skip + len) that are
 * device-writable (write) or device-readable; returns their count.
 */
int virtq_iov(const struct virtq_chain *c, bool write, uint64_t skip, uint64_t len,
	      struct iovec *iov);

/* Copies the first len bytes of one direction of the chain out of (write: into) buf. */
void virtq_copy(const struct virtq_chain *c, bool write, void *buf, uint64_t len);

/* 0 if the ring addresses and size are acceptable for mem. */
int virtq_check(const struct virtq *q, const struct guest_mem *m);

/* 1: a chain is in *c; 0: nothing available; -1: the driver broke the rules. */
int virtq_pop(struct virtq *q, const struct guest_mem *m, struct virtq_chain *c);

/* Is there an entry we have not taken? (Changes nothing.) */
bool virtq_has_avail(const struct virtq *q, const struct guest_mem *m);

/* Spins up to ns for an entry to become available; true if one did. */
bool virtq_poll(const struct virtq *q, const struct guest_mem *m, uint64_t ns);

/* Returns the chain with len bytes written into it. */
void virtq_push(struct virtq *q, const struct guest_mem *m, uint16_t head, uint32_t len);

/* After pushes: does the driver want to hear of them (used_event / flags)? */
bool virtq_should_signal(struct virtq *q, const struct guest_mem *m);

/* Is there a used entry past the driver's used_event? (EVENT_IDX only) */
bool virtq_pending(const struct virtq *q, const struct guest_mem *m);

/* Tells the driver to kick for anything after what we have taken. */
void virtq_update_avail_event(struct virtq *q, const struct guest_mem *m);

#endif
