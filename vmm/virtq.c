/* virtq.c: pop chains from and push them to a split virtqueue the guest owns.
 * The guest may change any of it at any time: each field is read once,
 * every address goes through gpa_ptr, every walk is bounded. */
#include "virtq.h"

#include <string.h>
#include <time.h>

static uint16_t load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

int virtq_check(const struct virtq *q, const struct guest_mem *m)
{
	if (q->size == 0 || q->size > VIRTQ_NUM_MAX || (q->size & (q->size - 1)))
		return -1;
	if (q->desc % 16 || q->avail % 2 || q->used % 4)
		return -1;
	if (!gpa_ptr(m, q->desc, virtq_desc_bytes(q->size)) ||
	    !gpa_ptr(m, q->avail, virtq_avail_bytes(q->size)) ||
	    !gpa_ptr(m, q->used, virtq_used_bytes(q->size)))
		return -1;
	return 0;
}

static uint16_t *avail_field(const struct virtq *q, const struct guest_mem *m, uint32_t i)
{
	return (uint16_t *)gpa_ptr(m, q->avail + 2ULL * i, 2);
}

static int add_buf(struct virtq_chain *c, const struct guest_mem *m, const struct virtq_desc *d)
{
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	struct virtq_buf *b;

	/* Device-readable buffers come first (virtio 1.2, 2.7.4.2). */
	if (c->n == VIRTQ_NUM_MAX || (!write && c->n && c->buf[c->n - 1].write))
		return -1;
	b = &c->buf[c->n++];
	b->p = gpa_ptr(m, d->addr, d->len);
	b->len = d->len;
	b->write = write;
	if (!b->p || (write ? __builtin_add_overflow(c->in_bytes, d->len, &c->in_bytes)
			    : __builtin_add_overflow(c->out_bytes, d->len, &c->out_bytes)))
		return -1;
	return 0;
}

/* An indirect table: its own bounded walk; no nesting. */
static int walk_indirect(struct virtq_chain *c, const struct guest_mem *m,
			 const struct virtq_desc *ind, uint16_t qsize)
{
	uint32_t n = ind->len / 16, i = 0;
	const uint8_t *table = gpa_ptr(m, ind->addr, ind->len);
	struct virtq_desc d;

	if (!table || ind->len % 16 || n == 0 || n > qsize)
		return -1;
	for (uint32_t steps = 0; steps < n; steps++) {
		memcpy(&d, table + 16ULL * i, sizeof(d));
		if ((d.flags & VIRTQ_DESC_F_INDIRECT) || add_buf(c, m, &d))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= n)
			return -1;
	}
	return -1; /* a loop */
}

static int walk(const struct virtq *q, const struct guest_mem *m, struct virtq_chain *c)
{
	const uint8_t *table = gpa_ptr(m, q->desc, virtq_desc_bytes(q->size));
	uint16_t i = c->head;
	struct virtq_desc d;

	if (!table)
		return -1;
	for (uint32_t steps = 0; steps < q->size; steps++) {
		memcpy(&d, table + 16ULL * i, sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Only alone: an indirect descriptor may not chain on. */
			if (!q->indirect || c->n || (d.flags & VIRTQ_DESC_F_NEXT))
				return -1;
			return walk_indirect(c, m, &d, q->size);
		}
		if (add_buf(c, m, &d))
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= q->size)
			return -1;
	}
	return -1; /* longer than the queue: a loop */
}

int virtq_pop(struct virtq *q, const struct guest_mem *m, struct virtq_chain *c)
{
	uint16_t *idx = avail_field(q, m, 1), avail, *slot;

	if (!idx)
		return -1;
	avail = load16(idx);
	if (avail == q->last_avail)
		return 0;
	/* More entries than the ring holds: the driver is lying. */
	if ((uint16_t)(avail - q->last_avail) > q->size)
		return -1;
	slot = avail_field(q, m, 2 + (q->last_avail & (q->size - 1)));
	if (!slot)
		return -1;
	c->head = load16(slot);
	c->n = 0;
	c->in_bytes = c->out_bytes = 0;
	if (c->head >= q->size || walk(q, m, c))
		return -1;
	q->last_avail++;
	return 1;
}

bool virtq_has_avail(const struct virtq *q, const struct guest_mem *m)
{
	const uint16_t *idx = avail_field(q, m, 1);

	return idx && load16(idx) != q->last_avail;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

bool virtq_poll(const struct virtq *q, const struct guest_mem *m, uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	do {
		for (int i = 0; i < 64; i++) {
			if (virtq_has_avail(q, m))
				return true;
			__builtin_ia32_pause();
		}
	} while (now_ns() < end);
	return false;
}

void virtq_push(struct virtq *q, const struct guest_mem *m, uint16_t head, uint32_t len)
{
	uint32_t slot = q->used_idx & (q->size - 1);
	struct virtq_used_elem e = { head, len };
	uint8_t *ring = gpa_ptr(m, q->used, virtq_used_bytes(q->size));

	if (!ring)
		return;
	memcpy(ring + 4 + 8ULL * slot, &e, sizeof(e));
	q->used_idx++;
	store16(ring + 2, q->used_idx);
}

bool virtq_should_signal(struct virtq *q, const struct guest_mem *m)
{
	uint16_t old = q->signalled, event;
	const uint16_t *p;

	if (q->used_idx == old)
		return false;
	/* Our used->idx store must be visible before we read what the driver wants. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled = q->used_idx;
	if (!q->event_idx) {
		p = avail_field(q, m, 0);
		return p && !(load16(p) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	p = avail_field(q, m, 2 + q->size);
	event = p ? load16(p) : q->used_idx;
	return virtq_need_event(event, q->used_idx, old);
}

bool virtq_pending(const struct virtq *q, const struct guest_mem *m)
{
	const uint16_t *event = avail_field(q, m, 2 + q->size);
	const uint8_t *used = gpa_ptr(m, q->used, 4);

	/* Reads what was published, not used_idx: the I/O thread owns that. */
	return q->event_idx && event && used && (int16_t)(load16(used + 2) - load16(event)) > 0;
}

void virtq_update_avail_event(struct virtq *q, const struct guest_mem *m)
{
	uint8_t *ring = gpa_ptr(m, q->used, virtq_used_bytes(q->size));

	if (q->event_idx && ring)
		store16(ring + 4 + 8ULL * q->size, q->last_avail);
}

int virtq_iov(const struct virtq_chain *c, bool write, uint64_t skip, uint64_t len,
	      struct iovec *iov)
{
	int n = 0;

	for (int i = 0; i < c->n && len; i++) {
		const struct virtq_buf *b = &c->buf[i];
		uint64_t take;

		if (b->write != write)
			continue;
		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		take = b->len - skip < len ? b->len - skip : len;
		iov[n++] = (struct iovec){ b->p + skip, take };
		skip = 0;
		len -= take;
	}
	return n;
}

void virtq_copy(const struct virtq_chain *c, bool write, void *buf, uint64_t len)
{
	struct iovec iov[VIRTQ_NUM_MAX];
	int n = virtq_iov(c, write, 0, len, iov);
	uint8_t *p = buf;

	for (int i = 0; i < n; p += iov[i].iov_len, i++) {
		if (write)
			memcpy(iov[i].iov_base, p, iov[i].iov_len);
		else
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
	}
}
