/* fuzz_virtq.c: libFuzzer target for the device side of a split virtqueue: all of RAM is input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

#define RAM_MAX 0x10000 /* 64 KiB, less up to 4080 bytes so rings can end at the edge */
#define HDR	sizeof(struct setup)
#define STEPS	600 /* more than two rings' worth of the largest queue */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The header: queue size, ring addresses, features, the indices the device
 * stopped at in an earlier life, and RAM's size. The rest is RAM's content.
 */
struct setup {
	uint8_t size_sel, flags, ram_cut, pad;
	uint16_t desc, avail, used, last_avail, used_idx, size_raw;
};

#define F_EVENT_IDX 1
#define F_INDIRECT  2
#define F_HIGH	    4 /* addresses 2^64 - x: ends wrap around */
#define F_RAW_SIZE  8 /* any 16-bit size, not a power of two */

static uint16_t queue_size(const struct setup *s)
{
	if (s->flags & F_RAW_SIZE)
		return s->size_raw;
	return (uint16_t)(1u << (s->size_sel % 9));
}

static bool in_ram(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return gpa <= m->size && len <= m->size - gpa;
}

/* What virtq_check must decide, written out independently. */
static bool acceptable(const struct virtq *q, const struct guest_mem *m)
{
	return q->size && q->size <= VIRTQ_NUM_MAX && !(q->size & (q->size - 1)) &&
	       q->desc % 16 == 0 && q->avail % 2 == 0 && q->used % 4 == 0 &&
	       in_ram(m, q->desc, 16ULL * q->size) && in_ram(m, q->avail, 6 + 2ULL * q->size) &&
	       in_ram(m, q->used, 6 + 8ULL * q->size);
}

/* A chain virtq_pop handed out: every byte in RAM, counts right, readable first. */
static void check_chain(const struct virtq *q, const struct guest_mem *m,
			const struct virtq_chain *c)
{
	uint64_t in = 0, out = 0;

	if (c->head >= q->size || c->n < 1 || c->n > q->size)
		abort();
	for (int i = 0; i < c->n; i++) {
		const struct virtq_buf *b = &c->buf[i];

		if (b->p < m->base || !in_ram(m, (uint64_t)(b->p - m->base), b->len))
			abort();
		if (!b->write && in)
			abort();
		if (b->write)
			in += b->len;
		else
			out += b->len;
	}
	if (in != c->in_bytes || out != c->out_bytes)
		abort();
}

/* Touch every byte as a device would, so ASan sees a stray pointer. */
static uint32_t use_chain(const struct virtq_chain *c)
{
	uint32_t sum = 0;

	for (int i = 0; i < c->n; i++) {
		const struct virtq_buf *b = &c->buf[i];

		for (uint32_t k = 0; k < b->len; k++)
			sum += b->p[k];
		if (b->write)
			memset(b->p, (uint8_t)c->head, b->len);
	}
	return sum;
}

/* virtq_push must leave exactly this in the used ring. */
static void check_push(const struct virtq *q, const struct guest_mem *m, uint16_t head,
		       uint32_t len)
{
	uint16_t slot = (uint16_t)(q->used_idx - 1) & (q->size - 1), idx;
	struct virtq_used_elem e;

	memcpy(&idx, m->base + q->used + 2, 2);
	memcpy(&e, m->base + q->used + 4 + 8ULL * slot, sizeof(e));
	if (idx != q->used_idx || e.id != head || e.len != len)
		abort();
}

static void run(struct virtq *q, const struct guest_mem *m, struct virtq_chain *c)
{
	for (int step = 0; step < STEPS; step++) {
		int rc = virtq_pop(q, m, c);
		uint32_t len;

		if (rc < 0)
			return; /* the device would go NEEDS_RESET */
		if (rc == 0) {
			virtq_update_avail_event(q, m);
			if (!virtq_has_avail(q, m))
				return;
			continue;
		}
		check_chain(q, m, c);
		len = use_chain(c) % (c->in_bytes + 1);
		virtq_push(q, m, c->head, len);
		check_push(q, m, c->head, len);
		(void)virtq_should_signal(q, m);
		(void)virtq_pending(q, m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setup s = { 0 };
	static struct virtq_chain c;
	struct guest_mem m;
	struct virtq q;

	memcpy(&s, data, size < sizeof(s) ? size : sizeof(s));
	data += size < HDR ? size : HDR;
	size -= size < HDR ? size : HDR;
	m.size = RAM_MAX - (s.ram_cut & 0xff) * 16ULL;
	m.base = calloc(1, m.size); /* exactly RAM: ASan guards both ends */
	if (!m.base)
		return 0;
	memcpy(m.base, data, size < m.size ? size : m.size);
	q = (struct virtq){
		.size = queue_size(&s),
		.event_idx = s.flags & F_EVENT_IDX,
		.indirect = s.flags & F_INDIRECT,
		.desc = s.flags & F_HIGH ? 0 - (uint64_t)s.desc : s.desc,
		.avail = s.flags & F_HIGH ? 0 - (uint64_t)s.avail : s.avail,
		.used = s.flags & F_HIGH ? 0 - (uint64_t)s.used : s.used,
		.last_avail = s.last_avail,
		.used_idx = s.used_idx,
		.signalled = s.used_idx,
	};
	if ((virtq_check(&q, &m) == 0) != acceptable(&q, &m))
		abort();
	if (acceptable(&q, &m))
		run(&q, &m, &c);
	free(m.base);
	return 0;
}
