/* test_virtio_blk.c: blk_request on hand-built chains against a real temporary file. */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "virtio_blk.h"

#define SECTOR	VIRTIO_BLK_SECTOR
#define NSECT	64
#define DISK	(NSECT * SECTOR)
#define SERIAL	"serial-1234"
#define IN	VIRTIO_BLK_T_IN
#define OUT	VIRTIO_BLK_T_OUT
#define S_OK	VIRTIO_BLK_S_OK
#define S_IOERR VIRTIO_BLK_S_IOERR
#define S_NONE	0xcc /* what the status byte holds before the device answers */

struct fx {
	struct blk b;
	char path[32];
	struct virtq_chain c;
	uint8_t hdr[16], status[4], data[4 * SECTOR], disk[DISK];
};

/* Every byte of the disk is different from its neighbours and from other sectors'. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 13 + (off / SECTOR) * 7 + 1);
}

static int make_disk(struct fx *f, uint64_t size, bool ro, const char *serial)
{
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/test_virtio_blk.XXXXXX");
	fd = mkstemp(f->path);
	for (uint64_t i = 0; i < size; i++)
		f->disk[i] = pattern(i);
	if (fd < 0 || pwrite(fd, f->disk, size, 0) != (ssize_t)size)
		return -1;
	blk_init(&f->b, fd, size, ro, serial);
	return 0;
}

/* blk_init again on the same device: the old lock goes first. */
static void reinit(struct fx *f, uint64_t size, const char *serial)
{
	pthread_mutex_destroy(&f->b.dev.lock);
	blk_init(&f->b, f->b.fd, size, false, serial);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	*state = f;
	return f ? make_disk(f, DISK, false, SERIAL) : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->b.fd);
	unlink(f->path);
	pthread_mutex_destroy(&f->b.dev.lock);
	free(f->b.chain);
	free(f);
	return 0;
}

static void clear(struct virtq_chain *c)
{
	c->n = 0;
	c->in_bytes = c->out_bytes = 0;
}

static void add(struct virtq_chain *c, void *p, uint32_t len, bool write)
{
	c->buf[c->n++] = (struct virtq_buf){ p, len, write };
	if (write)
		c->in_bytes += len;
	else
		c->out_bytes += len;
}

static void set_hdr(struct fx *f, uint32_t type, uint64_t sector)
{
	struct virtio_blk_req_hdr h = { type, 0, sector };

	memcpy(f->hdr, &h, sizeof(h));
	memset(f->status, S_NONE, sizeof(f->status));
}

/* The usual layout: header, data (device-writable unless OUT), status. */
static uint32_t req(struct fx *f, uint32_t type, uint64_t sector, uint32_t len)
{
	set_hdr(f, type, sector);
	clear(&f->c);
	add(&f->c, f->hdr, 16, false);
	if (len)
		add(&f->c, f->data, len, type != OUT);
	add(&f->c, f->status, 1, true);
	return blk_request(&f->b, &f->c);
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 31 + i / 7);
}

/* The file holds exactly what we expect, no more. */
static void expect_disk(struct fx *f, uint64_t size)
{
	static uint8_t now[DISK + SECTOR];
	struct stat st;

	assert_int_equal(fstat(f->b.fd, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(pread(f->b.fd, now, size, 0), size);
	assert_memory_equal(now, f->disk, size);
}

static void test_in(void **state)
{
	struct fx *f = *state;

	memset(f->data, 0xee, sizeof(f->data));
	assert_int_equal(req(f, IN, 3, 2 * SECTOR), 2 * SECTOR + 1);
	assert_int_equal(f->status[0], S_OK);
	assert_memory_equal(f->data, f->disk + 3 * SECTOR, 2 * SECTOR);
	assert_int_equal(f->data[2 * SECTOR], 0xee);
	assert_int_equal(req(f, IN, NSECT - 1, SECTOR), SECTOR + 1);
	assert_int_equal(f->status[0], S_OK);
	assert_memory_equal(f->data, f->disk + DISK - SECTOR, SECTOR);
	/* No data at all is a legal, empty read. */
	assert_int_equal(req(f, IN, 0, 0), 1);
	assert_int_equal(f->status[0], S_OK);
}

static void test_out(void **state)
{
	struct fx *f = *state;

	fill(f->data, 3 * SECTOR, 1);
	assert_int_equal(req(f, OUT, 5, 3 * SECTOR), 1);
	assert_int_equal(f->status[0], S_OK);
	memcpy(f->disk + 5 * SECTOR, f->data, 3 * SECTOR);
	expect_disk(f, DISK);
	fill(f->data, SECTOR, 2);
	assert_int_equal(req(f, OUT, NSECT - 1, SECTOR), 1);
	assert_int_equal(f->status[0], S_OK);
	memcpy(f->disk + DISK - SECTOR, f->data, SECTOR);
	expect_disk(f, DISK);
	memset(f->data, 0, sizeof(f->data));
	assert_int_equal(req(f, IN, 5, 3 * SECTOR), 3 * SECTOR + 1);
	assert_memory_equal(f->data, f->disk + 5 * SECTOR, 3 * SECTOR);
}

/* The driver may cut the byte stream anywhere, zero-length pieces included. */
static void test_split_in(void **state)
{
	struct fx *f = *state;
	uint8_t *d = f->data;

	set_hdr(f, IN, 7);
	memset(d, 0xee, sizeof(f->data));
	clear(&f->c);
	add(&f->c, f->hdr, 5, false);
	add(&f->c, f->hdr + 5, 0, false);
	add(&f->c, f->hdr + 5, 11, false);
	add(&f->c, d, 100, true);
	add(&f->c, d + 100, 0, true);
	add(&f->c, d + 100, 1, true);
	add(&f->c, d + 101, 299, true);
	add(&f->c, d + 400, 2 * SECTOR - 400 + 1, true); /* the rest, and the status */
	assert_int_equal(blk_request(&f->b, &f->c), 2 * SECTOR + 1);
	assert_memory_equal(d, f->disk + 7 * SECTOR, 2 * SECTOR);
	assert_int_equal(d[2 * SECTOR], S_OK);
	assert_int_equal(d[2 * SECTOR + 1], 0xee);
}

static void test_split_out(void **state)
{
	struct fx *f = *state;
	uint8_t buf[16 + 100];

	fill(f->data, 2 * SECTOR, 3);
	set_hdr(f, OUT, 9);
	memcpy(buf, f->hdr, 16);
	memcpy(buf + 16, f->data, 100); /* the header and the start of the data together */
	clear(&f->c);
	add(&f->c, buf, sizeof(buf), false);
	add(&f->c, f->data + 100, 1, false);
	add(&f->c, f->data + 101, 0, false);
	add(&f->c, f->data + 101, 2 * SECTOR - 101, false);
	add(&f->c, f->status, 4, true); /* the status is the last writable byte */
	assert_int_equal(blk_request(&f->b, &f->c), 1);
	assert_int_equal(f->status[3], S_OK);
	assert_int_equal(f->status[0] & f->status[1] & f->status[2], S_NONE);
	memcpy(f->disk + 9 * SECTOR, f->data, 2 * SECTOR);
	expect_disk(f, DISK);
}

static void test_past_capacity(void **state)
{
	struct fx *f = *state;

	fill(f->data, sizeof(f->data), 4);
	assert_int_equal(req(f, IN, NSECT - 1, 2 * SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	assert_int_equal(req(f, IN, NSECT, SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	assert_int_equal(req(f, OUT, NSECT - 1, 2 * SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	assert_int_equal(req(f, OUT, NSECT, SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	assert_int_equal(req(f, IN, NSECT + 1, 0), 1);
	assert_int_equal(f->status[0], S_IOERR);
	expect_disk(f, DISK);
}

static void test_partial_sector(void **state)
{
	struct fx *f = *state;

	memset(f->data, 0xee, sizeof(f->data));
	assert_int_equal(req(f, IN, 0, 100), 1);
	assert_int_equal(f->status[0], S_IOERR);
	assert_int_equal(req(f, IN, 0, SECTOR + 1), 1);
	assert_int_equal(f->status[0], S_IOERR);
	assert_int_equal(f->data[0], 0xee);
	assert_int_equal(req(f, OUT, 0, SECTOR - 1), 1);
	assert_int_equal(f->status[0], S_IOERR);
	assert_int_equal(req(f, OUT, 1, SECTOR + 16), 1);
	assert_int_equal(f->status[0], S_IOERR);
	expect_disk(f, DISK);
}

static void test_sector_overflow(void **state)
{
	struct fx *f = *state;
	const uint64_t bad[] = { UINT64_MAX / SECTOR + 1, UINT64_MAX, 1ULL << 63,
				 UINT64_MAX / SECTOR }; /* the last: sector * 512 + len wraps */

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(req(f, IN, bad[i], 2 * SECTOR), 1);
		assert_int_equal(f->status[0], S_IOERR);
		assert_int_equal(req(f, OUT, bad[i], 2 * SECTOR), 1);
		assert_int_equal(f->status[0], S_IOERR);
	}
	expect_disk(f, DISK);
}

static void test_read_only(void **state)
{
	struct fx *f = *state;

	f->b.read_only = true;
	fill(f->data, SECTOR, 5);
	assert_int_equal(req(f, OUT, 2, SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	expect_disk(f, DISK);
	assert_int_equal(req(f, IN, 2, SECTOR), SECTOR + 1);
	assert_int_equal(f->status[0], S_OK);
	assert_memory_equal(f->data, f->disk + 2 * SECTOR, SECTOR);
	assert_int_equal(req(f, VIRTIO_BLK_T_FLUSH, 0, 0), 1);
	assert_int_equal(f->status[0], S_OK);
}

static void test_flush(void **state)
{
	struct fx *f = *state;

	assert_int_equal(req(f, VIRTIO_BLK_T_FLUSH, 0, 0), 1);
	assert_int_equal(f->status[0], S_OK);
	assert_int_equal(req(f, VIRTIO_BLK_T_FLUSH, 12345, 0), 1); /* the sector is ignored */
	assert_int_equal(f->status[0], S_OK);
}

static void expect_id(struct fx *f, uint32_t len, const char *want, uint32_t n)
{
	memset(f->data, 0x77, sizeof(f->data));
	assert_int_equal(req(f, VIRTIO_BLK_T_GET_ID, 0, len), n + 1);
	assert_int_equal(f->status[0], S_OK);
	assert_memory_equal(f->data, want, n);
	assert_int_equal(f->data[n], 0x77);
}

static void test_get_id(void **state)
{
	struct fx *f = *state;
	const char padded[VIRTIO_BLK_ID_BYTES] = SERIAL, zeros[VIRTIO_BLK_ID_BYTES] = "";

	expect_id(f, VIRTIO_BLK_ID_BYTES, padded, VIRTIO_BLK_ID_BYTES);
	expect_id(f, 64, padded, VIRTIO_BLK_ID_BYTES);
	expect_id(f, VIRTIO_BLK_ID_BYTES + 1, padded, VIRTIO_BLK_ID_BYTES);
	expect_id(f, 8, SERIAL, 8);
	expect_id(f, 1, SERIAL, 1);
	expect_id(f, 0, "", 0);
	/* 20 characters exactly: no room for a NUL, none added; longer is cut. */
	reinit(f, DISK, "ABCDEFGHIJKLMNOPQRST");
	expect_id(f, 64, "ABCDEFGHIJKLMNOPQRST", VIRTIO_BLK_ID_BYTES);
	reinit(f, DISK, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	expect_id(f, 64, "ABCDEFGHIJKLMNOPQRST", VIRTIO_BLK_ID_BYTES);
	reinit(f, DISK, "");
	expect_id(f, 64, zeros, VIRTIO_BLK_ID_BYTES);
}

static void test_unsupported(void **state)
{
	struct fx *f = *state;
	const uint32_t types[] = { 2, 3, 5, 7, 11, 13, 99, 0x80000000, 0xffffffff };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(f->data, 0xee, SECTOR);
		assert_int_equal(req(f, types[i], 0, SECTOR), 1);
		assert_int_equal(f->status[0], VIRTIO_BLK_S_UNSUPP);
		assert_int_equal(f->data[0] & f->data[SECTOR - 1], 0xee);
	}
	expect_disk(f, DISK);
}

/* Without a writable byte there is nowhere to answer: the chain goes back untouched. */
static void test_no_status(void **state)
{
	struct fx *f = *state;
	uint8_t hdr[16];

	fill(f->data, SECTOR, 6);
	set_hdr(f, OUT, 0);
	memcpy(hdr, f->hdr, 16);
	clear(&f->c);
	assert_int_equal(blk_request(&f->b, &f->c), 0); /* nothing at all */
	add(&f->c, f->hdr, 16, false);
	add(&f->c, f->data, SECTOR, false);
	assert_int_equal(blk_request(&f->b, &f->c), 0);
	add(&f->c, f->status, 0, true);
	assert_int_equal(blk_request(&f->b, &f->c), 0);
	assert_memory_equal(f->hdr, hdr, 16);
	assert_int_equal(f->status[0], S_NONE);
	expect_disk(f, DISK);
	set_hdr(f, IN, 0);
	f->data[0] = 0x55;
	clear(&f->c);
	add(&f->c, f->hdr, 16, false);
	add(&f->c, f->data, 0, true);
	assert_int_equal(blk_request(&f->b, &f->c), 0);
	assert_int_equal(f->data[0], 0x55);
}

static void test_short_header(void **state)
{
	struct fx *f = *state;

	set_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	clear(&f->c);
	add(&f->c, f->hdr, 8, false);
	add(&f->c, f->status, 1, true);
	assert_int_equal(blk_request(&f->b, &f->c), 1);
	assert_int_equal(f->status[0], S_IOERR);
	set_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	clear(&f->c);
	add(&f->c, f->hdr, 10, false);
	add(&f->c, f->hdr + 10, 5, false);
	add(&f->c, f->status, 1, true);
	assert_int_equal(blk_request(&f->b, &f->c), 1);
	assert_int_equal(f->status[0], S_IOERR);
	/* A header only in the writable part does not count. */
	set_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	clear(&f->c);
	add(&f->c, f->hdr, 16, true);
	add(&f->c, f->status, 1, true);
	assert_int_equal(blk_request(&f->b, &f->c), 1);
	assert_int_equal(f->status[0], S_IOERR);
}

/* A 1000-byte file: two sectors, the second one short on disk. */
static void test_odd_size(void **state)
{
	struct fx *f = *state;
	uint64_t cap = 0;

	close(f->b.fd);
	unlink(f->path);
	pthread_mutex_destroy(&f->b.dev.lock);
	assert_int_equal(make_disk(f, 1000, false, SERIAL), 0);
	assert_int_equal(f->b.capacity, 2);
	virtio_mmio_access(&f->b.dev, VIRTIO_MMIO_CONFIG, (uint8_t *)&cap, 8, false);
	assert_int_equal(cap, 2);
	memset(f->data, 0xee, sizeof(f->data));
	assert_int_equal(req(f, IN, 1, SECTOR), SECTOR + 1);
	assert_int_equal(f->status[0], S_OK);
	assert_memory_equal(f->data, f->disk + SECTOR, 1000 - SECTOR);
	for (int i = 1000 - SECTOR; i < SECTOR; i++)
		assert_int_equal(f->data[i], 0);
	assert_int_equal(req(f, IN, 0, 2 * SECTOR), 2 * SECTOR + 1);
	assert_memory_equal(f->data, f->disk, 1000);
	assert_int_equal(f->data[1000] | f->data[2 * SECTOR - 1], 0);
	assert_int_equal(req(f, IN, 1, 2 * SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	fill(f->data, SECTOR, 7);
	assert_int_equal(req(f, OUT, 1, SECTOR), 1);
	assert_int_equal(f->status[0], S_OK);
	memcpy(f->disk + SECTOR, f->data, SECTOR);
	expect_disk(f, 2 * SECTOR);
	memset(f->data, 0, sizeof(f->data));
	assert_int_equal(req(f, IN, 1, SECTOR), SECTOR + 1);
	assert_memory_equal(f->data, f->disk + SECTOR, SECTOR);
}

/* The host refuses the I/O (here: the file is open the wrong way): IOERR, no crash. */
static void test_host_error(void **state)
{
	struct fx *f = *state;
	int rw_fd = f->b.fd;

	f->b.fd = open(f->path, O_RDONLY);
	assert_true(f->b.fd >= 0);
	fill(f->data, SECTOR, 8);
	assert_int_equal(req(f, OUT, 1, SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	close(f->b.fd);
	f->b.fd = open(f->path, O_WRONLY);
	assert_true(f->b.fd >= 0);
	assert_int_equal(req(f, IN, 1, SECTOR), 1);
	assert_int_equal(f->status[0], S_IOERR);
	close(f->b.fd);
	f->b.fd = rw_fd;
	expect_disk(f, DISK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_in),
		T(test_out),
		T(test_split_in),
		T(test_split_out),
		T(test_past_capacity),
		T(test_partial_sector),
		T(test_sector_overflow),
		T(test_read_only),
		T(test_flush),
		T(test_get_id),
		T(test_unsupported),
		T(test_no_status),
		T(test_short_header),
		T(test_odd_size),
		T(test_host_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
