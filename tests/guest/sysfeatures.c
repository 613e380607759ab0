/* sysfeatures: the system calls the library OS promises, each checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static __thread int tls_value = 7;

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void check_time(void)
{
	long long t0 = now_ns(CLOCK_MONOTONIC), t1;
	struct timespec req = { 0, 20 * 1000 * 1000 };

	CHECK(nanosleep(&req, NULL) == 0);
	t1 = now_ns(CLOCK_MONOTONIC);
	CHECK(t1 - t0 >= 20 * 1000 * 1000);
	CHECK(t1 - t0 < 2000LL * 1000 * 1000);
	CHECK(time(NULL) > 0);
}

static void check_memory(void)
{
	size_t big = 8 << 20;
	char *p = malloc(big), *q;
	void *m;

	CHECK(p != NULL);
	if (!p)
		return;
	memset(p, 0xa5, big);
	q = realloc(p, 2 * big);
	CHECK(q != NULL && (unsigned char)q[big - 1] == 0xa5);
	free(q);
	m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED && ((char *)m)[12345] == 0);
	if (m != MAP_FAILED) {
		memset(m, 1, 1 << 20);
		CHECK(munmap(m, 1 << 20) == 0);
	}
	m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED && ((char *)m)[4096] == 0); /* reused pages come back zeroed */
	CHECK(mmap(NULL, 1ULL << 40, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	CHECK(sbrk(0) != (void *)-1);
}

static void check_misc(void)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 };
	struct utsname u;
	char c;

	CHECK(getrandom(a, sizeof(a), 0) == sizeof(a));
	CHECK(getrandom(b, sizeof(b), 0) == sizeof(b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(uname(&u) == 0 && strcmp(u.machine, "x86_64") == 0);
	CHECK(getpid() > 0);
	CHECK(read(0, &c, 1) == 0);
	CHECK(isatty(1) == 0);
	CHECK(tls_value == 7);
	tls_value++;
	CHECK(tls_value == 8);
	CHECK(write(2, "stderr works\n", 13) == 13);
}

int main(void)
{
	check_time();
	check_memory();
	check_misc();
	printf(failures ? "%d FAILED\n" : "all ok\n", failures);
	return failures ? 1 : 0;
}
