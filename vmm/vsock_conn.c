/* vsock_conn.c: vsock connections: the table keyed by (host port, guest port), what
 * each owes the guest, credit, and the bytes between the host socket and the guest. */
#include "virtio_vsock.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t bucket(uint32_t local, uint32_t peer)
{
	uint32_t x = local * 0x9e3779b1u ^ peer * 0x85ebca77u;

	return (x ^ x >> 16) % VSOCK_HASH_SIZE;
}

struct vsock_conn *vsock_conn_new(struct vsock *vs, int fd, enum vsock_state state)
{
	struct vsock_conn *c = vs->free_list;

	if (!c)
		return NULL;
	vs->free_list = c->fnext;
	vs->nconns++;
	memset(&c->state, 0, sizeof(*c) - offsetof(struct vsock_conn, state));
	c->state = state;
	c->w.fd = fd;
	return c;
}

static void unhash(struct vsock_conn *c)
{
	struct vsock_conn **p = &c->vs->hash[bucket(c->local_port, c->peer_port)];

	if (!c->hashed)
		return;
	while (*p != c)
		p = &(*p)->hnext;
	*p = c->hnext;
	c->hashed = false;
}

void vsock_conn_free(struct vsock_conn *c)
{
	struct vsock *vs = c->vs;

	if (c->state == VSOCK_FREE)
		return;
	vsock_conn_close_host(c);
	vsock_conn_unqueue(c);
	unhash(c);
	c->state = VSOCK_FREE;
	c->deadline = 0;
	c->fnext = vs->free_list;
	vs->free_list = c;
	vs->nconns--;
}

struct vsock_conn *vsock_conn_find(struct vsock *vs, uint32_t local, uint32_t peer)
{
	struct vsock_conn *c = vs->hash[bucket(local, peer)];

	while (c && (c->local_port != local || c->peer_port != peer))
		c = c->hnext;
	return c;
}

int vsock_conn_bind(struct vsock_conn *c, uint32_t local, uint32_t peer)
{
	struct vsock_conn **head = &c->vs->hash[bucket(local, peer)];

	if (c->hashed || vsock_conn_find(c->vs, local, peer))
		return -EEXIST;
	c->local_port = local;
	c->peer_port = peer;
	c->hnext = *head;
	*head = c;
	c->hashed = true;
	return 0;
}

static bool port_used(const struct vsock *vs, uint32_t port)
{
	for (int i = 0; i < VSOCK_CONNS_MAX; i++)
		if (vs->pool[i].hashed && vs->pool[i].local_port == port)
			return true;
	return false;
}

/* Firecracker's numbering: round robin over [2^30, 2^31), skipping ports in use. */
uint32_t vsock_conn_port(struct vsock *vs)
{
	do
		vs->port_last = ((vs->port_last + 1) & ~(1u << 31)) | VSOCK_PORT_BASE;
	while (port_used(vs, vs->port_last));
	return vs->port_last;
}

void vsock_conn_queue(struct vsock_conn *c, uint8_t bits)
{
	struct vsock *vs = c->vs;

	c->pend |= bits;
	if (c->queued || !c->pend)
		return;
	c->pnext = NULL;
	c->pprev = vs->pend_tail;
	if (vs->pend_tail)
		vs->pend_tail->pnext = c;
	else
		vs->pend_head = c;
	vs->pend_tail = c;
	c->queued = true;
}

void vsock_conn_unqueue(struct vsock_conn *c)
{
	struct vsock *vs = c->vs;

	if (!c->queued)
		return;
	if (c->pprev)
		c->pprev->pnext = c->pnext;
	else
		vs->pend_head = c->pnext;
	if (c->pnext)
		c->pnext->pprev = c->pprev;
	else
		vs->pend_tail = c->pprev;
	c->pnext = c->pprev = NULL;
	c->queued = false;
}

/* What the guest can still take: its buffer less what is in flight. The guest's
 * counters are hostile: a fwd_cnt ahead of what we sent wraps to "no credit". */
uint32_t vsock_conn_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

void vsock_conn_peer(struct vsock_conn *c, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	c->peer_buf_alloc = buf_alloc;
	c->peer_fwd_cnt = fwd_cnt;
}

static uint32_t wanted(const struct vsock_conn *c)
{
	uint32_t ev = 0;

	if (c->state == VSOCK_HANDSHAKE)
		return EPOLLIN;
	/* Host-initiated, not yet accepted: nothing beyond the CONNECT line is read. */
	if (c->state != VSOCK_ESTABLISHED)
		return 0;
	/* No credit, or bytes already waiting for an rx buffer: leave the rest in the socket. */
	if (!(c->pend & PEND_RW) && !c->host_eof && !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) &&
	    vsock_conn_credit(c))
		ev |= EPOLLIN;
	if (c->buf_len)
		ev |= EPOLLOUT;
	return ev;
}

/* Brings the epoll registration in line with the state. None at all rather than
 * an empty mask: a hung-up socket would report EPOLLHUP forever. */
void vsock_conn_events(struct vsock_conn *c)
{
	struct vmm *vm = c->vs->vm;
	uint32_t ev = c->w.fd >= 0 ? wanted(c) : 0;

	if (ev == c->watched)
		return;
	if (vm && !ev) {
		iothread_unwatch(vm, &c->w);
	} else if (vm && iothread_watch(vm, &c->w, ev)) {
		vsock_conn_reset(c);
		return;
	}
	c->watched = ev;
}

void vsock_conn_close_host(struct vsock_conn *c)
{
	if (c->w.fd >= 0) {
		if (c->watched && c->vs->vm)
			iothread_unwatch(c->vs->vm, &c->w);
		close(c->w.fd);
	}
	c->w.fd = -1;
	c->watched = 0;
	free(c->buf);
	c->buf = NULL;
	c->buf_head = c->buf_len = 0;
}

/* Ends c: the host socket closes now, the guest hears an RST if it knew of c. */
void vsock_conn_reset(struct vsock_conn *c)
{
	if (c->state == VSOCK_FREE || c->state == VSOCK_DEAD)
		return;
	if (c->state == VSOCK_HANDSHAKE || (c->state == VSOCK_LOCAL_INIT && !c->request_sent)) {
		vsock_conn_free(c);
		return;
	}
	vsock_conn_close_host(c);
	c->state = VSOCK_DEAD;
	c->deadline = 0;
	c->pend = 0;
	vsock_conn_queue(c, PEND_RST);
}

/* 0 if it would block, else what send() returns; never SIGPIPE. */
static ssize_t send_iov(int fd, const struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	ssize_t w;

	do
		w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	return w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : w;
}

/* Keeps the iovecs' bytes past skip; the caller checked they fit. */
static int buf_append(struct vsock_conn *c, const struct iovec *iov, int n, size_t skip)
{
	if (!c->buf && !(c->buf = malloc(VSOCK_BUF_ALLOC)))
		return -1;
	for (int i = 0; i < n; i++) {
		const uint8_t *p = (const uint8_t *)iov[i].iov_base + skip;
		size_t len = iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		len -= skip;
		skip = 0;
		while (len) {
			uint32_t at = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;
			uint32_t k =
			    VSOCK_BUF_ALLOC - at < len ? VSOCK_BUF_ALLOC - at : (uint32_t)len;

			memcpy(c->buf + at, p, k);
			c->buf_len += k;
			p += k;
			len -= k;
		}
	}
	return 0;
}

/* Once half our buffer has drained since the guest last heard, tell it: it may be waiting. */
static void credit_check(struct vsock_conn *c)
{
	if (c->fwd_cnt - c->fwd_sent >= VSOCK_BUF_ALLOC / 2)
		vsock_conn_queue(c, PEND_CREDIT_UPDATE);
}

/* Everything the guest sent is out: act on its SHUTDOWN now. */
static void flushed(struct vsock_conn *c)
{
	free(c->buf);
	c->buf = NULL;
	c->buf_head = 0;
	if (c->guest_shut == (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND))
		vsock_conn_reset(c);
	else if (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)
		shutdown(c->w.fd, SHUT_WR);
}

/* Guest bytes to the host socket; what it does not take waits in c->buf. */
int vsock_conn_write(struct vsock_conn *c, const struct iovec *iov, int n, uint32_t len)
{
	ssize_t w = 0;

	if (len > VSOCK_BUF_ALLOC - c->buf_len)
		return -1; /* more than the credit we gave */
	c->rx_cnt += len;
	if (!c->buf_len && len) {
		w = send_iov(c->w.fd, iov, n);
		if (w < 0)
			return -1;
		c->fwd_cnt += (uint32_t)w;
	}
	if ((uint32_t)w < len && buf_append(c, iov, n, (size_t)w))
		return -1;
	credit_check(c);
	return 0;
}

void vsock_conn_flush(struct vsock_conn *c)
{
	while (c->buf_len) {
		uint32_t first = VSOCK_BUF_ALLOC - c->buf_head;
		struct iovec iov[2] = { { c->buf + c->buf_head, first }, { c->buf, 0 } };
		ssize_t w;

		if (first >= c->buf_len)
			iov[0].iov_len = c->buf_len;
		else
			iov[1].iov_len = c->buf_len - first;
		w = send_iov(c->w.fd, iov, iov[1].iov_len ? 2 : 1);
		if (w < 0) {
			vsock_conn_reset(c);
			return;
		}
		if (w == 0)
			break;
		c->buf_head = (c->buf_head + (uint32_t)w) % VSOCK_BUF_ALLOC;
		c->buf_len -= (uint32_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	credit_check(c);
	if (!c->buf_len)
		flushed(c);
}

void vsock_conn_shutdown(struct vsock_conn *c, uint32_t flags)
{
	c->guest_shut |= (uint8_t)flags;
	if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV) {
		c->pend &= (uint8_t)~PEND_RW; /* it takes no more: the rest stays in the socket */
		if (!c->pend)
			vsock_conn_unqueue(c);
	}
	if (!c->buf_len)
		flushed(c);
	else if (c->guest_shut == (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND))
		vsock_host_deadline(c, VSOCK_SHUTDOWN_MS); /* flush, but not forever */
}

/* Acts on what the socket says now, not on the event: the slot may have been
 * freed and reused since epoll_wait() returned it in the same batch. */
static void ready(struct vsock_conn *c, short revents)
{
	if (c->state == VSOCK_HANDSHAKE) {
		vsock_host_handshake(c);
		return;
	}
	if (c->state != VSOCK_ESTABLISHED)
		return;
	if ((c->watched & EPOLLOUT) && (revents & (POLLOUT | POLLERR | POLLHUP)))
		vsock_conn_flush(c);
	if (c->state == VSOCK_ESTABLISHED && (c->watched & EPOLLIN) &&
	    (revents & (POLLIN | POLLERR | POLLHUP)))
		vsock_conn_queue(c, PEND_RW);
	vsock_conn_events(c);
}

void vsock_conn_event(struct io_watch *w, uint32_t events)
{
	struct vsock_conn *c = (struct vsock_conn *)w;
	struct vsock *vs = c->vs;
	struct pollfd p;

	(void)events;
	pthread_mutex_lock(&vs->dev.lock);
	p = (struct pollfd){ c->w.fd, POLLIN | POLLOUT, 0 };
	if (c->w.fd >= 0 && poll(&p, 1, 0) == 1)
		ready(c, p.revents);
	vsock_rx_fill(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}
