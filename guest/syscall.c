/* syscall.c: the ring-3 system call dispatcher; unknown calls get ENOSYS. */
#include <errno.h>
#include <sys/syscall.h>

#include "libos.h"
#include "syscalls.h"

#define NSYSCALLS 512

static sys_fn *const table[NSYSCALLS] = {
#define ENTRY(name) [SYS_##name] = sys_##name,
	SYSCALL_LIST(ENTRY)
#undef ENTRY
};

static const char *const names[NSYSCALLS] = {
#include "syscall_names.h"
};

static uint64_t logged[NSYSCALLS / 64];

/* The first use of each missing call is logged, so ports find gaps fast. */
static long enosys(long nr)
{
	unsigned long n = (unsigned long)nr;

	if (n < NSYSCALLS && logged[n / 64] >> (n % 64) & 1)
		return -ENOSYS;
	if (n < NSYSCALLS)
		logged[n / 64] |= 1ULL << (n % 64);
	console_printf("guest: syscall %ld (%s) is not implemented, returning ENOSYS\n", nr,
		       n < NSYSCALLS && names[n] ? names[n] : "unknown");
	return -ENOSYS;
}

long guest_syscall(long a1, long a2, long a3, long a4, long a5, long a6, long nr)
{
	const long a[6] = { a1, a2, a3, a4, a5, a6 };

	if ((unsigned long)nr < NSYSCALLS && table[nr])
		return table[nr](a);
	return enosys(nr);
}
