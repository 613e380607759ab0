/* layout.c: what the guest may touch, and how: the page tables of one VM. */
#include <elf.h>
#include <stdlib.h>

#include "paging.h"
#include "vm.h"
#include "x86.h"

#define PAGE	VMM_PAGE_SIZE
#define RO_DATA (X86_PTE_NX)
#define RW_DATA (X86_PTE_W | X86_PTE_NX)

static uint64_t seg_flags(uint32_t pf)
{
	return X86_PTE_U | (pf & PF_W ? X86_PTE_W : 0) | (pf & PF_X ? 0 : X86_PTE_NX);
}

/* Regions in address order; the image's segments are sorted by the loader. */
static int regions(struct vmm *vm, uint64_t fdt_size, struct pt_region *r)
{
	uint64_t top = vm->mem.size, stack = top - vmm_stack_size(top);
	int n = 0;

	/* Descriptor tables and the fault stack: CPL 0 only, for the CPU. */
	r[n++] = (struct pt_region){ VMM_GDT_ADDR, VMM_GDT_ADDR + PAGE, RO_DATA };
	r[n++] = (struct pt_region){ VMM_IDT_ADDR, VMM_IDT_ADDR + PAGE, RO_DATA };
	r[n++] = (struct pt_region){ VMM_XSTACK_ADDR, VMM_XSTACK_TOP, RW_DATA };
	r[n++] =
	    (struct pt_region){ VMM_FDT_ADDR, VMM_FDT_ADDR + ((fdt_size + PAGE - 1) & ~(PAGE - 1)),
				RO_DATA | X86_PTE_U };
	for (int i = 0; i < vm->img.nseg; i++)
		r[n++] = (struct pt_region){ vm->img.seg[i].addr,
					     vm->img.seg[i].addr + vm->img.seg[i].memsz,
					     seg_flags(vm->img.seg[i].flags) };
	/* Heap up to the stack's guard page, which stays unmapped. */
	if (vm->img.end < stack - PAGE)
		r[n++] = (struct pt_region){ vm->img.end, stack - PAGE, RW_DATA | X86_PTE_U };
	r[n++] = (struct pt_region){ stack, top, RW_DATA | X86_PTE_U };
	/* Device registers: the ring-3 drivers touch them directly. */
	for (int i = 0; i < vm->ndevs; i++)
		r[n++] = (struct pt_region){ vm->devs[i]->base, vm->devs[i]->base + PAGE,
					     RW_DATA | X86_PTE_U };
	return n;
}

static int by_start(const void *a, const void *b)
{
	const struct elf_segment *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int layout_map(struct vmm *vm, uint64_t fdt_size, uint64_t *cr3, struct vmm_error *err)
{
	struct pt_region r[ELF_MAX_SEGMENTS + 8 + VMM_MMIO_SLOTS];
	int n;

	qsort(vm->img.seg, (size_t)vm->img.nseg, sizeof(vm->img.seg[0]), by_start);
	n = regions(vm, fdt_size, r);
	*cr3 = pt_build(vm->mem.base, vm->mem.size, VMM_PT_ADDR, VMM_PT_END, r, n);
	if (!*cr3)
		return vmm_fail(err, VMM_ERR_IMAGE,
				"%s: page tables do not fit (too many segments?)", vm->cfg.image);
	return 0;
}
