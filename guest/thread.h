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
 * to wake a sleeping VM (writes used_event); due() bounds how long the VM may
 * sleep (protocol timers). Registered once, never removed.
 */
struct poller {
	int (*poll)(void);
	void (*arm)(void);
	uint64_t (*due)(void); /* NULL, or when poll() next has timed work (ns; 0: none) */
	struct poller *next;
};
void thread_add_poller(struct poller *p);
/* poll() and arm() run inside the scheduler, at times with no current
 * thread: they wake threads but must never park or yield themselves. */

/* Sleeps the calling thread (others run) until CLOCK_MONOTONIC reaches ns. */
void thread_sleep_until(uint64_t deadline_ns);

/*
 * Below: the library OS's own side, for its system calls (sys_*.c),
 * entry.S and thread_*.c. Applications and drivers need none of it.
 */

/* The registers at a clone syscall, as entry.S pushes them, lowest first. */
struct clone_regs {
	uint64_t r15, r14, r13, r12, rbx, r10, r9, r8, rdx, rsi, rdi, r11, rbp, rcx;
};

/* A switched-out thread's stack top, as thread_switch leaves it. */
struct switch_frame {
	uint32_t mxcsr;
	uint16_t fpucw, pad;
	uint64_t fsbase;
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t rip;
};

struct thread {
	uint64_t sp; /* a struct switch_frame while switched out */
	int id;
	int woken;		      /* thread_park's answer: woken, or timed out */
	struct waitq *wq;	      /* the run queue, a waitq, or NULL: running */
	struct thread *prev, *next;   /* on wq; next links the free pool too */
	struct thread *tprev, *tnext; /* on the timer list while deadline != 0 */
	uint64_t deadline;	      /* CLOCK_MONOTONIC ns */
	int *clear_tid;		      /* CLONE_CHILD_CLEARTID, set_tid_address */
	struct thread *aprev, *anext; /* all live threads */
	struct switch_frame first;    /* a new thread's first switch pops this, */
	struct clone_regs regs;	      /* then thread_child_entry pops these */
	uint64_t child_sp;	      /* and this, last: it must follow regs */
};

extern struct thread thread_main, *thread_current;
extern uint64_t thread_idle_fs; /* FS base for the idle loop: the main thread's TLS */

/* thread.c */
void thread_ready(struct thread *t); /* a new thread joins the run queue */
_Noreturn void thread_leave(void);   /* the current thread is gone: run another */

/* thread_clone.c */
long thread_clone(struct clone_regs *r); /* from entry.S's SYS_clone path */
_Noreturn void thread_exit(int status);
int thread_id(void);
int thread_alive(int tid);
long thread_set_tid_address(int *ctid);

/* thread_futex.c: wakes up to n waiters on addr whose bitset meets bitset. */
int futex_wake(const volatile int *addr, int n, uint32_t bitset);

/* entry.S */
void thread_switch(uint64_t *save_sp, uint64_t sp);
void thread_child_entry(void);

#endif
