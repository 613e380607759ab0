/* run.c: run the vCPU until the guest exits, crashes, times out or is stopped. */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"

struct runner {
	struct vmm *vm;
	struct vmm_result *res;
	double deadline_ns; /* 0: none */
	timer_t timer;
	int has_timer;
};

void vmm_stop(struct vmm *vm)
{
	int tid;

	atomic_store(&vm->stop, 1);
	tid = atomic_load(&vm->vcpu_tid);
	if (tid)
		syscall(SYS_tgkill, getpid(), tid, VMM_KICK_SIGNAL);
}

/* Arms a one-shot timer that kicks this thread out of KVM_RUN. */
static int arm_timeout(struct runner *r)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = VMM_KICK_SIGNAL };
	uint64_t ms = r->vm->cfg.timeout_ms;
	struct itimerspec its = { .it_value = { (time_t)(ms / 1000),
						(long)(ms % 1000) * 1000000 } };

	if (!ms)
		return 0;
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	r->deadline_ns = vmm_now_ns() + (double)ms * 1e6;
	if (timer_create(CLOCK_MONOTONIC, &ev, &r->timer) < 0)
		return -1;
	r->has_timer = 1;
	return timer_settime(r->timer, 0, &its, NULL);
}

/* KVM_RUN unblocks the kick signal; everywhere else the thread blocks it. */
static int set_run_mask(struct vmm *vm, const sigset_t *thread_mask)
{
	struct {
		struct kvm_signal_mask hdr;
		uint8_t set[8];
	} m = { .hdr.len = 8 };
	sigset_t run_mask = *thread_mask;

	sigdelset(&run_mask, VMM_KICK_SIGNAL);
	memcpy(m.set, &run_mask, 8);
	return ioctl(vm->vcpu_fd, KVM_SET_SIGNAL_MASK, &m);
}

/* After a kick: 1 if the run must end (outcome set), 0 if it was stale. */
static int kicked(struct runner *r)
{
	struct signalfd_siginfo si;

	while (read(r->vm->sig_fd, &si, sizeof(si)) == sizeof(si))
		;
	if (atomic_load(&r->vm->stop)) {
		r->res->outcome = VMM_OUT_STOPPED;
		return 1;
	}
	if (r->deadline_ns && vmm_now_ns() >= r->deadline_ns) {
		r->res->outcome = VMM_OUT_TIMEOUT;
		return 1;
	}
	return 0;
}

static uint32_t io_value(const struct kvm_run *run)
{
	const uint8_t *p = (const uint8_t *)run + run->io.data_offset;
	uint32_t v = 0;

	memcpy(&v, p, run->io.size <= 4 ? run->io.size : 4);
	return v;
}

/* A register access to a device; 0 if there is no device there. */
static int mmio(struct vmm *vm, struct kvm_run *run)
{
	uint64_t off;
	struct virtio_dev *d = devices_at(vm, run->mmio.phys_addr, &off);

	if (!d || run->mmio.len > 8)
		return 0;
	virtio_mmio_access(d, off, run->mmio.data, run->mmio.len, run->mmio.is_write);
	return 1;
}

/* One exit; 1 when the run is over (res->outcome set). */
static int handle_exit(struct runner *r)
{
	struct vmm *vm = r->vm;
	struct kvm_run *run = vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.direction != KVM_EXIT_IO_OUT || run->io.count != 1) {
			fault_report(vm, "%s on port %#x, which takes one `out`",
				     run->io.direction == KVM_EXIT_IO_IN ? "`in`"
									 : "a string `out`",
				     run->io.port);
			break;
		}
		switch (hc_dispatch(vm, run->io.port, io_value(run), &r->res->status)) {
		case HC_CONTINUE:
			return 0;
		case HC_STOP:
			return kicked(r);
		case HC_EXIT:
			r->res->outcome = VMM_OUT_EXIT;
			return 1;
		case HC_FAULT:
			break;
		}
		break;
	case KVM_EXIT_MMIO:
		if (mmio(vm, run))
			return 0;
		fault_report(vm, "MMIO %s of %u bytes at %#llx, where there is no device",
			     run->mmio.is_write ? "write" : "read", run->mmio.len,
			     (unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_SHUTDOWN:
		fault_report(vm, "triple fault (shutdown)");
		break;
	case KVM_EXIT_HLT:
		fault_report(vm, "halt");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fault_report(vm, "KVM internal error, suberror %u", run->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fault_report(vm, "failed entry, hardware reason %#llx",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		fault_report(vm, "unexpected exit reason %u", run->exit_reason);
		break;
	}
	r->res->outcome = VMM_OUT_FAULT;
	return 1;
}

static double guest_us(const struct vmm *vm, uint64_t tsc)
{
	double ns;

	if (!tsc || tsc < vm->boot_tsc)
		return 0;
	ns = vm->boot_ns + (double)(tsc - vm->boot_tsc) * 1e6 / vm->tsc_khz;
	return (ns - vm->t0_ns) / 1e3;
}

static void finish_timings(struct vmm *vm, struct vmm_timings *t)
{
	const struct vmm_boot_record *br = gpa_ptr(&vm->mem, vm->img.note.boot_record, sizeof(*br));

	*t = vm->timings;
	t->exited = (vmm_now_ns() - vm->t0_ns) / 1e3;
	if (br) {
		t->first_instruction = guest_us(vm, br->tsc_entry);
		t->main_entered = guest_us(vm, br->tsc_main);
	}
}

int run_loop(struct vmm *vm, struct vmm_result *res)
{
	struct runner r = { .vm = vm, .res = res };
	int rc = 0;

	if (arm_timeout(&r) < 0) {
		res->outcome = VMM_OUT_ERROR;
		rc = vmm_fail(&res->error, VMM_ERR_HOST, "timer_create: %s", strerror(errno));
	} else if ((rc = iothread_start(vm)) < 0) {
		res->outcome = VMM_OUT_ERROR;
		vmm_fail(&res->error, VMM_ERR_HOST, "I/O thread: %s", strerror(-rc));
	}
	while (!rc && !atomic_load(&vm->stop)) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) == 0) {
			if (handle_exit(&r))
				break;
		} else if (errno == EINTR || errno == EAGAIN) {
			if (kicked(&r))
				break;
		} else {
			res->outcome = VMM_OUT_ERROR;
			rc = vmm_fail(&res->error, VMM_ERR_HOST, "KVM_RUN: %s", strerror(errno));
		}
	}
	if (atomic_load(&vm->stop) && res->outcome != VMM_OUT_EXIT)
		res->outcome = VMM_OUT_STOPPED;
	iothread_stop(vm);
	if (r.has_timer)
		timer_delete(r.timer);
	finish_timings(vm, &res->timings);
	return rc;
}

int vmm_run(struct vmm *vm, struct vmm_result *res)
{
	sigset_t kick, old;
	int rc;

	memset(res, 0, sizeof(*res));
	if (vm->ran) {
		res->outcome = VMM_OUT_ERROR;
		return vmm_fail(&res->error, VMM_ERR_CONFIG, "a VM runs only once");
	}
	vm->ran = true;
	sigemptyset(&kick);
	sigaddset(&kick, VMM_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	vm->sig_fd = signalfd(-1, &kick, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->sig_fd < 0 || set_run_mask(vm, &old) < 0) {
		res->outcome = VMM_OUT_ERROR;
		rc = vmm_fail(&res->error, VMM_ERR_HOST, "signal setup: %s", strerror(errno));
	} else {
		atomic_store(&vm->vcpu_tid, (int)syscall(SYS_gettid));
		rc = run_loop(vm, res);
		atomic_store(&vm->vcpu_tid, 0);
	}
	/* Drop a kick that raced with the end of the run before unblocking. */
	while (sigtimedwait(&kick, NULL, &(struct timespec){ 0, 0 }) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
