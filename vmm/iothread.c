/* iothread.c: the I/O thread: queue kicks (ioeventfds) run device work here,
 * so the vCPU keeps running while the host does I/O. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vm.h"

#define STOP_TOKEN UINT64_MAX

static void *io_main(void *arg)
{
	struct vmm *vm = arg;
	struct epoll_event ev[16];
	uint64_t n;

	for (;;) {
		int k = epoll_wait(vm->io_epfd, ev, 16, -1);

		for (int i = 0; i < k; i++) {
			uint64_t tok = ev[i].data.u64;
			struct virtio_dev *d;

			if (tok == STOP_TOKEN)
				return NULL;
			d = vm->devs[tok >> 8];
			/* Drain first: a kick after this point wakes us again. */
			if (read(d->kick_fd[tok & 0xff], &n, 8) < 0 && errno != EAGAIN)
				continue;
			virtio_dev_kick(d, (int)(tok & 0xff));
		}
	}
}

static int watch(struct vmm *vm, int fd, uint64_t tok)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tok };

	return epoll_ctl(vm->io_epfd, EPOLL_CTL_ADD, fd, &ev);
}

int iothread_start(struct vmm *vm, struct vmm_error *err)
{
	sigset_t all, old;
	int rc;

	if (!vm->ndevs)
		return 0;
	vm->io_epfd = epoll_create1(EPOLL_CLOEXEC);
	vm->io_stop_fd = eventfd(0, EFD_CLOEXEC);
	if (vm->io_epfd < 0 || vm->io_stop_fd < 0 || watch(vm, vm->io_stop_fd, STOP_TOKEN))
		return vmm_fail(err, VMM_ERR_HOST, "I/O thread: %s", strerror(errno));
	for (int i = 0; i < vm->ndevs; i++)
		for (int q = 0; q < vm->devs[i]->nqueues; q++)
			if (watch(vm, vm->devs[i]->kick_fd[q], (uint64_t)i << 8 | (uint64_t)q))
				return vmm_fail(err, VMM_ERR_HOST, "epoll_ctl: %s",
						strerror(errno));
	/* Signals are for the vCPU thread: the I/O thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&vm->io_thread, NULL, io_main, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return vmm_fail(err, VMM_ERR_HOST, "pthread_create: %s", strerror(rc));
	vm->io_running = true;
	return 0;
}

void iothread_stop(struct vmm *vm)
{
	uint64_t one = 1;

	if (vm->io_running && write(vm->io_stop_fd, &one, 8) == 8)
		pthread_join(vm->io_thread, NULL);
	vm->io_running = false;
	if (vm->io_epfd >= 0)
		close(vm->io_epfd);
	if (vm->io_stop_fd >= 0)
		close(vm->io_stop_fd);
	vm->io_epfd = vm->io_stop_fd = -1;
}
