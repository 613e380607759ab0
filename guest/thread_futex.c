/* thread_futex.c: futex(2) and membarrier(2) for cooperative threads. */
#include <errno.h>
#include <time.h>

#include "libos.h"
#include "syscalls.h"
#include "thread.h"

/* <linux/futex.h>, which musl's headers do not carry. */
#define FUTEX_WAIT	       0
#define FUTEX_WAKE	       1
#define FUTEX_REQUEUE	       3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define NBUCKETS 64

/*
 * A parked futex waiter, on its own stack. One address space, so every
 * futex is private: the key is the address. A waker finds waiters through
 * the address's bucket and unlinks them; a waiter still linked when
 * thread_park returns has timed out and unlinks itself.
 */
struct waiter {
	struct waiter *prev, *next; /* in the bucket, oldest first */
	const volatile int *addr;
	uint32_t bitset;
	int linked;
	struct waitq wq; /* this thread alone */
};

static struct bucket {
	struct waiter *first, *last;
} buckets[NBUCKETS];

static struct bucket *bucket_of(const volatile int *addr)
{
	return &buckets[(uint64_t)(uintptr_t)addr * 0x9e3779b97f4a7c15ULL >> 58];
}

static void enqueue(struct waiter *w)
{
	struct bucket *b = bucket_of(w->addr);

	w->next = NULL;
	w->prev = b->last;
	if (b->last)
		b->last->next = w;
	else
		b->first = w;
	b->last = w;
	w->linked = 1;
}

static void dequeue(struct waiter *w)
{
	struct bucket *b = bucket_of(w->addr);

	if (w->prev)
		w->prev->next = w->next;
	else
		b->first = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		b->last = w->prev;
	w->linked = 0;
}

static long wait_on(volatile int *addr, int val, uint64_t deadline, uint32_t bitset)
{
	struct waiter w = { .addr = addr, .bitset = bitset };
	int r;

	if (*addr != val)
		return -EAGAIN;
	if (deadline && deadline <= clock_monotonic_ns())
		return -ETIMEDOUT;
	enqueue(&w);
	r = thread_park(&w.wq, deadline);
	if (w.linked)
		dequeue(&w);
	return r;
}

int futex_wake(const volatile int *addr, int n, uint32_t bitset)
{
	struct waiter *w, *next;
	int woken = 0;

	for (w = bucket_of(addr)->first; w && woken < n; w = next) {
		next = w->next; /* w belongs to its thread once woken */
		if (w->addr != addr || !(w->bitset & bitset))
			continue;
		dequeue(w);
		thread_wake_one(&w->wq);
		woken++;
	}
	return woken;
}

/* Wakes up to nwake, moves up to nmove of the rest to addr2 (musl's
 * condition variables hand a signaled waiter to the mutex this way). */
static long requeue(volatile int *addr, int nwake, int nmove, volatile int *addr2)
{
	struct waiter *w, *next, *moved = NULL;
	int woken = futex_wake(addr, nwake, FUTEX_BITSET_MATCH_ANY), n = 0;

	for (w = bucket_of(addr)->first; w && n < nmove; w = next) {
		next = w->next;
		if (w->addr != addr)
			continue;
		dequeue(w);
		w->next = moved; /* collected first: addr2 may share the bucket */
		moved = w;
		n++;
	}
	/* moved is newest first; re-queue in arrival order. */
	for (w = NULL; moved; moved = next) {
		next = moved->next;
		moved->next = w;
		w = moved;
	}
	for (; w; w = next) {
		next = w->next;
		w->addr = addr2;
		enqueue(w);
	}
	return woken + n;
}

static int timespec_ns(const struct timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return -EINVAL;
	*ns = (uint64_t)ts->tv_sec * 1000000000 + (uint64_t)ts->tv_nsec;
	return 0;
}

/* A CLOCK_MONOTONIC deadline from a relative or absolute timeout; 0: none. */
static int deadline_of(const struct timespec *ts, int absolute, int realtime, uint64_t *dl)
{
	uint64_t ns, now = clock_monotonic_ns(), real;

	*dl = 0;
	if (!ts)
		return 0;
	if (timespec_ns(ts, &ns))
		return -EINVAL;
	if (absolute && realtime) {
		real = clock_realtime_ns();
		ns = ns > real ? ns - real : 0;
		absolute = 0;
	}
	if (!absolute)
		ns = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
	*dl = ns ? ns : 1;
	return 0;
}

long sys_futex(const long a[6])
{
	volatile int *addr = (volatile int *)a[0];
	int op = (int)a[1] & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	int realtime = (int)a[1] & FUTEX_CLOCK_REALTIME, val = (int)a[2];
	uint32_t bitset = (uint32_t)a[5];
	uint64_t dl;

	if ((uintptr_t)addr < 4096)
		return -EFAULT;
	if ((uintptr_t)addr % 4)
		return -EINVAL;
	switch (op) {
	case FUTEX_WAIT:
		bitset = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAIT_BITSET:
		if (!bitset || deadline_of((const struct timespec *)a[3], op == FUTEX_WAIT_BITSET,
					   realtime, &dl))
			return -EINVAL;
		return wait_on(addr, val, dl, bitset);
	case FUTEX_WAKE:
		return futex_wake(addr, val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return bitset ? futex_wake(addr, val, bitset) : -EINVAL;
	case FUTEX_CMP_REQUEUE:
		if (*addr != (int)a[5])
			return -EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE:
		if ((uintptr_t)a[4] % 4 || (uintptr_t)a[4] < 4096)
			return -EINVAL;
		return requeue(addr, val, (int)a[3], (volatile int *)a[4]);
	default:
		return -ENOSYS;
	}
}

#define MEMBARRIER_CMD_QUERY			  0
#define MEMBARRIER_CMD_GLOBAL			  1
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED	  8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16

/* One vCPU and cooperative threads: by the time anyone else runs, every
 * store is visible, so each barrier is already done. musl registers one
 * when its first thread starts. */
long sys_membarrier(const long a[6])
{
	const long known = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
			   MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;

	if (a[0] == MEMBARRIER_CMD_QUERY)
		return known;
	return a[0] & known && !(a[0] & (a[0] - 1)) ? 0 : -EINVAL;
}
