/* frames_stubs.c: the library OS under the guest's network stack, for the host: a clock the
 * input drives, fixed randomness, a page allocator that checks its callers, threads that
 * never block, and a NIC whose every frame is checked. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "frames.h"
#include "libos.h"
#include "net.h"
#include "sock.h"

#define PAGE	  4096
#define MAX_ALLOC 1024 /* live page allocations: far more than any input makes */

struct net_if net_if;
uint64_t frames_now;
int frames_tx_full;
size_t frames_pages;
unsigned frames_parks;
int frames_tx_held;

static struct {
	void *p;
	size_t len;
} allocs[MAX_ALLOC];

void frames_libos_reset(void)
{
	static const uint8_t mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	memcpy(net_if.mac, mac, ETH_ALEN);
	net_if.ip = FRAMES_IP;
	net_if.prefix = 24;
	net_if.mask = 0xffffff00u;
	net_if.gw = FRAMES_GW;
	frames_now = FRAMES_CLOCK_START;
	frames_tx_full = 0;
	frames_parks = 0;
	frames_tx_held = 0;
}

uint64_t clock_monotonic_ns(void)
{
	return frames_now;
}

/* Zeros: ISNs and ephemeral ports (the first is 32768) are the same on every run, so a
 * crash reproduces from its input alone. */
void random_fill(void *buf, size_t len)
{
	memset(buf, 0, len);
}

void *pages_alloc(size_t len)
{
	void *p;
	int i;

	for (i = 0; i < MAX_ALLOC && allocs[i].p; i++)
		;
	CHECK(i < MAX_ALLOC);
	if (posix_memalign(&p, PAGE, len))
		return NULL;
	memset(p, 0, len);
	allocs[i].p = p;
	allocs[i].len = len;
	frames_pages += len;
	return p;
}

/* The caller must name a live allocation and its exact length, as pages.c needs. */
int pages_free(void *p, size_t len)
{
	int i;

	for (i = 0; i < MAX_ALLOC && allocs[i].p != p; i++)
		;
	CHECK(i < MAX_ALLOC && allocs[i].len == len);
	allocs[i].p = NULL;
	frames_pages -= len;
	free(p);
	return 0;
}

void console_printf(const char *fmt, ...)
{
	(void)fmt; /* the stack's chatter would drown libFuzzer's */
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_frames: guest panic: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

/* Every socket call the harness makes is non-blocking: a park would be a wait forever. */
int thread_park(struct waitq *wq, uint64_t deadline_ns)
{
	(void)wq;
	(void)deadline_ns;
	frames_parks++;
	return -ETIMEDOUT;
}

void thread_wake_one(struct waitq *wq)
{
	(void)wq;
}

void thread_wake_all(struct waitq *wq)
{
	(void)wq;
}

void sock_changed(void)
{
}

/* Batching of tx kicks: only the balance matters here. */
void net_tx_hold(void)
{
	frames_tx_held++;
}

void net_tx_release(void)
{
	CHECK(frames_tx_held > 0);
	frames_tx_held--;
}

int net_dev_send(const uint8_t *eth_hdr, const void *payload, size_t len)
{
	frames_check_frame(eth_hdr, payload, len);
	return frames_tx_full ? -EAGAIN : 0;
}
