/* tcp_conn.c: TCP's connection table: allocation, lookup, ports, initial sequence
 * numbers, TIME_WAIT, and the ends of a connection's life. */
#include <errno.h>
#include <stdlib.h>

#include "libos.h"
#include "tcp.h"

#define BUCKETS 256
#define MSL_NS	30000000000ULL /* 2 MSL = 60 s, Linux's TIME_WAIT */
#define TW_MAX	4096	       /* more TIME_WAIT blocks: the oldest goes early */

static struct tcb *table[BUCKETS];
static struct tcb *live;	      /* every connection not in TIME_WAIT */
static struct tcb *tw_head, *tw_tail; /* TIME_WAIT, oldest first: all wait as long */
static int tw_count;

static unsigned bucket(uint32_t rip, uint16_t lport, uint16_t rport)
{
	uint32_t h = (rip ^ (uint32_t)lport << 16 ^ rport) * 0x9e3779b1u;

	return h >> 24;
}

static void list_push(struct tcb **head, struct tcb *t)
{
	t->prev = NULL;
	t->next = *head;
	if (*head)
		(*head)->prev = t;
	*head = t;
}

static void list_remove(struct tcb **head, struct tcb *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else if (*head == t)
		*head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
}

struct tcb *tcb_new(void)
{
	struct tcb *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->mss = 536; /* RFC 9293's default until the peer says otherwise */
	t->rto = 1000000000ULL;
	list_push(&live, t);
	return t;
}

/* Rings come with the first byte to hold: idle and half-open connections cost no buffers. */
int tcb_ring(uint8_t **ring)
{
	if (!*ring)
		*ring = pages_alloc(TCP_BUF);
	return *ring ? 0 : -ENOMEM;
}

/* The send ring goes; the receive ring too, unless the application may still read it. */
static void free_buffers(struct tcb *t, int keep_rx)
{
	if (t->sbuf)
		pages_free(t->sbuf, TCP_BUF);
	t->sbuf = NULL;
	t->slen = 0;
	if (keep_rx)
		return;
	if (t->rbuf)
		pages_free(t->rbuf, TCP_BUF);
	t->rbuf = NULL;
	t->rlen = 0;
	t->nooo = 0;
}

void tcb_hash(struct tcb *t)
{
	struct tcb **b = &table[bucket(t->rip, t->lport, t->rport)];

	t->hnext = *b;
	*b = t;
}

static void unhash(struct tcb *t)
{
	for (struct tcb **pp = &table[bucket(t->rip, t->lport, t->rport)]; *pp; pp = &(*pp)->hnext)
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	t->hnext = NULL;
}

struct tcb *tcb_find(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	for (struct tcb *t = table[bucket(rip, lport, rport)]; t; t = t->hnext)
		if (t->lport == lport && t->rport == rport && t->rip == rip && t->lip == lip)
			return t;
	return NULL;
}

struct tcb *tcb_listener(uint32_t lip, uint16_t lport)
{
	for (struct tcb *t = live; t; t = t->next)
		if (t->state == TCPS_LISTEN && t->lport == lport && (!t->lip || t->lip == lip))
			return t;
	return NULL;
}

/*
 * bind()'s rule, Linux's in short: a listener owns its port; anything else
 * on the port (a connection, TIME_WAIT, a bound socket) lets a second socket
 * in only if that one set SO_REUSEADDR. self may be NULL (ephemeral search).
 */
int tcb_port_in_use(uint16_t port, const void *self)
{
	const struct tcb *me = self;

	for (struct tcb *t = live; t; t = t->next)
		if (t != me && t->bound && t->lport == port &&
		    (t->state == TCPS_LISTEN || !me || !me->opt.reuseaddr))
			return 1;
	for (struct tcb *t = tw_head; t; t = t->next)
		if (t->lport == port && (!me || !me->opt.reuseaddr))
			return 1;
	return 0;
}

/* RFC 6528: a clock (4 us ticks) plus a keyed hash of the connection's addresses. */
uint32_t tcb_isn(const struct tcb *t)
{
	static uint64_t secret[2];
	uint64_t x;

	if (!secret[0])
		random_fill(secret, sizeof(secret));
	x = ((uint64_t)t->lip << 32 | t->rip) ^ secret[0];
	x = (x ^ ((uint64_t)t->lport << 16 | t->rport)) * 0x9e3779b97f4a7c15ULL ^ secret[1];
	x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ x >> 27) * 0x94d049bb133111ebULL;
	return (uint32_t)(x ^ x >> 31) + (uint32_t)(clock_monotonic_ns() >> 12);
}

void tcb_changed(struct tcb *t)
{
	thread_wake_all(&t->wq);
	sock_changed();
}

/* An unaccepted child leaves its listener's books: the accept queue if it is
 * there, else the count of handshakes under way (its state may be CLOSED by now). */
static void leave_parent(struct tcb *t)
{
	struct tcb *l = t->parent, **pp;

	if (!l)
		return;
	for (pp = &l->acc_head; *pp && *pp != t; pp = &(*pp)->qnext)
		;
	if (*pp) {
		*pp = t->qnext;
		l->nacc--;
		l->acc_tail = NULL;
		for (struct tcb *c = l->acc_head; c; c = c->qnext)
			l->acc_tail = c;
	} else {
		l->nsyn--;
	}
	t->parent = NULL;
}

void tcb_free(struct tcb *t)
{
	leave_parent(t);
	unhash(t);
	if (t->state == TCPS_TIME_WAIT) {
		if (tw_tail == t)
			tw_tail = t->prev;
		list_remove(&tw_head, t);
		tw_count--;
	} else {
		list_remove(&live, t);
	}
	free_buffers(t, 0);
	free(t);
}

void tcb_drop(struct tcb *t, int err)
{
	unhash(t);
	t->state = TCPS_CLOSED;
	t->err = err;
	t->t_rexmt = t->t_delack = t->t_close = 0;
	if (t->orphan) {
		tcb_free(t);
		return;
	}
	free_buffers(t, !err); /* a graceful end leaves the data to be read */
	tcb_changed(t);
}

void tcb_orphan(struct tcb *t)
{
	t->orphan = 1;
	if (t->state == TCPS_TIME_WAIT)
		free_buffers(t, 0); /* nobody reads them now; the block waits out 2 MSL */
}

/* TIME_WAIT keeps only addresses and numbers; the oldest goes early if there are too many. */
void tcb_time_wait(struct tcb *t)
{
	list_remove(&live, t);
	free_buffers(t, !t->orphan);
	t->state = TCPS_TIME_WAIT;
	t->t_rexmt = t->t_delack = 0;
	tcp_timer_set(&t->t_close, clock_monotonic_ns() + 2 * MSL_NS);
	t->prev = tw_tail;
	t->next = NULL;
	if (tw_tail)
		tw_tail->next = t;
	else
		tw_head = t;
	tw_tail = t;
	if (++tw_count > TW_MAX && tw_head->orphan)
		tcb_free(tw_head);
	tcb_changed(t); /* reads see EOF, writes EPIPE, poll POLLHUP */
}

/* 2 MSL passed, or a new SYN reuses the addresses. A socket the application
 * still holds stays, CLOSED, until close(). */
void tcb_end_time_wait(struct tcb *t)
{
	if (t->orphan) {
		tcb_free(t);
		return;
	}
	if (tw_tail == t)
		tw_tail = t->prev;
	list_remove(&tw_head, t);
	tw_count--;
	unhash(t);
	t->state = TCPS_CLOSED;
	t->t_close = 0;
	list_push(&live, t);
}

struct tcb *tcb_first(void)
{
	return live;
}

struct tcb *tcb_time_wait_first(void)
{
	return tw_head;
}
