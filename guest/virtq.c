/* virtq.c: split virtqueues, driver side: descriptor free list, publish, kick, reap, wait. */
#include <errno.h>

#include "libos.h"
#include "virtq.h"

/*
 * Poll before sleeping: sleeping costs an exit and a wake-up (~30-40 us), so
 * spin about as long as requests have lately taken, within these bounds.
 */
#define SPIN_NS	    50000
#define SPIN_MAX_NS 1000000
#define DOZE_NS	    1000000 /* without EVENT_IDX the VMM cannot tell what we wait for */
#define barrier()   __asm__ volatile("" ::: "memory")
/* x86 orders stores with stores and loads with loads; only store-then-load needs this. */
#define mb() __asm__ volatile("mfence" ::: "memory")

static uint16_t used_idx(const struct virtq *q)
{
	return *(volatile const uint16_t *)&q->used->idx;
}

/* Descriptors, avail ring (2-byte aligned) and used ring (4-byte aligned), back to back. */
static size_t used_offset(uint16_t size)
{
	return (virtq_desc_bytes(size) + virtq_avail_bytes(size) + 3) & ~(size_t)3;
}

size_t virtq_mem_bytes(uint16_t size)
{
	return used_offset(size) + virtq_used_bytes(size);
}

void virtq_init(struct virtq *q, void *mem, uint16_t size, int event_idx)
{
	char *p = mem;

	*q = (struct virtq){ .size = size, .num_free = size, .event_idx = event_idx };
	q->desc = (struct virtq_desc *)p;
	q->avail = (struct virtq_avail *)(p + virtq_desc_bytes(size));
	q->used = (struct virtq_used *)(p + used_offset(size));
	q->used_event = &q->avail->ring[size];
	q->avail_event = (volatile uint16_t *)&q->used->ring[size];
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, int nout, int nin)
{
	int n = nout + nin;
	uint16_t head = q->free_head, i = head;

	if (n <= 0 || n > q->num_free)
		return -ENOSPC;
	for (int k = 0; k < n; k++) {
		struct virtq_desc *d = &q->desc[i];

		d->addr = bufs[k].addr;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((k >= nout ? VIRTQ_DESC_F_WRITE : 0) |
				      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		i = d->next; /* the last one's next still links the free list */
	}
	q->free_head = i;
	q->num_free = (uint16_t)(q->num_free - n);
	q->chain[head] = (uint8_t)n;
	q->avail->ring[q->avail_idx % q->size] = head;
	barrier(); /* the ring entry before the index that exposes it */
	q->avail_idx++;
	*(volatile uint16_t *)&q->avail->idx = q->avail_idx;
	return head;
}

void virtq_kick(struct virtq *q)
{
	uint16_t old = q->kicked_idx, new_idx = q->avail_idx;

	if (old == new_idx)
		return;
	q->kicked_idx = new_idx;
	if (q->event_idx) {
		mb(); /* our avail idx must be visible before we read avail_event */
		if (!virtq_need_event(*q->avail_event, new_idx, old))
			return;
	}
	*q->notify = q->index;
}

static void free_chain(struct virtq *q, uint16_t head)
{
	uint16_t last = head;

	for (int k = 1; k < q->chain[head]; k++)
		last = q->desc[last].next;
	q->desc[last].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + q->chain[head]);
	q->chain[head] = 0;
}

int virtq_pop(struct virtq *q, uint32_t *len)
{
	uint16_t idx = used_idx(q);
	struct virtq_used_elem e;

	if (idx == q->last_used)
		return -EAGAIN;
	if ((uint16_t)(idx - q->last_used) > q->size)
		return -EIO;
	barrier(); /* the element after the index (loads are not reordered on x86) */
	e = *(volatile struct virtq_used_elem *)&q->used->ring[q->last_used % q->size];
	q->last_used++;
	/* Idle means used_event == used idx: a wait hypercall sleeps until it moves. */
	*q->used_event = q->last_used;
	if (e.id >= q->size || !q->chain[e.id])
		return -EIO;
	free_chain(q, (uint16_t)e.id);
	*len = e.len;
	return (int)e.id;
}

/* One sleep: the wait hypercall under vmm; other monitors have none, so poll. */
static void doze(const struct virtq *q, uint64_t left)
{
	if (!boot.under_vmm) {
		__asm__ volatile("pause");
		return;
	}
	hc_wait(q->event_idx || left < DOZE_NS ? left : DOZE_NS);
}

static uint64_t spin_budget(const struct virtq *q)
{
	uint64_t ns = q->avg_ns * 3 / 2;

	return ns < SPIN_NS ? SPIN_NS : ns > SPIN_MAX_NS ? SPIN_MAX_NS : ns;
}

static int seen(struct virtq *q, uint64_t start)
{
	if (used_idx(q) == q->last_used)
		return 0;
	q->avg_ns = (q->avg_ns * 7 + (clock_monotonic_ns() - start)) / 8;
	return 1;
}

int virtq_wait(struct virtq *q, uint64_t timeout_ns)
{
	uint64_t start = clock_monotonic_ns(), now = start, spin = spin_budget(q);

	while (now - start < spin) {
		if (seen(q, start))
			return 0;
		__asm__ volatile("pause");
		now = clock_monotonic_ns();
	}
	while (now - start < timeout_ns) {
		/* Tell the device what we have seen, then look once more before sleeping. */
		*q->used_event = q->last_used;
		mb();
		if (seen(q, start))
			return 0;
		doze(q, timeout_ns - (now - start));
		if (seen(q, start))
			return 0;
		if (boot.under_vmm && q->event_idx)
			return -ETIMEDOUT; /* woken for nothing of ours: maybe a status change */
		now = clock_monotonic_ns();
	}
	return used_idx(q) != q->last_used ? 0 : -ETIMEDOUT;
}
