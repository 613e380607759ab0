/* virtio_mmio.c: the virtio-mmio (version 2) register file and status machine. */
#include "virtio_mmio.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

void virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, uint32_t id,
		     uint64_t features, uint32_t config_size, int nqueues)
{
	d->ops = ops;
	d->device_id = id;
	d->features = features | (1ULL << VIRTIO_F_VERSION_1);
	d->config_size = config_size;
	d->nqueues = nqueues;
	d->wake_fd = -1;
	for (int q = 0; q < VIRTIO_QUEUES_MAX; q++)
		d->kick[q] = (struct virtio_kick){ { virtio_dev_kicked, -1 }, d, q };
	pthread_mutex_init(&d->lock, NULL);
}

bool virtio_dev_has(const struct virtio_dev *d, int feature)
{
	return d->driver_features >> feature & 1;
}

static bool live(const struct virtio_dev *d)
{
	uint32_t status = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);

	return (status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

void virtio_dev_fail(struct virtio_dev *d)
{
	uint64_t one = 1;

	__atomic_or_fetch(&d->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->fail_unseen, true, __ATOMIC_SEQ_CST);
	/* A guest waiting on this device learns of it now, not at its timeout. */
	if (d->wake_fd >= 0 && write(d->wake_fd, &one, 8) < 0)
		return;
}

static void reset(struct virtio_dev *d)
{
	d->ops->reset(d);
	d->status = d->dev_sel = d->drv_sel = d->queue_sel = 0;
	d->fail_unseen = false;
	d->driver_features = 0;
	memset(d->ready, 0, sizeof(d->ready));
	memset(d->vq, 0, sizeof(d->vq));
}

static struct virtq *selected(struct virtio_dev *d)
{
	return d->queue_sel < (uint32_t)d->nqueues ? &d->vq[d->queue_sel] : NULL;
}

static uint32_t read_reg(struct virtio_dev *d, uint64_t off)
{
	struct virtq *q = selected(d);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return d->dev_sel < 2 ? (uint32_t)(d->features >> (32 * d->dev_sel)) : 0;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? VIRTQ_NUM_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q && d->ready[d->queue_sel];
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return 0; /* no interrupts: the guest polls its used rings */
	case VIRTIO_MMIO_STATUS:
		__atomic_store_n(&d->fail_unseen, false, __ATOMIC_SEQ_CST);
		return d->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return d->generation;
	default:
		return 0;
	}
}

/* FEATURES_OK only sticks for a subset of what we offer, with VERSION_1. */
static void set_status(struct virtio_dev *d, uint32_t v)
{
	if (v == 0) {
		reset(d);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((d->driver_features & ~d->features) || !virtio_dev_has(d, VIRTIO_F_VERSION_1)))
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	/* DRIVER_OK over features we refused would run on features we never agreed to. */
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK))
		virtio_dev_fail(d);
	d->status = v | (d->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void set_addr(uint64_t *a, uint32_t v, bool high)
{
	*a = high ? (*a & 0xffffffffULL) | (uint64_t)v << 32 : (*a & ~0xffffffffULL) | v;
}

/* QueueReady = 1 validates the ring against guest RAM before anything uses it. */
static void queue_ready(struct virtio_dev *d, struct virtq *q, uint32_t v)
{
	if (!v) {
		d->ready[d->queue_sel] = false;
		return;
	}
	if (!(d->status & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_dev_fail(d);
		return;
	}
	q->event_idx = virtio_dev_has(d, VIRTIO_F_RING_EVENT_IDX);
	q->indirect = virtio_dev_has(d, VIRTIO_F_RING_INDIRECT_DESC);
	q->last_avail = q->used_idx = q->signalled = 0;
	if (virtq_check(q, d->mem)) {
		virtio_dev_fail(d);
		return;
	}
	d->ready[d->queue_sel] = true;
}

static void write_queue_reg(struct virtio_dev *d, struct virtq *q, uint64_t off, uint32_t v)
{
	/* The layout may only change while the queue is not in use. */
	if (d->ready[d->queue_sel] && off != VIRTIO_MMIO_QUEUE_READY)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->size = (uint16_t)(v <= VIRTQ_NUM_MAX ? v : 0);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		queue_ready(d, q, v);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr(&q->desc, v, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_addr(&q->avail, v, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_addr(&q->used, v, off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		break;
	}
}

static void write_reg(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *q = selected(d);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dev_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Features are fixed once FEATURES_OK is set. */
		if (d->drv_sel < 2 && !(d->status & VIRTIO_STATUS_FEATURES_OK))
			set_addr(&d->driver_features, v, d->drv_sel == 1);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->drv_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Normally an ioeventfd takes these; a miss is a bad queue index. */
		if (v >= (uint32_t)d->nqueues)
			virtio_dev_fail(d);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		break;
	case VIRTIO_MMIO_STATUS:
		set_status(d, v);
		break;
	default:
		if (q)
			write_queue_reg(d, q, off, v);
	}
}

static void config_access(struct virtio_dev *d, uint64_t off, uint8_t *data, uint32_t len,
			  bool write)
{
	uint64_t coff = off - VIRTIO_MMIO_CONFIG;

	if (coff + len > d->config_size) {
		if (!write)
			memset(data, 0, len);
		return;
	}
	d->ops->config(d, (uint32_t)coff, data, len, write);
}

void virtio_mmio_access(struct virtio_dev *d, uint64_t off, uint8_t *data, uint32_t len, bool write)
{
	uint32_t v = 0;

	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		config_access(d, off, data, len, write);
	} else if (len != 4 || off % 4) {
		/* Registers are 32-bit only (virtio 1.2, 4.2.2.2). */
		if (!write)
			memset(data, 0xff, len);
		virtio_dev_fail(d);
	} else if (write) {
		memcpy(&v, data, 4);
		write_reg(d, off, v);
	} else {
		v = read_reg(d, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);
}

void virtio_dev_kick(struct virtio_dev *d, int q)
{
	pthread_mutex_lock(&d->lock);
	if (live(d) && q < d->nqueues && d->ready[q])
		d->ops->notify(d, q);
	pthread_mutex_unlock(&d->lock);
}

void virtio_dev_kicked(struct io_watch *w, uint32_t events)
{
	struct virtio_kick *k = (struct virtio_kick *)w;
	uint64_t n;

	(void)events;
	/* Drain first: a kick after this point wakes us again. */
	if (read(w->fd, &n, 8) < 0 && errno != EAGAIN)
		return;
	virtio_dev_kick(k->dev, k->q);
}

void virtio_dev_signal(struct virtio_dev *d, int q)
{
	uint64_t one = 1;

	if (virtq_should_signal(&d->vq[q], d->mem) && write(d->wake_fd, &one, 8) < 0)
		return; /* the counter is saturated: the guest will be woken anyway */
}

bool virtio_dev_pending(struct virtio_dev *d)
{
	bool pending = false;

	/*
	 * No lock: the I/O thread may hold it for a whole request. What this
	 * reads of the queues is the vCPU thread's own (set up by register
	 * writes on this thread) or guest memory, read atomically.
	 */
	pending = __atomic_load_n(&d->fail_unseen, __ATOMIC_SEQ_CST);
	for (int q = 0; q < d->nqueues && !pending; q++)
		pending = d->ready[q] && live(d) && virtq_pending(&d->vq[q], d->mem);
	return pending;
}
