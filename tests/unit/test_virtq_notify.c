/* test_virtq_notify.c: indirect tables, the used ring, and when the driver hears of it. */
#include "virtq_fixture.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
