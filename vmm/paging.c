/* paging.c: build identity page tables with per-region permissions. */
#include "paging.h"

#include <string.h>

#include "x86.h"

#define PAGE	    0x1000ULL
#define LARGE	    0x200000ULL
#define TABLE_FLAGS (X86_PTE_P | X86_PTE_W | X86_PTE_U)

struct pt_alloc {
	uint8_t *mem;
	uint64_t next, end;
};

static uint64_t *table(struct pt_alloc *a, uint64_t gpa)
{
	return (uint64_t *)(a->mem + gpa);
}

/* The table an entry points to, allocating a zeroed one on first use. */
static uint64_t next_level(struct pt_alloc *a, uint64_t *entry)
{
	uint64_t gpa;

	if (*entry & X86_PTE_P)
		return *entry & X86_PTE_ADDR;
	if (a->next >= a->end)
		return 0;
	gpa = a->next;
	a->next += PAGE;
	memset(a->mem + gpa, 0, PAGE);
	*entry = gpa | TABLE_FLAGS;
	return gpa;
}

/* Walks down to the page directory covering addr. */
static uint64_t pd_for(struct pt_alloc *a, uint64_t pml4, uint64_t addr)
{
	uint64_t pdpt = next_level(a, &table(a, pml4)[addr >> 39 & 511]);

	return pdpt ? next_level(a, &table(a, pdpt)[addr >> 30 & 511]) : 0;
}

static int map_range(struct pt_alloc *a, uint64_t pml4, const struct pt_region *r)
{
	uint64_t flags = (r->flags & (X86_PTE_W | X86_PTE_U | X86_PTE_NX)) | X86_PTE_P;

	for (uint64_t addr = r->start; addr < r->end;) {
		uint64_t pd = pd_for(a, pml4, addr), pt;
		uint64_t *pde;

		if (!pd)
			return -1;
		pde = &table(a, pd)[addr >> 21 & 511];
		if (addr % LARGE == 0 && r->end - addr >= LARGE && !(*pde & X86_PTE_P)) {
			*pde = addr | flags | X86_PTE_PS;
			addr += LARGE;
			continue;
		}
		if (*pde & X86_PTE_PS)
			return -1;
		pt = next_level(a, pde);
		if (!pt)
			return -1;
		table(a, pt)[addr >> 12 & 511] = addr | flags;
		addr += PAGE;
	}
	return 0;
}

uint64_t pt_build(uint8_t *mem, uint64_t mem_size, uint64_t pt_start, uint64_t pt_end,
		  const struct pt_region *r, int n)
{
	struct pt_alloc a = { mem, pt_start, pt_end };
	uint64_t pml4 = pt_start, prev_end = 0;

	if (pt_start % PAGE || pt_end % PAGE || pt_start >= pt_end || pt_end > mem_size)
		return 0;
	memset(mem + pml4, 0, PAGE);
	a.next += PAGE;
	for (int i = 0; i < n; i++) {
		if (r[i].start % PAGE || r[i].end % PAGE || r[i].start >= r[i].end ||
		    r[i].start < prev_end || r[i].end > (1ULL << 47))
			return 0;
		if (map_range(&a, pml4, &r[i]))
			return 0;
		prev_end = r[i].end;
	}
	return pml4;
}
