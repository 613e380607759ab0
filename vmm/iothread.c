/* iothread.c: the I/O thread: queue kicks (ioeventfds) and host sockets run
 * device work here, so the vCPU keeps running while the host does I/O. */
#include "iothread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vm.h"

static void stop_fn(struct io_watch *w, uint32_t events)
{
	(void)w;
	(void)events;
}

static void *io_main(void *arg)
{
	struct vmm *vm = arg;
	struct epoll_event ev[32];

	for (;;) {
		int k = epoll_wait(vm->io_epfd, ev, 32, -1);

		for (int i = 0; i < k; i++) {
			struct io_watch *w = ev[i].data.ptr;

			if (w == &vm->io_stop)
				return NULL;
			w->fn(w, ev[i].events);
		}
	}
}

int iothread_init(struct vmm *vm)
{
	vm->io_epfd = epoll_create1(EPOLL_CLOEXEC);
	vm->io_stop = (struct io_watch){ stop_fn, eventfd(0, EFD_CLOEXEC) };
	if (vm->io_epfd < 0 || vm->io_stop.fd < 0)
		return -errno;
	return iothread_watch(vm, &vm->io_stop, EPOLLIN);
}

int iothread_watch(struct vmm *vm, struct io_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(vm->io_epfd, EPOLL_CTL_MOD, w->fd, &ev) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(vm->io_epfd, EPOLL_CTL_ADD, w->fd, &ev) == 0)
		return 0;
	return -errno;
}

void iothread_unwatch(struct vmm *vm, struct io_watch *w)
{
	epoll_ctl(vm->io_epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int iothread_start(struct vmm *vm)
{
	sigset_t all, old;
	int rc;

	if (!vm->ndevs)
		return 0;
	/* Signals are for the vCPU thread: the I/O thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&vm->io_thread, NULL, io_main, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	vm->io_running = true;
	return 0;
}

void iothread_stop(struct vmm *vm)
{
	uint64_t one = 1;

	if (vm->io_running && write(vm->io_stop.fd, &one, 8) == 8)
		pthread_join(vm->io_thread, NULL);
	vm->io_running = false;
}
