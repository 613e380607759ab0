/* thread_clone.c: thread lifetimes: clone, exit, ids and control blocks. */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "libos.h"
#include "thread.h"

_Static_assert(sizeof(struct thread) <= 4096, "a control block fits a page");
_Static_assert(__builtin_offsetof(struct thread, child_sp) ==
		   __builtin_offsetof(struct thread, regs) + sizeof(struct clone_regs),
	       "thread_child_entry pops child_sp right after regs");

struct thread thread_main = { .id = 1 };
uint64_t thread_idle_fs;

static struct thread *all = &thread_main; /* live threads, newest first */
static struct thread *pool;		  /* free control blocks, on next */
static int nthreads = 1, next_id = 2;

static uint64_t rdfsbase(void)
{
	uint64_t v;

	__asm__ volatile("rdfsbase %0" : "=r"(v));
	return v;
}

/* Linux skips a tid word it cannot write; null and misaligned are what we can tell. */
static int user_ok(const int *p)
{
	return (uintptr_t)p >= 4096 && (uintptr_t)p % sizeof(int) == 0;
}

/* Control blocks come a page at a time and are reused, never given back:
 * memory stays at the peak number of threads, however many come and go. */
static struct thread *tcb_alloc(void)
{
	struct thread *t, *page;

	if (!pool) {
		page = pages_alloc(4096);
		if (!page)
			return NULL;
		for (size_t i = 0; i < 4096 / sizeof(*page); i++) {
			page[i].next = pool;
			pool = &page[i];
		}
	}
	t = pool;
	pool = t->next;
	memset(t, 0, sizeof(*t));
	return t;
}

static void tcb_free(struct thread *t)
{
	t->id = 0;
	t->next = pool;
	pool = t;
}

/* Ids only grow; 2^31 threads would wrap them, which we do not expect. */
static int new_id(void)
{
	int id = next_id;

	next_id = next_id == 0x7fffffff ? 2 : next_id + 1;
	return id;
}

static void link_all(struct thread *t)
{
	t->aprev = NULL;
	t->anext = all;
	if (all)
		all->aprev = t;
	all = t;
}

static void unlink_all(struct thread *t)
{
	if (t->aprev)
		t->aprev->anext = t->anext;
	else
		all = t->anext;
	if (t->anext)
		t->anext->aprev = t->aprev;
}

/*
 * The child's first switch-in "returns" into thread_child_entry, which loads
 * every register of the parent's syscall from t->regs and the new stack,
 * then jumps to the syscall's return address with RAX = 0. Its FS base is
 * the tls argument; MXCSR and the x87 control word are the parent's.
 */
static void child_context(struct thread *t, const struct clone_regs *r, unsigned long flags)
{
	struct switch_frame *f = &t->first;

	t->regs = *r;
	t->child_sp = r->rsi;
	f->rip = (uint64_t)thread_child_entry;
	f->rbx = (uint64_t)&t->regs;
	f->fsbase = flags & CLONE_SETTLS ? r->r8 : rdfsbase();
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(f->mxcsr), "=m"(f->fpucw));
	t->sp = (uint64_t)f;
}

/* clone(flags, stack, ptid, ctid, tls): only threads; the parent runs on. */
long thread_clone(struct clone_regs *r)
{
	unsigned long flags = r->rdi;
	int *ptid = (int *)r->rdx, *ctid = (int *)r->r10;
	struct thread *t;

	if (!(flags & CLONE_VM) || !(flags & CLONE_THREAD))
		return -ENOSYS; /* a new process: fork, or posix_spawn's vfork */
	if (!r->rsi)
		return -EINVAL;
	if (!thread_idle_fs)
		thread_idle_fs = rdfsbase(); /* the first clone is the main thread's */
	t = tcb_alloc();
	if (!t)
		return -EAGAIN;
	t->id = new_id();
	child_context(t, r, flags);
	if (flags & CLONE_PARENT_SETTID && user_ok(ptid))
		*ptid = t->id;
	if (flags & CLONE_CHILD_SETTID && user_ok(ctid))
		*ctid = t->id;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_tid = ctid;
	link_all(t);
	nthreads++;
	thread_ready(t);
	return t->id;
}

/*
 * As Linux: zero the CLONE_CHILD_CLEARTID word and wake it (pthread_join
 * and musl's thread list lock wait there). The stack is musl's to free; the
 * control block goes back to the pool. The last thread's exit ends the VM.
 */
_Noreturn void thread_exit(int status)
{
	struct thread *self = thread_current;

	if (user_ok(self->clear_tid)) {
		*self->clear_tid = 0;
		futex_wake(self->clear_tid, 1, ~0u);
	}
	if (--nthreads == 0)
		hc_exit(status & 0xff);
	unlink_all(self);
	if (self != &thread_main)
		tcb_free(self);
	thread_leave();
}

int thread_id(void)
{
	return thread_current->id;
}

int thread_count(void)
{
	return nthreads;
}

int thread_alive(int tid)
{
	for (struct thread *t = all; t; t = t->anext)
		if (t->id == tid)
			return 1;
	return 0;
}

long thread_set_tid_address(int *ctid)
{
	thread_current->clear_tid = ctid;
	return thread_current->id;
}
