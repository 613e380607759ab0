/* udp.c: UDP (RFC 768): datagram sockets, a bounded receive queue per socket. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"
#include "libos.h"
#include "net.h"

#define UDP_HLEN   8
#define UDP_MAX	   (ETH_MTU - IP_HLEN - UDP_HLEN) /* we never fragment */
#define UDP_QUEUE  64				  /* datagrams; more are dropped */
#define UDP_SNDBUF (UDP_MAX * 16)		  /* what SO_SNDBUF reports */
#define UDP_RCVBUF (UDP_MAX * UDP_QUEUE)

struct dgram {
	uint32_t src;
	uint16_t sport, len;
	uint8_t data[UDP_MAX];
};

struct udp_sock {
	struct sock sock; /* first: the socket layer hands us &sock */
	uint32_t lip, rip;
	uint16_t lport, rport; /* rport != 0: connected */
	struct inet_opts opt;
	int shut_rd;
	struct dgram *q; /* UDP_QUEUE slots, a ring; allocated at bind */
	int qhead, qlen;
	struct waitq wq;
	struct udp_sock *next;
};

static const struct sock_ops udp_ops;
static struct udp_sock *socks; /* bound ones */

static struct udp_sock *us_of(struct sock *s)
{
	return (struct udp_sock *)s;
}

static int port_in_use(uint16_t port, const void *arg)
{
	(void)arg;
	for (struct udp_sock *u = socks; u; u = u->next)
		if (u->lport == port)
			return 1;
	return 0;
}

static int do_bind(struct udp_sock *u, uint32_t ip, uint16_t port)
{
	if (!port && !(port = inet_ephemeral(port_in_use, NULL)))
		return -EADDRINUSE;
	if (port_in_use(port, NULL))
		return -EADDRINUSE;
	u->q = pages_alloc(UDP_QUEUE * sizeof(struct dgram));
	if (!u->q)
		return -ENOMEM;
	u->lip = ip;
	u->lport = port;
	u->next = socks;
	socks = u;
	return 0;
}

static int udp_bind(struct sock *s, const struct sockaddr *a, socklen_t len)
{
	struct udp_sock *u = us_of(s);
	uint32_t ip;
	uint16_t port;
	int err = inet_addr_in(a, len, &ip, &port);

	if (err)
		return err;
	if (u->lport)
		return -EINVAL;
	return inet_local_ok(ip) ? do_bind(u, ip, port) : -EADDRNOTAVAIL;
}

/* Where a datagram may go: not to us (there is no loopback), to no multicast group
 * (we join none), to a broadcast address only with SO_BROADCAST, as on Linux. */
static int dest_check(const struct udp_sock *u, uint32_t ip)
{
	if (ip == net_if.ip)
		return -ECONNREFUSED;
	if (ip_broadcast(ip))
		return u->opt.broadcast ? 0 : -EACCES;
	return ip_unicast(ip) && ip_routable(ip) ? 0 : -ENETUNREACH;
}

/* AF_UNSPEC dissolves the association, as on Linux. */
static int udp_connect(struct sock *s, const struct sockaddr *a, socklen_t len, int nonblock)
{
	struct udp_sock *u = us_of(s);
	uint32_t ip;
	uint16_t port;
	int err;

	(void)nonblock;
	if (a && len >= sizeof(sa_family_t) && a->sa_family == AF_UNSPEC) {
		u->rip = 0;
		u->rport = 0;
		return 0;
	}
	err = inet_addr_in(a, len, &ip, &port);
	if (err)
		return err;
	if (!port)
		return -EINVAL;
	if ((err = dest_check(u, ip)))
		return err;
	if (!u->lport && (err = do_bind(u, INADDR_ANY, 0)))
		return err;
	u->rip = ip;
	u->rport = port;
	return 0;
}

/* Gathers iov into one datagram and sends it with its UDP header. */
static long send_dgram(struct udp_sock *u, const struct iovec *iov, int n, uint32_t dst,
		       uint16_t dport)
{
	static uint8_t pkt[UDP_HLEN + UDP_MAX];
	size_t len = 0;
	uint16_t sum;
	int err;

	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len > UDP_MAX - len)
			return -EMSGSIZE;
		memcpy(pkt + UDP_HLEN + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	put16(pkt, u->lport);
	put16(pkt + 2, dport);
	put16(pkt + 4, (uint16_t)(UDP_HLEN + len));
	put16(pkt + 6, 0);
	sum = csum_fold(csum_partial(pkt, UDP_HLEN + len,
				     csum_pseudo(net_if.ip, dst, IP_PROTO_UDP, UDP_HLEN + len)));
	put16(pkt + 6, sum ? sum : 0xffff); /* 0 would mean "no checksum" */
	err = ip_output(dst, IP_PROTO_UDP, pkt, UDP_HLEN + len);
	return err && err != -EAGAIN ? err : (long)len; /* a full NIC drops, as UDP may */
}

static long udp_sendto(struct sock *s, const struct iovec *iov, int n, int flags,
		       const struct sockaddr *to, socklen_t tolen)
{
	struct udp_sock *u = us_of(s);
	uint32_t ip = u->rip;
	uint16_t port = u->rport;
	int err;

	(void)flags;
	if (to && (err = inet_addr_in(to, tolen, &ip, &port)))
		return err;
	if (!port)
		return to ? -EINVAL : -EDESTADDRREQ;
	if ((err = dest_check(u, ip)))
		return err;
	if (!u->lport && (err = do_bind(u, INADDR_ANY, 0)))
		return err;
	return send_dgram(u, iov, n, ip, port);
}

static long udp_send(struct sock *s, const struct iovec *iov, int n, int flags)
{
	return udp_sendto(s, iov, n, flags, NULL, 0);
}

/* Copies one datagram out; the rest of it is dropped (MSG_TRUNC semantics). */
static long copy_out(const struct dgram *d, const struct iovec *iov, int n)
{
	size_t done = 0;

	for (int i = 0; i < n && done < d->len; i++) {
		size_t k = d->len - done < iov[i].iov_len ? d->len - done : iov[i].iov_len;

		memcpy(iov[i].iov_base, d->data + done, k);
		done += k;
	}
	return (long)done;
}

static long udp_recvfrom(struct sock *s, const struct iovec *iov, int n, int flags,
			 struct sockaddr *from, socklen_t *fromlen)
{
	struct udp_sock *u = us_of(s);
	uint64_t deadline = inet_deadline(u->opt.rcvtimeo);
	const struct dgram *d;
	long r;

	while (!u->qlen) {
		if (u->shut_rd)
			return 0;
		if (flags & SOCK_NOWAIT)
			return -EAGAIN;
		if (thread_park(&u->wq, deadline) == -ETIMEDOUT)
			return -EAGAIN;
	}
	d = &u->q[u->qhead];
	r = copy_out(d, iov, n);
	inet_addr_out(from, fromlen, d->src, d->sport);
	if (!(flags & MSG_PEEK)) {
		u->qhead = (u->qhead + 1) % UDP_QUEUE;
		u->qlen--;
	}
	return r;
}

static long udp_recv(struct sock *s, const struct iovec *iov, int n, int flags)
{
	return udp_recvfrom(s, iov, n, flags, NULL, NULL);
}

static struct udp_sock *find(uint32_t dst, uint16_t dport, uint32_t src, uint16_t sport)
{
	for (struct udp_sock *u = socks; u; u = u->next)
		if (u->lport == dport && (!u->lip || u->lip == dst) &&
		    (!u->rport || (u->rip == src && u->rport == sport)))
			return u;
	return NULL;
}

/* A datagram is hostile: its length field must fit the packet, its checksum hold. */
void udp_input(uint32_t src, uint32_t dst, const uint8_t *packet, size_t ip_hlen, size_t len)
{
	const uint8_t *h = packet + ip_hlen;
	size_t ulen = len - ip_hlen;
	struct udp_sock *u;
	struct dgram *d;

	if (ulen < UDP_HLEN || get16(h + 4) < UDP_HLEN || get16(h + 4) > ulen)
		return;
	ulen = get16(h + 4);
	if (get16(h + 6) &&
	    csum_fold(csum_partial(h, ulen, csum_pseudo(src, dst, IP_PROTO_UDP, ulen))) != 0)
		return;
	u = find(dst, get16(h + 2), src, get16(h));
	if (!u) {
		icmp_unreachable(packet, len, 3); /* port unreachable */
		return;
	}
	if (u->qlen == UDP_QUEUE || u->shut_rd)
		return; /* a full receive queue drops, as on any host */
	d = &u->q[(u->qhead + u->qlen++) % UDP_QUEUE];
	d->src = src;
	d->sport = get16(h);
	d->len = (uint16_t)(ulen - UDP_HLEN);
	memcpy(d->data, h + UDP_HLEN, d->len);
	thread_wake_all(&u->wq);
	sock_changed();
}

static int udp_shutdown(struct sock *s, int how)
{
	struct udp_sock *u = us_of(s);

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (!u->rport)
		return -ENOTCONN;
	if (how != SHUT_WR)
		u->shut_rd = 1;
	thread_wake_all(&u->wq);
	return 0;
}

static int udp_name(struct sock *s, struct sockaddr *a, socklen_t *len, int peer)
{
	struct udp_sock *u = us_of(s);

	if (peer && !u->rport)
		return -ENOTCONN;
	inet_addr_out(a, len, peer ? u->rip : u->lip, peer ? u->rport : u->lport);
	return 0;
}

static short udp_poll(struct sock *s)
{
	struct udp_sock *u = us_of(s);

	return (short)(POLLOUT | (u->qlen || u->shut_rd ? POLLIN : 0));
}

static void udp_close(struct sock *s)
{
	struct udp_sock *u = us_of(s);

	for (struct udp_sock **pp = &socks; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	if (u->q)
		pages_free(u->q, UDP_QUEUE * sizeof(struct dgram));
	free(u);
}

static int udp_setopt(struct sock *s, int level, int name, const void *val, socklen_t len)
{
	int err = inet_setopt(&us_of(s)->opt, level, name, val, len);

	return err == -ENOPROTOOPT && level == SOL_SOCKET ? 0 : err;
}

static int udp_getopt(struct sock *s, int level, int name, void *val, socklen_t *len)
{
	int v, err = 0;

	if (level == SOL_SOCKET && name == SO_TYPE)
		v = SOCK_DGRAM;
	else if (level == SOL_SOCKET && name == SO_ERROR)
		v = 0; /* ICMP errors are not reported to sockets */
	else if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF))
		v = name == SO_SNDBUF ? UDP_SNDBUF : UDP_RCVBUF;
	else
		err = inet_getopt(&us_of(s)->opt, level, name, &v);
	return err ? err : inet_put_int(val, len, v);
}

static const struct sock_ops udp_ops = {
	.bind = udp_bind,
	.connect = udp_connect,
	.recv = udp_recv,
	.send = udp_send,
	.shutdown = udp_shutdown,
	.name = udp_name,
	.poll = udp_poll,
	.close = udp_close,
	.sendto = udp_sendto,
	.recvfrom = udp_recvfrom,
	.setopt = udp_setopt,
	.getopt = udp_getopt,
};

int udp_create(struct sock **s)
{
	struct udp_sock *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->sock.ops = &udp_ops;
	*s = &u->sock;
	return 0;
}
