/* tcp.h: TCP (RFC 9293) inside: the connection block, and what the tcp_*.c files share. */
#ifndef TCP_H
#define TCP_H

#include <stdint.h>
#include <string.h>

#include "inet.h"
#include "net.h"

#define TCP_HLEN   20
#define TCP_MSS	   (ETH_MTU - IP_HLEN - TCP_HLEN) /* 1460: what we announce */
#define TCP_BUF	   (256 * 1024)			  /* send and receive buffers, each */
#define TCP_WSCALE 3				  /* TCP_BUF >> 3 fits in 16 bits */
#define TCP_OOO	   8				  /* out-of-order ranges remembered */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* Sequence space is modular (RFC 9293 3.4): compare by signed distance. */
#define SEQ_LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

static inline uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* A send or receive ring of TCP_BUF bytes: len bytes at pos, wrapping at its end. */
static inline void ring_read(uint8_t *dst, const uint8_t *ring, uint32_t pos, uint32_t len)
{
	uint32_t first = min32(len, TCP_BUF - pos);

	memcpy(dst, ring + pos, first);
	memcpy(dst + first, ring, len - first);
}

static inline void ring_write(uint8_t *ring, uint32_t pos, const uint8_t *src, uint32_t len)
{
	uint32_t first = min32(len, TCP_BUF - pos);

	memcpy(ring + pos, src, first);
	memcpy(ring, src + first, len - first);
}

enum tcp_state {
	TCPS_CLOSED,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
};

/* A segment as parsed: ports and numbers in host order, options decoded. */
struct tcp_seg {
	uint32_t src, dst; /* IPv4 addresses, from the IP header */
	uint16_t sport, dport;
	uint32_t seq, ack, wnd;
	uint8_t flags;
	uint16_t mss; /* 0: no MSS option */
	int wscale;   /* -1: no window scale option */
	int sack_ok;  /* SACK permitted (RFC 2018) */
	int nsack;    /* SACK blocks: what the peer holds beyond a hole */
	uint32_t sack[4][2];
	const uint8_t *data;
	uint32_t len;
};

struct tcb {
	struct sock sock; /* first: the socket layer hands us &sock */
	enum tcp_state state;
	uint32_t lip, rip;
	uint16_t lport, rport;
	int bound;  /* lport is ours (bind, listen, connect) */
	int synced; /* it reached ESTABLISHED once */
	int orphan; /* no socket holds it: closed, or not accepted yet (parent set) */
	int err;    /* the connection failed: ECONNRESET, ECONNREFUSED, ETIMEDOUT */
	int shut_rd;
	struct inet_opts opt;
	struct waitq wq;
	struct tcb *hnext;		 /* the connection table's chain */
	struct tcb *prev, *next;	 /* every connection, or the TIME_WAIT queue */
	struct tcb *parent;		 /* the listener, until accept() */
	struct tcb *qnext;		 /* on the listener's accept queue */
	struct tcb *acc_head, *acc_tail; /* a listener's established, unaccepted children */
	int nacc, nsyn, backlog;

	/* Sending (RFC 9293 3.3.1). The buffer holds what is not acknowledged yet. */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_wnd;
	uint16_t mss;
	uint8_t snd_ws, rcv_ws;
	uint8_t *sbuf;
	uint32_t shead, slen; /* slen bytes from snd_una at sbuf[shead] */
	int fin_wanted, fin_acked;
	uint32_t snd_sml; /* the end of the last segment shorter than an MSS (Minshall) */

	/* Congestion control: RFC 5681 with NewReno recovery (RFC 6582). */
	uint32_t cwnd, ssthresh, recover, acked_ca;
	int dupacks, recovering, dupthresh;
	uint32_t prior_cwnd, prior_ssthresh; /* before the last fast retransmit, for undo */
	uint64_t rexmit_at, rtt_min;	     /* when it was sent; the fastest round trip */

	/* Retransmission timer (RFC 6298), in ns; one segment timed at a time (Karn). */
	uint64_t srtt, rttvar, rto, rtt_start;
	uint32_t rtt_seq;
	int timing, backoff, persist;
	int probes;	  /* zero window probes since the peer last said anything */
	int reorder_wait; /* t_rexmt is the shorter wait of tcp_arm_reorder */

	/* Receiving. The ring holds in-order data (rlen) and, beyond it, out-of-order data. */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: the right edge we announced */
	uint8_t *rbuf;
	uint32_t rhead, rlen;
	struct {
		uint32_t start, end;
	} ooo[TCP_OOO];
	int nooo, fin_rcvd, ack_now;
	int sack_ok;	     /* both sides: our ACKs carry SACK blocks for ooo[] */
	uint32_t ooo_recent; /* start of the range the latest segment went to */
	uint32_t ack_owed;   /* bytes received and not acknowledged yet */

	/* Timers: CLOCK_MONOTONIC ns, 0 when off. */
	uint64_t t_rexmt, t_delack, t_close;
};

/* tcp_conn.c: the connection table, allocation, state changes that free things. */
struct tcb *tcb_new(void);
int tcb_ring(uint8_t **ring); /* t->sbuf or t->rbuf, allocated if need be */
void tcb_hash(struct tcb *t);
struct tcb *tcb_find(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport);
struct tcb *tcb_listener(uint32_t lip, uint16_t lport);
int tcb_port_in_use(uint16_t port, const void *self);
uint32_t tcb_isn(const struct tcb *t);
void tcb_time_wait(struct tcb *t);
void tcb_end_time_wait(struct tcb *t);
void tcb_drop(struct tcb *t, int err); /* to CLOSED: freed now if orphaned */
void tcb_free(struct tcb *t);
void tcb_orphan(struct tcb *t);	       /* the application closed it */
void tcb_changed(struct tcb *t);       /* wake its threads and pollers */
struct tcb *tcb_first(void);	       /* every live connection, for timers */
struct tcb *tcb_time_wait_first(void); /* oldest first */

/* tcp_out.c */
void tcp_output(struct tcb *t);
void tcp_send_ack(struct tcb *t);
void tcp_send_syn(struct tcb *t); /* SYN or SYN-ACK by state, with our options */
void tcp_send_rst(struct tcb *t);
void tcp_reset_reply(const struct tcp_seg *s); /* RST for a segment with no connection */
void tcp_retransmit(struct tcb *t);	       /* the first unacknowledged segment */
void tcp_probe(struct tcb *t);		       /* the persist timer's send */
uint32_t tcp_rcv_window(const struct tcb *t);
void tcp_window_update(struct tcb *t); /* after the app read: tell the peer if it helps */

/* tcp_in.c */
void tcp_enter_recovery(struct tcb *t); /* fast retransmit: resend the hole, halve */
int tcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct tcp_seg *s);

/* tcp_timer.c */
void tcp_timer_set(uint64_t *timer, uint64_t at);
void tcp_arm_rexmt(struct tcb *t);
void tcp_arm_delack(struct tcb *t);
void tcp_arm_orphan(struct tcb *t);
void tcp_arm_reorder(struct tcb *t);
void tcp_rtt_sample(struct tcb *t, uint64_t rtt_ns);

#endif
