/* x86.h: x86-64 descriptor and control-register layouts both sides build. */
#ifndef VMM_X86_H
#define VMM_X86_H

#include <stdint.h>

#define X86_CR0_PE	   (1ULL << 0)
#define X86_CR0_MP	   (1ULL << 1)
#define X86_CR0_ET	   (1ULL << 4)
#define X86_CR0_NE	   (1ULL << 5)
#define X86_CR0_WP	   (1ULL << 16)
#define X86_CR0_PG	   (1ULL << 31)
#define X86_CR4_PAE	   (1ULL << 5)
#define X86_CR4_OSFXSR	   (1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_CR4_FSGSBASE   (1ULL << 16)
#define X86_CR4_OSXSAVE	   (1ULL << 18)
#define X86_EFER_SCE	   (1ULL << 0)
#define X86_EFER_LME	   (1ULL << 8)
#define X86_EFER_LMA	   (1ULL << 10)
#define X86_EFER_NXE	   (1ULL << 11)
#define X86_RFLAGS_FIXED   0x2ULL
#define X86_RFLAGS_IOPL3   0x3000ULL
/* SYSCALL clears TF, IF, DF, IOPL, NT and AC, as Linux does. */
#define X86_SFMASK 0x47700ULL

#define X86_MSR_EFER   0xc0000080
#define X86_MSR_STAR   0xc0000081
#define X86_MSR_LSTAR  0xc0000082
#define X86_MSR_SFMASK 0xc0000084

#define X86_PTE_P    (1ULL << 0)
#define X86_PTE_W    (1ULL << 1)
#define X86_PTE_U    (1ULL << 2)
#define X86_PTE_PS   (1ULL << 7)
#define X86_PTE_NX   (1ULL << 63)
#define X86_PTE_ADDR 0x000ffffffffff000ULL

/* Flat descriptors; accessed bits preset so the CPU never writes the GDT. */
#define X86_GDT_KCODE	0x00af9b000000ffffULL
#define X86_GDT_KDATA	0x00cf93000000ffffULL
#define X86_GDT_UCODE32 0x00cffb000000ffffULL
#define X86_GDT_UDATA	0x00cff3000000ffffULL
#define X86_GDT_UCODE	0x00affb000000ffffULL

struct x86_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* Ports below this one have a bit in the TSS I/O bitmap. */
#define X86_IOMAP_PORTS 0x520

/* The two GDT slots of a 64-bit available TSS descriptor. */
static inline void x86_tss_desc(uint64_t slot[2], uint64_t base, uint32_t limit)
{
	slot[0] = (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) | (0x89ULL << 40) |
		  ((uint64_t)(limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	slot[1] = base >> 32;
}

/* A 64-bit interrupt gate to CPL-0 code, DPL 0, on stack IST 1. */
static inline void x86_idt_gate(uint64_t gate[2], uint64_t handler, uint16_t sel)
{
	gate[0] = (handler & 0xffff) | ((uint64_t)sel << 16) | (1ULL << 32) | (0x8eULL << 40) |
		  ((handler >> 16 & 0xffff) << 48);
	gate[1] = handler >> 32;
}

static inline uint64_t x86_star(void)
{
	/* SYSCALL loads KCODE/KDATA; SYSRET (unused) would load UCODE32+16. */
	return ((uint64_t)(0x18 | 3) << 48) | ((uint64_t)0x08 << 32);
}

#endif
