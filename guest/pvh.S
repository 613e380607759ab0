/* pvh.S: the PVH entry other monitors use (QEMU -M microvm -kernel app.img).
 * 32-bit protected mode, paging off, EBX = hvm_start_info. Sets up the
 * state vmm would have built, then drops to _start at CPL 3. */
#include "abi.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define CR4_BITS 0x10620	/* PAE, OSFXSR, OSXMMEXCPT, FSGSBASE */
#define EFER_BITS 0x901		/* SCE, LME, NXE */
#define CR0_BITS 0x80010033	/* PG, WP, NE, ET, MP, PE */

	.section .text.boot, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	lgdt pvh_gdt_ptr
	mov $VMM_SEL_KDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $pvh_stack_top, %esp
	mov $CR4_BITS, %eax
	mov %eax, %cr4
	mov $pvh_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $EFER_BITS, %eax
	wrmsr
	mov $CR0_BITS, %eax
	mov %eax, %cr0
	ljmp $VMM_SEL_KCODE, $1f

	.code64
1:	mov %ebx, %ebx
	mov %rbx, %rdi
	call pvh_cpu_setup	/* returns the top of the main stack */
	push $VMM_SEL_UDATA
	push %rax
	push $0x3002		/* IOPL 3: the console is the 16550 */
	push $VMM_SEL_UCODE
	push $_start
	mov %rbx, %rdi
	mov $VMM_PVH_MAGIC, %esi
	iretq

	.section .data.pvh, "aw"
	.balign 8
	.globl pvh_gdt
pvh_gdt:
	.quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff, 0x00cffb000000ffff
	.quad 0x00cff3000000ffff, 0x00affb000000ffff, 0, 0
pvh_gdt_ptr:
	.word pvh_gdt_ptr - pvh_gdt - 1
	.long pvh_gdt

/* Identity map of the low 4 GiB, user-accessible: 4 KiB pages for the first
 * 2 MiB so that page 0 stays unmapped and NULL dereferences fault. */
	.balign 4096
pvh_pml4:
	.quad pvh_pdpt + 7
	.fill 511, 8, 0
pvh_pdpt:
	.quad pvh_pd + 7, pvh_pd + 0x1007, pvh_pd + 0x2007, pvh_pd + 0x3007
	.fill 508, 8, 0
pvh_pt:
	.quad 0
	.set i, 1
	.rept 511
	.quad (i << 12) | 7
	.set i, i + 1
	.endr
pvh_pd:
	.quad pvh_pt + 7
	.set i, 1
	.rept 2047
	.quad (i << 21) | 0x87
	.set i, i + 1
	.endr

	.section .bss.pvh, "aw", @nobits
	.balign 16
	.space 16384
pvh_stack_top:

	.section .note.Xen, "a"
	.balign 4
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start

	.section .note.GNU-stack, "", @progbits
