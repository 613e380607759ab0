/* test_virtq.c: virtq_check and virtq_pop against rings a hostile driver laid out. */
#include "virtq_fixture.h"
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
