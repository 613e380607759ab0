/* cpu.c: descriptor tables in guest memory and the vCPU's state at entry. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"
#include "x86.h"

#define CPUID_MAX   128
#define XCR0_WANTED 0x7ULL /* x87, SSE, AVX */

static void write_tables(struct vmm *vm)
{
	uint64_t *gdt = gpa_ptr(&vm->mem, VMM_GDT_ADDR, VMM_GDT_ENTRIES * 8);
	uint64_t *idt = gpa_ptr(&vm->mem, VMM_IDT_ADDR, 256 * 16);
	struct x86_tss *tss =
	    gpa_ptr(&vm->mem, VMM_TSS_ADDR, sizeof(*tss) + X86_IOMAP_PORTS / 8 + 1);
	uint8_t *iomap = (uint8_t *)(tss + 1);

	gdt[1] = X86_GDT_KCODE;
	gdt[2] = X86_GDT_KDATA;
	gdt[3] = X86_GDT_UCODE32;
	gdt[4] = X86_GDT_UDATA;
	gdt[5] = X86_GDT_UCODE;
	x86_tss_desc(&gdt[6], VMM_TSS_ADDR, sizeof(*tss) + X86_IOMAP_PORTS / 8);
	memset(tss, 0, sizeof(*tss));
	tss->rsp[0] = VMM_XSTACK_TOP;
	tss->ist[0] = VMM_XSTACK_TOP;
	tss->iomap_base = sizeof(*tss);
	/* Only the hypercall ports; kvm_pvm checks the bitmap even at IOPL 3. */
	memset(iomap, 0xff, X86_IOMAP_PORTS / 8 + 1);
	memset(iomap + VMM_PORT_FIRST / 8, 0, (VMM_PORT_LAST - VMM_PORT_FIRST + 1) / 8);
	for (int v = 0; v < VMM_FAULT_VECTORS; v++)
		x86_idt_gate(&idt[2 * v],
			     vm->img.note.fault_entry + (uint64_t)v * VMM_FAULT_STUB_SIZE,
			     VMM_SEL_KCODE);
}

static struct kvm_segment segment(uint16_t sel, int code)
{
	return (struct kvm_segment){ .selector = sel,
				     .limit = 0xffffffff,
				     .present = 1,
				     .dpl = sel & 3,
				     .s = 1,
				     .g = 1,
				     .type = code ? 0xb : 0x3,
				     .l = code,
				     .db = !code };
}

static int set_sregs(struct vmm *vm, uint64_t cr3, uint64_t cr4, struct vmm_error *err)
{
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_GET_SREGS: %s", strerror(errno));
	s.cs = segment(VMM_SEL_UCODE, 1);
	s.ss = s.ds = s.es = s.fs = s.gs = segment(VMM_SEL_UDATA, 0);
	s.tr = (struct kvm_segment){ .base = VMM_TSS_ADDR,
				     .selector = VMM_SEL_TSS,
				     .limit = sizeof(struct x86_tss) + X86_IOMAP_PORTS / 8,
				     .present = 1,
				     .type = 0xb };
	s.ldt = (struct kvm_segment){ .type = 0x2, .present = 1, .unusable = 1 };
	s.gdt = (struct kvm_dtable){ .base = VMM_GDT_ADDR, .limit = VMM_GDT_ENTRIES * 8 - 1 };
	s.idt = (struct kvm_dtable){ .base = VMM_IDT_ADDR, .limit = 256 * 16 - 1 };
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s.cr3 = cr3;
	s.cr4 = cr4;
	s.efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_SET_SREGS: %s", strerror(errno));
	return 0;
}

static int set_msrs(struct vmm *vm, struct vmm_error *err)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} m = { .hdr.nmsrs = 3,
		.e = { { .index = X86_MSR_LSTAR, .data = vm->img.note.syscall_entry },
		       { .index = X86_MSR_STAR, .data = x86_star() },
		       { .index = X86_MSR_SFMASK, .data = X86_SFMASK } } };

	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != 3)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_SET_MSRS: cannot set the syscall MSRs");
	return 0;
}

/* The host's CPUID as the guest's (it never runs cpuid); returns XCR0 bits. */
static int set_cpuid(struct vmm *vm, uint64_t *xcr0, struct vmm_error *err)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX * sizeof(c->entries[0]));
	int rc = 0;

	if (!c)
		return vmm_fail(err, VMM_ERR_HOST, "out of memory");
	c->nent = CPUID_MAX;
	*xcr0 = 0;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c) < 0)
		rc = vmm_fail(err, VMM_ERR_HOST, "KVM_SET_CPUID2: %s", strerror(errno));
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 1 && !(c->entries[i].ecx & (1U << 26)))
			break; /* no XSAVE */
		if (c->entries[i].function == 0xd && c->entries[i].index == 0)
			*xcr0 = c->entries[i].eax & XCR0_WANTED;
	}
	free(c);
	return rc;
}

static int set_xcr0(struct vmm *vm, uint64_t xcr0, struct vmm_error *err)
{
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = xcr0 } } };

	if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &x) < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_SET_XCRS: %s", strerror(errno));
	return 0;
}

int cpu_setup(struct vmm *vm, uint64_t cr3, uint64_t fdt_gpa, struct vmm_error *err)
{
	uint64_t cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_FSGSBASE;
	uint64_t xcr0 = 0;
	struct kvm_regs regs = {
		.rip = vm->img.entry,
		.rsp = vm->mem.size,
		.rdi = fdt_gpa,
		.rsi = VMM_BOOT_MAGIC,
		.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IOPL3,
	};
	struct vmm_error first;

	write_tables(vm);
	/*
	 * kvm_pvm takes CR4 as given, and KVM_SET_CPUID2 costs ~350 us there.
	 * KVM on VMX/SVM refuses CR4.FSGSBASE until the guest's CPUID has it:
	 * only then set the CPUID, and XSAVE state with it.
	 */
	if (set_sregs(vm, cr3, cr4, &first)) {
		if (set_cpuid(vm, &xcr0, err))
			return -1;
		if ((xcr0 & 3) == 3)
			cr4 |= X86_CR4_OSXSAVE;
		if (set_sregs(vm, cr3, cr4, err))
			return -1;
		if ((cr4 & X86_CR4_OSXSAVE) && set_xcr0(vm, xcr0, err))
			return -1;
	}
	if (set_msrs(vm, err))
		return -1;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}
