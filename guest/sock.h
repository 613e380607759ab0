/* sock.h: sockets behind file descriptors; one ops table per address family. */
#ifndef SOCK_H
#define SOCK_H

#include <sys/socket.h>
#include <sys/uio.h>

#include "thread.h"

struct sock;

/* A NULL hook: the operation does not apply to the family (EOPNOTSUPP). */
struct sock_ops {
	int (*bind)(struct sock *s, const struct sockaddr *a, socklen_t len);
	int (*listen)(struct sock *s, int backlog);
	int (*accept)(struct sock *s, struct sock **child, int nonblock);
	int (*connect)(struct sock *s, const struct sockaddr *a, socklen_t len, int nonblock);
	long (*recv)(struct sock *s, const struct iovec *iov, int n, int flags);
	long (*send)(struct sock *s, const struct iovec *iov, int n, int flags);
	int (*shutdown)(struct sock *s, int how);
	int (*name)(struct sock *s, struct sockaddr *a, socklen_t *len, int peer);
	short (*poll)(struct sock *s); /* POLLIN, POLLOUT, POLLHUP, POLLERR now */
	void (*close)(struct sock *s);
	/* Datagrams: an address per message. NULL: send/recv, and the peer's name. */
	long (*sendto)(struct sock *s, const struct iovec *iov, int n, int flags,
		       const struct sockaddr *to, socklen_t tolen);
	long (*recvfrom)(struct sock *s, const struct iovec *iov, int n, int flags,
			 struct sockaddr *from, socklen_t *fromlen);
	/* NULL: every option is accepted and reads as 0. */
	int (*setopt)(struct sock *s, int level, int name, const void *val, socklen_t len);
	int (*getopt)(struct sock *s, int level, int name, void *val, socklen_t *len);
};

struct sock {
	const struct sock_ops *ops;
	int nonblock; /* follows the file's O_NONBLOCK */
};

/* Families: a new socket of type, or -errno. */
int vsock_create(int type, struct sock **s);
int inet_create(int type, int protocol, struct sock **s);

/* Any socket's state changed: poll() and select() look again. */
void sock_changed(void);

/* Flags for recv/send hooks beyond MSG_*: the caller may not block. */
#define SOCK_NOWAIT 0x40000000

#endif
