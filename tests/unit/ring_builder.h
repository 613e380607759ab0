/* ring_builder.h: a fake guest RAM with a split virtqueue laid out by hand, as a driver would. */
#ifndef TESTS_RING_BUILDER_H
#define TESTS_RING_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"
#include "virtq.h"

/* The driver's view of one queue: where its rings are and its next avail index. */
struct rb {
	struct guest_mem m;
	uint16_t size, avail_idx;
	uint64_t desc, avail, used;
};

/* Host address of [gpa, gpa + len): a test that strays outside RAM is a broken test. */
static inline uint8_t *rb_at(const struct rb *r, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gpa_ptr(&r->m, gpa, len);

	if (!p)
		abort();
	return p;
}

static inline void rb_put16(struct rb *r, uint64_t gpa, uint16_t v)
{
	memcpy(rb_at(r, gpa, 2), &v, 2);
}

static inline uint16_t rb_get16(const struct rb *r, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, rb_at(r, gpa, 2), 2);
	return v;
}

/* Lays the rings over existing memory (zeroed by the caller). */
static inline void rb_layout(struct rb *r, uint8_t *base, uint64_t ram, uint16_t size,
			     uint64_t desc, uint64_t avail, uint64_t used)
{
	*r = (struct rb){ { base, ram }, size, 0, desc, avail, used };
}

static inline int rb_init(struct rb *r, uint64_t ram, uint16_t size, uint64_t desc, uint64_t avail,
			  uint64_t used)
{
	uint8_t *base = calloc(1, ram);

	rb_layout(r, base, ram, size, desc, avail, used);
	return base ? 0 : -1;
}

static inline void rb_free(struct rb *r)
{
	free(r->m.base);
	r->m.base = NULL;
}

/* The device's struct virtq for these rings, as QueueReady would set it up. */
static inline struct virtq rb_virtq(const struct rb *r)
{
	return (
	    struct virtq){ .size = r->size, .desc = r->desc, .avail = r->avail, .used = r->used };
}

/* A descriptor anywhere: in the table (gpa = desc + 16 * i) or in an indirect table. */
static inline void rb_desc_at(struct rb *r, uint64_t gpa, uint64_t addr, uint32_t len,
			      uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { addr, len, flags, next };

	memcpy(rb_at(r, gpa, sizeof(d)), &d, sizeof(d));
}

static inline void rb_desc(struct rb *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
			   uint16_t next)
{
	rb_desc_at(r, r->desc + 16ULL * i, addr, len, flags, next);
}

static inline void rb_set_avail_idx(struct rb *r, uint16_t idx)
{
	r->avail_idx = idx;
	rb_put16(r, r->avail + 2, idx);
}

static inline void rb_set_avail_ring(struct rb *r, uint16_t slot, uint16_t head)
{
	rb_put16(r, r->avail + 4 + 2ULL * slot, head);
}

/* Offers the chain at head: ring entry first, then the index. */
static inline void rb_publish(struct rb *r, uint16_t head)
{
	rb_set_avail_ring(r, r->avail_idx & (r->size - 1), head);
	rb_set_avail_idx(r, (uint16_t)(r->avail_idx + 1));
}

static inline void rb_set_avail_flags(struct rb *r, uint16_t flags)
{
	rb_put16(r, r->avail, flags);
}

static inline void rb_set_used_event(struct rb *r, uint16_t v)
{
	rb_put16(r, r->avail + 4 + 2ULL * r->size, v);
}

static inline uint16_t rb_used_idx(const struct rb *r)
{
	return rb_get16(r, r->used + 2);
}

static inline struct virtq_used_elem rb_used(const struct rb *r, uint16_t slot)
{
	struct virtq_used_elem e;

	memcpy(&e, rb_at(r, r->used + 4 + 8ULL * slot, sizeof(e)), sizeof(e));
	return e;
}

static inline uint16_t rb_avail_event(const struct rb *r)
{
	return rb_get16(r, r->used + 4 + 8ULL * r->size);
}

#endif
