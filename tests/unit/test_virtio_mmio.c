/* test_virtio_mmio.c: the virtio-mmio register file and status machine, driven as a guest would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "ring_builder.h"
#include "virtio_mmio.h"

#define RAM	    (1ULL << 20)
#define QSZ	    8
#define DESC	    0x1000ULL
#define AVAIL	    0x2000ULL
#define USED	    0x3000ULL
#define NQ	    2
#define CFG	    12
#define DEV_ID	    42
#define F_LOW	    (1ULL << 0 | 1ULL << VIRTIO_F_RING_EVENT_IDX)
#define F_HIGH	    (1ULL << 35)
#define OFFERED	    (F_LOW | F_HIGH | 1ULL << VIRTIO_F_VERSION_1)
#define STARTED	    (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)
#define NEEDS_RESET VIRTIO_STATUS_NEEDS_RESET

/* A tiny device model: a config space and a record of every hook call. */
struct fake {
	struct virtio_dev dev;
	struct rb r;
	uint8_t cfg[CFG];
	int config_calls, resets, notified[NQ];
	uint32_t cfg_off, cfg_len;
	bool cfg_write;
};

static struct fake *to_fake(struct virtio_dev *d)
{
	return (struct fake *)d;
}

static void fake_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len, bool write)
{
	struct fake *f = to_fake(d);

	f->config_calls++;
	f->cfg_off = off;
	f->cfg_len = len;
	f->cfg_write = write;
	if (write)
		memcpy(f->cfg + off, data, len);
	else
		memcpy(data, f->cfg + off, len);
}

static void fake_notify(struct virtio_dev *d, int q)
{
	to_fake(d)->notified[q]++;
}

static void fake_reset(struct virtio_dev *d)
{
	to_fake(d)->resets++;
}

static const struct virtio_dev_ops fake_ops = { fake_config, fake_notify, fake_reset };

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f || rb_init(&f->r, RAM, QSZ, DESC, AVAIL, USED)) {
		free(f);
		return -1;
	}
	virtio_dev_init(&f->dev, &fake_ops, DEV_ID, F_LOW | F_HIGH, CFG, NQ);
	f->dev.mem = &f->r.m;
	for (int i = 0; i < CFG; i++)
		f->cfg[i] = (uint8_t)(0xa0 + i);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	pthread_mutex_destroy(&f->dev.lock);
	rb_free(&f->r);
	free(f);
	return 0;
}

static void wr(struct fake *f, uint64_t off, uint32_t v)
{
	virtio_mmio_access(&f->dev, off, (uint8_t *)&v, 4, true);
}

static uint32_t rd(struct fake *f, uint64_t off)
{
	uint32_t v = 0x5a5a5a5a;

	virtio_mmio_access(&f->dev, off, (uint8_t *)&v, 4, false);
	return v;
}

static void features(struct fake *f, uint64_t v)
{
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)v);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(v >> 32));
}

/* Status up to FEATURES_OK with the given features; returns the status read back. */
static uint32_t negotiate(struct fake *f, uint64_t v)
{
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, VIRTIO_MMIO_STATUS, STARTED);
	features(f, v);
	wr(f, VIRTIO_MMIO_STATUS, STARTED | VIRTIO_STATUS_FEATURES_OK);
	return rd(f, VIRTIO_MMIO_STATUS);
}

static void wr64(struct fake *f, uint64_t low, uint64_t v)
{
	wr(f, low, (uint32_t)v);
	wr(f, low + 4, (uint32_t)(v >> 32));
}

static void queue_layout(struct fake *f, uint32_t q, uint32_t num, uint64_t desc, uint64_t avail,
			 uint64_t used)
{
	wr(f, VIRTIO_MMIO_QUEUE_SEL, q);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, num);
	wr64(f, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	wr64(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
	wr64(f, VIRTIO_MMIO_QUEUE_USED_LOW, used);
}

/* A driver's whole bring-up of queue q; DRIVER_OK last. */
static void bring_up(struct fake *f, uint32_t q)
{
	assert_int_equal(negotiate(f, 1ULL << VIRTIO_F_VERSION_1),
			 STARTED | VIRTIO_STATUS_FEATURES_OK);
	queue_layout(f, q, QSZ, DESC, AVAIL, USED);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	wr(f, VIRTIO_MMIO_STATUS, STARTED | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void test_identity(void **state)
{
	struct fake *f = *state;

	assert_int_equal(rd(f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(f, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), DEV_ID);
	assert_int_equal(rd(f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_VENDOR_ID);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG_GENERATION), 0);
	assert_int_equal(rd(f, 0x0f0), 0);		   /* a hole */
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM), 0); /* write-only */
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, 1);
	wr(f, 0x0f0, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
}

static void test_device_features(void **state)
{
	struct fake *f = *state;

	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)F_LOW);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(OFFERED >> 32));
	assert_true(rd(f, VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* VERSION_1 */
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)F_LOW);
}

static void test_features_ok(void **state)
{
	struct fake *f = *state;

	assert_int_equal(negotiate(f, OFFERED), STARTED | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(f->dev.driver_features, OFFERED);
	assert_true(virtio_dev_has(&f->dev, VIRTIO_F_RING_EVENT_IDX));
	assert_true(virtio_dev_has(&f->dev, 35));
	assert_false(virtio_dev_has(&f->dev, 1));
	/* Fixed from here on. */
	features(f, 1ULL << VIRTIO_F_VERSION_1);
	assert_int_equal(f->dev.driver_features, OFFERED);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 5);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	assert_int_equal(f->dev.driver_features, OFFERED);
}

static void test_features_refused(void **state)
{
	struct fake *f = *state;

	/* Not offered: bit 1, bit 33. */
	assert_int_equal(negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 1), STARTED);
	assert_int_equal(negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 33), STARTED);
	/* No VERSION_1: a legacy driver. */
	assert_int_equal(negotiate(f, F_LOW), STARTED);
	assert_int_equal(negotiate(f, 0), STARTED);
	/* Refused, so features stay writable: a second try can succeed. */
	assert_int_equal(negotiate(f, F_LOW | 1ULL << VIRTIO_F_VERSION_1),
			 STARTED | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(f->dev.driver_features, F_LOW | 1ULL << VIRTIO_F_VERSION_1);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
}

static void test_queue_setup(void **state)
{
	struct fake *f = *state;
	struct virtq *q = &f->dev.vq[1];

	negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_RING_EVENT_IDX);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_NUM_MAX);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	/* The high halves first: each half replaces only its own 32 bits. */
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x12345678);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x9abcdef0);
	assert_int_equal(q->desc, 0x123456789abcdef0ULL);
	queue_layout(f, 1, QSZ, DESC, AVAIL, USED);
	assert_int_equal(q->size, QSZ);
	assert_int_equal(q->desc, DESC);
	assert_int_equal(q->avail, AVAIL);
	assert_int_equal(q->used, USED);
	q->last_avail = q->used_idx = q->signalled = 9; /* left over from an earlier life */
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	assert_true(f->dev.ready[1]);
	assert_false(f->dev.ready[0]);
	assert_true(q->event_idx);
	assert_false(q->indirect);
	assert_int_equal(q->last_avail, 0);
	assert_int_equal(q->used_idx, 0);
	assert_int_equal(q->signalled, 0);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
}

/* Past the last queue: nothing to read, writes land nowhere. */
static void test_queue_sel_out_of_range(void **state)
{
	struct fake *f = *state;
	struct virtio_dev before;

	wr(f, VIRTIO_MMIO_QUEUE_SEL, NQ);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	memcpy(&before, &f->dev, sizeof(before));
	queue_layout(f, 0xffffffff, QSZ, DESC, AVAIL, USED);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_memory_equal(f->dev.vq, before.vq, sizeof(before.vq));
	assert_memory_equal(f->dev.ready, before.ready, sizeof(before.ready));
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void expect_ready_fails(struct fake *f, uint32_t num, uint64_t desc, uint64_t avail,
			       uint64_t used)
{
	wr(f, VIRTIO_MMIO_STATUS, 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	queue_layout(f, 0, num, desc, avail, used);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	assert_false(f->dev.ready[0]);
}

static void test_queue_bad_ring(void **state)
{
	struct fake *f = *state;

	expect_ready_fails(f, QSZ, RAM - 64, AVAIL, USED);
	expect_ready_fails(f, QSZ, DESC, RAM, USED);
	expect_ready_fails(f, QSZ, DESC, AVAIL, RAM - 8);
	expect_ready_fails(f, QSZ, DESC | 1ULL << 32, AVAIL, USED); /* the high half counts */
	expect_ready_fails(f, QSZ, DESC, AVAIL, UINT64_MAX - 3);
	expect_ready_fails(f, QSZ, DESC + 4, AVAIL, USED);
	expect_ready_fails(f, 0, DESC, AVAIL, USED);
	expect_ready_fails(f, 6, DESC, AVAIL, USED);
	expect_ready_fails(f, 2 * VIRTQ_NUM_MAX, DESC, AVAIL, USED);
	expect_ready_fails(f, 0x10008, DESC, AVAIL, USED); /* 8 in 16 bits */
	/* NEEDS_RESET sticks through status writes until a reset. */
	wr(f, VIRTIO_MMIO_STATUS, STARTED | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
}

static void test_layout_locked_while_ready(void **state)
{
	struct fake *f = *state;
	struct virtq *q = &f->dev.vq[0];

	bring_up(f, 0);
	queue_layout(f, 0, 4, 0x4000, 0x5000, 0x6000);
	assert_int_equal(q->size, QSZ);
	assert_int_equal(q->desc, DESC);
	assert_int_equal(q->avail, AVAIL);
	assert_int_equal(q->used, USED);
	/* Not ready any more: the layout may change again. */
	wr(f, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	queue_layout(f, 0, 4, 0x4000, 0x5000, 0x6000);
	assert_int_equal(q->size, 4);
	assert_int_equal(q->desc, 0x4000);
	assert_int_equal(q->avail, 0x5000);
	assert_int_equal(q->used, 0x6000);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
}

static void test_reset(void **state)
{
	struct fake *f = *state;

	bring_up(f, 1);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	virtio_dev_fail(&f->dev);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->resets, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(f->dev.driver_features, 0);
	assert_int_equal(f->dev.dev_sel, 0);
	assert_int_equal(f->dev.drv_sel, 0);
	assert_int_equal(f->dev.queue_sel, 0);
	assert_false(f->dev.ready[0] || f->dev.ready[1]);
	for (int q = 0; q < NQ; q++) {
		assert_int_equal(f->dev.vq[q].size, 0);
		assert_int_equal(f->dev.vq[q].desc | f->dev.vq[q].avail | f->dev.vq[q].used, 0);
	}
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 0);
	/* And it can all be done again. */
	bring_up(f, 1);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
}

static void test_narrow_access(void **state)
{
	struct fake *f = *state;
	uint8_t buf[8];
	uint16_t v16 = 1;

	memset(buf, 0, sizeof(buf));
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_MAGIC_VALUE, buf, 2, false);
	assert_int_equal(buf[0] & buf[1], 0xff);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	memset(buf, 0, sizeof(buf));
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_VERSION, buf, 8, false);
	for (int i = 0; i < 8; i++)
		assert_int_equal(buf[i], 0xff);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	/* A narrow write does nothing but fail the device. */
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_QUEUE_SEL, (uint8_t *)&v16, 2, true);
	assert_int_equal(f->dev.queue_sel, 0);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	/* Four bytes, but not on a register boundary. */
	memset(buf, 0, sizeof(buf));
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_STATUS + 1, buf, 4, false);
	assert_int_equal(buf[0] & buf[1] & buf[2] & buf[3], 0xff);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_STATUS, buf, 1, true);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), NEEDS_RESET);
}

static void test_config(void **state)
{
	struct fake *f = *state;
	uint8_t buf[8];

	memset(buf, 0, sizeof(buf));
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_CONFIG + 4, buf, 4, false);
	assert_int_equal(f->config_calls, 1);
	assert_int_equal(f->cfg_off, 4);
	assert_int_equal(f->cfg_len, 4);
	assert_false(f->cfg_write);
	assert_memory_equal(buf, f->cfg + 4, 4);
	/* Any width is fine in config space; the last byte is in range. */
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_CONFIG + CFG - 1, buf, 1, false);
	assert_int_equal(f->cfg_off, CFG - 1);
	assert_int_equal(f->cfg_len, 1);
	assert_int_equal(buf[0], 0xa0 + CFG - 1);
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_CONFIG + 3, buf, 8, false);
	assert_int_equal(f->cfg_off, 3);
	assert_int_equal(f->cfg_len, 8);
	assert_memory_equal(buf, f->cfg + 3, 8);
	buf[0] = 0x11;
	buf[1] = 0x22;
	virtio_mmio_access(&f->dev, VIRTIO_MMIO_CONFIG + 2, buf, 2, true);
	assert_true(f->cfg_write);
	assert_int_equal(f->cfg[2], 0x11);
	assert_int_equal(f->cfg[3], 0x22);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
}

static void expect_config_zeros(struct fake *f, uint64_t off, uint32_t len)
{
	uint8_t buf[8];
	int calls = f->config_calls;

	memset(buf, 0x77, sizeof(buf));
	virtio_mmio_access(&f->dev, off, buf, len, false);
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(buf[i], 0);
	virtio_mmio_access(&f->dev, off, buf, len, true);
	assert_int_equal(f->config_calls, calls);
}

static void test_config_out_of_range(void **state)
{
	struct fake *f = *state;
	uint8_t before[CFG];

	memcpy(before, f->cfg, CFG);
	expect_config_zeros(f, VIRTIO_MMIO_CONFIG + CFG - 3, 4); /* straddles the end */
	expect_config_zeros(f, VIRTIO_MMIO_CONFIG + CFG, 1);
	expect_config_zeros(f, VIRTIO_MMIO_CONFIG + CFG - 7, 8);
	expect_config_zeros(f, VIRTIO_MMIO_REGION_SIZE - 4, 4);
	expect_config_zeros(f, 0xffc, 4); /* the end of the device's 4 KiB slot */
	assert_memory_equal(before, f->cfg, CFG);
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
}

static void test_queue_notify(void **state)
{
	struct fake *f = *state;

	bring_up(f, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* exists, if not ready */
	assert_false(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, NQ);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & NEEDS_RESET);
	/* A register write never runs the device itself: that is the I/O thread's job. */
	assert_int_equal(f->notified[0] + f->notified[1], 0);
}

static void test_kick(void **state)
{
	struct fake *f = *state;

	virtio_dev_kick(&f->dev, 0); /* nothing set up */
	assert_int_equal(f->notified[0], 0);
	negotiate(f, 1ULL << VIRTIO_F_VERSION_1);
	queue_layout(f, 0, QSZ, DESC, AVAIL, USED);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	virtio_dev_kick(&f->dev, 0); /* ready, but no DRIVER_OK */
	assert_int_equal(f->notified[0], 0);
	wr(f, VIRTIO_MMIO_STATUS, STARTED | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	virtio_dev_kick(&f->dev, 0);
	assert_int_equal(f->notified[0], 1);
	virtio_dev_kick(&f->dev, 1); /* live, but queue 1 not ready */
	virtio_dev_kick(&f->dev, NQ);
	virtio_dev_kick(&f->dev, VIRTIO_QUEUES_MAX);
	assert_int_equal(f->notified[1], 0);
	/* The driver gave up on the device. */
	wr(f, VIRTIO_MMIO_STATUS,
	   STARTED | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED);
	virtio_dev_kick(&f->dev, 0);
	assert_int_equal(f->notified[0], 1);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	bring_up(f, 0);
	virtio_dev_kick(&f->dev, 0);
	assert_int_equal(f->notified[0], 2);
	/* The device gave up on the driver. */
	virtio_dev_fail(&f->dev);
	virtio_dev_kick(&f->dev, 0);
	assert_int_equal(f->notified[0], 2);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	virtio_dev_kick(&f->dev, 0);
	assert_int_equal(f->notified[0], 2);
}

/* virtio_dev_signal writes the wake eventfd when the driver wants to hear of a push. */
static void test_signal_and_pending(void **state)
{
	struct fake *f = *state;
	struct virtq *q = &f->dev.vq[0];
	uint64_t n = 0;

	f->dev.wake_fd = eventfd(0, EFD_NONBLOCK);
	assert_true(f->dev.wake_fd >= 0);
	assert_int_equal(negotiate(f, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_RING_EVENT_IDX),
			 STARTED | VIRTIO_STATUS_FEATURES_OK);
	queue_layout(f, 0, QSZ, DESC, AVAIL, USED);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(f, VIRTIO_MMIO_STATUS, STARTED | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	rb_set_used_event(&f->r, 1);
	virtq_push(q, &f->r.m, 0, 0);
	virtio_dev_signal(&f->dev, 0);
	assert_true(read(f->dev.wake_fd, &n, 8) < 0); /* entry 0 is not past used_event 1 */
	assert_false(virtio_dev_pending(&f->dev));
	virtq_push(q, &f->r.m, 0, 0);
	virtio_dev_signal(&f->dev, 0);
	assert_int_equal(read(f->dev.wake_fd, &n, 8), 8);
	assert_int_equal(n, 1);
	assert_true(virtio_dev_pending(&f->dev));
	virtio_dev_fail(&f->dev);
	/* A failure wakes the guest once: until it reads Status, then never again. */
	assert_int_equal(read(f->dev.wake_fd, &n, 8), 8);
	assert_true(virtio_dev_pending(&f->dev));
	assert_true(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_false(virtio_dev_pending(&f->dev));
	close(f->dev.wake_fd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_device_features),
		T(test_features_ok),
		T(test_features_refused),
		T(test_queue_setup),
		T(test_queue_sel_out_of_range),
		T(test_queue_bad_ring),
		T(test_layout_locked_while_ready),
		T(test_reset),
		T(test_narrow_access),
		T(test_config),
		T(test_config_out_of_range),
		T(test_queue_notify),
		T(test_kick),
		T(test_signal_and_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
