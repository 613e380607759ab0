/* sys_proc.c: the one process: identity, exit, signals to itself, limits. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "libos.h"
#include "syscalls.h"
#include "thread.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

long sys_exit_group(const long a[6])
{
	hc_exit((int)(a[0] & 0xff));
}

/* One thread ends; the VM ends with the last one (thread_clone.c). */
long sys_exit(const long a[6])
{
	thread_exit((int)a[0]);
}

long sys_getpid(const long a[6])
{
	(void)a;
	return 1;
}

long sys_gettid(const long a[6])
{
	(void)a;
	return thread_id();
}

long sys_set_tid_address(const long a[6])
{
	return thread_set_tid_address((int *)a[0]);
}

long sys_getppid(const long a[6])
{
	(void)a;
	return 0;
}

long sys_getuid(const long a[6])
{
	return sys_getppid(a);
}

long sys_geteuid(const long a[6])
{
	return sys_getppid(a);
}

long sys_getgid(const long a[6])
{
	return sys_getppid(a);
}

long sys_getegid(const long a[6])
{
	return sys_getppid(a);
}

long sys_uname(const long a[6])
{
	struct utsname *u = (struct utsname *)a[0];

	memset(u, 0, sizeof(*u));
	strcpy(u->sysname, "vmm");
	strcpy(u->nodename, "guest");
	strcpy(u->release, "1");
	strcpy(u->version, "vmm guest library OS");
	strcpy(u->machine, "x86_64");
	return 0;
}

long sys_getrandom(const long a[6])
{
	random_fill((void *)a[0], (size_t)a[1]);
	return a[1];
}

/* TLS: CR4.FSGSBASE is on, so ring 3 sets the bases itself. */
long sys_arch_prctl(const long a[6])
{
	unsigned long v;

	switch (a[0]) {
	case ARCH_SET_FS:
		__asm__ volatile("wrfsbase %0" ::"r"(a[1]));
		return 0;
	case ARCH_SET_GS:
		__asm__ volatile("wrgsbase %0" ::"r"(a[1]));
		return 0;
	case ARCH_GET_FS:
		__asm__ volatile("rdfsbase %0" : "=r"(v));
		*(unsigned long *)a[1] = v;
		return 0;
	case ARCH_GET_GS:
		__asm__ volatile("rdgsbase %0" : "=r"(v));
		*(unsigned long *)a[1] = v;
		return 0;
	default:
		return -EINVAL;
	}
}

/* No signal is ever delivered, so masks and handlers are accepted and unused. */
long sys_rt_sigprocmask(const long a[6])
{
	if (a[2])
		memset((void *)a[2], 0, (size_t)a[3]);
	return 0;
}

long sys_rt_sigaction(const long a[6])
{
	return sys_rt_sigprocmask((const long[6]){ 0, 0, a[2], a[3] });
}

/* A signal to ourselves (abort(), raise()) ends the VM as a shell would report it. */
static long self_signal(long sig)
{
	if (sig == 0)
		return 0;
	if (sig < 0 || sig >= 65)
		return -EINVAL;
	console_printf("guest: killed by signal %ld (%s)\n", sig, strsignal((int)sig));
	hc_exit(128 + (int)sig);
}

long sys_kill(const long a[6])
{
	return a[0] == 1 || a[0] == 0 || a[0] == -1 ? self_signal(a[1]) : -ESRCH;
}

/* Any thread's signal (raise() in a thread) ends the whole VM, as on Linux. */
long sys_tkill(const long a[6])
{
	return thread_alive((int)a[0]) ? self_signal(a[1]) : -ESRCH;
}

long sys_tgkill(const long a[6])
{
	return a[0] == 1 && thread_alive((int)a[1]) ? self_signal(a[2]) : -ESRCH;
}

long sys_prlimit64(const long a[6])
{
	struct rlimit *old = (struct rlimit *)a[3];

	if (a[0] != 0 && a[0] != 1)
		return -ESRCH;
	if (!old)
		return 0;
	old->rlim_cur = old->rlim_max = RLIM_INFINITY;
	if (a[1] == RLIMIT_STACK)
		old->rlim_cur = old->rlim_max = vmm_stack_size(boot.mem_size);
	else if (a[1] == RLIMIT_NOFILE)
		old->rlim_cur = old->rlim_max = 1024;
	return 0;
}

long sys_sysinfo(const long a[6])
{
	struct sysinfo *si = (struct sysinfo *)a[0];

	memset(si, 0, sizeof(*si));
	si->uptime = (long)(clock_monotonic_ns() / 1000000000);
	si->totalram = boot.mem_size;
	si->freeram = boot.mem_size - pages_in_use();
	si->procs = (unsigned short)thread_count(); /* Linux counts threads here */
	si->mem_unit = 1;
	return 0;
}
