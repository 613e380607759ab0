/* iothread.h: what runs on the I/O thread: a callback per watched descriptor. */
#ifndef VMM_IOTHREAD_H
#define VMM_IOTHREAD_H

#include <stdint.h>

struct vmm;

/* Lives as long as it is watched; events are EPOLLIN, EPOLLOUT, ... */
struct io_watch {
	void (*fn)(struct io_watch *w, uint32_t events);
	int fd;
};

/* Creates the epoll set (before devices register), starts and stops the thread. */
int iothread_init(struct vmm *vm);
int iothread_start(struct vmm *vm);
void iothread_stop(struct vmm *vm);

/* Adds w->fd, or changes its events if already watched; -errno on failure. */
int iothread_watch(struct vmm *vm, struct io_watch *w, uint32_t events);
void iothread_unwatch(struct vmm *vm, struct io_watch *w);

#endif
