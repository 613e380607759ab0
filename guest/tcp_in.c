/* tcp_in.c: TCP segments arriving (RFC 9293 3.10.7): parsing, the handshake, ACKs and
 * congestion control, data in order and out of it, FIN, RST, and TIME_WAIT. */
#include <errno.h>
#include <string.h>

#include "libos.h"
#include "tcp.h"

#define DEFAULT_MSS   536 /* RFC 9293 3.7.1, without an MSS option */
#define DUPTHRESH_MAX 8	  /* more, and a small window never earns a fast retransmit */

/* Options are hostile too: a bad length ends the parse, and what was read stands. */
static void parse_options(const uint8_t *o, size_t n, struct tcp_seg *s)
{
	for (size_t i = 0; i < n;) {
		uint8_t kind = o[i], len;

		if (kind == 0) /* end of options */
			return;
		if (kind == 1) { /* no-op */
			i++;
			continue;
		}
		if (i + 1 >= n || (len = o[i + 1]) < 2 || len > n - i)
			return;
		if (kind == 2 && len == 4)
			s->mss = get16(o + i + 2);
		else if (kind == 3 && len == 3)
			s->wscale = o[i + 2] > 14 ? 14 : o[i + 2]; /* RFC 7323 2.3 */
		else if (kind == 4 && len == 2)
			s->sack_ok = 1;
		else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0)
			for (int b = 0; b < (len - 2) / 8 && s->nsack < 4; b++, s->nsack++) {
				s->sack[s->nsack][0] = get32(o + i + 2 + 8 * b);
				s->sack[s->nsack][1] = get32(o + i + 6 + 8 * b);
			}
		i += len;
	}
}

int tcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct tcp_seg *s)
{
	size_t off;

	if (len < TCP_HLEN || len > 0xffff)
		return -1;
	off = (size_t)(p[12] >> 4) * 4;
	if (off < TCP_HLEN || off > len)
		return -1;
	if (csum_fold(csum_partial(p, len, csum_pseudo(src, dst, IP_PROTO_TCP, len))) != 0)
		return -1;
	*s = (struct tcp_seg){ .src = src,
			       .dst = dst,
			       .sport = get16(p),
			       .dport = get16(p + 2),
			       .seq = get32(p + 4),
			       .ack = get32(p + 8),
			       .flags = p[13] & 0x3f,
			       .wnd = get16(p + 14),
			       .wscale = -1,
			       .data = p + off,
			       .len = (uint32_t)(len - off) };
	parse_options(p + TCP_HLEN, off - TCP_HLEN, s);
	return s->sport && s->dport ? 0 : -1;
}

/* What a SYN tells us: the peer's MSS, and whether both sides scale windows. */
static void syn_options(struct tcb *t, const struct tcp_seg *s)
{
	t->mss = (uint16_t)min32(s->mss ? s->mss : DEFAULT_MSS, TCP_MSS);
	if (t->mss < 64)
		t->mss = 64; /* a tiny MSS only makes us do more work per byte */
	t->snd_ws = s->wscale >= 0 ? (uint8_t)s->wscale : 0;
	t->rcv_ws = s->wscale >= 0 ? TCP_WSCALE : 0;
	t->sack_ok = s->sack_ok;
	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	t->rcv_adv = t->rcv_nxt;
	t->snd_wnd = s->wnd; /* a SYN's window is never scaled */
	t->max_wnd = s->wnd;
	t->snd_wl1 = s->seq;
}

/* RFC 6928's initial window; slow start until the first loss. */
static void established(struct tcb *t, uint32_t ack)
{
	t->state = TCPS_ESTABLISHED;
	t->synced = 1;
	t->snd_una = ack;
	t->snd_wl2 = ack;
	t->cwnd = min32(10u * t->mss, 14600u > 2u * t->mss ? 14600u : 2u * t->mss);
	t->ssthresh = 0x7fffffff;
	t->recover = ack;
	t->dupthresh = 3;
	if (t->backoff == 0) /* Karn: a SYN sent twice gives no sample */
		tcp_rtt_sample(t, clock_monotonic_ns() - t->rtt_start);
	t->backoff = 0;
	t->t_rexmt = 0;
}

static void listen_input(struct tcb *l, const struct tcp_seg *s)
{
	struct tcb *c;

	if (s->flags & TH_RST)
		return;
	if (s->flags & TH_ACK) {
		tcp_reset_reply(s);
		return;
	}
	/* A full queue drops the SYN: the client asks again, as with Linux. */
	if (!(s->flags & TH_SYN) || l->nacc >= l->backlog || l->nsyn >= l->backlog)
		return;
	c = tcb_new();
	if (!c)
		return;
	c->lip = s->dst;
	c->lport = s->dport;
	c->rip = s->src;
	c->rport = s->sport;
	c->bound = 1;
	c->orphan = 1; /* nobody holds it until accept() */
	c->opt = l->opt;
	syn_options(c, s);
	c->state = TCPS_SYN_RECEIVED;
	c->parent = l;
	l->nsyn++;
	c->iss = tcb_isn(c);
	c->snd_una = c->snd_sml = c->iss;
	c->snd_nxt = c->snd_max = c->iss + 1;
	c->rtt_start = clock_monotonic_ns();
	tcb_hash(c);
	tcp_send_syn(c);
	tcp_arm_rexmt(c);
}

static void syn_sent_input(struct tcb *t, const struct tcp_seg *s)
{
	if ((s->flags & TH_ACK) && (SEQ_LEQ(s->ack, t->iss) || SEQ_GT(s->ack, t->snd_max))) {
		tcp_reset_reply(s);
		return;
	}
	if (s->flags & TH_RST) {
		if (s->flags & TH_ACK)
			tcb_drop(t, ECONNREFUSED);
		return;
	}
	if (!(s->flags & TH_SYN))
		return;
	syn_options(t, s);
	if (s->flags & TH_ACK) {
		established(t, s->ack);
		t->ack_now = 1;
		tcp_output(t);
	} else { /* simultaneous open (RFC 9293 3.5, figure 8) */
		t->state = TCPS_SYN_RECEIVED;
		tcp_send_syn(t);
	}
	tcb_changed(t);
}

/*
 * RFC 9293 3.10.7.4's first check, against the larger of the window we
 * announced and the buffer we have. An empty segment may sit right at the
 * edge, as Linux and BSD allow: a sender that filled our window sends its
 * ACKs with that sequence number.
 */
static int acceptable(const struct tcb *t, const struct tcp_seg *s)
{
	uint32_t wnd = TCP_BUF - t->rlen, adv = t->rcv_adv - t->rcv_nxt, end, last;

	if (SEQ_GT(t->rcv_adv, t->rcv_nxt) && adv > wnd)
		wnd = adv;
	if (s->seq == t->rcv_nxt)
		return 1; /* even into a zero window: its ACK and RST still count */
	end = t->rcv_nxt + wnd;
	if (!s->len)
		return SEQ_GT(s->seq, t->rcv_nxt) && SEQ_LEQ(s->seq, end);
	last = s->seq + s->len - 1;
	return (SEQ_GEQ(s->seq, t->rcv_nxt) && SEQ_LT(s->seq, end)) ||
	       (SEQ_GEQ(last, t->rcv_nxt) && SEQ_LT(last, end));
}

static void reset_input(struct tcb *t)
{
	int err = t->state == TCPS_SYN_RECEIVED				  ? ECONNREFUSED
		  : t->state == TCPS_CLOSING || t->state == TCPS_LAST_ACK ? 0
									  : ECONNRESET;

	tcb_drop(t, err);
}

/* SYN_RECEIVED: the handshake's last ACK. A passive child joins the accept queue. */
static int handshake_done(struct tcb *t, const struct tcp_seg *s)
{
	struct tcb *l = t->parent;

	if (SEQ_LEQ(s->ack, t->snd_una) || SEQ_GT(s->ack, t->snd_max))
		return 0;
	established(t, t->iss + 1);
	if (t->fin_wanted) /* closed during a simultaneous open */
		t->state = TCPS_FIN_WAIT_1;
	t->snd_wnd = s->wnd << t->snd_ws;
	t->snd_wl1 = s->seq;
	if (l) {
		l->nsyn--;
		if (l->acc_tail)
			l->acc_tail->qnext = t;
		else
			l->acc_head = t;
		l->acc_tail = t;
		l->nacc++;
		tcb_changed(l);
	}
	return 1;
}

/* RFC 5681 and 6582: growth on new ACKs; leaving recovery, or a partial ACK in it. */
/*
 * The hole we resent is acknowledged sooner than any round trip takes: the
 * original arrived, merely late. Undo the reduction, and wait for more
 * duplicates next time: the path reorders (Linux adapts its threshold too).
 */
static int spurious(struct tcb *t)
{
	uint64_t since = clock_monotonic_ns() - t->rexmit_at;

	if (!t->rexmit_at)
		return 0;
	t->rexmit_at = 0;
	if (!t->rtt_min || since >= t->rtt_min)
		return 0;
	t->cwnd = t->prior_cwnd > t->cwnd ? t->prior_cwnd : t->cwnd;
	t->ssthresh = t->prior_ssthresh;
	t->recovering = 0;
	t->recover = t->snd_una; /* a later hole may start recovery at once */
	t->dupacks = 0;
	t->dupthresh = t->dupthresh < DUPTHRESH_MAX ? t->dupthresh + 1 : DUPTHRESH_MAX;
	return 1;
}

static void congestion_on_ack(struct tcb *t, uint32_t ack, uint32_t acked)
{
	if (t->recovering && spurious(t))
		return;
	if (t->recovering && SEQ_LT(ack, t->recover)) {
		tcp_retransmit(t); /* the next hole */
		t->cwnd = t->cwnd > acked ? t->cwnd - acked : 0;
		t->cwnd += acked >= t->mss ? t->mss : 0;
		t->cwnd = t->cwnd < t->mss ? t->mss : t->cwnd;
		return;
	}
	if (t->recovering) {
		uint32_t flight = t->snd_max - ack;

		t->cwnd = min32(t->ssthresh, (flight > t->mss ? flight : t->mss) + t->mss);
		t->recovering = 0;
	} else if (t->cwnd < t->ssthresh) {
		t->cwnd += min32(acked, 2u * t->mss); /* RFC 3465, L = 2 */
	} else if ((t->acked_ca += acked) >= t->cwnd) {
		t->acked_ca -= t->cwnd;
		t->cwnd += t->mss;
	}
	t->dupacks = 0;
	t->cwnd = min32(t->cwnd, 1u << 30);
}

static void new_ack(struct tcb *t, uint32_t ack)
{
	uint32_t acked = ack - t->snd_una, data = min32(acked, t->slen);

	if (acked > t->slen)
		t->fin_acked = 1; /* the only sequence number beyond the data is our FIN */
	t->shead = (t->shead + data) % TCP_BUF;
	t->slen -= data;
	t->snd_una = ack;
	if (SEQ_LT(t->snd_nxt, ack))
		t->snd_nxt = ack;
	if (t->timing && SEQ_GT(ack, t->rtt_seq)) {
		tcp_rtt_sample(t, clock_monotonic_ns() - t->rtt_start);
		t->timing = 0;
	}
	t->backoff = 0;
	t->persist = 0;
	congestion_on_ack(t, ack, acked);
	if (t->snd_una == t->snd_max)
		t->t_rexmt = 0;
	else
		tcp_arm_rexmt(t);
}

/* Three duplicates: fast retransmit and NewReno recovery; more inflate the window. */
/* Bytes the peer's SACK blocks say it holds beyond our first unacknowledged byte. */
static uint32_t sacked(const struct tcb *t, const struct tcp_seg *s)
{
	uint32_t n = 0;

	for (int i = 0; i < s->nsack; i++)
		if (SEQ_GT(s->sack[i][0], t->snd_una) && SEQ_LT(s->sack[i][0], s->sack[i][1]) &&
		    SEQ_LEQ(s->sack[i][1], t->snd_max))
			n += s->sack[i][1] - s->sack[i][0];
	return n;
}

/*
 * Three duplicates, or SACK blocks covering three segments beyond the hole
 * (RFC 6675's rule), start fast retransmit and NewReno recovery; in it, more
 * inflate the window. Before that, each of the first two lets one new segment
 * out (limited transmit, RFC 3042: send_next adds dupacks to the window), so
 * a small window still earns its three duplicates instead of a timeout.
 */
static void dup_ack(struct tcb *t, const struct tcp_seg *s)
{
	if (t->recovering) {
		t->cwnd += t->mss;
		tcp_arm_reorder(t); /* the hole stays: its retransmission may be lost too */
		return;
	}
	t->dupacks++;
	if ((t->dupacks < t->dupthresh && sacked(t, s) < (uint32_t)t->dupthresh * t->mss) ||
	    SEQ_LT(t->snd_una, t->recover)) {
		tcp_arm_reorder(t); /* too few to be sure: give reordering a little time */
		return;
	}
	tcp_enter_recovery(t);
}

void tcp_enter_recovery(struct tcb *t)
{
	uint32_t flight = t->snd_max - t->snd_una;

	t->prior_cwnd = t->cwnd;
	t->prior_ssthresh = t->ssthresh;
	t->rexmit_at = clock_monotonic_ns();
	t->ssthresh = flight / 2 > 2u * t->mss ? flight / 2 : 2u * t->mss;
	t->recover = t->snd_max;
	t->recovering = 1;
	tcp_retransmit(t);
	t->cwnd = t->ssthresh + 3u * t->mss;
}

/* The ACK field and the window (3.10.7.4, fifth check). 1 if t is gone or done. */
static int ack_input(struct tcb *t, const struct tcp_seg *s)
{
	int wnd_changed = 0;

	t->probes = 0; /* the peer is there */
	if (SEQ_GEQ(s->ack, t->snd_una)) {
		if (SEQ_LT(t->snd_wl1, s->seq) ||
		    (t->snd_wl1 == s->seq && SEQ_LEQ(t->snd_wl2, s->ack))) {
			uint32_t w = s->wnd << t->snd_ws;

			wnd_changed = w != t->snd_wnd;
			t->snd_wnd = w;
			t->snd_wl1 = s->seq;
			t->snd_wl2 = s->ack;
			t->max_wnd = w > t->max_wnd ? w : t->max_wnd;
		}
		if (SEQ_GT(s->ack, t->snd_una))
			new_ack(t, s->ack);
		else if (!s->len && !(s->flags & TH_FIN) && (!wnd_changed || s->nsack) &&
			 t->snd_max != t->snd_una)
			dup_ack(t, s); /* with SACK blocks, whatever the window did */
	}
	if (!t->fin_acked)
		return 0;
	if (t->state == TCPS_FIN_WAIT_1) {
		t->state = TCPS_FIN_WAIT_2;
		if (t->orphan)
			tcp_arm_orphan(t);
	} else if (t->state == TCPS_CLOSING) {
		tcb_time_wait(t);
		return 1;
	} else if (t->state == TCPS_LAST_ACK) {
		tcb_drop(t, 0);
		return 1;
	}
	return 0;
}

/* Remembers [start, end) beyond rcv_nxt, merged with its neighbours, sorted. */
static void ooo_add(struct tcb *t, uint32_t start, uint32_t end)
{
	int i = 0, j;

	while (i < t->nooo && SEQ_LT(t->ooo[i].end, start))
		i++;
	for (j = i; j < t->nooo && SEQ_LEQ(t->ooo[j].start, end); j++) {
		start = SEQ_LT(t->ooo[j].start, start) ? t->ooo[j].start : start;
		end = SEQ_GT(t->ooo[j].end, end) ? t->ooo[j].end : end;
	}
	t->ooo_recent = start;
	if (i == j && t->nooo == TCP_OOO)
		return; /* no room to remember it: the peer sends it again */
	memmove(&t->ooo[i + 1], &t->ooo[j], (size_t)(t->nooo - j) * sizeof(t->ooo[0]));
	t->nooo += 1 - (j - i);
	t->ooo[i].start = start;
	t->ooo[i].end = end;
}

/* In-order data reached out-of-order ranges: take them in. */
static void ooo_merge(struct tcb *t)
{
	while (t->nooo && SEQ_LEQ(t->ooo[0].start, t->rcv_nxt)) {
		if (SEQ_GT(t->ooo[0].end, t->rcv_nxt)) {
			t->rlen += t->ooo[0].end - t->rcv_nxt;
			t->rcv_nxt = t->ooo[0].end;
		}
		memmove(&t->ooo[0], &t->ooo[1], (size_t)--t->nooo * sizeof(t->ooo[0]));
	}
}

/* Data goes into the ring at its place; an ACK is owed (now, or delayed). */
static void data_input(struct tcb *t, const struct tcp_seg *s)
{
	uint32_t seq = s->seq, len = s->len, skip, off, space;
	const uint8_t *d = s->data;

	if (SEQ_LT(seq, t->rcv_nxt)) {
		skip = min32(t->rcv_nxt - seq, len);
		d += skip;
		len -= skip;
		seq += skip;
	}
	off = seq - t->rcv_nxt;
	space = TCP_BUF - t->rlen;
	len = off >= space ? 0 : min32(len, space - off);
	if (!len) {
		t->ack_now = 1; /* a duplicate, or no room: say where we are */
		return;
	}
	if (tcb_ring(&t->rbuf))
		return; /* out of memory: as if lost, the peer sends it again */
	ring_write(t->rbuf, (t->rhead + t->rlen + off) % TCP_BUF, d, len);
	if (off) {
		ooo_add(t, seq, seq + len);
		t->ack_now = 1; /* a duplicate ACK: the sender's fast retransmit counts these */
		return;
	}
	t->rcv_nxt += len;
	t->rlen += len;
	if (t->nooo) {
		ooo_merge(t);
		t->ack_now = 1; /* a hole filled: the sender learns at once (RFC 5681 4.2) */
	}
	t->ack_owed += len;
	if (t->ack_owed >= 2u * t->mss)
		t->ack_now = 1; /* every second full segment (RFC 5681 4.2) */
	else
		tcp_arm_delack(t);
}

/* A FIN counts once everything before it is in. 1 if t went to TIME_WAIT. */
static int fin_input(struct tcb *t, const struct tcp_seg *s)
{
	t->ack_now = 1;
	if (t->fin_rcvd || s->seq + s->len != t->rcv_nxt)
		return 0; /* a repeat, or data before it is missing: the peer sends it again */
	t->rcv_nxt++;
	t->fin_rcvd = 1;
	if (t->state == TCPS_ESTABLISHED) {
		t->state = TCPS_CLOSE_WAIT;
	} else if (t->state == TCPS_FIN_WAIT_1) {
		t->state = TCPS_CLOSING;
	} else if (t->state == TCPS_FIN_WAIT_2) {
		tcp_send_ack(t);
		tcb_time_wait(t);
		return 1;
	}
	return 0;
}

static int receiving(const struct tcb *t)
{
	return t->state == TCPS_ESTABLISHED || t->state == TCPS_FIN_WAIT_1 ||
	       t->state == TCPS_FIN_WAIT_2;
}

/* The synchronized states, in RFC 9293's order of checks. */
static void sync_input(struct tcb *t, const struct tcp_seg *s)
{
	uint32_t rlen = t->rlen, slen = t->slen;
	enum tcp_state state = t->state;

	if (t->state == TCPS_SYN_RECEIVED && (s->flags & (TH_SYN | TH_ACK)) == TH_SYN &&
	    s->seq == t->irs) {
		tcp_send_syn(t); /* our SYN-ACK was lost */
		return;
	}
	if (!acceptable(t, s)) {
		if (!(s->flags & TH_RST))
			tcp_send_ack(t);
		return;
	}
	if (s->flags & TH_RST) {
		if (s->seq == t->rcv_nxt)
			reset_input(t);
		else
			tcp_send_ack(t); /* a challenge ACK (RFC 5961 3.2) */
		return;
	}
	if (s->flags & TH_SYN) {
		tcp_send_ack(t); /* RFC 5961 4.2 */
		return;
	}
	if (!(s->flags & TH_ACK))
		return;
	if (t->state == TCPS_SYN_RECEIVED && !handshake_done(t, s)) {
		tcp_reset_reply(s);
		return;
	}
	if (SEQ_GT(s->ack, t->snd_max)) {
		tcp_send_ack(t);
		return;
	}
	if (ack_input(t, s))
		return;
	if (s->len && receiving(t) && t->orphan && !t->parent) {
		tcp_send_rst(t); /* nobody will read it (RFC 9293 3.10.7.4, Linux) */
		tcb_drop(t, 0);
		return;
	}
	if (s->len && receiving(t))
		data_input(t, s);
	if ((s->flags & TH_FIN) && fin_input(t, s))
		return;
	tcp_output(t);
	if (t->rlen != rlen || t->slen != slen || t->state != state)
		tcb_changed(t);
}

/* RST is ignored (RFC 1337); a FIN again is answered; a newer SYN may start afresh. */
static int time_wait_input(struct tcb *t, const struct tcp_seg *s)
{
	if (s->flags & TH_RST)
		return 0;
	if ((s->flags & (TH_SYN | TH_ACK)) == TH_SYN && SEQ_GT(s->seq, t->rcv_nxt)) {
		tcb_end_time_wait(t);
		return 1;
	}
	if (s->flags & (TH_FIN | TH_SYN) || s->len)
		tcp_send_ack(t);
	return 0;
}

void tcp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
	struct tcp_seg s;
	struct tcb *t;

	if (tcp_parse(p, len, src, dst, &s))
		return;
	t = tcb_find(dst, s.dport, src, s.sport);
	if (t && t->state == TCPS_TIME_WAIT) {
		if (!time_wait_input(t, &s))
			return;
		t = NULL; /* TIME_WAIT ended (t may be freed): the listener takes the SYN */
	}
	if (!t)
		t = tcb_listener(dst, s.dport);
	if (!t) {
		tcp_reset_reply(&s);
		return;
	}
	if (t->state == TCPS_LISTEN)
		listen_input(t, &s);
	else if (t->state == TCPS_SYN_SENT)
		syn_sent_input(t, &s);
	else
		sync_input(t, &s);
}
