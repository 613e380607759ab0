/* fault.c: the crash report: what happened, registers, symbolized backtrace. */
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm.h"

#define BACKTRACE_MAX  32     /* lines printed */
#define BACKTRACE_WALK 100000 /* frames followed */

static const char *const vector_names[VMM_FAULT_VECTORS] = {
	[0] = "divide error (#DE)",	    [1] = "debug (#DB)",
	[3] = "breakpoint (#BP)",	    [4] = "overflow (#OF)",
	[5] = "bound range (#BR)",	    [6] = "invalid opcode (#UD)",
	[7] = "device not available (#NM)", [8] = "double fault (#DF)",
	[10] = "invalid TSS (#TS)",	    [11] = "segment not present (#NP)",
	[12] = "stack fault (#SS)",	    [13] = "general protection fault (#GP)",
	[14] = "page fault (#PF)",	    [16] = "x87 error (#MF)",
	[17] = "alignment check (#AC)",	    [18] = "machine check (#MC)",
	[19] = "SIMD error (#XM)",	    [21] = "control protection (#CP)",
};

/* " (file.c:12)" from the line table, " (file.c)" from the symbol, or "". */
static void source(struct vmm *vm, const struct sym *s, uint64_t addr, char *buf, size_t size)
{
	const char *file = NULL;
	unsigned line = 0;

	/* Only a crash pays for reading .debug_line, not every boot (~0.2 ms). */
	if (!vm->lines_loaded) {
		vm->lines_loaded = true;
		line_table_load(&vm->lines, vm->file, vm->file_size);
	}
	if (line_table_lookup(&vm->lines, addr, &file, &line) && line)
		snprintf(buf, size, " (%s:%u)", file, line);
	else if (s->file)
		snprintf(buf, size, " (%s)", s->file);
	else
		buf[0] = 0;
}

/*
 * "name+0x1c (file.c:12)" for a code address, or the bare address. A return
 * address is looked up one byte back: it may already be the next line's.
 */
static void symbolize(struct vmm *vm, uint64_t addr, int is_return, char *buf, size_t size)
{
	const struct sym *s = symtab_lookup(&vm->syms, addr);
	char src[160];

	if (!s) {
		snprintf(buf, size, "%#llx", (unsigned long long)addr);
		return;
	}
	source(vm, s, addr - (is_return ? 1 : 0), src, sizeof(src));
	snprintf(buf, size, "%s+%#llx%s", s->name, (unsigned long long)(addr - s->addr), src);
}

static void print_regs(FILE *f, const struct kvm_regs *r, uint64_t cr2)
{
	fprintf(f,
		"  rip %016llx  rsp %016llx  rflags %08llx  cr2 %016llx\n"
		"  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n"
		"  rsi %016llx  rdi %016llx  rbp %016llx  r8  %016llx\n"
		"  r9  %016llx  r10 %016llx  r11 %016llx  r12 %016llx\n"
		"  r13 %016llx  r14 %016llx  r15 %016llx\n",
		r->rip, r->rsp, r->rflags, (unsigned long long)cr2, r->rax, r->rbx, r->rcx, r->rdx,
		r->rsi, r->rdi, r->rbp, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14,
		r->r15);
}

struct frames {
	FILE *f;
	int printed;
	uint64_t last;
	unsigned repeats;
};

static void flush_repeats(struct frames *fr)
{
	if (fr->repeats)
		fprintf(fr->f, "  ... the same frame %u more times\n", fr->repeats);
	fr->repeats = 0;
}

/* Prints a return address; runs of one address (deep recursion) fold into one line. */
static int add_frame(struct vmm *vm, struct frames *fr, uint64_t addr)
{
	char sym[200];

	if (!symtab_lookup(&vm->syms, addr))
		return 0;
	if (fr->printed && addr == fr->last) {
		fr->repeats++;
		return 1;
	}
	flush_repeats(fr);
	if (fr->printed < BACKTRACE_MAX) {
		symbolize(vm, addr, fr->printed > 0, sym, sizeof(sym));
		fprintf(fr->f, "  #%-2d %s\n", fr->printed, sym);
	}
	fr->printed++;
	fr->last = addr;
	return 1;
}

/*
 * Follows the frame-pointer chain; every read is checked, the walk bounded.
 * A fault before the function set up its frame (or in a leaf without one)
 * leaves RBP outside the stack: the return address is then at RSP.
 */
static void backtrace(struct vmm *vm, FILE *f, const struct kvm_regs *r)
{
	struct frames fr = { .f = f };
	const uint64_t *ret = gpa_ptr(&vm->mem, r->rsp, 8);
	uint64_t rbp = r->rbp;

	fprintf(f, "backtrace:\n");
	if (!add_frame(vm, &fr, r->rip))
		fprintf(f, "  #0  %#llx\n", r->rip);
	if ((rbp < r->rsp || rbp >= vm->mem.size) && ret && r->rsp % 8 == 0)
		add_frame(vm, &fr, *ret);
	for (int i = 0; i < BACKTRACE_WALK && rbp % 8 == 0 && rbp >= r->rsp; i++) {
		const uint64_t *frame = gpa_ptr(&vm->mem, rbp, 16);

		if (!frame || !add_frame(vm, &fr, frame[1]) || frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	flush_repeats(&fr);
}

static void report(struct vmm *vm, const char *what, struct kvm_regs *r, uint64_t cr2)
{
	char buf[8192], sym[200];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (!f)
		return;
	symbolize(vm, r->rip, 0, sym, sizeof(sym));
	fprintf(f, "vmm: guest %s in %s\n", what, sym);
	print_regs(f, r, cr2);
	backtrace(vm, f, r);
	fclose(f);
	buf[sizeof(buf) - 1] = 0;
	/* One write, so reports of concurrent VMs do not interleave. */
	if (write(vm->cfg.report_fd, buf, strlen(buf)) < 0)
		return;
}

static int get_state(struct vmm *vm, struct kvm_regs *r, uint64_t *cr2)
{
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, r) < 0 || ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	*cr2 = s.cr2;
	return 0;
}

void fault_report(struct vmm *vm, const char *fmt, ...)
{
	struct kvm_regs r;
	uint64_t cr2;
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (get_state(vm, &r, &cr2) == 0)
		report(vm, what, &r, cr2);
}

static void describe(struct vmm *vm, const struct vmm_fault_frame *fr, uint64_t cr2, char *what,
		     size_t size)
{
	uint64_t guard = vm->mem.size - vmm_stack_size(vm->mem.size) - VMM_PAGE_SIZE;
	const char *name = fr->vector < VMM_FAULT_VECTORS ? vector_names[fr->vector] : NULL;

	if (fr->vector == 14 && cr2 < VMM_PAGE_SIZE)
		snprintf(what, size, "NULL pointer dereference (page fault on a %s of %#llx)",
			 fr->error & 16	 ? "fetch"
			 : fr->error & 2 ? "write"
					 : "read",
			 (unsigned long long)cr2);
	else if (fr->vector == 14 && cr2 >= guard && cr2 < guard + VMM_PAGE_SIZE)
		snprintf(what, size, "stack overflow (page fault on the guard page at %#llx)",
			 (unsigned long long)cr2);
	else if (fr->vector == 14)
		snprintf(what, size, "page fault (#PF) on a %s of %#llx (%s)",
			 fr->error & 16	 ? "fetch"
			 : fr->error & 2 ? "write"
					 : "read",
			 (unsigned long long)cr2, fr->error & 1 ? "protection" : "not mapped");
	else
		snprintf(what, size, "%s, error code %#llx", name ? name : "exception",
			 (unsigned long long)fr->error);
}

void fault_report_frame(struct vmm *vm)
{
	struct vmm_fault_frame fr;
	struct kvm_regs r;
	uint64_t cr2;
	char what[200];
	const void *p;

	if (get_state(vm, &r, &cr2) < 0)
		return;
	p = gpa_ptr(&vm->mem, r.rsp, sizeof(fr));
	if (!p) {
		report(vm, "fault (frame unreadable)", &r, cr2);
		return;
	}
	memcpy(&fr, p, sizeof(fr));
	/* The registers the CPU and the stub saved are the ones at the fault. */
	r.rax = fr.rax;
	r.rdx = fr.rdx;
	r.rip = fr.rip;
	r.rsp = fr.rsp;
	r.rflags = fr.rflags;
	describe(vm, &fr, cr2, what, sizeof(what));
	report(vm, what, &r, cr2);
}
