/* pages.c: the heap between the image and the stack guard, page by page.
 * brk grows up from the bottom, mmap takes first fit from the top. No page
 * tables change: munmap'd pages stay mapped, and are zeroed on reuse. */
#include <string.h>

#include "libos.h"

#define PAGE 4096ULL

static uint64_t base, npages;  /* managed pages: [base, base + npages * PAGE) */
static uint64_t *used, *dirty; /* one bit per page */
static uint64_t brk_start, brk_cur, in_use;

static int test(const uint64_t *map, uint64_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

static void set(uint64_t *map, uint64_t i, int v)
{
	if (v)
		map[i / 64] |= 1ULL << (i % 64);
	else
		map[i / 64] &= ~(1ULL << (i % 64));
}

static int range_free(uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++)
		if (test(used, i))
			return 0;
	return 1;
}

/* Marks pages used; fresh RAM is zero already, reused pages are not. */
static void take(uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++) {
		set(used, i, 1);
		if (test(dirty, i))
			memset((void *)(base + i * PAGE), 0, PAGE);
		set(dirty, i, 1);
	}
	in_use += n;
}

static void give_back(uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++)
		set(used, i, 0);
	in_use -= n;
}

void pages_init(uint64_t start, uint64_t end)
{
	uint64_t words, meta;

	start = (start + PAGE - 1) & ~(PAGE - 1);
	words = ((end - start) / PAGE + 63) / 64;
	/* The bitmaps take the first pages; RAM starts zeroed, so they are too. */
	used = (uint64_t *)start;
	dirty = used + words;
	meta = (2 * words * 8 + PAGE - 1) & ~(PAGE - 1);
	base = start + meta;
	npages = (end - base) / PAGE;
	brk_start = brk_cur = base;
}

/* Page index range of [p, p + len), or -1 if it is outside the heap. */
static int index_of(const void *p, size_t len, uint64_t *first, uint64_t *n)
{
	uint64_t a = (uint64_t)(uintptr_t)p;

	if (a % PAGE || a < base || len == 0 || len > npages * PAGE)
		return -1;
	*first = (a - base) / PAGE;
	*n = (len + PAGE - 1) / PAGE;
	return *first + *n <= npages ? 0 : -1;
}

void *pages_alloc(size_t len)
{
	uint64_t n = (len + PAGE - 1) / PAGE, run = 0;

	if (len == 0 || n > npages)
		return NULL;
	/* First fit from the top, so brk keeps room to grow. */
	for (uint64_t i = npages; i-- > (brk_cur - base) / PAGE;) {
		run = test(used, i) ? 0 : run + 1;
		if (run == n) {
			take(i, n);
			return (void *)(base + i * PAGE);
		}
	}
	return NULL;
}

int pages_free(void *p, size_t len)
{
	uint64_t first, n;

	if (index_of(p, len, &first, &n))
		return -1;
	for (uint64_t i = first; i < first + n; i++)
		if (test(used, i)) {
			set(used, i, 0);
			in_use--;
		}
	return 0;
}

int pages_claim(void *p, size_t len)
{
	uint64_t first, n;

	if (index_of(p, len, &first, &n))
		return -1;
	for (uint64_t i = first; i < first + n; i++) {
		if (test(used, i))
			memset((void *)(base + i * PAGE), 0, PAGE);
		else
			take(i, 1);
	}
	return 0;
}

int pages_extend(void *p, size_t old_len, size_t new_len)
{
	uint64_t first, n, more;

	if (index_of(p, new_len, &first, &n))
		return -1;
	more = (old_len + PAGE - 1) / PAGE;
	if (!range_free(first + more, n - more))
		return -1;
	take(first + more, n - more);
	return 0;
}

/* Linux semantics: the new break on success, the old one on failure. */
uint64_t pages_brk(uint64_t want)
{
	uint64_t cur = (brk_cur - base + PAGE - 1) / PAGE, next;

	if (want < brk_start || want > base + npages * PAGE)
		return brk_cur;
	next = (want - base + PAGE - 1) / PAGE;
	if (next > cur) {
		if (!range_free(cur, next - cur))
			return brk_cur;
		take(cur, next - cur);
	} else if (next < cur) {
		give_back(next, cur - next);
	}
	brk_cur = want;
	return brk_cur;
}

uint64_t pages_in_use(void)
{
	return in_use * PAGE;
}
