/* test_blk_queue.c: virtio-blk end to end: register bring-up, requests in a ring, kicks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "ring_builder.h"
#include "virtio_blk.h"

#define SECTOR VIRTIO_BLK_SECTOR
#define NSECT  32
#define RAM    (1ULL << 20)
#define QSZ    8
#define DESC   0x1000ULL
#define AVAIL  0x2000ULL
#define USED   0x3000ULL
#define HDR    0x10000ULL /* request i's header at HDR + 0x100 * i */
#define STATUS 0x11000ULL /* request i's status at STATUS + i */
#define DATA   0x20000ULL /* request i's data at DATA + 0x1000 * i */
#define TABLE  0x30000ULL
#define R      0
#define W      VIRTQ_DESC_F_WRITE
#define NEXT   VIRTQ_DESC_F_NEXT
#define RING_FEATURES                                                   \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_RING_EVENT_IDX | \
	 1ULL << VIRTIO_F_RING_INDIRECT_DESC)

struct fx {
	struct blk b;
	struct rb r;
	char path[32];
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 13 + (off / SECTOR) * 7 + 1);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t disk[NSECT * SECTOR];
	int fd;

	if (!f || rb_init(&f->r, RAM, QSZ, DESC, AVAIL, USED))
		return -1;
	*state = f;
	snprintf(f->path, sizeof(f->path), "/tmp/test_blk_queue.XXXXXX");
	fd = mkstemp(f->path);
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = pattern(i);
	if (fd < 0 || pwrite(fd, disk, sizeof(disk), 0) != (ssize_t)sizeof(disk))
		return -1;
	blk_init(&f->b, fd, sizeof(disk), false, "qdisk");
	f->b.chain = malloc(sizeof(*f->b.chain));
	f->b.dev.mem = &f->r.m;
	f->b.dev.wake_fd = eventfd(0, EFD_NONBLOCK);
	return f->b.chain && f->b.dev.wake_fd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->b.fd);
	close(f->b.dev.wake_fd);
	unlink(f->path);
	pthread_mutex_destroy(&f->b.dev.lock);
	free(f->b.chain);
	rb_free(&f->r);
	free(f);
	return 0;
}

static void wr(struct fx *f, uint64_t off, uint32_t v)
{
	virtio_mmio_access(&f->b.dev, off, (uint8_t *)&v, 4, true);
}

static uint32_t rd(struct fx *f, uint64_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(&f->b.dev, off, (uint8_t *)&v, 4, false);
	return v;
}

static uint32_t status(struct fx *f)
{
	return rd(f, VIRTIO_MMIO_STATUS);
}

/* What a driver does, register by register, up to DRIVER_OK. */
static void bring_up(struct fx *f, uint64_t features)
{
	uint32_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	wr(f, VIRTIO_MMIO_STATUS, 0);
	memset(f->r.m.base, 0, 0x4000); /* fresh rings, as a driver sets up after a reset */
	f->r.avail_idx = 0;
	wr(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, VIRTIO_MMIO_STATUS, s);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VIRTIO_MMIO_STATUS, s |= VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(status(f), s);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_true(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSZ);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)AVAIL);
	wr(f, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)USED);
	wr(f, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_READY), 1);
	wr(f, VIRTIO_MMIO_STATUS, s |= VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(status(f), s);
}

/* Request i's header in RAM: readable descriptor d points at it. */
static void put_hdr(struct fx *f, int i, uint32_t type, uint64_t sector)
{
	struct virtio_blk_req_hdr h = { type, 0, sector };

	memcpy(rb_at(&f->r, HDR + 0x100ULL * i, sizeof(h)), &h, sizeof(h));
	*rb_at(&f->r, STATUS + i, 1) = 0xcc;
}

/* Request i in descriptors d, d + 1, d + 2: header, data (len bytes, if any), status. */
static void put_req(struct fx *f, int i, uint16_t d, uint32_t type, uint64_t sector, uint32_t len)
{
	uint16_t data_flags = type == VIRTIO_BLK_T_OUT ? R : W;

	put_hdr(f, i, type, sector);
	rb_desc(&f->r, d, HDR + 0x100ULL * i, 16, R | NEXT, (uint16_t)(d + 1));
	if (len) {
		d++;
		rb_desc(&f->r, d, DATA + 0x1000ULL * i, len, data_flags | NEXT, (uint16_t)(d + 1));
	}
	rb_desc(&f->r, (uint16_t)(d + 1), STATUS + i, 1, W, 0);
}

static void expect_used(struct fx *f, uint16_t slot, uint32_t id, uint32_t len)
{
	struct virtq_used_elem e = rb_used(&f->r, slot);

	assert_int_equal(e.id, id);
	assert_int_equal(e.len, len);
}

static void test_features_and_config(void **state)
{
	struct fx *f = *state;
	uint32_t low, v;
	uint64_t cap = 0;

	low = rd(f, VIRTIO_MMIO_DEVICE_FEATURES);
	assert_int_equal(low,
			 (uint32_t)(RING_FEATURES | 1ULL << VIRTIO_BLK_F_FLUSH |
				    1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_SEG_MAX));
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	virtio_mmio_access(&f->b.dev, VIRTIO_MMIO_CONFIG, (uint8_t *)&cap, 8, false);
	assert_int_equal(cap, NSECT);
	v = rd(f, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, seg_max));
	assert_int_equal(v, VIRTQ_NUM_MAX - 2);
	v = rd(f, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, blk_size));
	assert_int_equal(v, SECTOR);
	/* The config space is read-only. */
	wr(f, VIRTIO_MMIO_CONFIG, 1);
	virtio_mmio_access(&f->b.dev, VIRTIO_MMIO_CONFIG, (uint8_t *)&cap, 8, false);
	assert_int_equal(cap, NSECT);
	/* Read-only shows in the features. */
	pthread_mutex_destroy(&f->b.dev.lock);
	blk_init(&f->b, f->b.fd, NSECT * SECTOR, true, "qdisk");
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_true(rd(f, VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_BLK_F_RO);
}

static void test_queue(void **state)
{
	struct fx *f = *state;
	uint8_t *out = rb_at(&f->r, DATA + 0x1000, SECTOR), now[SECTOR], n8[8];

	bring_up(f, RING_FEATURES);
	put_req(f, 0, 0, VIRTIO_BLK_T_IN, 2, 2 * SECTOR);
	put_req(f, 1, 3, VIRTIO_BLK_T_OUT, 10, SECTOR);
	for (int i = 0; i < SECTOR; i++)
		out[i] = (uint8_t)(i ^ 0x5a);
	/* Request 2, GET_ID, through an indirect table. */
	put_hdr(f, 2, VIRTIO_BLK_T_GET_ID, 0);
	rb_desc_at(&f->r, TABLE, HDR + 0x200, 16, R | NEXT, 1);
	rb_desc_at(&f->r, TABLE + 16, DATA + 0x2000, VIRTIO_BLK_ID_BYTES, W | NEXT, 2);
	rb_desc_at(&f->r, TABLE + 32, STATUS + 2, 1, W, 0);
	rb_desc(&f->r, 6, TABLE, 48, VIRTQ_DESC_F_INDIRECT, 0);
	rb_publish(&f->r, 0);
	rb_publish(&f->r, 3);
	rb_publish(&f->r, 6);
	virtio_dev_kick(&f->b.dev, 0);

	assert_int_equal(rb_used_idx(&f->r), 3);
	expect_used(f, 0, 0, 2 * SECTOR + 1);
	expect_used(f, 1, 3, 1);
	expect_used(f, 2, 6, VIRTIO_BLK_ID_BYTES + 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(*rb_at(&f->r, STATUS + i, 1), VIRTIO_BLK_S_OK);
	for (int i = 0; i < 2 * SECTOR; i++)
		assert_int_equal(*rb_at(&f->r, DATA + i, 1), pattern(2 * SECTOR + i));
	assert_int_equal(pread(f->b.fd, now, SECTOR, 10 * SECTOR), SECTOR);
	assert_memory_equal(now, out, SECTOR);
	assert_memory_equal(rb_at(&f->r, DATA + 0x2000, 6), "qdisk", 6);
	/* EVENT_IDX: the device asks for a kick after what it took; used_event 0 woke the guest. */
	assert_int_equal(rb_avail_event(&f->r), 3);
	assert_int_equal(read(f->b.dev.wake_fd, n8, 8), 8);
	assert_false(status(f) & VIRTIO_STATUS_NEEDS_RESET);

	/* A second round reuses the descriptors. */
	put_req(f, 0, 0, VIRTIO_BLK_T_IN, 10, SECTOR);
	rb_publish(&f->r, 0);
	virtio_dev_kick(&f->b.dev, 0);
	assert_int_equal(rb_used_idx(&f->r), 4);
	expect_used(f, 3, 0, SECTOR + 1);
	assert_memory_equal(rb_at(&f->r, DATA, SECTOR), out, SECTOR);
	assert_int_equal(rb_avail_event(&f->r), 4);
}

/* Bad requests get a status; only a broken ring fails the device. */
static void test_queue_bad_requests(void **state)
{
	struct fx *f = *state;

	bring_up(f, RING_FEATURES);
	put_req(f, 0, 0, VIRTIO_BLK_T_IN, NSECT, SECTOR);
	put_req(f, 1, 3, 77, 0, 0);
	rb_publish(&f->r, 0);
	rb_publish(&f->r, 3);
	virtio_dev_kick(&f->b.dev, 0);
	assert_int_equal(rb_used_idx(&f->r), 2);
	expect_used(f, 0, 0, 1);
	expect_used(f, 1, 3, 1);
	assert_int_equal(*rb_at(&f->r, STATUS, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(*rb_at(&f->r, STATUS + 1, 1), VIRTIO_BLK_S_UNSUPP);
	assert_false(status(f) & VIRTIO_STATUS_NEEDS_RESET);
}

/* A ring the driver broke: what came before is served, then nothing until a reset. */
static void expect_broken(struct fx *f, uint64_t features, uint64_t addr, uint32_t len,
			  uint16_t flags, uint16_t next)
{
	bring_up(f, features);
	put_req(f, 0, 0, VIRTIO_BLK_T_FLUSH, 0, 0);
	rb_desc(&f->r, 5, addr, len, flags, next);
	rb_publish(&f->r, 0);
	rb_publish(&f->r, 5);
	rb_publish(&f->r, 0);
	virtio_dev_kick(&f->b.dev, 0);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rb_used_idx(&f->r), 1);
	expect_used(f, 0, 0, 1);
	virtio_dev_kick(&f->b.dev, 0);
	assert_int_equal(rb_used_idx(&f->r), 1);
}

static void test_queue_broken(void **state)
{
	struct fx *f = *state;

	expect_broken(f, RING_FEATURES, STATUS, 1, W | NEXT, 5); /* a loop */
	expect_broken(f, RING_FEATURES, RAM - 1, 2, W, 0);
	expect_broken(f, RING_FEATURES, STATUS, 1, W | NEXT, QSZ);
	expect_broken(f, 1ULL << VIRTIO_F_VERSION_1, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	/* Too far ahead. */
	bring_up(f, RING_FEATURES);
	rb_set_avail_idx(&f->r, QSZ + 1);
	virtio_dev_kick(&f->b.dev, 0);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rb_used_idx(&f->r), 0);
	/* A reset and a fresh bring-up bring it back. */
	bring_up(f, RING_FEATURES);
	put_req(f, 0, 0, VIRTIO_BLK_T_FLUSH, 0, 0);
	rb_publish(&f->r, 0);
	virtio_dev_kick(&f->b.dev, 0);
	assert_int_equal(rb_used_idx(&f->r), 1);
	assert_int_equal(*rb_at(&f->r, STATUS, 1), VIRTIO_BLK_S_OK);
}

/* Without EVENT_IDX the device leaves avail_event alone and heeds NO_INTERRUPT. */
static void test_queue_no_event_idx(void **state)
{
	struct fx *f = *state;
	uint64_t n;

	bring_up(f, 1ULL << VIRTIO_F_VERSION_1);
	rb_set_avail_flags(&f->r, VIRTQ_AVAIL_F_NO_INTERRUPT);
	put_req(f, 0, 0, VIRTIO_BLK_T_FLUSH, 0, 0);
	rb_publish(&f->r, 0);
	virtio_dev_kick(&f->b.dev, 0);
	assert_int_equal(rb_used_idx(&f->r), 1);
	assert_int_equal(rb_avail_event(&f->r), 0);
	assert_true(read(f->b.dev.wake_fd, &n, 8) < 0);
	rb_set_avail_flags(&f->r, 0);
	rb_publish(&f->r, 0);
	virtio_dev_kick(&f->b.dev, 0);
	assert_int_equal(rb_used_idx(&f->r), 2);
	assert_int_equal(read(f->b.dev.wake_fd, &n, 8), 8);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_features_and_config), T(test_queue),
		T(test_queue_bad_requests),  T(test_queue_broken),
		T(test_queue_no_event_idx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
