/* syscalls.h: the system calls the library OS implements, one list. */
#ifndef SYSCALLS_H
#define SYSCALLS_H

/* Every handler takes the six raw arguments. */
typedef long sys_fn(const long a[6]);

/* clang-format off */
#define SYSCALL_LIST(X)                                                          \
	X(read) X(write) X(readv) X(writev) X(pread64) X(pwrite64) X(preadv)    \
	X(pwritev) X(lseek) X(fsync) X(fdatasync) X(ioctl) X(fstat) X(stat)     \
	X(lstat) X(newfstatat) X(open) X(openat) X(close) X(dup) X(dup2)        \
	X(dup3) X(fcntl) X(access) X(faccessat)                                 \
	X(brk) X(mmap) X(munmap) X(mprotect) X(madvise) X(mremap)               \
	X(clock_gettime) X(clock_getres) X(gettimeofday) X(time) X(nanosleep)  \
	X(clock_nanosleep) X(sched_yield) X(futex) X(membarrier)                \
	X(exit) X(exit_group) X(getpid) X(gettid) X(getppid) X(getuid)          \
	X(geteuid) X(getgid) X(getegid) X(uname) X(getrandom) X(arch_prctl)     \
	X(set_tid_address) X(rt_sigprocmask) X(rt_sigaction) X(kill) X(tkill)   \
	X(tgkill) X(prlimit64) X(sysinfo)                                       \
	X(socket) X(bind) X(listen) X(accept) X(accept4) X(connect)             \
	X(getsockname) X(getpeername) X(sendto) X(recvfrom) X(sendmsg)          \
	X(recvmsg) X(shutdown) X(setsockopt) X(getsockopt) X(poll) X(ppoll)
/* clang-format on */

#define DECLARE(name) sys_fn sys_##name;
SYSCALL_LIST(DECLARE)
#undef DECLARE

#endif
