/* tcp_sock.c: the AF_INET stream socket calls over TCP connection blocks. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>

#include "libos.h"
#include "tcp.h"

#define BACKLOG_MAX 1024

static const struct sock_ops tcp_ops;

static struct tcb *tcb_of(struct sock *s)
{
	return (struct tcb *)s;
}

static int take_err(struct tcb *t)
{
	int err = t->err;

	t->err = 0;
	return err;
}

static int tcp_bind(struct sock *s, const struct sockaddr *a, socklen_t len)
{
	struct tcb *t = tcb_of(s);
	uint32_t ip;
	uint16_t port;
	int err = inet_addr_in(a, len, &ip, &port);

	if (err)
		return err;
	if (t->bound || t->state != TCPS_CLOSED)
		return -EINVAL;
	if (!inet_local_ok(ip))
		return -EADDRNOTAVAIL;
	if (!port && !(port = inet_ephemeral(tcb_port_in_use, t)))
		return -EADDRINUSE;
	if (tcb_port_in_use(port, t))
		return -EADDRINUSE;
	t->lip = ip;
	t->lport = port;
	t->bound = 1;
	return 0;
}

static int tcp_listen(struct sock *s, int backlog)
{
	struct tcb *t = tcb_of(s);

	if (t->state != TCPS_CLOSED && t->state != TCPS_LISTEN)
		return -EINVAL;
	if (t->synced)
		return -EINVAL;
	if (!t->bound && !(t->lport = inet_ephemeral(tcb_port_in_use, t)))
		return -EADDRINUSE;
	if (t->state == TCPS_CLOSED && tcb_listener(t->lip, t->lport))
		return -EADDRINUSE; /* two sockets bound with SO_REUSEADDR: one may listen */
	t->bound = 1;
	t->backlog = backlog < 1 ? 1 : backlog > BACKLOG_MAX ? BACKLOG_MAX : backlog;
	t->state = TCPS_LISTEN;
	return 0;
}

static int tcp_accept(struct sock *s, struct sock **child, int nonblock)
{
	struct tcb *t = tcb_of(s), *c;
	uint64_t deadline = inet_deadline(t->opt.rcvtimeo);

	while (t->state == TCPS_LISTEN && !t->acc_head) {
		if (nonblock || thread_park(&t->wq, deadline) == -ETIMEDOUT)
			return -EAGAIN;
	}
	if (t->state != TCPS_LISTEN)
		return -EINVAL;
	c = t->acc_head;
	t->acc_head = c->qnext;
	if (!t->acc_head)
		t->acc_tail = NULL;
	t->nacc--;
	c->qnext = NULL;
	c->parent = NULL;
	c->orphan = 0;
	c->sock.ops = &tcp_ops;
	*child = &c->sock;
	return 0;
}

static int connect_check(struct tcb *t, uint32_t ip, uint16_t port)
{
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		return -EALREADY;
	if (t->state == TCPS_LISTEN)
		return -EISCONN;
	if (t->state != TCPS_CLOSED || t->synced)
		return -EISCONN;
	if (!port || ip == net_if.ip)
		return -ECONNREFUSED; /* no loopback interface */
	return ip_unicast(ip) && ip_routable(ip) ? 0 : -ENETUNREACH;
}

/* Sends the SYN; the handshake completes in tcp_in.c. */
static int start_connect(struct tcb *t, uint32_t ip, uint16_t port)
{
	t->lip = net_if.ip;
	t->rip = ip;
	t->rport = port;
	if (!t->bound && !(t->lport = inet_ephemeral(tcb_port_in_use, NULL)))
		return -EADDRNOTAVAIL;
	if (tcb_find(t->lip, t->lport, ip, port))
		return -EADDRNOTAVAIL; /* those four are taken (TIME_WAIT, say) */
	t->bound = 1;
	t->iss = tcb_isn(t);
	t->snd_una = t->snd_sml = t->iss;
	t->snd_nxt = t->snd_max = t->iss + 1;
	t->rcv_ws = TCP_WSCALE; /* offered; the SYN-ACK decides */
	t->state = TCPS_SYN_SENT;
	t->rtt_start = clock_monotonic_ns();
	tcb_hash(t);
	tcp_send_syn(t);
	tcp_arm_rexmt(t);
	return 0;
}

static int tcp_connect(struct sock *s, const struct sockaddr *a, socklen_t len, int nonblock)
{
	struct tcb *t = tcb_of(s);
	uint64_t deadline = inet_deadline(t->opt.sndtimeo);
	uint32_t ip;
	uint16_t port;
	int err = inet_addr_in(a, len, &ip, &port);

	if (err || (err = connect_check(t, ip, port)) || (err = start_connect(t, ip, port)))
		return err;
	if (nonblock)
		return -EINPROGRESS;
	while (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		if (thread_park(&t->wq, deadline) == -ETIMEDOUT)
			return -EINPROGRESS; /* SO_SNDTIMEO bounds connect(), as on Linux */
	return t->state == TCPS_CLOSED ? -take_err(t) : 0;
}

/* Copies len bytes between iov (from byte skip on) and the ring at pos, either way. */
static void ring_iov(uint8_t *ring, uint32_t pos, const struct iovec *iov, int n, size_t skip,
		     size_t len, int to_ring)
{
	for (int i = 0; i < n && len; i++) {
		uint8_t *b;
		uint32_t c;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		b = (uint8_t *)iov[i].iov_base + skip;
		c = (uint32_t)(iov[i].iov_len - skip < len ? iov[i].iov_len - skip : len);
		if (to_ring)
			ring_write(ring, pos, b, c);
		else
			ring_read(b, ring, pos, c);
		pos = (pos + c) % TCP_BUF;
		len -= c;
		skip = 0;
	}
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t sum = 0;

	for (int i = 0; i < n; i++)
		sum += iov[i].iov_len;
	return sum;
}

/* Why t cannot take data now: 0 if it can, 1 if it must wait for the handshake. */
static int send_blocked(struct tcb *t)
{
	if (t->err)
		return -take_err(t);
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		return 1;
	if (!t->synced)
		return -ENOTCONN;
	if (t->fin_wanted || (t->state != TCPS_ESTABLISHED && t->state != TCPS_CLOSE_WAIT))
		return -EPIPE; /* no SIGPIPE here: there are no signals */
	return 0;
}

static long tcp_send(struct sock *s, const struct iovec *iov, int n, int flags)
{
	struct tcb *t = tcb_of(s);
	uint64_t deadline = inet_deadline(t->opt.sndtimeo);
	size_t want = iov_total(iov, n), done = 0;
	int err;

	while (done < want || !want) {
		uint32_t k = TCP_BUF - t->slen;

		err = send_blocked(t);
		if (err < 0)
			return done ? (long)done : err;
		if (!err && !want)
			return 0;
		if (!err && k && tcb_ring(&t->sbuf))
			return done ? (long)done : -ENOBUFS;
		if (!err && k) {
			k = (uint32_t)(want - done < k ? want - done : k);
			ring_iov(t->sbuf, (t->shead + t->slen) % TCP_BUF, iov, n, done, k, 1);
			t->slen += k;
			done += k;
			tcp_output(t);
			continue;
		}
		if ((flags & SOCK_NOWAIT) || thread_park(&t->wq, deadline) == -ETIMEDOUT)
			return done ? (long)done : -EAGAIN;
	}
	return (long)done;
}

/* Data first; then the end of the stream, an error, or a wait. */
static long tcp_recv(struct sock *s, const struct iovec *iov, int n, int flags)
{
	struct tcb *t = tcb_of(s);
	uint64_t deadline = inet_deadline(t->opt.rcvtimeo);
	size_t want = iov_total(iov, n), done = 0;

	for (;;) {
		if (t->rlen && done < want) {
			uint32_t k = (uint32_t)(want - done < t->rlen ? want - done : t->rlen);

			ring_iov(t->rbuf, t->rhead, iov, n, done, k, 0);
			done += k;
			if (flags & MSG_PEEK)
				return (long)done;
			t->rhead = (t->rhead + k) % TCP_BUF;
			t->rlen -= k;
			tcp_window_update(t);
			continue;
		}
		if (done == want || (done && !(flags & MSG_WAITALL)))
			return (long)done;
		if (t->err)
			return done ? (long)done : -take_err(t);
		if (t->fin_rcvd || t->shut_rd || (t->synced && t->state == TCPS_CLOSED))
			return (long)done;
		if (t->state == TCPS_LISTEN || (t->state == TCPS_CLOSED && !t->synced))
			return -ENOTCONN;
		if ((flags & SOCK_NOWAIT) || thread_park(&t->wq, deadline) == -ETIMEDOUT)
			return done ? (long)done : -EAGAIN;
	}
}

/* Our FIN goes after whatever is queued. */
static void start_close(struct tcb *t)
{
	if (t->fin_wanted)
		return;
	if (t->state == TCPS_SYN_RECEIVED) { /* a simultaneous open: FIN after the handshake */
		t->fin_wanted = 1;
		return;
	}
	if (t->state == TCPS_ESTABLISHED)
		t->state = TCPS_FIN_WAIT_1;
	else if (t->state == TCPS_CLOSE_WAIT)
		t->state = TCPS_LAST_ACK;
	else
		return;
	t->fin_wanted = 1;
	tcp_output(t);
}

static int tcp_shutdown(struct sock *s, int how)
{
	struct tcb *t = tcb_of(s);

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (!t->synced || t->state == TCPS_CLOSED)
		return -ENOTCONN;
	if (how != SHUT_WR)
		t->shut_rd = 1;
	if (how != SHUT_RD)
		start_close(t);
	tcb_changed(t);
	return 0;
}

static int tcp_name(struct sock *s, struct sockaddr *a, socklen_t *len, int peer)
{
	struct tcb *t = tcb_of(s);

	if (peer && (!t->rport || t->state == TCPS_LISTEN))
		return -ENOTCONN;
	inet_addr_out(a, len, peer ? t->rip : t->lip, peer ? t->rport : t->lport);
	return 0;
}

static short tcp_poll(struct sock *s)
{
	struct tcb *t = tcb_of(s);
	short r = 0;

	if (t->state == TCPS_LISTEN)
		return t->acc_head ? POLLIN : 0;
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		return 0;
	if (t->rlen || t->fin_rcvd || t->shut_rd)
		r |= POLLIN | (t->fin_rcvd ? POLLRDHUP : 0);
	if ((t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT) && !t->fin_wanted &&
	    TCP_BUF - t->slen >= TCP_BUF / 4)
		r |= POLLOUT;
	if (t->err)
		r |= POLLERR | POLLOUT;
	if (t->state == TCPS_CLOSED || t->state == TCPS_TIME_WAIT || (t->fin_rcvd && t->fin_acked))
		r |= POLLHUP | POLLIN | (t->synced || t->err ? 0 : POLLOUT);
	return r;
}

/* Listener gone: its unaccepted children are reset. */
static void close_listener(struct tcb *l)
{
	struct tcb *c = tcb_first();

	while (c) {
		if (c->parent != l) {
			c = c->next;
			continue;
		}
		tcp_send_rst(c);
		tcb_free(c);
		c = tcb_first(); /* the list changed under us */
	}
	tcb_free(l);
}

static void tcp_close(struct sock *s)
{
	struct tcb *t = tcb_of(s);

	tcb_orphan(t);
	if (t->state == TCPS_LISTEN) {
		close_listener(t);
	} else if (t->state == TCPS_CLOSED || t->state == TCPS_SYN_SENT) {
		tcb_free(t);
	} else if (t->state == TCPS_TIME_WAIT) {
		; /* freed when 2 MSL pass */
	} else if (t->rlen || (t->opt.linger && !t->opt.linger_secs)) {
		tcp_send_rst(t); /* unread data, or SO_LINGER 0: abort (RFC 2525 2.17) */
		tcb_drop(t, 0);
	} else {
		start_close(t);
		if (t->state == TCPS_FIN_WAIT_2)
			tcp_arm_orphan(t);
	}
}

static int tcp_setopt(struct sock *s, int level, int name, const void *val, socklen_t len)
{
	struct tcb *t = tcb_of(s);
	int err = inet_setopt(&t->opt, level, name, val, len);

	if (!err && level == IPPROTO_TCP && name == TCP_NODELAY && t->opt.nodelay)
		tcp_output(t); /* what Nagle held goes now */
	/* Keepalive tuning and the like: accepted, without effect (no keepalive probes). */
	if (err == -ENOPROTOOPT && level == IPPROTO_TCP &&
	    (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT ||
	     name == TCP_QUICKACK))
		return 0;
	return err;
}

static int tcp_getopt(struct sock *s, int level, int name, void *val, socklen_t *len)
{
	struct tcb *t = tcb_of(s);
	int v, err = 0;

	if (level == SOL_SOCKET && name == SO_TYPE)
		v = SOCK_STREAM;
	else if (level == SOL_SOCKET && name == SO_ERROR)
		v = take_err(t);
	else if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF))
		v = TCP_BUF;
	else if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
		v = t->state == TCPS_LISTEN;
	else if (level == IPPROTO_TCP && name == TCP_MAXSEG)
		v = t->mss;
	else
		err = inet_getopt(&t->opt, level, name, &v);
	return err ? err : inet_put_int(val, len, v);
}

static const struct sock_ops tcp_ops = {
	.bind = tcp_bind,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.connect = tcp_connect,
	.recv = tcp_recv,
	.send = tcp_send,
	.shutdown = tcp_shutdown,
	.name = tcp_name,
	.poll = tcp_poll,
	.close = tcp_close,
	.setopt = tcp_setopt,
	.getopt = tcp_getopt,
};

int tcp_create(struct sock **s)
{
	struct tcb *t = tcb_new();

	if (!t)
		return -ENOMEM;
	t->sock.ops = &tcp_ops;
	*s = &t->sock;
	return 0;
}
