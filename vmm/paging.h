/* paging.h: 4-level identity page tables built from a list of regions. */
#ifndef VMM_PAGING_H
#define VMM_PAGING_H

#include <stdint.h>

struct pt_region {
	uint64_t start, end; /* page-aligned, sorted, disjoint */
	uint64_t flags;	     /* X86_PTE_W, X86_PTE_U, X86_PTE_NX */
};

/*
 * Writes page tables for regions into mem (guest RAM of mem_size bytes),
 * using pages from [pt_start, pt_end). Regions may lie beyond RAM (MMIO). 2 MiB pages where a whole
 * aligned block shares one region, 4 KiB pages elsewhere; addresses outside every region stay
 * unmapped. Returns the PML4 address, or 0 if the tables do not fit or a region is malformed.
 */
uint64_t pt_build(uint8_t *mem, uint64_t mem_size, uint64_t pt_start, uint64_t pt_end,
		  const struct pt_region *r, int n);

#endif
