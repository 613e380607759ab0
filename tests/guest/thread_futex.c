/* thread_futex: the raw futex operations, thread ids and signals between
 * threads, and a main thread that exits before the others. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define FUTEX_WAIT	     0
#define FUTEX_WAKE	     1
#define FUTEX_REQUEUE	     3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256

static long futex(volatile int *addr, int op, int val, const void *ts, volatile int *addr2,
		  int val3)
{
	return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec at(clockid_t clk, long long ns_from_now)
{
	long long t = now_ns(clk) + ns_from_now;

	return (struct timespec){ (time_t)(t / 1000000000), (long)(t % 1000000000) };
}

static void check_timeouts(void)
{
	static volatile int word;
	struct timespec rel = { 0, 20000000 }, abs;
	long long t0 = now_ns(CLOCK_MONOTONIC);

	CHECK(futex(&word, FUTEX_WAIT, 1, NULL, NULL, 0) == -1 && errno == EAGAIN);
	CHECK(futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, &rel, NULL, 0) == -1 &&
	      errno == ETIMEDOUT && now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	abs = at(CLOCK_MONOTONIC, 20000000);
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK(futex(&word, FUTEX_WAIT_BITSET, 0, &abs, NULL, -1) == -1 && errno == ETIMEDOUT &&
	      now_ns(CLOCK_MONOTONIC) - t0 >= 15000000);
	abs = at(CLOCK_REALTIME, 20000000);
	CHECK(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, -1) == -1 &&
	      errno == ETIMEDOUT &&
	      now_ns(CLOCK_REALTIME) >= abs.tv_sec * 1000000000LL + abs.tv_nsec);
	abs = at(CLOCK_MONOTONIC, -1000);
	CHECK(futex(&word, FUTEX_WAIT_BITSET, 0, &abs, NULL, -1) == -1 && errno == ETIMEDOUT);
	CHECK(futex(&word, FUTEX_WAIT_BITSET, 0, &abs, NULL, 0) == -1 && errno == EINVAL);
	CHECK(futex((volatile int *)((char *)&word + 1), FUTEX_WAKE, 1, NULL, NULL, 0) == -1 &&
	      errno == EINVAL);
}

/* Waiters: each parks on its word with its bitset, then counts its wake. */
static volatile int word_a, word_b, woken;

struct waiter {
	volatile int *addr;
	int bitset;
};

static void *wait_word(void *arg)
{
	struct waiter *w = arg;

	if (futex(w->addr, FUTEX_WAIT_BITSET, 0, NULL, NULL, w->bitset) == 0)
		woken++;
	return NULL;
}

static void start(pthread_t *t, int n, volatile int *addr, int bitset, struct waiter *w)
{
	*w = (struct waiter){ addr, bitset };
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, wait_word, w);
	sched_yield(); /* each runs to its futex wait */
}

static void join(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void check_wake(void)
{
	pthread_t t[3], u;
	struct waiter w1, w2;

	start(t, 3, &word_a, -1, &w1);
	CHECK(futex(&word_a, FUTEX_WAKE, 2, NULL, NULL, 0) == 2);
	CHECK(futex(&word_a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) == 1);
	join(t, 3);
	CHECK(woken == 3);

	start(t, 1, &word_a, 1, &w1);
	start(&u, 1, &word_a, 2, &w2);
	CHECK(futex(&word_a, FUTEX_WAKE_BITSET, INT_MAX, NULL, NULL, 2) == 1);
	pthread_join(u, NULL);
	CHECK(futex(&word_a, FUTEX_WAKE_BITSET, INT_MAX, NULL, NULL, 4) == 0);
	CHECK(futex(&word_a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) == 1);
	join(t, 1);
	CHECK(woken == 5);
}

static void check_requeue(void)
{
	pthread_t t[3];
	struct waiter w;

	woken = 0;
	start(t, 3, &word_a, -1, &w);
	CHECK(futex(&word_a, FUTEX_CMP_REQUEUE, 0, (void *)2, &word_b, 1) == -1 && errno == EAGAIN);
	CHECK(futex(&word_a, FUTEX_REQUEUE, 1, (void *)2, &word_b, 0) == 3);
	CHECK(futex(&word_a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) == 0);
	CHECK(futex(&word_b, FUTEX_CMP_REQUEUE, 0, (void *)1, &word_a, 0) == 1);
	CHECK(futex(&word_b, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) == 1);
	CHECK(futex(&word_a, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) == 1);
	join(t, 3);
	CHECK(woken == 3);
}

static void *tid_of(void *arg)
{
	(void)arg;
	return (void *)syscall(SYS_gettid);
}

static void check_ids(void)
{
	pthread_t t1, t2;
	void *a, *b;

	pthread_create(&t1, NULL, tid_of, NULL);
	pthread_create(&t2, NULL, tid_of, NULL);
	pthread_join(t1, &a);
	pthread_join(t2, &b);
	CHECK((long)a > 1 && (long)b == (long)a + 1);
	CHECK(syscall(SYS_tkill, syscall(SYS_gettid), 0) == 0);
	CHECK(syscall(SYS_tkill, (long)b, 0) == -1 && errno == ESRCH);
	CHECK(syscall(SYS_membarrier, 0, 0) > 0);
}

/* Main leaves first; the last thread ends the VM with its own status. */
static void *last_one(void *arg)
{
	struct sysinfo si;
	struct timespec ts = { 0, 10000000 };

	(void)arg;
	nanosleep(&ts, NULL);
	sysinfo(&si);
	CHECK(si.procs == 1);
	printf("%s\n", failures ? "FAIL" : "all ok");
	fflush(stdout);
	syscall(SYS_exit, failures ? 1 : 0); /* the thread's exit: the last one's ends the VM */
	return NULL;
}

int main(void)
{
	pthread_t t;

	check_timeouts();
	check_wake();
	check_requeue();
	check_ids();
	pthread_create(&t, NULL, last_one, NULL);
	pthread_exit(NULL);
}
