/* tcp_out.c: TCP's sending side: segments, the send loop (windows, Nagle, sender
 * SWS avoidance), the window we announce, ACKs, resets and probes. */
#include <errno.h>
#include <string.h>

#include "libos.h"
#include "tcp.h"

#define OPT_MAX	    40
#define SACK_BLOCKS 4 /* 2 + 4 * 8 bytes, after two NOPs: all 40 bytes of options */

/* One segment's fields; its data, if any, is the sending ring's [off, off + len). */
struct out {
	uint32_t dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint8_t opt[OPT_MAX];
	size_t optlen;
	const uint8_t *ring;
	uint32_t off, len;
};

static int tx_stalled; /* a segment found every tx slot busy */

/* A SYN offers MSS, window scaling and SACK; a SYN-ACK answers only what was offered. */
static size_t syn_options(const struct tcb *t, uint8_t *p)
{
	int active = t->state == TCPS_SYN_SENT;
	size_t n = 4;

	p[0] = 2; /* MSS */
	p[1] = 4;
	put16(p + 2, TCP_MSS);
	if (active || t->rcv_ws) {
		memcpy(p + n, (const uint8_t[]){ 1, 3, 3, TCP_WSCALE }, 4); /* NOP, scale */
		n += 4;
	}
	if (active || t->sack_ok) {
		memcpy(p + n, (const uint8_t[]){ 1, 1, 4, 2 }, 4); /* NOP, NOP, SACK permitted */
		n += 4;
	}
	return n;
}

static void put_block(uint8_t *p, uint32_t start, uint32_t end)
{
	put32(p, start);
	put32(p + 4, end);
}

/* RFC 2018: what we hold beyond a hole, the latest segment's block first. */
static size_t sack_options(const struct tcb *t, uint8_t *p)
{
	size_t n = 4;
	int first = -1;

	for (int i = 0; i < t->nooo; i++)
		if (t->ooo[i].start == t->ooo_recent)
			first = i;
	if (first >= 0) {
		put_block(p + n, t->ooo[first].start, t->ooo[first].end);
		n += 8;
	}
	for (int i = 0; i < t->nooo && n < 4 + 8 * SACK_BLOCKS; i++)
		if (i != first) {
			put_block(p + n, t->ooo[i].start, t->ooo[i].end);
			n += 8;
		}
	memcpy(p, (const uint8_t[]){ 1, 1, 5, (uint8_t)(n - 2) }, 4);
	return n;
}

/* 0, or -EAGAIN when every tx slot is busy: nothing left, the caller tries later. */
static int emit(const struct out *o)
{
	static uint8_t seg[TCP_HLEN + OPT_MAX + TCP_MSS];
	size_t hlen = TCP_HLEN + o->optlen;

	memcpy(seg + TCP_HLEN, o->opt, o->optlen);
	put16(seg, o->sport);
	put16(seg + 2, o->dport);
	put32(seg + 4, o->seq);
	put32(seg + 8, o->ack);
	seg[12] = (uint8_t)(hlen / 4 << 4);
	seg[13] = o->flags;
	put16(seg + 14, o->wnd);
	put32(seg + 16, 0); /* checksum, urgent pointer */
	if (o->len)
		ring_read(seg + hlen, o->ring, o->off, o->len);
	put16(seg + 16,
	      csum_fold(csum_partial(seg, hlen + o->len,
				     csum_pseudo(net_if.ip, o->dst, IP_PROTO_TCP, hlen + o->len))));
	if (ip_output(o->dst, IP_PROTO_TCP, seg, hlen + o->len) != -EAGAIN)
		return 0; /* sent, or lost on the way as any packet may be */
	tx_stalled = 1;
	return -EAGAIN;
}

void tcp_tx_ready(void)
{
	if (!tx_stalled)
		return;
	tx_stalled = 0;
	for (struct tcb *t = tcb_first(); t && !tx_stalled; t = t->next)
		tcp_output(t);
}

/*
 * The window to announce (RFC 9293 3.8.6.2.2): the free buffer, but the right
 * edge never moves left, and it moves right only by an MSS or more at a time
 * (receiver-side silly window avoidance).
 */
uint32_t tcp_rcv_window(const struct tcb *t)
{
	uint32_t space = TCP_BUF - t->rlen, edge = t->rcv_nxt + space;

	if (SEQ_GT(t->rcv_adv, t->rcv_nxt))
		return SEQ_LT(edge, t->rcv_adv + t->mss) ? t->rcv_adv - t->rcv_nxt : space;
	return space < t->mss ? 0 : space;
}

/* A segment of this connection: sequence seq, len bytes of the ring from snd_una on. */
static int send_segment(struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags)
{
	uint32_t win = tcp_rcv_window(t);
	struct out o = { .dst = t->rip,
			 .sport = t->lport,
			 .dport = t->rport,
			 .seq = seq,
			 .ack = t->rcv_nxt,
			 .flags = flags };
	int err;

	if (flags & TH_SYN)
		o.optlen = syn_options(t, o.opt);
	else if (t->sack_ok && t->nooo && !len) /* data segments keep their full MSS */
		o.optlen = sack_options(t, o.opt);
	/* A SYN's window is never scaled (RFC 7323 2.2). */
	o.wnd = (uint16_t)min32(flags & TH_SYN ? win : win >> t->rcv_ws, 0xffff);
	if (!(flags & TH_ACK))
		o.ack = 0;
	if (len) {
		o.ring = t->sbuf;
		o.off = (t->shead + (seq - t->snd_una)) % TCP_BUF;
		o.len = len;
	}
	err = emit(&o);
	if (!err && (flags & TH_ACK)) {
		t->ack_owed = 0;
		t->ack_now = 0;
		t->t_delack = 0;
		win = flags & TH_SYN ? o.wnd : (uint32_t)o.wnd << t->rcv_ws;
		if (SEQ_GT(t->rcv_nxt + win, t->rcv_adv))
			t->rcv_adv = t->rcv_nxt + win;
	}
	return err;
}

void tcp_send_ack(struct tcb *t)
{
	send_segment(t, t->snd_nxt, 0, TH_ACK);
}

void tcp_send_syn(struct tcb *t)
{
	send_segment(t, t->iss, 0, t->state == TCPS_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK);
}

void tcp_send_rst(struct tcb *t)
{
	send_segment(t, t->snd_nxt, 0, TH_RST | TH_ACK);
}

/* RFC 9293 3.10.7.1: the reset for a segment that has no connection. */
void tcp_reset_reply(const struct tcp_seg *s)
{
	struct out o = { .dst = s->src, .sport = s->dport, .dport = s->sport, .flags = TH_RST };

	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK) {
		o.seq = s->ack;
	} else {
		o.ack = s->seq + s->len + !!(s->flags & TH_SYN) + !!(s->flags & TH_FIN);
		o.flags |= TH_ACK;
	}
	emit(&o);
}

/* A window too small to fill: send what fits anyway (RFC 1122 4.2.3.4's override).
 * A shut one: probe one sequence number below it; the peer answers with its window. */
void tcp_probe(struct tcb *t)
{
	uint32_t inflight = t->snd_nxt - t->snd_una;
	uint32_t usable = t->snd_wnd > inflight ? t->snd_wnd - inflight : 0;
	uint32_t len = min32(min32(usable, t->slen > inflight ? t->slen - inflight : 0), t->mss);

	if (!len) {
		send_segment(t, t->snd_una - 1, 0, TH_ACK);
		return;
	}
	if (send_segment(t, t->snd_nxt, len, TH_ACK | TH_PSH))
		return;
	t->snd_nxt += len;
	if (SEQ_GT(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	t->persist = 0;
	tcp_arm_rexmt(t);
}

static int fin_due(const struct tcb *t, uint32_t inflight, uint32_t len)
{
	return t->fin_wanted && !t->fin_acked && inflight + len == t->slen;
}

/* Only what was sent goes again: the data in flight, and our FIN if it went. */
void tcp_retransmit(struct tcb *t)
{
	uint32_t sent = t->snd_max - t->snd_una, len = min32(min32(t->slen, sent), t->mss);
	int fin = sent > t->slen && fin_due(t, 0, len);

	t->timing = 0; /* Karn: no RTT sample from a retransmitted segment */
	if (len || fin)
		send_segment(t, t->snd_una, len, (uint8_t)(TH_ACK | TH_PSH | (fin ? TH_FIN : 0)));
}

/*
 * Nagle (RFC 896) unless TCP_NODELAY, in Minshall's form as Linux has it: a
 * short segment waits only while an earlier short one is unacknowledged, so
 * the tail of a bulk write does not wait for a delayed ACK. And sender-side
 * silly window avoidance.
 */
static int worth_sending(const struct tcb *t, uint32_t len, uint32_t unsent, uint32_t inflight)
{
	if (len >= t->mss)
		return 1;
	if (len == unsent &&
	    (t->opt.nodelay || t->fin_wanted || inflight == 0 || SEQ_LEQ(t->snd_sml, t->snd_una)))
		return 1;
	return t->max_wnd && len >= t->max_wnd / 2;
}

static int can_send(const struct tcb *t)
{
	return t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT ||
	       t->state == TCPS_FIN_WAIT_1 || t->state == TCPS_CLOSING || t->state == TCPS_LAST_ACK;
}

/* Sends one segment of new (or, after a timeout, resent) data, or a FIN: 1 if it did. */
static int send_next(struct tcb *t)
{
	uint32_t inflight = t->snd_nxt - t->snd_una;
	uint32_t unsent = inflight < t->slen ? t->slen - inflight : 0;
	uint32_t lt = t->recovering ? 0 : min32((uint32_t)t->dupacks, 2) * t->mss;
	uint32_t wnd = min32(t->snd_wnd, t->cwnd + lt);
	uint32_t len = min32(min32(unsent, inflight < wnd ? wnd - inflight : 0), t->mss);
	int fin = len == unsent && fin_due(t, inflight, len);

	if (!len && !fin)
		return 0;
	if (!fin && !worth_sending(t, len, unsent, inflight))
		return 0;
	if (send_segment(t, t->snd_nxt, len,
			 (uint8_t)(TH_ACK | (len == unsent ? TH_PSH : 0) | (fin ? TH_FIN : 0))))
		return 0;
	if (!t->timing && len && SEQ_GEQ(t->snd_nxt, t->snd_max)) {
		t->timing = 1;
		t->rtt_seq = t->snd_nxt;
		t->rtt_start = clock_monotonic_ns();
	}
	if (len < t->mss)
		t->snd_sml = t->snd_nxt + len;
	t->snd_nxt += len + (uint32_t)fin;
	if (SEQ_GT(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	if (!t->t_rexmt || t->persist) {
		t->persist = 0;
		tcp_arm_rexmt(t);
	}
	return 1;
}

/* Whatever the windows allow goes out; then an owed ACK; a closed window starts probes. */
void tcp_output(struct tcb *t)
{
	net_tx_hold();
	if (can_send(t))
		while (send_next(t))
			;
	if (t->ack_now)
		tcp_send_ack(t);
	/* Data waits with nothing in flight: the window is shut, or too small to be
	 * worth using (silly window avoidance). The persist timer ends the wait. */
	if (can_send(t) && t->snd_nxt == t->snd_una && t->slen > 0 && !t->t_rexmt) {
		t->persist = 1;
		tcp_arm_rexmt(t);
	}
	net_tx_release();
}

/* The application made room: announce it if the window grew enough to matter. */
void tcp_window_update(struct tcb *t)
{
	uint32_t old = SEQ_GT(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t now = tcp_rcv_window(t);

	if (t->state != TCPS_ESTABLISHED && t->state != TCPS_FIN_WAIT_1 &&
	    t->state != TCPS_FIN_WAIT_2)
		return; /* the peer has finished sending: nothing to announce */
	if (now >= old + 2 * (uint32_t)t->mss || (old < t->mss && now >= t->mss)) {
		t->ack_now = 1;
		tcp_output(t);
	}
}
