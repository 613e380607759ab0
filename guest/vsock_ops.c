/* vsock_ops.c: the AF_VSOCK socket calls: bind, listen, accept, connect,
 * send and receive with credit, shutdown, names, poll, close. */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <string.h>

#include "libos.h"
#include "vsock.h"

#define CONNECT_NS 2000000000ULL /* Linux's vsock connect timeout */

static struct vsock *vs_of(struct sock *s)
{
	return (struct vsock *)s;
}

static int bind_port(struct vsock *v, uint32_t port)
{
	if (port == VMADDR_PORT_ANY)
		port = vsock_ephemeral();
	else if (vsock_port_in_use(port))
		return -EADDRINUSE;
	v->lport = port;
	v->state = BOUND;
	return 0;
}

static int vs_bind(struct sock *s, const struct sockaddr *a, socklen_t len)
{
	const struct sockaddr_vm *vm = (const struct sockaddr_vm *)a;
	struct vsock *v = vs_of(s);

	if (len < sizeof(*vm) || vm->svm_family != AF_VSOCK)
		return -EINVAL;
	if (v->state != UNBOUND)
		return -EINVAL;
	if (vm->svm_cid != VMADDR_CID_ANY && vm->svm_cid != vsock_guest_cid())
		return -EADDRNOTAVAIL;
	return bind_port(v, vm->svm_port);
}

static int vs_listen(struct sock *s, int backlog)
{
	struct vsock *v = vs_of(s);

	if (v->state == UNBOUND && bind_port(v, VMADDR_PORT_ANY))
		return -EADDRINUSE;
	if (v->state != BOUND && v->state != LISTENING)
		return -EINVAL;
	v->state = LISTENING;
	v->backlog = backlog <= 0 ? 1 : backlog > BACKLOG_MAX ? BACKLOG_MAX : backlog;
	return 0;
}

static int vs_accept(struct sock *s, struct sock **child, int nonblock)
{
	struct vsock *v = vs_of(s);

	if (v->state != LISTENING)
		return -EINVAL;
	while (!v->npending) {
		if (nonblock)
			return -EAGAIN;
		thread_park(&v->wq, 0);
		if (v->state != LISTENING)
			return -EINVAL;
	}
	*child = &v->pending[0]->sock;
	memmove(v->pending, v->pending + 1, (size_t)--v->npending * sizeof(v->pending[0]));
	return 0;
}

static int vs_connect(struct sock *s, const struct sockaddr *a, socklen_t len, int nonblock)
{
	const struct sockaddr_vm *vm = (const struct sockaddr_vm *)a;
	struct vsock *v = vs_of(s);
	uint64_t deadline = clock_monotonic_ns() + CONNECT_NS;

	if (len < sizeof(*vm) || vm->svm_family != AF_VSOCK)
		return -EINVAL;
	if (v->state == CONNECTING)
		return -EALREADY;
	if (v->state == CONNECTED || v->state == LISTENING || v->state == CLOSED)
		return v->state == CONNECTED ? -EISCONN : -EINVAL;
	if (vm->svm_cid != VIRTIO_VSOCK_HOST_CID)
		return -ENETUNREACH; /* only the host is reachable over this transport */
	if ((v->state == UNBOUND && bind_port(v, VMADDR_PORT_ANY)) || vsock_rx_init(v))
		return -ENOMEM;
	v->pcid = vm->svm_cid;
	v->pport = vm->svm_port;
	v->state = CONNECTING;
	if (vsock_send_op(v, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0))
		return -EIO;
	if (nonblock)
		return -EINPROGRESS;
	while (v->state == CONNECTING)
		if (thread_park(&v->wq, deadline) == -ETIMEDOUT && v->state == CONNECTING) {
			vsock_send_op(v, VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
			vsock_reset(v, ETIMEDOUT);
		}
	return v->state == CONNECTED ? 0 : -v->err;
}

/* Copies up to want bytes out of the receive ring into iov. */
static size_t take(struct vsock *v, const struct iovec *iov, int n, size_t want, int peek)
{
	size_t done = 0;
	uint32_t head = v->rx_head;

	for (int i = 0; i < n && done < want; i++)
		for (size_t off = 0; off < iov[i].iov_len && done < want;) {
			size_t k = iov[i].iov_len - off, run = RX_CAP - head;

			k = k < want - done ? k : want - done;
			k = k < run ? k : run;
			memcpy((char *)iov[i].iov_base + off, v->rx + head, k);
			head = (uint32_t)((head + k) % RX_CAP);
			off += k;
			done += k;
		}
	if (!peek) {
		v->rx_head = head;
		v->rx_len -= (uint32_t)done;
		v->fwd_cnt += (uint32_t)done;
	}
	return done;
}

static long vs_recv(struct sock *s, const struct iovec *iov, int n, int flags)
{
	struct vsock *v = vs_of(s);
	size_t want = 0, got;

	for (int i = 0; i < n; i++)
		want += iov[i].iov_len;
	while (!v->rx_len) {
		if (v->state != CONNECTED && v->state != CLOSED)
			return -ENOTCONN;
		if (v->state == CLOSED)
			return v->err == ECONNRESET ? -ECONNRESET : 0;
		if ((v->shut_peer & VIRTIO_VSOCK_SHUTDOWN_SEND) || want == 0)
			return 0;
		if (flags & SOCK_NOWAIT)
			return -EAGAIN;
		thread_park(&v->wq, 0);
	}
	got = take(v, iov, n, want < v->rx_len ? want : v->rx_len, flags & MSG_PEEK);
	/* Tell the peer about freed space once a quarter of the buffer is free again. */
	if (v->fwd_cnt - v->fwd_told >= RX_CAP / 4 && v->state == CONNECTED)
		vsock_send_op(v, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	return (long)got;
}

/* Sends what the peer's credit allows, at most one packet's worth. */
static long send_some(struct vsock *v, const struct iovec *iov, int n, size_t *idx, size_t *off)
{
	static uint8_t buf[VSOCK_TX_PAYLOAD];
	size_t len = 0, room = vsock_credit(v);

	room = room < sizeof(buf) ? room : sizeof(buf);
	while (*idx < (size_t)n && len < room) {
		size_t k = iov[*idx].iov_len - *off;

		k = k < room - len ? k : room - len;
		memcpy(buf + len, (const char *)iov[*idx].iov_base + *off, k);
		len += k;
		*off += k;
		if (*off == iov[*idx].iov_len)
			(*idx)++, *off = 0;
	}
	if (len && vsock_send_op(v, VIRTIO_VSOCK_OP_RW, 0, buf, (uint32_t)len))
		return -EIO;
	v->tx_cnt += (uint32_t)len;
	return (long)len;
}

static long vs_send(struct sock *s, const struct iovec *iov, int n, int flags)
{
	struct vsock *v = vs_of(s);
	size_t idx = 0, off = 0;
	long sent = 0, k;

	while (idx < (size_t)n && iov[idx].iov_len == 0)
		idx++;
	while (idx < (size_t)n) {
		if (v->state != CONNECTED || (v->shut_local & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
		    (v->shut_peer & VIRTIO_VSOCK_SHUTDOWN_RCV))
			return sent ? sent : v->state == CONNECTING ? -ENOTCONN : -EPIPE;
		if (!vsock_credit(v)) {
			if (flags & SOCK_NOWAIT)
				return sent ? sent : -EAGAIN;
			thread_park(&v->wq, 0);
			continue;
		}
		k = send_some(v, iov, n, &idx, &off);
		if (k < 0)
			return sent ? sent : k;
		sent += k;
	}
	return sent;
}

static int vs_shutdown(struct sock *s, int how)
{
	struct vsock *v = vs_of(s);
	int bits = how == SHUT_RD   ? VIRTIO_VSOCK_SHUTDOWN_RCV
		   : how == SHUT_WR ? VIRTIO_VSOCK_SHUTDOWN_SEND
				    : VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (v->state != CONNECTED)
		return -ENOTCONN;
	v->shut_local |= bits;
	vsock_send_op(v, VIRTIO_VSOCK_OP_SHUTDOWN, (uint32_t)v->shut_local, NULL, 0);
	vsock_changed(v);
	return 0;
}

static int vs_name(struct sock *s, struct sockaddr *a, socklen_t *len, int peer)
{
	struct vsock *v = vs_of(s);
	struct sockaddr_vm vm = { .svm_family = AF_VSOCK };
	socklen_t n = *len < sizeof(vm) ? *len : sizeof(vm);

	if (peer && v->state != CONNECTED)
		return -ENOTCONN;
	vm.svm_cid = peer ? (unsigned)v->pcid : (unsigned)vsock_guest_cid();
	vm.svm_port = peer ? v->pport : v->lport;
	memcpy(a, &vm, n);
	*len = sizeof(vm);
	return 0;
}

static short vs_poll(struct sock *s)
{
	struct vsock *v = vs_of(s);
	short r = 0;

	if (v->state == LISTENING)
		return v->npending ? POLLIN : 0;
	if (v->rx_len || (v->shut_peer & VIRTIO_VSOCK_SHUTDOWN_SEND) || v->state == CLOSED)
		r |= POLLIN;
	if (v->state == CONNECTED && vsock_credit(v) &&
	    !(v->shut_local & VIRTIO_VSOCK_SHUTDOWN_SEND))
		r |= POLLOUT;
	if (v->state == CLOSED || v->shut_peer == 3)
		r |= POLLHUP;
	if (v->state == CLOSED && v->err)
		r |= POLLERR;
	return r;
}

/* A close says SHUTDOWN both ways; the peer's RST that follows finds no one. */
static void vs_close(struct sock *s)
{
	struct vsock *v = vs_of(s);

	if (v->state == CONNECTED || v->state == CONNECTING)
		vsock_send_op(v, VIRTIO_VSOCK_OP_SHUTDOWN,
			      VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0);
	for (int i = 0; i < v->npending; i++) {
		vsock_send_op(v->pending[i], VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
		vsock_free(v->pending[i]);
	}
	vsock_free(v);
}

const struct sock_ops vsock_sock_ops = {
	.bind = vs_bind,
	.listen = vs_listen,
	.accept = vs_accept,
	.connect = vs_connect,
	.recv = vs_recv,
	.send = vs_send,
	.shutdown = vs_shutdown,
	.name = vs_name,
	.poll = vs_poll,
	.close = vs_close,
};
