/* sock.c: the socket system calls and poll(), over struct sock and the fd table. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fd.h"
#include "libos.h"
#include "sock.h"
#include "syscalls.h"

static struct waitq events; /* any socket changed */

void sock_changed(void)
{
	thread_wake_all(&events);
}

static struct sock *sock_of(struct file *f);

static int nowait(struct file *f)
{
	return f->flags & O_NONBLOCK ? SOCK_NOWAIT : 0;
}

static long sock_readv(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	(void)off;
	return sock_of(f)->ops->recv(sock_of(f), iov, n, nowait(f));
}

static long sock_writev(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	(void)off;
	return sock_of(f)->ops->send(sock_of(f), iov, n, nowait(f));
}

static void sock_stat(struct file *f, struct stat *st)
{
	(void)f;
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
}

static short sock_poll(struct file *f)
{
	return sock_of(f)->ops->poll(sock_of(f));
}

static void sock_close(struct file *f)
{
	sock_of(f)->ops->close(sock_of(f));
	sock_changed();
}

static const struct file_ops sock_file_ops = {
	.readv = sock_readv,
	.writev = sock_writev,
	.stat = sock_stat,
	.close = sock_close,
	.poll = sock_poll,
};

static struct sock *sock_of(struct file *f)
{
	return f->priv;
}

/* The socket behind fd, or NULL with *err set (EBADF, ENOTSOCK). */
static struct sock *lookup(long fd, long *err)
{
	struct file *f = fd_file(fd);

	*err = !f ? -EBADF : f->ops != &sock_file_ops ? -ENOTSOCK : 0;
	if (*err)
		return NULL;
	sock_of(f)->nonblock = !!(f->flags & O_NONBLOCK);
	return sock_of(f);
}

static long new_fd(struct sock *s, long type_flags)
{
	long fd = fd_new(&sock_file_ops, s,
			 O_RDWR | (type_flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
			     (type_flags & SOCK_CLOEXEC ? O_CLOEXEC : 0));

	if (fd < 0)
		s->ops->close(s);
	return fd;
}

long sys_socket(const long a[6])
{
	struct sock *s;
	int type = (int)(a[1] & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)), rc;

	if (a[0] == AF_VSOCK)
		rc = vsock_create(type, &s);
	else if (a[0] == AF_INET)
		rc = inet_create(type, (int)a[2], &s);
	else
		return -EAFNOSUPPORT;
	return rc ? rc : new_fd(s, a[1]);
}

#define CALL(fd, hook, ...)                            \
	do {                                           \
		long err_;                             \
		struct sock *s_ = lookup(fd, &err_);   \
		if (!s_)                               \
			return err_;                   \
		if (!s_->ops->hook)                    \
			return -EOPNOTSUPP;            \
		return s_->ops->hook(s_, __VA_ARGS__); \
	} while (0)

long sys_bind(const long a[6])
{
	CALL(a[0], bind, (const struct sockaddr *)a[1], (socklen_t)a[2]);
}

long sys_listen(const long a[6])
{
	CALL(a[0], listen, (int)a[1]);
}

long sys_connect(const long a[6])
{
	long err;
	struct sock *s = lookup(a[0], &err);

	if (!s)
		return err;
	if (!s->ops->connect)
		return -EOPNOTSUPP;
	return s->ops->connect(s, (const struct sockaddr *)a[1], (socklen_t)a[2], s->nonblock);
}

long sys_shutdown(const long a[6])
{
	CALL(a[0], shutdown, (int)a[1]);
}

long sys_getsockname(const long a[6])
{
	CALL(a[0], name, (struct sockaddr *)a[1], (socklen_t *)a[2], 0);
}

long sys_getpeername(const long a[6])
{
	CALL(a[0], name, (struct sockaddr *)a[1], (socklen_t *)a[2], 1);
}

long sys_accept4(const long a[6])
{
	long err, fd;
	struct sock *s = lookup(a[0], &err), *child;
	socklen_t *len = (socklen_t *)a[2];

	if (!s)
		return err;
	if (!s->ops->accept)
		return -EOPNOTSUPP;
	err = s->ops->accept(s, &child, s->nonblock);
	if (err)
		return err;
	fd = new_fd(child, a[3]);
	if (fd >= 0 && a[1] && len)
		child->ops->name(child, (struct sockaddr *)a[1], len, 1);
	return fd;
}

long sys_accept(const long a[6])
{
	return sys_accept4((const long[6]){ a[0], a[1], a[2], 0 });
}

static int msg_flags(struct sock *s, long flags)
{
	return (int)(flags & (MSG_PEEK | MSG_WAITALL)) |
	       (s->nonblock || (flags & MSG_DONTWAIT) ? SOCK_NOWAIT : 0);
}

/* Datagram families take the address per message; streams ignore it, as Linux's TCP. */
static long do_send(struct sock *s, const struct iovec *iov, int n, long flags,
		    const struct sockaddr *to, socklen_t tolen)
{
	if (s->ops->sendto)
		return s->ops->sendto(s, iov, n, msg_flags(s, flags), to, tolen);
	return s->ops->send(s, iov, n, msg_flags(s, flags));
}

static long do_recv(struct sock *s, const struct iovec *iov, int n, long flags,
		    struct sockaddr *from, socklen_t *fromlen)
{
	long r;

	if (s->ops->recvfrom)
		return s->ops->recvfrom(s, iov, n, msg_flags(s, flags), from, fromlen);
	r = s->ops->recv(s, iov, n, msg_flags(s, flags));
	if (r >= 0 && from && fromlen)
		s->ops->name(s, from, fromlen, 1);
	return r;
}

long sys_sendto(const long a[6])
{
	long err;
	struct sock *s = lookup(a[0], &err);
	struct iovec iov = { (void *)a[1], (size_t)a[2] };

	return s ? do_send(s, &iov, 1, a[3], (const struct sockaddr *)a[4], (socklen_t)a[5]) : err;
}

long sys_recvfrom(const long a[6])
{
	long err;
	struct sock *s = lookup(a[0], &err);
	struct iovec iov = { (void *)a[1], (size_t)a[2] };

	return s ? do_recv(s, &iov, 1, a[3], (struct sockaddr *)a[4], (socklen_t *)a[5]) : err;
}

long sys_sendmsg(const long a[6])
{
	long err;
	struct sock *s = lookup(a[0], &err);
	const struct msghdr *m = (const struct msghdr *)a[1];

	return s ? do_send(s, m->msg_iov, (int)m->msg_iovlen, a[2], m->msg_name, m->msg_namelen)
		 : err;
}

long sys_recvmsg(const long a[6])
{
	long err;
	struct sock *s = lookup(a[0], &err);
	struct msghdr *m = (struct msghdr *)a[1];

	if (!s)
		return err;
	m->msg_controllen = 0;
	m->msg_flags = 0;
	return do_recv(s, m->msg_iov, (int)m->msg_iovlen, a[2], m->msg_name,
		       m->msg_name ? &m->msg_namelen : NULL);
}

/* Families without option hooks (vsock) accept every option; each reads as 0. */
long sys_setsockopt(const long a[6])
{
	long err;
	struct sock *s = lookup(a[0], &err);

	if (!s)
		return err;
	if (!s->ops->setopt)
		return 0;
	return s->ops->setopt(s, (int)a[1], (int)a[2], (const void *)a[3], (socklen_t)a[4]);
}

long sys_getsockopt(const long a[6])
{
	long err;
	struct sock *s = lookup(a[0], &err);
	int *val = (int *)a[3];
	socklen_t *len = (socklen_t *)a[4];

	if (!s)
		return err;
	if (!val || !len)
		return -EFAULT;
	if (s->ops->getopt)
		return s->ops->getopt(s, (int)a[1], (int)a[2], val, len);
	if (*len >= sizeof(int)) {
		*val = 0; /* SO_ERROR and the rest: nothing pending, off */
		*len = sizeof(int);
	}
	return 0;
}

/* Ready entries of fds, counting them; files without a poll hook are always ready. */
static int scan(struct pollfd *fds, unsigned long n)
{
	int ready = 0;

	for (unsigned long i = 0; i < n; i++) {
		struct file *f = fd_file(fds[i].fd);
		short r = fds[i].fd < 0	 ? 0
			  : !f		 ? POLLNVAL
			  : f->ops->poll ? f->ops->poll(f)
					 : POLLIN | POLLOUT;

		fds[i].revents = r & (fds[i].events | POLLHUP | POLLERR | POLLNVAL);
		ready += fds[i].revents != 0;
	}
	return ready;
}

static long do_poll(struct pollfd *fds, unsigned long n, int64_t timeout_ns)
{
	uint64_t deadline = timeout_ns < 0 ? 0 : clock_monotonic_ns() + (uint64_t)timeout_ns;
	int ready;

	if (n > 1024)
		return -EINVAL;
	while (!(ready = scan(fds, n)) && timeout_ns != 0)
		if (thread_park(&events, deadline) == -ETIMEDOUT)
			return scan(fds, n);
	return ready;
}

long sys_poll(const long a[6])
{
	return do_poll((struct pollfd *)a[0], (unsigned long)a[1],
		       a[2] < 0 ? -1 : a[2] * 1000000LL);
}

long sys_ppoll(const long a[6])
{
	const struct timespec *ts = (const struct timespec *)a[2];

	return do_poll((struct pollfd *)a[0], (unsigned long)a[1],
		       ts ? ts->tv_sec * 1000000000LL + ts->tv_nsec : -1);
}
