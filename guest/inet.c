/* inet.c: AF_INET sockets: creation by type, addresses, ephemeral ports, common options. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/time.h>

#include "inet.h"
#include "libos.h"
#include "net.h"

int inet_create(int type, int protocol, struct sock **s)
{
	if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		return tcp_create(s);
	if (type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		return udp_create(s);
	return type == SOCK_STREAM || type == SOCK_DGRAM ? -EPROTONOSUPPORT : -ESOCKTNOSUPPORT;
}

int inet_addr_in(const struct sockaddr *a, socklen_t len, uint32_t *ip, uint16_t *port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)a;

	if (!a || len < sizeof(*in))
		return -EINVAL;
	if (in->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*ip = ntohl(in->sin_addr.s_addr);
	*port = ntohs(in->sin_port);
	return 0;
}

void inet_addr_out(struct sockaddr *a, socklen_t *len, uint32_t ip, uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET };

	if (!a || !len)
		return;
	in.sin_addr.s_addr = htonl(ip);
	in.sin_port = htons(port);
	memcpy(a, &in, *len < sizeof(in) ? *len : sizeof(in));
	*len = sizeof(in);
}

int inet_local_ok(uint32_t ip)
{
	return ip == INADDR_ANY || (net_if.ip && ip == net_if.ip);
}

uint16_t inet_ephemeral(int (*in_use)(uint16_t port, const void *arg), const void *arg)
{
	uint32_t span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1, r;

	random_fill(&r, sizeof(r));
	for (uint32_t i = 0; i < span; i++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LOW + (r + i) % span);

		if (!in_use(port, arg))
			return port;
	}
	return 0;
}

int inet_put_int(void *val, socklen_t *len, int v)
{
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}

uint64_t inet_deadline(uint64_t timeout_ns)
{
	return timeout_ns ? clock_monotonic_ns() + timeout_ns : 0;
}

static int get_int(const void *val, socklen_t len, int *v)
{
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static int set_timeout(uint64_t *ns, const void *val, socklen_t len)
{
	struct timeval tv;

	if (!val || len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	*ns = (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000;
	return 0;
}

static int set_linger(struct inet_opts *o, const void *val, socklen_t len)
{
	struct linger l;

	if (!val || len < sizeof(l))
		return -EINVAL;
	memcpy(&l, val, sizeof(l));
	o->linger = !!l.l_onoff;
	o->linger_secs = l.l_linger;
	return 0;
}

/* Buffer sizes are fixed, so SO_SNDBUF and SO_RCVBUF are accepted and change nothing. */
int inet_setopt(struct inet_opts *o, int level, int name, const void *val, socklen_t len)
{
	int v, err;

	if (level == SOL_SOCKET && name == SO_RCVTIMEO)
		return set_timeout(&o->rcvtimeo, val, len);
	if (level == SOL_SOCKET && name == SO_SNDTIMEO)
		return set_timeout(&o->sndtimeo, val, len);
	if (level == SOL_SOCKET && name == SO_LINGER)
		return set_linger(o, val, len);
	err = get_int(val, len, &v);
	if (err)
		return err;
	if (level == SOL_SOCKET && name == SO_REUSEADDR)
		o->reuseaddr = !!v;
	else if (level == SOL_SOCKET && name == SO_KEEPALIVE)
		o->keepalive = !!v;
	else if (level == IPPROTO_TCP && name == TCP_NODELAY)
		o->nodelay = !!v;
	else if (level == SOL_SOCKET && name == SO_BROADCAST)
		o->broadcast = !!v;
	else if (!(level == SOL_SOCKET &&
		   (name == SO_SNDBUF || name == SO_RCVBUF || name == SO_REUSEPORT)))
		return -ENOPROTOOPT;
	return 0;
}

int inet_getopt(const struct inet_opts *o, int level, int name, int *val)
{
	if (level == SOL_SOCKET && name == SO_REUSEADDR)
		*val = o->reuseaddr;
	else if (level == SOL_SOCKET && name == SO_KEEPALIVE)
		*val = o->keepalive;
	else if (level == IPPROTO_TCP && name == TCP_NODELAY)
		*val = o->nodelay;
	else if (level == SOL_SOCKET && name == SO_BROADCAST)
		*val = o->broadcast;
	else
		return -ENOPROTOOPT;
	return 0;
}
