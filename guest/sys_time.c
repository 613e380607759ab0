/* sys_time.c: clocks and sleeps; a sleep parks only the calling thread. */
#include <errno.h>
#include <sys/time.h>
#include <time.h>

#include "libos.h"
#include "syscalls.h"
#include "thread.h"

static int clock_ns(long clk, uint64_t *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		*ns = clock_realtime_ns();
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_PROCESS_CPUTIME_ID: /* one process, never descheduled */
	case CLOCK_THREAD_CPUTIME_ID:
		*ns = clock_monotonic_ns();
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_clock_gettime(const long a[6])
{
	struct timespec *ts = (struct timespec *)a[1];
	uint64_t ns;

	if (clock_ns(a[0], &ns))
		return -EINVAL;
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
	return 0;
}

long sys_clock_getres(const long a[6])
{
	struct timespec *ts = (struct timespec *)a[1];
	uint64_t ns;

	if (clock_ns(a[0], &ns))
		return -EINVAL;
	if (ts)
		*ts = (struct timespec){ 0, 1 };
	return 0;
}

long sys_gettimeofday(const long a[6])
{
	struct timeval *tv = (struct timeval *)a[0];
	uint64_t ns = clock_realtime_ns();

	if (tv) {
		tv->tv_sec = (time_t)(ns / 1000000000);
		tv->tv_usec = (long)(ns % 1000000000 / 1000);
	}
	return 0;
}

long sys_time(const long a[6])
{
	time_t t = (time_t)(clock_realtime_ns() / 1000000000);

	if (a[0])
		*(time_t *)a[0] = t;
	return (long)t;
}

/* now + ns, saturating: a huge sleep is a sleep forever, not a wrap. */
static uint64_t after(uint64_t now, uint64_t ns)
{
	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

static int to_ns(const struct timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return -EINVAL;
	*ns = (uint64_t)ts->tv_sec * 1000000000 + (uint64_t)ts->tv_nsec;
	return 0;
}

long sys_nanosleep(const long a[6])
{
	uint64_t ns;

	if (to_ns((const struct timespec *)a[0], &ns))
		return -EINVAL;
	thread_sleep_until(after(clock_monotonic_ns(), ns));
	return 0;
}

long sys_clock_nanosleep(const long a[6])
{
	uint64_t ns, now, mono;

	if (to_ns((const struct timespec *)a[2], &ns) || clock_ns(a[0], &now))
		return -EINVAL;
	mono = clock_monotonic_ns();
	if (a[1] & TIMER_ABSTIME)
		thread_sleep_until(ns > now ? after(mono, ns - now) : mono);
	else
		thread_sleep_until(after(mono, ns));
	return 0;
}

long sys_sched_yield(const long a[6])
{
	(void)a;
	thread_yield();
	return 0;
}
