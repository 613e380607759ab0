/* virtq_fixture.h: a fake guest RAM and ring for the virtqueue tests, and their checks. */
#ifndef VIRTQ_FIXTURE_H
#define VIRTQ_FIXTURE_H
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

static inline int setup(void **state)
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

static inline int teardown(void **state)
{
	struct fx *f = *state;

	rb_free(&f->r);
	free(f);
	return 0;
}

static inline int pop(struct fx *f)
{
	return virtq_pop(&f->q, &f->r.m, &f->c);
}

/* Pops the chain at head 0, offering it first if nothing is pending. */
static inline int pop_head0(struct fx *f)
{
	if (f->r.avail_idx == f->q.last_avail)
		rb_publish(&f->r, 0);
	return pop(f);
}

/* A one-descriptor chain at head 0. */
static inline int pop_one(struct fx *f, uint64_t addr, uint32_t len, uint16_t flags)
{
	rb_desc(&f->r, 0, addr, len, flags, 0);
	return pop_head0(f);
}

static inline void expect_buf(const struct fx *f, int i, uint64_t gpa, uint32_t len, bool write)
{
	assert_true(i < f->c.n);
	assert_ptr_equal(f->c.buf[i].p, f->r.m.base + gpa);
	assert_int_equal(f->c.buf[i].len, len);
	assert_int_equal(f->c.buf[i].write, write);
}

static inline int check(struct fx *f, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct virtq q = { .size = size, .desc = desc, .avail = avail, .used = used };

	return virtq_check(&q, &f->r.m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif
