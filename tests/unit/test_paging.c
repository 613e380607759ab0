/* test_paging.c: pt_build's tables, checked by a software page walk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi.h"
#include "paging.h"
#include "x86.h"

#define RAM	  (8ULL << 20)
#define PT_START  VMM_PT_ADDR
#define PT_END	  VMM_PT_END
#define KB4	  0x1000ULL
#define MB2	  0x200000ULL
#define RW_USER	  (X86_PTE_W | X86_PTE_U | X86_PTE_NX)
#define LEAF_BITS (X86_PTE_ADDR | X86_PTE_P | X86_PTE_W | X86_PTE_U | X86_PTE_PS | X86_PTE_NX)

struct walk {
	int present, w, u, nx, large;
};

static uint64_t entry(const uint8_t *mem, uint64_t table, uint64_t addr, int level)
{
	uint64_t e;

	/* Every table must come from the page-table area, or the guest could edit it. */
	if (table < PT_START || table >= PT_END || table % KB4)
		fail_msg("table at %#llx outside the page-table area", (unsigned long long)table);
	memcpy(&e, mem + table + 8 * (addr >> (12 + 9 * level) & 511), sizeof(e));
	return e;
}

/* What the MMU would do with addr: permissions are the AND (NX the OR) of all levels. */
static struct walk walk(const uint8_t *mem, uint64_t cr3, uint64_t addr)
{
	struct walk r = { 1, 1, 1, 0, 0 };
	uint64_t table = cr3, e = 0;
	int level;

	for (level = 3; level >= 0; level--) {
		e = entry(mem, table, addr, level);
		if (!(e & X86_PTE_P))
			return (struct walk){ 0 };
		r.w &= !!(e & X86_PTE_W);
		r.u &= !!(e & X86_PTE_U);
		r.nx |= !!(e & X86_PTE_NX);
		assert_false(level == 2 && (e & X86_PTE_PS)); /* no 1 GiB pages */
		if (level == 1 && (e & X86_PTE_PS))
			break;
		table = e & X86_PTE_ADDR;
	}
	r.large = level == 1;
	assert_int_equal(e & ~LEAF_BITS, 0); /* no stray bits (PCD, PWT, ...) */
	/* Identity mapped: the frame is the address itself. */
	assert_int_equal(e & X86_PTE_ADDR, addr & ~((r.large ? MB2 : KB4) - 1) & X86_PTE_ADDR);
	return r;
}

static void expect(const uint8_t *mem, uint64_t cr3, uint64_t addr, int w, int u, int nx, int large)
{
	struct walk r = walk(mem, cr3, addr);

	if (!r.present || r.w != w || r.u != u || r.nx != nx || r.large != large)
		fail_msg("%#llx: present %d w %d u %d nx %d large %d, want 1 %d %d %d %d",
			 (unsigned long long)addr, r.present, r.w, r.u, r.nx, r.large, w, u, nx,
			 large);
}

static void expect_unmapped(const uint8_t *mem, uint64_t cr3, uint64_t addr)
{
	if (walk(mem, cr3, addr).present)
		fail_msg("%#llx is mapped", (unsigned long long)addr);
}

static int setup(void **state)
{
	*state = calloc(1, RAM);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint64_t build(uint8_t *mem, const struct pt_region *r, int n)
{
	return pt_build(mem, RAM, PT_START, PT_END, r, n);
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_layout(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region r[] = {
		{ 0x1000, 0x2000, 0 },
		{ 0x100000, 0x101000, X86_PTE_U },
		{ 0x101000, 0x103000, RW_USER },
		{ 0x200000, 0x600000, RW_USER },
		{ 0x7ff000, 0x800000, RW_USER },
		{ VMM_MMIO_BASE, VMM_MMIO_BASE + KB4, X86_PTE_W | X86_PTE_NX },
	};
	uint64_t cr3 = build(mem, r, N(r));

	assert_int_equal(cr3, PT_START);
	expect_unmapped(mem, cr3, 0);
	expect_unmapped(mem, cr3, 0xfff);
	expect(mem, cr3, 0x1000, 0, 0, 0, 0);
	expect(mem, cr3, 0x1fff, 0, 0, 0, 0);
	expect_unmapped(mem, cr3, 0x2000);
	expect_unmapped(mem, cr3, PT_START);
	expect_unmapped(mem, cr3, 0xff000);
	expect(mem, cr3, 0x100000, 0, 1, 0, 0);
	expect(mem, cr3, 0x101000, 1, 1, 1, 0);
	expect(mem, cr3, 0x102fff, 1, 1, 1, 0);
	expect_unmapped(mem, cr3, 0x103000);
	expect_unmapped(mem, cr3, 0x1ff000);
	expect(mem, cr3, 0x200000, 1, 1, 1, 1);
	expect(mem, cr3, 0x5fffff, 1, 1, 1, 1);
	expect_unmapped(mem, cr3, 0x600000);
	expect_unmapped(mem, cr3, 0x7fe000);
	expect(mem, cr3, 0x7ff000, 1, 1, 1, 0);
	expect_unmapped(mem, cr3, RAM);
	expect(mem, cr3, VMM_MMIO_BASE, 1, 0, 1, 0); /* beyond RAM, still mapped */
	expect_unmapped(mem, cr3, VMM_MMIO_BASE + KB4);
	expect_unmapped(mem, cr3, 1ULL << 30);
	expect_unmapped(mem, cr3, (1ULL << 47) - KB4);
}

/* Two permissions inside one 2 MiB block force 4 KiB pages for both. */
static void test_mixed_block(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region r[] = {
		{ 0x200000, 0x300000, X86_PTE_U },
		{ 0x300000, 0x400000, RW_USER },
	};
	uint64_t cr3 = build(mem, r, N(r));

	assert_int_not_equal(cr3, 0);
	expect(mem, cr3, 0x200000, 0, 1, 0, 0);
	expect(mem, cr3, 0x2ff000, 0, 1, 0, 0);
	expect(mem, cr3, 0x300000, 1, 1, 1, 0);
	expect(mem, cr3, 0x3ff000, 1, 1, 1, 0);
}

/* An unaligned region gets 4 KiB pages at its ends and 2 MiB ones inside. */
static void test_unaligned_ends(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region r[] = { { 0x1ff000, 0x601000, X86_PTE_W } };
	uint64_t cr3 = build(mem, r, N(r));

	assert_int_not_equal(cr3, 0);
	expect(mem, cr3, 0x1ff000, 1, 0, 0, 0);
	expect(mem, cr3, 0x200000, 1, 0, 0, 1);
	expect(mem, cr3, 0x400000, 1, 0, 0, 1);
	expect(mem, cr3, 0x600000, 1, 0, 0, 0);
	expect_unmapped(mem, cr3, 0x601000);
	expect_unmapped(mem, cr3, 0x1fe000);
}

/* Large pages on both sides of a 1 GiB and of a 512 GiB boundary. */
static void test_far_boundaries(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region r[] = {
		{ (1ULL << 30) - MB2, (1ULL << 30) + MB2, X86_PTE_W },
		{ (1ULL << 39) - KB4, (1ULL << 39) + KB4, X86_PTE_NX },
	};
	uint64_t cr3 = build(mem, r, N(r));

	assert_int_not_equal(cr3, 0);
	expect(mem, cr3, (1ULL << 30) - 1, 1, 0, 0, 1);
	expect(mem, cr3, 1ULL << 30, 1, 0, 0, 1);
	expect(mem, cr3, (1ULL << 39) - 1, 0, 0, 1, 0);
	expect(mem, cr3, 1ULL << 39, 0, 0, 1, 0);
	expect_unmapped(mem, cr3, (1ULL << 39) + KB4);
}

/* pt_build writes nothing outside its page-table area. */
static void test_stays_in_area(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region r[] = { { 0x1000, 0x800000, X86_PTE_W } };

	memset(mem, 0x5a, RAM);
	assert_int_not_equal(build(mem, r, N(r)), 0);
	for (uint64_t a = 0; a < RAM; a++)
		if ((a < PT_START || a >= PT_END) && mem[a] != 0x5a)
			fail_msg("byte at %#llx written", (unsigned long long)a);
}

/* One 4 KiB page needs a PML4, a PDPT, a PD and a PT: four pages, not three. */
static void test_area_too_small(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region one = { 0x100000, 0x101000, 0 };
	const struct pt_region big = { 0x200000, 0x400000, 0 };

	assert_int_equal(pt_build(mem, RAM, PT_START, PT_START + 2 * KB4, &one, 1), 0);
	assert_int_equal(pt_build(mem, RAM, PT_START, PT_START + 3 * KB4, &one, 1), 0);
	assert_int_equal(pt_build(mem, RAM, PT_START, PT_START + 4 * KB4, &one, 1), PT_START);
	expect(mem, PT_START, 0x100000, 0, 0, 0, 0);
	/* A large page needs no PT. */
	assert_int_equal(pt_build(mem, RAM, PT_START, PT_START + 3 * KB4, &big, 1), PT_START);
	expect(mem, PT_START, 0x3fffff, 0, 0, 0, 1);
	assert_int_equal(pt_build(mem, RAM, PT_START, PT_START + KB4, &one, 0), PT_START);
	expect_unmapped(mem, PT_START, 0x100000);
}

static void expect_rejected(uint8_t *mem, struct pt_region a, struct pt_region b)
{
	const struct pt_region r[] = { a, b };

	if (build(mem, r, 2))
		fail_msg("accepted [%#llx, %#llx) then [%#llx, %#llx)", (unsigned long long)a.start,
			 (unsigned long long)a.end, (unsigned long long)b.start,
			 (unsigned long long)b.end);
}

static void test_bad_regions(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region ok = { 0x100000, 0x200000, 0 };

	expect_rejected(mem, ok, (struct pt_region){ 0x200001, 0x300000, 0 });
	expect_rejected(mem, ok, (struct pt_region){ 0x200000, 0x300800, 0 });
	expect_rejected(mem, ok, (struct pt_region){ 0x300000, 0x300000, 0 }); /* empty */
	expect_rejected(mem, ok, (struct pt_region){ 0x400000, 0x300000, 0 }); /* reversed */
	expect_rejected(mem, ok, (struct pt_region){ 0x1000, 0x2000, 0 });     /* unsorted */
	expect_rejected(mem, ok, (struct pt_region){ 0x1ff000, 0x300000, 0 }); /* overlap */
	expect_rejected(mem, ok, (struct pt_region){ 0x100000, 0x200000, 0 }); /* twice */
	expect_rejected(mem, ok, (struct pt_region){ 1ULL << 47, (1ULL << 47) + KB4, 0 });
	expect_rejected(mem, ok, (struct pt_region){ 0x300000, 0ULL - KB4, 0 });
	/* Touching regions are fine. */
	assert_int_not_equal(build(mem, (struct pt_region[]){ ok, { 0x200000, 0x201000, 0 } }, 2),
			     0);
}

static void test_bad_area(void **state)
{
	uint8_t *mem = *state;
	const struct pt_region r = { 0x100000, 0x101000, 0 };

	assert_int_equal(pt_build(mem, RAM, PT_START + 8, PT_END, &r, 1), 0);
	assert_int_equal(pt_build(mem, RAM, PT_START, PT_END - 8, &r, 1), 0);
	assert_int_equal(pt_build(mem, RAM, PT_END, PT_START, &r, 1), 0);
	assert_int_equal(pt_build(mem, RAM, PT_START, PT_START, &r, 1), 0);
	assert_int_equal(pt_build(mem, RAM, RAM - 2 * KB4, RAM + 2 * KB4, &r, 1), 0);
	assert_int_equal(pt_build(mem, RAM, RAM, RAM + 4 * KB4, &r, 1), 0);
	assert_int_equal(pt_build(mem, RAM, 0ULL - 4 * KB4, 0, &r, 1), 0);
	/* The very top of RAM is fine. */
	assert_int_equal(pt_build(mem, RAM, RAM - 4 * KB4, RAM, &r, 1), RAM - 4 * KB4);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_layout),	   TEST(test_mixed_block),   TEST(test_unaligned_ends),
		TEST(test_far_boundaries), TEST(test_stays_in_area), TEST(test_area_too_small),
		TEST(test_bad_regions),	   TEST(test_bad_area),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
