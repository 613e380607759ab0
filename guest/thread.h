/* thread.h: cooperative threads in the library OS. One thread runs at a time,
 * until it blocks or yields; when none can run, the VM sleeps in vmm. */
#ifndef THREAD_H
#define THREAD_H

#include <stdint.h>

struct thread;

/* Threads parked on one condition, in arrival order. */
struct waitq {
	struct thread *first, *last;
};

/*
 * Parks the caller on wq until a wake or the deadline (CLOCK_MONOTONIC ns,
 * 0: none). Meanwhile other threads run, pollers are run, and with nothing
 * to do the VM sleeps in the wait hypercall. 0 if woken, -ETIMEDOUT.
 */
int thread_park(struct waitq *wq, uint64_t deadline_ns);
void thread_wake_one(struct waitq *wq);
void thread_wake_all(struct waitq *wq);
void thread_yield(void);
int thread_count(void);

/*
 * A device driver's hooks: poll() reaps finished work, wakes the threads it
 * concerns, and returns nonzero if it did anything; arm() readies the device
 * to wake a sleeping VM (writes used_event). Registered once, never removed.
 */
struct poller {
	int (*poll)(void);
	void (*arm)(void);
	struct poller *next;
};
void thread_add_poller(struct poller *p);

#endif
