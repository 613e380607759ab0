/* entry.S: the image's entry, the SYSCALL path and the fault stubs. */
#include "abi.h"

	.section .text.boot, "ax"

/* CPL 3. RDI = boot info, RSI = its magic, RSP = top of the main stack. */
	.globl _start
	.type _start, @function
_start:
	mov %rdi, %r12
	mov %rsi, %r13
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, vmm_boot_record(%rip)
	/* Until musl sets up TLS: libfdt.a reads its stack canary at %fs:0x28. */
	lea boot_tls(%rip), %rax
	mov %rax, (%rax)
	wrfsbase %rax
	mov %r12, %rdi
	mov %r13, %rsi
	xor %ebp, %ebp
	call guest_boot
	ud2
	.size _start, . - _start

/*
 * CPL 0, reached by SYSCALL with the caller's RSP. Ring-0 code is emulated
 * instruction by instruction here, so this only builds an IRET frame below
 * the caller's red zone and returns to CPL 3 at once. The dispatcher then
 * finds the caller's RSP 136 bytes above its own.
 */
	.text
	.balign 16
	.globl guest_syscall_entry
	.type guest_syscall_entry, @function
guest_syscall_entry:
	lea -128(%rsp), %rsp
	push $VMM_SEL_UDATA
	push %rsp
	push %r11
	push $VMM_SEL_UCODE
	push $syscall_dispatch
	iretq
	.size guest_syscall_entry, . - guest_syscall_entry

/*
 * CPL 3. RCX = return address, R11 = caller's RFLAGS, RAX = number, args in
 * RDI RSI RDX R10 R8 R9. Everything but RAX, RCX and R11 is preserved,
 * SSE state included: musl relies on the kernel's syscall contract.
 */
	.set NR_clone, 56	/* <sys/syscall.h> is C */

/* The caller's registers, RCX (its RIP) then RBP first: a frame backtraces follow. */
.macro save_frame
	push %rcx
	push %rbp
	mov %rsp, %rbp
	push %r11
	push %rdi
	push %rsi
	push %rdx
	push %r8
	push %r9
	push %r10
.endm

	.type syscall_dispatch, @function
syscall_dispatch:
	cmp $NR_clone, %rax
	je clone_dispatch
	save_frame
	and $-16, %rsp
	sub $512, %rsp
	fxsave64 (%rsp)
	sub $8, %rsp
	push %rax		/* 7th argument: the number */
	mov %r10, %rcx
	cld
	call guest_syscall
	add $16, %rsp
	fxrstor64 (%rsp)
syscall_return:
	lea -56(%rbp), %rsp
	pop %r10
	pop %r9
	pop %r8
	pop %rdx
	pop %rsi
	pop %rdi
	pop %r11
	pop %rbp
	pop %rcx
	push %r11
	popfq
	lea 136(%rsp), %rsp
	jmp *%rcx
	.size syscall_dispatch, . - syscall_dispatch

/*
 * clone: the child's first run must look like a return from this same
 * syscall, so every register goes into a struct clone_regs (thread.h) that
 * thread_clone copies for it. The parent returns as from any syscall.
 */
	.type clone_dispatch, @function
clone_dispatch:
	save_frame
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	and $-16, %rsp
	sub $512, %rsp
	fxsave64 (%rsp)
	cld
	call thread_clone
	fxrstor64 (%rsp)
	jmp syscall_return	/* the frame below RBP is the same as a syscall's */
	.size clone_dispatch, . - clone_dispatch

/*
 * void thread_switch(uint64_t *save_sp, uint64_t sp): a cooperative switch,
 * all in ring 3. Saves what the SysV ABI has a callee keep (RBX RBP R12-R15,
 * MXCSR, the x87 control word) and the FS base (TLS) as a struct
 * switch_frame, stores RSP through save_sp, and loads the next thread's.
 */
	.globl thread_switch
	.type thread_switch, @function
thread_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	rdfsbase %rax
	push %rax
	sub $8, %rsp
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	add $8, %rsp
	pop %rax
	wrfsbase %rax
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size thread_switch, . - thread_switch

/*
 * A new thread's first switch lands here with RBX = its struct clone_regs,
 * which its new stack pointer follows: it resumes as the kernel's clone
 * child does, from the syscall with RAX = 0 and the parent's registers.
 */
	.globl thread_child_entry
	.type thread_child_entry, @function
thread_child_entry:
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %r10
	pop %r9
	pop %r8
	pop %rdx
	pop %rsi
	pop %rdi
	pop %r11
	pop %rbp
	pop %rcx
	pop %rsp
	push %r11
	popfq
	xor %eax, %eax
	jmp *%rcx
	.size thread_child_entry, . - thread_child_entry

/*
 * CPL 0 fault stubs, VMM_FAULT_STUB_SIZE bytes apart, on IST 1. Each leaves
 * a struct vmm_fault_frame at RSP and tells the VMM, which ends the VM.
 */
	.balign 16
	.globl guest_fault_entry
guest_fault_entry:
	.set vec, 0
	.rept VMM_FAULT_VECTORS
	.balign VMM_FAULT_STUB_SIZE
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	push $0			/* no error code from the CPU: keep the frame's shape */
	.endif
	push $vec
	jmp fault_common
	.set vec, vec + 1
	.endr

fault_common:
	push %rdx
	push %rax
	mov $VMM_PORT_FAULT, %dx
	out %eax, %dx
	/* Only another monitor gets here: report on its console and exit. */
	mov %rsp, %rdi
	and $-16, %rsp
	call pvh_fault
1:	jmp 1b

	.section .bss.boot_tls, "aw", @nobits
	.balign 64
boot_tls:
	.space 64

	.section .note.vmm, "a"
	.balign 4
	.long 4, 32, VMM_NOTE_ABI
	.asciz "vmm"
	.long VMM_ABI_VERSION, 0
	.quad guest_syscall_entry, guest_fault_entry, vmm_boot_record

	.section .note.GNU-stack, "", @progbits
