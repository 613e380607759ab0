/* thread.c: the scheduler: run queue, parking, timers, pollers, idling. */
#include <errno.h>

#include "libos.h"
#include "thread.h"

/* With no deadline pending, the longest sleep: a device's work ends it sooner. */
#define IDLE_MAX_NS 1000000000ULL
/* How long an idle VM polls its devices before it sleeps in vmm. */
#define IDLE_SPIN_NS 50000
/* How often drivers reap while threads keep the run queue busy. */
#define POLL_NS	   20000ULL
#define IDLE_STACK 32768

struct thread *thread_current = &thread_main;
static struct waitq runq;
static struct thread *timers; /* parked with a deadline, soonest first */
static struct poller *pollers;
static uint64_t last_poll;

/* A finished thread's stack may be freed already (musl's __unmapself), so
 * waiting for the next thread to become runnable happens on this one. */
static uint8_t idle_stack[IDLE_STACK] __attribute__((aligned(16)));
static uint64_t dead_sp; /* where a finished thread's last switch saves, unread */

static void q_push(struct waitq *q, struct thread *t)
{
	t->wq = q;
	t->next = NULL;
	t->prev = q->last;
	if (q->last)
		q->last->next = t;
	else
		q->first = t;
	q->last = t;
}

static void q_remove(struct thread *t)
{
	struct waitq *q = t->wq;

	if (t->prev)
		t->prev->next = t->next;
	else
		q->first = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		q->last = t->prev;
	t->wq = NULL;
	t->prev = t->next = NULL;
}

static void timer_add(struct thread *t, uint64_t deadline)
{
	struct thread **pp = &timers, *prev = NULL;

	while (*pp && (*pp)->deadline <= deadline) {
		prev = *pp;
		pp = &prev->tnext;
	}
	t->deadline = deadline;
	t->tprev = prev;
	t->tnext = *pp;
	if (*pp)
		(*pp)->tprev = t;
	*pp = t;
}

static void timer_remove(struct thread *t)
{
	if (!t->deadline)
		return;
	if (t->tprev)
		t->tprev->tnext = t->tnext;
	else
		timers = t->tnext;
	if (t->tnext)
		t->tnext->tprev = t->tprev;
	t->deadline = 0;
	t->tprev = t->tnext = NULL;
}

/* A parked thread becomes runnable; the waker keeps running. */
static void wake(struct thread *t, int woken)
{
	q_remove(t);
	timer_remove(t);
	t->woken = woken;
	q_push(&runq, t);
}

void thread_ready(struct thread *t)
{
	q_push(&runq, t);
}

static void expire_timers(uint64_t now)
{
	while (timers && timers->deadline <= now)
		wake(timers, 0);
}

/* Drivers reap finished work and wake its threads; they must not block. */
static void run_pollers(uint64_t now)
{
	for (struct poller *p = pollers; p; p = p->next)
		p->poll();
	last_poll = now;
}

/* A guest bug like a crash: vmm reports it with a backtrace and status 253. */
static _Noreturn void deadlock(void)
{
	panic("all threads blocked forever (%d parked with no deadline and no device to wake them)",
	      thread_count());
}

/*
 * Nothing can run. Arm the devices, then look once more: a completion that
 * landed before arming would otherwise sleep until the deadline. Then sleep
 * in vmm until the soonest deadline or a device's work; another monitor has
 * no wait hypercall, so there we spin.
 */
/*
 * Before sleeping, poll the devices a little: a request that follows its
 * answer within IDLE_SPIN_NS (a client's next call) then costs no exit and
 * no wake-up (~30-40 us here).
 */
/* The soonest of the thread timers and the pollers' own, capped at limit. */
static uint64_t soonest(uint64_t limit)
{
	if (timers && timers->deadline < limit)
		limit = timers->deadline;
	for (struct poller *p = pollers; p; p = p->next) {
		uint64_t due = p->due ? p->due() : 0;

		if (due && due < limit)
			limit = due;
	}
	return limit;
}

static int spin(void)
{
	uint64_t now = clock_monotonic_ns(), end = soonest(now + IDLE_SPIN_NS);

	while (pollers && !runq.first && now < end) {
		__asm__ volatile("pause");
		now = clock_monotonic_ns();
		run_pollers(now);
	}
	expire_timers(now);
	return runq.first != NULL;
}

static void idle(void)
{
	uint64_t now, until;

	if (spin())
		return;
	for (struct poller *p = pollers; p; p = p->next)
		if (p->arm)
			p->arm();
	now = clock_monotonic_ns();
	run_pollers(now);
	expire_timers(now);
	if (runq.first)
		return;
	if (!timers && !pollers)
		deadlock();
	until = soonest(now + IDLE_MAX_NS);
	if (until <= now) /* a poller's timer is due: its poll() runs next */
		return;
	if (boot.under_vmm)
		hc_wait(until - now);
	else
		__asm__ volatile("pause");
}

/* The next thread to run, its wq cleared; idles the VM until there is one. */
static struct thread *pick(void)
{
	uint64_t now = clock_monotonic_ns();
	struct thread *t;

	for (;;) {
		expire_timers(now);
		if (!runq.first || now - last_poll >= POLL_NS)
			run_pollers(now);
		if (runq.first)
			break;
		idle();
		now = clock_monotonic_ns();
	}
	t = runq.first;
	q_remove(t);
	return t;
}

/* The caller has queued itself (run queue or a waitq): run whoever is next. */
static void schedule(void)
{
	struct thread *self = thread_current, *next = pick();

	if (next == self)
		return;
	thread_current = next;
	thread_switch(&self->sp, next->sp);
}

int thread_park(struct waitq *wq, uint64_t deadline_ns)
{
	struct thread *self = thread_current;

	q_push(wq, self);
	if (deadline_ns)
		timer_add(self, deadline_ns);
	self->woken = 0;
	schedule();
	return self->woken ? 0 : -ETIMEDOUT;
}

void thread_wake_one(struct waitq *wq)
{
	if (wq->first)
		wake(wq->first, 1);
}

void thread_wake_all(struct waitq *wq)
{
	while (wq->first)
		wake(wq->first, 1);
}

void thread_yield(void)
{
	q_push(&runq, thread_current);
	schedule();
}

void thread_sleep_until(uint64_t deadline_ns)
{
	struct waitq wq = { 0 };

	while (clock_monotonic_ns() < deadline_ns)
		thread_park(&wq, deadline_ns);
}

void thread_add_poller(struct poller *p)
{
	p->next = pollers;
	pollers = p;
}

/* Runs on idle_stack with no current thread, until one can run. */
static _Noreturn void idle_main(void)
{
	struct thread *next = pick();

	thread_current = next;
	thread_switch(&dead_sp, next->sp);
	__builtin_unreachable();
}

/* A switch frame that starts idle_main on a clean idle_stack, as if called. */
static uint64_t idle_frame(void)
{
	uint8_t *top = idle_stack + sizeof(idle_stack);
	struct switch_frame *f = (struct switch_frame *)(top - 8) - 1;

	*(uint64_t *)(top - 8) = 0; /* idle_main's return address: none */
	*f = (struct switch_frame){ .fsbase = thread_idle_fs, .rip = (uint64_t)idle_main };
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(f->mxcsr), "=m"(f->fpucw));
	return (uint64_t)f;
}

_Noreturn void thread_leave(void)
{
	struct thread *next = runq.first;
	uint64_t sp;

	thread_current = next;
	if (next) {
		q_remove(next);
		sp = next->sp;
	} else {
		sp = idle_frame();
	}
	thread_switch(&dead_sp, sp);
	__builtin_unreachable();
}
