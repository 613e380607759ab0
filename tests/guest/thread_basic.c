/* thread_basic: musl's pthreads on the library OS's cooperative threads. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/* 100 threads bump one counter under a mutex, yielding in between. */
#define NCOUNTERS 100
#define BUMPS	  50
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int interleaved;

static void *bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < BUMPS; i++) {
		pthread_mutex_lock(&lock);
		long before = counter;
		sched_yield(); /* others run, and block on the mutex */
		if (counter != before)
			interleaved = 1;
		counter = before + 1;
		pthread_mutex_unlock(&lock);
		sched_yield();
	}
	return NULL;
}

static void check_mutex(void)
{
	pthread_t t[NCOUNTERS];
	int created = 0;

	for (int i = 0; i < NCOUNTERS; i++)
		created += pthread_create(&t[i], NULL, bump, NULL) == 0;
	CHECK(created == NCOUNTERS);
	for (int i = 0; i < created; i++)
		pthread_join(t[i], NULL);
	CHECK(counter == (long)NCOUNTERS * BUMPS);
	CHECK(!interleaved);
}

/* Producers and consumers through a small ring, with condition variables. */
#define RING  4
#define ITEMS 2000
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static int ring[RING], head, tail, count;
static long consumed_sum, consumed_n;

static void *produce(void *arg)
{
	int base = (int)(intptr_t)arg;

	for (int i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&lock);
		while (count == RING)
			pthread_cond_wait(&not_full, &lock);
		ring[head++ % RING] = base + i;
		count++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *consume(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (count == 0 && consumed_n < 2 * ITEMS)
			pthread_cond_wait(&not_empty, &lock);
		if (count == 0) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		consumed_sum += ring[tail++ % RING];
		count--;
		if (++consumed_n == 2 * ITEMS)
			pthread_cond_broadcast(&not_empty); /* the other consumer: done */
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
	}
}

static void check_condvar(void)
{
	pthread_t p1, p2, c1, c2;
	long want = 2L * ITEMS * (ITEMS + 1) / 2 + (long)ITEMS * 100000;

	pthread_create(&c1, NULL, consume, NULL);
	pthread_create(&c2, NULL, consume, NULL);
	pthread_create(&p1, NULL, produce, (void *)(intptr_t)0);
	pthread_create(&p2, NULL, produce, (void *)(intptr_t)100000);
	pthread_join(p1, NULL);
	pthread_join(p2, NULL);
	pthread_join(c1, NULL);
	pthread_join(c2, NULL);
	CHECK(consumed_n == 2 * ITEMS && consumed_sum == want);
}

/* Detached threads run and vanish; sysinfo's procs counts live threads. */
static int detached_done;

static void *detached(void *arg)
{
	(void)arg;
	sleep_ms(5);
	pthread_mutex_lock(&lock);
	detached_done++;
	pthread_cond_signal(&not_empty);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int procs(void)
{
	struct sysinfo si;

	sysinfo(&si);
	return si.procs;
}

static void check_detach(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int ok = 1;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 10; i++) {
		ok &= pthread_create(&t, i % 2 ? &attr : NULL, detached, NULL) == 0;
		if (i % 2 == 0)
			ok &= pthread_detach(t) == 0;
	}
	CHECK(ok && procs() == 11);
	pthread_mutex_lock(&lock);
	while (detached_done < 10)
		pthread_cond_wait(&not_empty, &lock);
	pthread_mutex_unlock(&lock);
	sleep_ms(5); /* the last ones still have to return from their start routine */
	CHECK(detached_done == 10 && procs() == 1);
	/* One more ends while main sleeps: its exit finds nobody to run. */
	ok = pthread_create(&t, &attr, detached, NULL) == 0;
	sleep_ms(30);
	CHECK(ok && detached_done == 11 && procs() == 1);
}

/* __thread: each thread has its own, initialized from the TLS image. */
static __thread int tls_value = 42;
static __thread char tls_zero[64];

static void *tls_check(void *arg)
{
	int me = (int)(intptr_t)arg, ok = tls_value == 42 && tls_zero[63] == 0;

	tls_value = me;
	tls_zero[63] = (char)me;
	for (int i = 0; i < 5; i++) {
		sched_yield();
		ok &= tls_value == me && tls_zero[63] == (char)me;
	}
	return ok ? (void *)&tls_value : NULL;
}

static void check_tls(void)
{
	pthread_t t[8];
	void *addr[8];
	int ok = 1;

	tls_value = 7;
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, tls_check, (void *)(intptr_t)(i + 100));
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], &addr[i]);
		ok &= addr[i] != NULL && addr[i] != &tls_value;
		for (int j = 0; j < i; j++)
			ok &= addr[i] != addr[j];
	}
	CHECK(ok);
	CHECK(tls_value == 7);
}

/* Sleeps overlap: the whole takes about the longest, not the sum. */
static void *sleeper(void *arg)
{
	sleep_ms((long)(intptr_t)arg);
	return arg;
}

static void check_sleep(void)
{
	pthread_t t[5];
	long long t0 = now_ns(), ms;

	for (int i = 0; i < 5; i++)
		pthread_create(&t[i], NULL, sleeper, (void *)(intptr_t)(40 + 40 * i));
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	ms = (now_ns() - t0) / 1000000;
	printf("     5 sleeps of 40..200 ms took %lld ms\n", ms);
	CHECK(ms >= 200 && ms < 400); /* the sum is 600 */
}

/* A value through pthread_join, and thread ids. */
static void *doubler(void *arg)
{
	long tid = syscall(SYS_gettid);

	return (void *)((intptr_t)arg * 2 + (tid > 1 && tid != getpid() ? 0 : 1));
}

static void check_join_value(void)
{
	pthread_t t;
	void *res = NULL;

	CHECK(syscall(SYS_gettid) == 1);
	CHECK(pthread_create(&t, NULL, doubler, (void *)21) == 0 && pthread_join(t, &res) == 0 &&
	      res == (void *)42);
}

/* Thousands of threads come and go; memory does not drift. */
static void *nothing(void *arg)
{
	return arg;
}

static unsigned long freeram(void)
{
	struct sysinfo si;

	sysinfo(&si);
	return si.freeram * si.mem_unit;
}

static void check_churn(void)
{
	unsigned long before, after;
	pthread_t t;
	int ok = 1;

	pthread_create(&t, NULL, nothing, NULL); /* warm up: the first control blocks */
	pthread_join(t, NULL);
	before = freeram();
	for (int i = 0; i < 2000; i++) {
		void *res = NULL;

		ok &= pthread_create(&t, NULL, nothing, (void *)(intptr_t)i) == 0;
		ok &= pthread_join(t, &res) == 0 && res == (void *)(intptr_t)i;
	}
	after = freeram();
	printf("     freeram before %lu, after %lu\n", before, after);
	CHECK(ok);
	CHECK(after + 4 * 4096 >= before);
}

/* A barrier, several rounds: no one gets ahead, one is the serial thread. */
#define NBARRIER 8
#define ROUNDS	 20
static pthread_barrier_t barrier;
static int arrived[ROUNDS], serial[ROUNDS], barrier_bad;

static void *barrier_run(void *arg)
{
	(void)arg;
	for (int r = 0; r < ROUNDS; r++) {
		arrived[r]++;
		if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
			serial[r]++;
		if (arrived[r] != NBARRIER)
			barrier_bad = 1;
		sched_yield();
	}
	return NULL;
}

static void check_barrier(void)
{
	pthread_t t[NBARRIER];
	int ok = 1;

	pthread_barrier_init(&barrier, NULL, NBARRIER);
	for (int i = 0; i < NBARRIER; i++)
		pthread_create(&t[i], NULL, barrier_run, NULL);
	for (int i = 0; i < NBARRIER; i++)
		pthread_join(t[i], NULL);
	for (int r = 0; r < ROUNDS; r++)
		ok &= serial[r] == 1;
	CHECK(ok && !barrier_bad);
	pthread_barrier_destroy(&barrier);
}

/* Timeouts: a condition nobody signals, a mutex nobody releases. */
static void *hold_lock(void *arg)
{
	pthread_mutex_lock(&lock);
	sleep_ms((long)(intptr_t)arg);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void check_timeouts(void)
{
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec at;
	long long t0 = now_ns();
	pthread_t t;
	int r;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_nsec += 30000000;
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	r = pthread_cond_timedwait(&c, &lock, &at);
	pthread_mutex_unlock(&lock);
	CHECK(r == ETIMEDOUT && now_ns() - t0 >= 30000000);

	pthread_create(&t, NULL, hold_lock, (void *)100);
	sleep_ms(10);
	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_nsec = (at.tv_nsec + 20000000) % 1000000000;
	at.tv_sec += at.tv_nsec < 20000000;
	CHECK(pthread_mutex_timedlock(&lock, &at) == ETIMEDOUT);
	pthread_join(t, NULL);
	CHECK(pthread_mutex_trylock(&lock) == 0 && pthread_mutex_unlock(&lock) == 0);
}

int main(void)
{
	check_join_value();
	check_mutex();
	check_condvar();
	check_detach();
	check_tls();
	check_sleep();
	check_churn();
	check_barrier();
	check_timeouts();
	printf("%s\n", failures ? "FAIL" : "all ok");
	return failures ? 1 : 0;
}
