/* pvh_cpu.c: CPL-0 set-up under a PVH loader, and its fault fallback.
 * Compiled with -mgeneral-regs-only: it runs before SSE state is ours. */
#include <stdint.h>

#include "abi.h"
#include "libos.h"
#include "x86.h"

extern uint64_t pvh_gdt[VMM_GDT_ENTRIES];
extern const char guest_fault_entry[];
void guest_syscall_entry(void);

/* The TSS with an all-zero I/O bitmap: every port, for the 16550 and the PIT. */
static struct {
	struct x86_tss tss;
	uint8_t iomap[X86_IOMAP_PORTS / 8 + 1];
} __attribute__((packed, aligned(16))) pvh_tss;
static uint64_t pvh_idt[256 * 2] __attribute__((aligned(16)));
static uint8_t pvh_xstack[8192] __attribute__((aligned(16)));

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

uint64_t pvh_cpu_setup(const struct hvm_start_info *si);
uint64_t pvh_cpu_setup(const struct hvm_start_info *si)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(pvh_idt) - 1, (uint64_t)pvh_idt };
	uint64_t top = (uint64_t)(pvh_xstack + sizeof(pvh_xstack));

	pvh_tss.tss.rsp[0] = top;
	pvh_tss.tss.ist[0] = top;
	pvh_tss.tss.iomap_base = sizeof(pvh_tss.tss);
	pvh_tss.iomap[X86_IOMAP_PORTS / 8] = 0xff;
	x86_tss_desc(&pvh_gdt[6], (uint64_t)&pvh_tss, sizeof(pvh_tss) - 1);
	for (int v = 0; v < VMM_FAULT_VECTORS; v++)
		x86_idt_gate(&pvh_idt[2 * v], (uint64_t)guest_fault_entry + v * VMM_FAULT_STUB_SIZE,
			     VMM_SEL_KCODE);
	__asm__ volatile("ltr %w0" ::"r"(VMM_SEL_TSS));
	__asm__ volatile("lidt %0" ::"m"(idtr));
	wrmsr(X86_MSR_LSTAR, (uint64_t)guest_syscall_entry);
	wrmsr(X86_MSR_STAR, x86_star());
	wrmsr(X86_MSR_SFMASK, X86_SFMASK);
	return pvh_mem_top(si);
}

uint64_t pvh_mem_top(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t top = 0;

	for (uint32_t i = 0; si->version >= 1 && i < si->memmap_entries; i++) {
		uint64_t end = e[i].addr + e[i].size;

		if (e[i].type == 1 && end > top && end <= VMM_MEM_MAX)
			top = end;
	}
	return top & ~0x1fffffULL;
}

static void serial_puts(const char *s)
{
	for (; *s; s++)
		serial_putc(*s);
}

static void serial_hex(uint64_t v)
{
	serial_puts("0x");
	for (int i = 60; i >= 0; i -= 4)
		serial_putc("0123456789abcdef"[v >> i & 15]);
}

/* Under vmm the fault port already ended the VM; elsewhere say what happened. */
void pvh_fault(const struct vmm_fault_frame *f);
void pvh_fault(const struct vmm_fault_frame *f)
{
	uint64_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	serial_puts("\nguest fault: vector ");
	serial_hex(f->vector);
	serial_puts(" rip ");
	serial_hex(f->rip);
	serial_puts(" cr2 ");
	serial_hex(cr2);
	serial_puts("\n");
	__asm__ volatile("outb %b0, %w1" ::"a"(253), "Nd"(VMM_PORT_EXIT));
}
