/* frames_tcb.c: TCP's invariants, checked from outside after every step of fuzz_frames:
 * buffers and sequence numbers within bounds, out-of-order ranges sorted and in the ring,
 * the listeners' books balanced, every connection reachable by its addresses. */
#include "frames.h"
#include "tcp.h"

#define MAX_TCBS 100000 /* a loop in a list, not a real count */

static int on_wire(const struct tcb *t)
{
	return t->state >= TCPS_SYN_SENT && t->state <= TCPS_LAST_ACK;
}

/* Sorted, apart, beyond rcv_nxt, and inside the ring's free part (data_input's promise). */
static void check_ooo(const struct tcb *t)
{
	CHECK(t->nooo >= 0 && t->nooo <= TCP_OOO);
	for (int i = 0; i < t->nooo; i++) {
		CHECK(SEQ_LT(t->ooo[i].start, t->ooo[i].end));
		CHECK(i == 0 || SEQ_LT(t->ooo[i - 1].end, t->ooo[i].start));
	}
	if (!t->nooo)
		return;
	CHECK(t->fin_rcvd ? SEQ_GEQ(t->ooo[0].start, t->rcv_nxt)
			  : SEQ_GT(t->ooo[0].start, t->rcv_nxt));
	CHECK(t->ooo[t->nooo - 1].end - t->rcv_nxt <= TCP_BUF - t->rlen);
}

/* What is in flight is a SYN, queued data and a FIN at most; a FIN acked went out. */
static void check_send(const struct tcb *t)
{
	CHECK(SEQ_LEQ(t->snd_una, t->snd_nxt) && SEQ_LEQ(t->snd_nxt, t->snd_max));
	if (on_wire(t))
		CHECK(t->snd_max - t->snd_una <= t->slen + 1);
	if (t->fin_acked)
		CHECK(t->fin_wanted && frames_fin_sent(t->rip, t->lport, t->rport));
}

static void check_tcb(const struct tcb *t)
{
	CHECK(t->state <= TCPS_TIME_WAIT);
	CHECK(t->slen <= TCP_BUF && t->rlen <= TCP_BUF);
	CHECK(t->shead < TCP_BUF && t->rhead < TCP_BUF);
	CHECK((t->sbuf || !t->slen) && (t->rbuf || (!t->rlen && !t->nooo)));
	/* Off the wire, only a receive ring the application may still read is kept. */
	CHECK(on_wire(t) || !t->sbuf);
	CHECK(on_wire(t) || !t->rbuf ||
	      (!t->orphan && (t->state == TCPS_TIME_WAIT || t->state == TCPS_CLOSED)));
	CHECK(t->snd_ws <= 14 && (t->rcv_ws == 0 || t->rcv_ws == TCP_WSCALE));
	CHECK(t->mss >= 64 && t->mss <= TCP_MSS);
	check_ooo(t);
	check_send(t);
	/* A connection on the wire is what its addresses find: hashed, and only once. */
	if (on_wire(t) || t->state == TCPS_TIME_WAIT)
		CHECK(tcb_find(t->lip, t->lport, t->rip, t->rport) == t);
}

static int is_live(const struct tcb *x)
{
	for (const struct tcb *t = tcb_first(); t; t = t->next)
		if (t == x)
			return 1;
	return 0;
}

/* nacc and nsyn count what they say; a full listener stops taking SYNs for good otherwise. */
static void check_listener(const struct tcb *l)
{
	int nacc = 0, nsyn = 0;

	for (const struct tcb *c = l->acc_head; c; c = c->qnext) {
		CHECK(c->parent == l && c->state != TCPS_SYN_RECEIVED && ++nacc <= l->backlog);
		CHECK(!c->qnext || l->acc_tail != c);
	}
	CHECK(nacc == l->nacc && (nacc ? l->acc_tail != NULL : l->acc_tail == NULL));
	for (const struct tcb *c = tcb_first(); c; c = c->next)
		nsyn += c->parent == l && c->state == TCPS_SYN_RECEIVED;
	CHECK(nsyn == l->nsyn);
}

void frames_check_tcbs(void)
{
	int n = 0;

	for (const struct tcb *t = tcb_first(); t; t = t->next) {
		CHECK(++n < MAX_TCBS && t->state != TCPS_TIME_WAIT);
		CHECK(!t->next || t->next->prev == t);
		check_tcb(t);
		if (t->state == TCPS_LISTEN)
			check_listener(t);
		if (t->parent)
			CHECK(t->orphan && is_live(t->parent) && t->parent->state == TCPS_LISTEN);
	}
	for (const struct tcb *t = tcb_time_wait_first(); t; t = t->next) {
		CHECK(++n < MAX_TCBS && t->state == TCPS_TIME_WAIT && !t->parent);
		CHECK(!t->next || t->next->prev == t);
		check_tcb(t);
	}
}
