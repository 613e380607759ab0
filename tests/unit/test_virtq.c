/* test_virtq.c: the device side of a split virtqueue against rings a hostile driver laid out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "ring_builder.h"
#include "virtq.h"

#define RAM   (1ULL << 20)
#define QSZ   8
#define DESC  0x1000ULL
#define AVAIL 0x2000ULL
#define USED  0x3000ULL
#define DATA  0x10000ULL
#define TABLE 0x20000ULL /* indirect tables */
#define R     0
#define W     VIRTQ_DESC_F_WRITE
#define NEXT  VIRTQ_DESC_F_NEXT
#define IND   VIRTQ_DESC_F_INDIRECT

struct fx {
	struct rb r;
	struct virtq q;
	struct virtq_chain c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || rb_init(&f->r, RAM, QSZ, DESC, AVAIL, USED)) {
		free(f);
		return -1;
	}
	f->q = rb_virtq(&f->r);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rb_free(&f->r);
	free(f);
	return 0;
}

static int pop(struct fx *f)
{
	return virtq_pop(&f->q, &f->r.m, &f->c);
}

/* Pops the chain at head 0, offering it first if nothing is pending. */
static int pop_head0(struct fx *f)
{
	if (f->r.avail_idx == f->q.last_avail)
		rb_publish(&f->r, 0);
	return pop(f);
}

/* A one-descriptor chain at head 0. */
static int pop_one(struct fx *f, uint64_t addr, uint32_t len, uint16_t flags)
{
	rb_desc(&f->r, 0, addr, len, flags, 0);
	return pop_head0(f);
}

static void expect_buf(const struct fx *f, int i, uint64_t gpa, uint32_t len, bool write)
{
	assert_true(i < f->c.n);
	assert_ptr_equal(f->c.buf[i].p, f->r.m.base + gpa);
	assert_int_equal(f->c.buf[i].len, len);
	assert_int_equal(f->c.buf[i].write, write);
}

static int check(struct fx *f, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct virtq q = { .size = size, .desc = desc, .avail = avail, .used = used };

	return virtq_check(&q, &f->r.m);
}

static void test_check_valid(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check(f, QSZ, DESC, AVAIL, USED), 0);
	assert_int_equal(check(f, 1, DESC, AVAIL, USED), 0);
	assert_int_equal(check(f, VIRTQ_NUM_MAX, 0, 0x8000, 0x9000), 0);
	/* At the very end of RAM, used_event and avail_event included. */
	assert_int_equal(check(f, QSZ, RAM - 16 * QSZ, RAM - virtq_avail_bytes(QSZ), RAM - 72), 0);
}

static void test_check_size(void **state)
{
	struct fx *f = *state;
	const uint16_t bad[] = { 0, 3, 6, 255, 2 * VIRTQ_NUM_MAX, 32768, 65535 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check(f, bad[i], DESC, AVAIL, USED), -1);
}

static void test_check_alignment(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check(f, QSZ, DESC + 8, AVAIL, USED), -1);
	assert_int_equal(check(f, QSZ, DESC + 1, AVAIL, USED), -1);
	assert_int_equal(check(f, QSZ, DESC, AVAIL + 1, USED), -1);
	assert_int_equal(check(f, QSZ, DESC, AVAIL, USED + 2), -1);
	assert_int_equal(check(f, QSZ, DESC, AVAIL, USED + 1), -1);
	/* The spec's alignments exactly: 16, 2, 4. */
	assert_int_equal(check(f, QSZ, DESC + 16, AVAIL + 2, USED + 4), 0);
}

static void test_check_outside_ram(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check(f, QSZ, RAM - 16 * QSZ + 16, AVAIL, USED), -1);
	assert_int_equal(check(f, QSZ, RAM, AVAIL, USED), -1);
	assert_int_equal(check(f, QSZ, 1ULL << 32, AVAIL, USED), -1);
	/* used_event is part of the avail ring, avail_event of the used ring. */
	assert_int_equal(check(f, QSZ, DESC, RAM - virtq_avail_bytes(QSZ) + 2, USED), -1);
	assert_int_equal(check(f, QSZ, DESC, RAM, USED), -1);
	assert_int_equal(check(f, QSZ, DESC, AVAIL, RAM - 68), -1);
	assert_int_equal(check(f, QSZ, DESC, AVAIL, RAM + 0x1000), -1);
}

static void test_check_overflow(void **state)
{
	struct fx *f = *state;

	/* Each of these wraps past 2^64 to a small, in-RAM end. */
	assert_int_equal(check(f, QSZ, 0 - 16ULL * QSZ, AVAIL, USED), -1);
	assert_int_equal(check(f, QSZ, UINT64_MAX & ~15ULL, AVAIL, USED), -1);
	assert_int_equal(check(f, QSZ, DESC, UINT64_MAX - 1, USED), -1);
	assert_int_equal(check(f, QSZ, DESC, 0 - virtq_avail_bytes(QSZ), USED), -1);
	assert_int_equal(check(f, QSZ, DESC, AVAIL, UINT64_MAX - 3), -1);
	assert_int_equal(check(f, QSZ, DESC, AVAIL, 0 - 72ULL), -1);
}

static void test_pop_empty(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pop(f), 0);
	assert_int_equal(f->q.last_avail, 0);
	assert_false(virtq_has_avail(&f->q, &f->r.m));
}

static void test_pop_simple(void **state)
{
	struct fx *f = *state;

	rb_desc(&f->r, 0, DATA, 16, R | NEXT, 1);
	rb_desc(&f->r, 1, DATA + 0x100, 512, W | NEXT, 2);
	rb_desc(&f->r, 2, DATA + 0x400, 1, W, 0);
	rb_desc(&f->r, 5, DATA + 0x800, 8, R, 0);
	rb_publish(&f->r, 0);
	rb_publish(&f->r, 5);
	assert_true(virtq_has_avail(&f->q, &f->r.m));
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, 0);
	assert_int_equal(f->c.n, 3);
	expect_buf(f, 0, DATA, 16, false);
	expect_buf(f, 1, DATA + 0x100, 512, true);
	expect_buf(f, 2, DATA + 0x400, 1, true);
	assert_int_equal(f->c.out_bytes, 16);
	assert_int_equal(f->c.in_bytes, 513);
	assert_int_equal(f->q.last_avail, 1);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, 5);
	assert_int_equal(f->c.n, 1);
	expect_buf(f, 0, DATA + 0x800, 8, false);
	assert_int_equal(f->c.out_bytes, 8);
	assert_int_equal(f->c.in_bytes, 0);
	assert_int_equal(pop(f), 0);
	assert_false(virtq_has_avail(&f->q, &f->r.m));
	assert_int_equal(f->q.last_avail, 2);
}

/* Exactly a ring's worth of entries ahead is legal; one more is a lie. */
static void test_pop_full_ring(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < QSZ; i++) {
		rb_desc(&f->r, (uint16_t)i, DATA + 0x100ULL * i, 4, W, 0);
		rb_publish(&f->r, (uint16_t)(QSZ - 1 - i));
	}
	for (int i = 0; i < QSZ; i++) {
		assert_int_equal(pop(f), 1);
		assert_int_equal(f->c.head, QSZ - 1 - i);
		expect_buf(f, 0, DATA + 0x100ULL * (QSZ - 1 - i), 4, true);
	}
	assert_int_equal(pop(f), 0);
	rb_set_avail_idx(&f->r, QSZ + QSZ + 1);
	assert_int_equal(pop(f), -1);
	assert_int_equal(f->q.last_avail, QSZ);
	/* Behind last_avail reads as 65535 entries ahead. */
	rb_set_avail_idx(&f->r, QSZ - 1);
	assert_int_equal(pop(f), -1);
}

static void test_pop_loop(void **state)
{
	struct fx *f = *state;

	rb_desc(&f->r, 0, DATA, 4, R | NEXT, 1);
	rb_desc(&f->r, 1, DATA, 4, R | NEXT, 0);
	assert_int_equal(pop_head0(f), -1);
	assert_int_equal(f->q.last_avail, 0);
	rb_desc(&f->r, 0, DATA, 4, W | NEXT, 0); /* onto itself */
	assert_int_equal(pop_head0(f), -1);
}

static void test_pop_chain_length(void **state)
{
	struct fx *f = *state;

	/* Every descriptor, in a scrambled order: the longest legal chain. */
	for (int i = 0; i < QSZ; i++)
		rb_desc(&f->r, (uint16_t)(i * 3 % QSZ), DATA + 0x10ULL * i, 16, W | NEXT,
			(uint16_t)((i + 1) * 3 % QSZ));
	rb_desc(&f->r, (QSZ - 1) * 3 % QSZ, DATA + 0x10ULL * (QSZ - 1), 16, W, 0);
	assert_int_equal(pop_head0(f), 1);
	assert_int_equal(f->c.n, QSZ);
	assert_int_equal(f->c.in_bytes, 16 * QSZ);
	for (int i = 0; i < QSZ; i++)
		expect_buf(f, i, DATA + 0x10ULL * i, 16, true);
	/* One more link makes it longer than the queue: only a loop can do that. */
	rb_desc(&f->r, (QSZ - 1) * 3 % QSZ, DATA, 16, W | NEXT, 0);
	assert_int_equal(pop_head0(f), -1);
}

static void test_pop_bad_next(void **state)
{
	struct fx *f = *state;

	rb_desc(&f->r, 0, DATA, 4, R | NEXT, QSZ);
	assert_int_equal(pop_head0(f), -1);
	rb_desc(&f->r, 0, DATA, 4, R | NEXT, 0xffff);
	assert_int_equal(pop_head0(f), -1);
}

static void test_pop_desc_outside_ram(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pop_one(f, RAM - 8, 16, R), -1);
	assert_int_equal(pop_one(f, RAM, 1, W), -1);
	assert_int_equal(pop_one(f, 1ULL << 40, 1, W), -1);
	assert_int_equal(pop_one(f, UINT64_MAX - 4, 16, R), -1); /* addr + len wraps */
	assert_int_equal(pop_one(f, UINT64_MAX, 0xffffffff, W), -1);
	assert_int_equal(f->q.last_avail, 0);
	assert_int_equal(pop_one(f, RAM - 16, 16, W), 1);
	expect_buf(f, 0, RAM - 16, 16, true);
}

/* A bad descriptor in the middle of a chain spoils the whole chain. */
static void test_pop_bad_desc_mid_chain(void **state)
{
	struct fx *f = *state;

	rb_desc(&f->r, 0, DATA, 16, R | NEXT, 1);
	rb_desc(&f->r, 1, RAM - 4, 8, W | NEXT, 2);
	rb_desc(&f->r, 2, DATA, 1, W, 0);
	assert_int_equal(pop_head0(f), -1);
}

static void test_pop_bad_head(void **state)
{
	struct fx *f = *state;

	rb_desc(&f->r, 0, DATA, 4, W, 0);
	rb_publish(&f->r, QSZ);
	assert_int_equal(pop(f), -1);
	rb_set_avail_ring(&f->r, 0, 0xffff);
	assert_int_equal(pop(f), -1);
	rb_set_avail_ring(&f->r, 0, 0);
	assert_int_equal(pop(f), 1);
}

static void test_pop_write_before_read(void **state)
{
	struct fx *f = *state;

	rb_desc(&f->r, 0, DATA, 4, W | NEXT, 1);
	rb_desc(&f->r, 1, DATA + 4, 16, R, 0);
	assert_int_equal(pop_head0(f), -1);
	/* Readable, writable, readable again. */
	rb_desc(&f->r, 0, DATA, 4, R | NEXT, 1);
	rb_desc(&f->r, 1, DATA + 4, 4, W | NEXT, 2);
	rb_desc(&f->r, 2, DATA + 8, 4, R, 0);
	assert_int_equal(pop_head0(f), -1);
}

/* in_bytes and out_bytes are 32-bit: RAM past 4 GiB lets descriptors overflow them. */
static void test_pop_byte_count_overflow(void **state)
{
	const uint64_t ram = 6ULL << 30;
	uint8_t *base =
	    mmap(NULL, ram, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct fx *f = *state;
	struct rb big;

	assert_true(base != MAP_FAILED);
	assert_int_equal(mprotect(base, RAM, PROT_READ | PROT_WRITE), 0);
	rb_layout(&big, base, ram, QSZ, DESC, AVAIL, USED);
	f->q = rb_virtq(&big);
	rb_desc(&big, 0, RAM, 0xffffffff, W | NEXT, 1);
	rb_desc(&big, 1, RAM, 1, W, 0);
	rb_publish(&big, 0);
	assert_int_equal(virtq_pop(&f->q, &big.m, &f->c), -1);
	rb_desc(&big, 0, RAM, 0xffffffff, R | NEXT, 1);
	rb_desc(&big, 1, 1ULL << 30, 0xffffffff, R, 0);
	assert_int_equal(virtq_pop(&f->q, &big.m, &f->c), -1);
	/* Just below the limit is fine. */
	rb_desc(&big, 0, RAM, 0xfffffffe, W | NEXT, 1);
	rb_desc(&big, 1, 5ULL << 30, 1, W, 0);
	assert_int_equal(virtq_pop(&f->q, &big.m, &f->c), 1);
	assert_int_equal(f->c.in_bytes, 0xffffffff);
	munmap(base, ram);
}

static void test_indirect(void **state)
{
	struct fx *f = *state;

	f->q.indirect = true;
	rb_desc_at(&f->r, TABLE, DATA, 16, R | NEXT, 2);
	rb_desc_at(&f->r, TABLE + 16, DATA + 0x400, 1, W, 0);
	rb_desc_at(&f->r, TABLE + 32, DATA + 0x100, 512, W | NEXT, 1);
	assert_int_equal(pop_one(f, TABLE, 48, IND), 1);
	assert_int_equal(f->c.head, 0);
	assert_int_equal(f->c.n, 3);
	expect_buf(f, 0, DATA, 16, false);
	expect_buf(f, 1, DATA + 0x100, 512, true);
	expect_buf(f, 2, DATA + 0x400, 1, true);
	assert_int_equal(f->c.out_bytes, 16);
	assert_int_equal(f->c.in_bytes, 513);
	/* A table as long as the queue is allowed. */
	for (int i = 0; i < QSZ; i++)
		rb_desc_at(&f->r, TABLE + 16ULL * i, DATA + i, 1, W | NEXT, (uint16_t)(i + 1));
	rb_desc_at(&f->r, TABLE + 16ULL * (QSZ - 1), DATA, 1, W, 0);
	assert_int_equal(pop_one(f, TABLE, 16 * QSZ, IND), 1);
	assert_int_equal(f->c.n, QSZ);
}

static void test_indirect_refused(void **state)
{
	struct fx *f = *state;

	rb_desc_at(&f->r, TABLE, DATA, 16, W, 0);
	assert_int_equal(pop_one(f, TABLE, 16, IND), -1); /* not negotiated */
	f->q.indirect = true;
	assert_int_equal(pop_one(f, TABLE, 16, IND | NEXT), -1);
	/* After a direct descriptor. */
	rb_desc(&f->r, 0, DATA, 16, R | NEXT, 1);
	rb_desc(&f->r, 1, TABLE, 16, IND, 0);
	assert_int_equal(pop_head0(f), -1);
	/* Nested. */
	rb_desc_at(&f->r, TABLE, DATA, 16, R | NEXT, 1);
	rb_desc_at(&f->r, TABLE + 16, TABLE + 0x100, 16, IND, 0);
	rb_desc_at(&f->r, TABLE + 0x100, DATA, 16, W, 0);
	assert_int_equal(pop_one(f, TABLE, 32, IND), -1);
	assert_int_equal(f->q.last_avail, 0);
}

static void test_indirect_bad_table(void **state)
{
	struct fx *f = *state;

	f->q.indirect = true;
	for (int i = 0; i <= QSZ; i++)
		rb_desc_at(&f->r, TABLE + 16ULL * i, DATA, 4, W, 0);
	assert_int_equal(pop_one(f, TABLE, 40, IND), -1);
	assert_int_equal(pop_one(f, TABLE, 8, IND), -1);
	assert_int_equal(pop_one(f, TABLE, 0, IND), -1);
	assert_int_equal(pop_one(f, TABLE, 16 * (QSZ + 1), IND), -1);
	assert_int_equal(pop_one(f, TABLE, 0x80000000, IND), -1);
	assert_int_equal(pop_one(f, RAM - 16, 32, IND), -1);
	assert_int_equal(pop_one(f, UINT64_MAX & ~15ULL, 32, IND), -1);
	/* A buffer in the table outside RAM. */
	rb_desc_at(&f->r, TABLE, RAM - 2, 4, W, 0);
	assert_int_equal(pop_one(f, TABLE, 16, IND), -1);
	assert_int_equal(f->q.last_avail, 0);
}

static void test_indirect_bad_links(void **state)
{
	struct fx *f = *state;

	f->q.indirect = true;
	rb_desc_at(&f->r, TABLE, DATA, 4, R | NEXT, 1);
	rb_desc_at(&f->r, TABLE + 16, DATA, 4, R | NEXT, 0);
	assert_int_equal(pop_one(f, TABLE, 32, IND), -1);
	rb_desc_at(&f->r, TABLE + 16, DATA, 4, R | NEXT, 1);
	assert_int_equal(pop_one(f, TABLE, 32, IND), -1);
	rb_desc_at(&f->r, TABLE + 16, DATA, 4, R | NEXT, 2); /* past the table's end */
	assert_int_equal(pop_one(f, TABLE, 32, IND), -1);
	/* Straight past the end, onto a plausible descriptor the table does not include. */
	rb_desc_at(&f->r, TABLE, DATA, 4, R | NEXT, 2);
	rb_desc_at(&f->r, TABLE + 32, DATA, 4, W, 0);
	assert_int_equal(pop_one(f, TABLE, 32, IND), -1);
	rb_desc_at(&f->r, TABLE, DATA, 4, W | NEXT, 1);
	rb_desc_at(&f->r, TABLE + 16, DATA, 4, R, 0);
	assert_int_equal(pop_one(f, TABLE, 32, IND), -1);
}

static void test_push(void **state)
{
	struct fx *f = *state;
	struct virtq_used_elem e;

	virtq_push(&f->q, &f->r.m, 3, 77);
	e = rb_used(&f->r, 0);
	assert_int_equal(e.id, 3);
	assert_int_equal(e.len, 77);
	assert_int_equal(rb_used_idx(&f->r), 1);
	assert_int_equal(f->q.used_idx, 1);
	virtq_push(&f->q, &f->r.m, 7, 0);
	e = rb_used(&f->r, 1);
	assert_int_equal(e.id, 7);
	assert_int_equal(e.len, 0);
	assert_int_equal(rb_used_idx(&f->r), 2);
}

/* The free-running 16-bit indices wrap past 65535; ring slots are idx mod size. */
static void test_wraparound(void **state)
{
	struct fx *f = *state;
	struct virtq_used_elem e;

	f->q.last_avail = f->q.used_idx = f->q.signalled = 65530;
	rb_set_avail_idx(&f->r, 65530);
	for (uint16_t k = 0; k < 2 * QSZ; k++) {
		uint16_t head = (uint16_t)((k * 5) % QSZ), idx = (uint16_t)(65530 + k);

		rb_desc(&f->r, head, DATA + k, 1, W, 0);
		rb_publish(&f->r, head);
		assert_int_equal(pop(f), 1);
		assert_int_equal(f->c.head, head);
		expect_buf(f, 0, DATA + k, 1, true);
		virtq_push(&f->q, &f->r.m, head, 100u + k);
		e = rb_used(&f->r, idx % QSZ);
		assert_int_equal(e.id, head);
		assert_int_equal(e.len, 100u + k);
		assert_int_equal(rb_used_idx(&f->r), (uint16_t)(idx + 1));
	}
	assert_int_equal(f->q.last_avail, (uint16_t)(65530 + 2 * QSZ));
	assert_int_equal(pop(f), 0);
	/* A full ring's worth ahead, across the wrap. */
	f->q.last_avail = 65534;
	rb_set_avail_idx(&f->r, (uint16_t)(65534 + QSZ));
	for (int i = 0; i < QSZ; i++)
		rb_desc(&f->r, (uint16_t)i, DATA, 1, W, 0);
	for (int i = 0; i < QSZ; i++)
		assert_int_equal(pop(f), 1);
	assert_int_equal(pop(f), 0);
}

static bool signal_after(struct fx *f, int pushes)
{
	for (int i = 0; i < pushes; i++)
		virtq_push(&f->q, &f->r.m, 0, 0);
	return virtq_should_signal(&f->q, &f->r.m);
}

static void test_signal_flags(void **state)
{
	struct fx *f = *state;

	assert_false(signal_after(f, 0)); /* nothing new */
	assert_true(signal_after(f, 1));
	assert_false(signal_after(f, 0));
	assert_true(signal_after(f, 3));
	rb_set_avail_flags(&f->r, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(signal_after(f, 1));
	rb_set_avail_flags(&f->r, 0);
	assert_true(signal_after(f, 1));
	/* used_event means nothing without EVENT_IDX. */
	rb_set_used_event(&f->r, 1000);
	assert_true(signal_after(f, 1));
}

static void test_signal_event_idx(void **state)
{
	struct fx *f = *state;

	f->q.event_idx = true;
	rb_set_avail_flags(&f->r, VIRTQ_AVAIL_F_NO_INTERRUPT); /* ignored under EVENT_IDX */
	rb_set_used_event(&f->r, 0);
	assert_true(signal_after(f, 1)); /* used idx 0 -> 1 passes entry 0 */
	rb_set_used_event(&f->r, 5);
	assert_false(signal_after(f, 1)); /* 1 -> 2 */
	assert_false(signal_after(f, 3)); /* 2 -> 5: entry 5 not yet written */
	assert_true(signal_after(f, 1));  /* 5 -> 6 */
	assert_false(signal_after(f, 0));
	rb_set_used_event(&f->r, 7);
	assert_true(signal_after(f, 3)); /* 6 -> 9 crosses 7 in a batch */
	rb_set_used_event(&f->r, 8);	 /* already behind: the driver is not waiting */
	assert_false(signal_after(f, 2));
	/* Across the 16-bit wrap. */
	f->q.used_idx = f->q.signalled = 65534;
	rb_set_used_event(&f->r, 65535);
	assert_true(signal_after(f, 3));
	assert_int_equal(f->q.used_idx, 1);
	rb_set_used_event(&f->r, 3);
	assert_false(signal_after(f, 2));
	assert_true(signal_after(f, 1));
}

static void test_pending(void **state)
{
	struct fx *f = *state;

	rb_put16(&f->r, USED + 2, 3);
	rb_set_used_event(&f->r, 2);
	assert_false(virtq_pending(&f->q, &f->r.m)); /* no EVENT_IDX */
	f->q.event_idx = true;
	assert_true(virtq_pending(&f->q, &f->r.m));
	rb_set_used_event(&f->r, 3);
	assert_false(virtq_pending(&f->q, &f->r.m));
	rb_set_used_event(&f->r, 5);
	assert_false(virtq_pending(&f->q, &f->r.m));
	rb_put16(&f->r, USED + 2, 1);
	rb_set_used_event(&f->r, 65535);
	assert_true(virtq_pending(&f->q, &f->r.m));
	/* It reads the published index, not the device's private copy. */
	f->q.used_idx = 40;
	rb_set_used_event(&f->r, 1);
	assert_false(virtq_pending(&f->q, &f->r.m));
}

static void test_avail_event(void **state)
{
	struct fx *f = *state;

	rb_put16(&f->r, USED + 4 + 8 * QSZ, 0xbeef);
	f->q.last_avail = 42;
	virtq_update_avail_event(&f->q, &f->r.m);
	assert_int_equal(rb_avail_event(&f->r), 0xbeef); /* no EVENT_IDX: left alone */
	f->q.event_idx = true;
	virtq_update_avail_event(&f->q, &f->r.m);
	assert_int_equal(rb_avail_event(&f->r), 42);
	/* Nothing else in the used ring moved. */
	assert_int_equal(rb_used_idx(&f->r), 0);
	assert_int_equal(rb_used(&f->r, QSZ - 1).len, 0);
}

static void test_has_avail(void **state)
{
	struct fx *f = *state;

	assert_false(virtq_has_avail(&f->q, &f->r.m));
	rb_desc(&f->r, 0, DATA, 1, W, 0);
	rb_publish(&f->r, 0);
	assert_true(virtq_has_avail(&f->q, &f->r.m));
	assert_true(virtq_has_avail(&f->q, &f->r.m));
	assert_int_equal(f->q.last_avail, 0);
	assert_int_equal(pop(f), 1);
	assert_false(virtq_has_avail(&f->q, &f->r.m));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_valid),
		T(test_check_size),
		T(test_check_alignment),
		T(test_check_outside_ram),
		T(test_check_overflow),
		T(test_pop_empty),
		T(test_pop_simple),
		T(test_pop_full_ring),
		T(test_pop_loop),
		T(test_pop_chain_length),
		T(test_pop_bad_next),
		T(test_pop_desc_outside_ram),
		T(test_pop_bad_desc_mid_chain),
		T(test_pop_bad_head),
		T(test_pop_write_before_read),
		T(test_pop_byte_count_overflow),
		T(test_indirect),
		T(test_indirect_refused),
		T(test_indirect_bad_table),
		T(test_indirect_bad_links),
		T(test_push),
		T(test_wraparound),
		T(test_signal_flags),
		T(test_signal_event_idx),
		T(test_pending),
		T(test_avail_event),
		T(test_has_avail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
