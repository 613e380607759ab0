/* tcp_timer.c: TCP's clocks: retransmission (RFC 6298), zero window probes,
 * delayed ACKs, TIME_WAIT and orphan timeouts, run from the driver's poller. */
#include <errno.h>

#include "libos.h"
#include "tcp.h"

#define MS	      1000000ULL
#define RTO_MIN	      (200 * MS) /* Linux's; RFC 6298 says 1 s, a WAN's worry */
#define RTO_MAX	      (60000 * MS)
#define DELACK_NS     (40 * MS) /* Linux's minimum delayed ACK */
#define REORDER_MIN   (2 * MS)
#define SYN_RETRIES   6 /* 1 + 2 + ... + 32 s: then connect() gives up */
#define DATA_RETRIES  12
#define ORPHAN_FIN_NS (60000 * MS) /* an orphan in FIN_WAIT_2 waits this long (Linux) */

static uint64_t next_due; /* the soonest timer anywhere, 0: none; may be early, never late */

void tcp_timer_set(uint64_t *timer, uint64_t at)
{
	*timer = at;
	if (at && (!next_due || at < next_due))
		next_due = at;
}

void tcp_arm_rexmt(struct tcb *t)
{
	t->reorder_wait = 0;
	uint64_t rto = t->rto << (t->persist ? t->backoff : 0);

	tcp_timer_set(&t->t_rexmt, clock_monotonic_ns() + (rto < RTO_MAX ? rto : RTO_MAX));
}

/*
 * Duplicates without enough of them (a small window, or a threshold raised
 * by reordering): the hole is taken for lost once it is this much overdue,
 * after RACK (RFC 8985), instead of waiting out a whole timeout.
 */
void tcp_arm_reorder(struct tcb *t)
{
	uint64_t wait = t->srtt / 2 > REORDER_MIN ? t->srtt / 2 : REORDER_MIN;

	if (t->reorder_wait || wait >= t->rto)
		return;
	t->reorder_wait = 1;
	tcp_timer_set(&t->t_rexmt, clock_monotonic_ns() + wait);
}

void tcp_arm_delack(struct tcb *t)
{
	if (!t->t_delack)
		tcp_timer_set(&t->t_delack, clock_monotonic_ns() + DELACK_NS);
}

void tcp_arm_orphan(struct tcb *t)
{
	tcp_timer_set(&t->t_close, clock_monotonic_ns() + ORPHAN_FIN_NS);
}

void tcp_rtt_sample(struct tcb *t, uint64_t r)
{
	uint64_t d;

	if (!t->srtt) {
		t->srtt = r;
		t->rttvar = r / 2;
	} else {
		d = t->srtt > r ? t->srtt - r : r - t->srtt;
		t->rttvar = (3 * t->rttvar + d) / 4;
		t->srtt = (7 * t->srtt + r) / 8;
	}
	t->rtt_min = !t->rtt_min || r < t->rtt_min ? r : t->rtt_min;
	t->rto = t->srtt + 4 * t->rttvar;
	t->rto = t->rto < RTO_MIN ? RTO_MIN : t->rto > RTO_MAX ? RTO_MAX : t->rto;
}

/* RFC 5681 3.1 and 6298 5.5-5.7: halve, restart from one segment, back off. */
static void timeout(struct tcb *t)
{
	uint32_t flight = t->snd_max - t->snd_una;

	t->ssthresh = flight / 2 > 2u * t->mss ? flight / 2 : 2u * t->mss;
	t->cwnd = t->mss;
	t->recovering = 0;
	t->dupacks = 0;
	t->recover = t->snd_max;
	t->acked_ca = 0;
	t->timing = 0;		 /* Karn: resent segments give no RTT samples */
	t->rexmit_at = 0;	 /* and a timeout is no spurious fast retransmit */
	t->snd_nxt = t->snd_una; /* go back: everything unacknowledged is sent again */
	tcp_output(t);
}

static void rexmt_fire(struct tcb *t)
{
	int limit =
	    t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED ? SYN_RETRIES : DATA_RETRIES;

	t->t_rexmt = 0;
	if (t->reorder_wait) { /* overdue, not yet timed out: resend just the hole */
		if (t->recovering)
			tcp_retransmit(t);
		else
			tcp_enter_recovery(t);
		tcp_arm_rexmt(t);
		return;
	}
	if (t->persist) { /* while the peer answers probes, wait as long as it takes */
		if (++t->probes > DATA_RETRIES) {
			tcb_drop(t, ETIMEDOUT);
			return;
		}
		t->backoff += t->backoff < 10;
		tcp_probe(t); /* arms the retransmission timer if it sent data */
		if (t->persist)
			tcp_arm_rexmt(t);
		return;
	}
	if (++t->backoff > limit) {
		if (t->state != TCPS_SYN_SENT)
			tcp_send_rst(t);
		tcb_drop(t, ETIMEDOUT);
		return;
	}
	t->rto = t->rto * 2 < RTO_MAX ? t->rto * 2 : RTO_MAX;
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		tcp_send_syn(t);
	else
		timeout(t);
	tcp_arm_rexmt(t);
}

/* Runs t's due timers; t may be freed. */
static void fire(struct tcb *t, uint64_t now)
{
	if (t->t_delack && t->t_delack <= now) {
		t->t_delack = 0;
		if (t->ack_owed)
			tcp_send_ack(t);
	}
	if (t->t_close && t->t_close <= now) {
		tcb_drop(t, 0); /* an orphan's FIN_WAIT_2 ran out */
		return;
	}
	if (t->t_rexmt && t->t_rexmt <= now)
		rexmt_fire(t);
}

static void note(uint64_t at)
{
	if (at && (!next_due || at < next_due))
		next_due = at;
}

int tcp_tick(uint64_t now)
{
	struct tcb *t, *n;

	if (!next_due || now < next_due)
		return 0;
	next_due = 0;
	for (t = tcb_first(); t; t = n) {
		n = t->next;
		fire(t, now);
	}
	while ((t = tcb_time_wait_first()) && t->t_close <= now)
		tcb_end_time_wait(t);
	/* What is still pending sets the next due time (fire() may have set some). */
	for (t = tcb_first(); t; t = t->next) {
		note(t->t_delack);
		note(t->t_close);
		note(t->t_rexmt);
	}
	if ((t = tcb_time_wait_first()))
		note(t->t_close);
	return 1;
}

uint64_t tcp_due(void)
{
	return next_due;
}
