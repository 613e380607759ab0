/* frames.h: what fuzz_frames.c and its helpers share: the fake library OS's knobs, the
 * checks on what the stack sends, and the glue that reaches into eth.c. */
#ifndef FRAMES_H
#define FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FRAMES_IP	   0x0a000002u /* 10.0.0.2/24, gateway 10.0.0.1 */
#define FRAMES_GW	   0x0a000001u
#define FRAMES_CLOCK_START 1000000000000ULL /* 1000 s: timers use 0 as "off" */

/* A failed invariant: a finding, reported like a sanitizer's (abort, then a reproducer). */
#define CHECK(c)                                                                            \
	do {                                                                                \
		if (!(c)) {                                                                 \
			fprintf(stderr, "fuzz_frames: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                              \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* frames_input.c: a frame for eth_input, fixed up as FIX_ says; repeats of the last one. */
enum { FIX_CSUM = 1, FIX_DST = 2, FIX_LEN = 4, FIX_REL = 8 };
void frames_deliver(const uint8_t *p, size_t n, unsigned fix);
void frames_repeat(unsigned count, int next_port);
void frames_input_reset(void);

/* frames_stubs.c: the library OS around the stack. */
extern uint64_t frames_now;   /* clock_monotonic_ns() */
extern int frames_tx_full;    /* net_dev_send() answers -EAGAIN, as a full tx ring */
extern size_t frames_pages;   /* bytes from pages_alloc() not freed yet */
extern unsigned frames_parks; /* thread_park() calls: the harness never blocks */
extern int frames_tx_held;    /* net_tx_hold() depth: 0 between steps */
void frames_libos_reset(void);

/* FRAMES_TRACE=1 in the environment: each step and each segment sent, on stderr. */
extern int frames_trace;

/* frames_check.c: every packet and frame the stack sends is checked as it goes. */
void frames_check_reset(void);
void frames_check_packet(const uint8_t *p, size_t len); /* an IPv4 packet, before ARP */
void frames_check_frame(const uint8_t *eth_hdr, const uint8_t *payload, size_t len);
int frames_fin_sent(uint32_t rip, uint16_t lport, uint16_t rport);
uint16_t frames_csum(const uint8_t *p, size_t len, uint64_t sum);
uint64_t frames_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len);
uint8_t frames_pattern(uint32_t stream_off); /* what the harness's senders write */

/* frames_tcb.c: TCP's invariants over every connection, after each step. */
void frames_check_tcbs(void);

/* frames_eth.c: eth.c's static ARP cache, emptied before each input. */
void frames_eth_reset(void);

#endif
