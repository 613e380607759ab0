/* net_errors: AF_INET calls that must fail, and how, as on Linux; and the options that
 * must read back. Run at 10.77.0.2/24 with the host at 10.77.0.1 (which listens on
 * nothing, so a connect there is refused by its reset). Prints "net_errors: ok". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static struct sockaddr_in addr(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* The errno of one failed call, 0 if it succeeded. */
#define ERR(call) ((call) < 0 ? errno : 0)

static int opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

static void udp_refusals(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in self = addr("10.77.0.2", 9), bcast = addr("255.255.255.255", 9),
			   group = addr("224.0.0.1", 9);

	CHECK(ERR(sendto(u, "x", 1, 0, (void *)&self, sizeof(self))) == ECONNREFUSED);
	CHECK(ERR(sendto(u, "x", 1, 0, (void *)&bcast, sizeof(bcast))) == EACCES);
	CHECK(ERR(sendto(u, "x", 1, 0, (void *)&group, sizeof(group))) == ENETUNREACH);
	CHECK(ERR(send(u, "x", 1, 0)) == EDESTADDRREQ);
	CHECK(setsockopt(u, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) == 0);
	CHECK(opt(u, SOL_SOCKET, SO_BROADCAST) == 1);
	CHECK(sendto(u, "x", 1, 0, (void *)&bcast, sizeof(bcast)) == 1);
	CHECK(opt(u, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);
	close(u);
}

static void tcp_refusals(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in self = addr("10.77.0.2", 80), subnet = addr("10.77.0.255", 80),
			   other = addr("10.1.2.3", 80), host = addr("10.77.0.1", 9);

	CHECK(ERR(connect(t, (void *)&self, sizeof(self))) == ECONNREFUSED);
	CHECK(ERR(connect(t, (void *)&subnet, sizeof(subnet))) == ENETUNREACH);
	CHECK(ERR(bind(t, (void *)&other, sizeof(other))) == EADDRNOTAVAIL);
	CHECK(ERR(connect(t, (void *)&host, sizeof(host))) == ECONNREFUSED);
	CHECK(ERR(send(t, "x", 1, 0)) == ENOTCONN);
	CHECK(opt(t, SOL_SOCKET, SO_TYPE) == SOCK_STREAM);
	CHECK(opt(t, IPPROTO_TCP, TCP_NODELAY) == 0);
	close(t);
	CHECK(ERR(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) == ESOCKTNOSUPPORT);
	CHECK(ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)) == EPROTONOSUPPORT);
}

/* Two sockets on one port: only with SO_REUSEADDR, and never beside a listener. */
static void port_sharing(void)
{
	struct sockaddr_in any = addr("0.0.0.0", 8080);
	int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in got;
	socklen_t len = sizeof(got);

	CHECK(bind(a, (void *)&any, sizeof(any)) == 0);
	CHECK(ERR(bind(b, (void *)&any, sizeof(any))) == EADDRINUSE);
	CHECK(listen(a, 4) == 0);
	CHECK(opt(a, SOL_SOCKET, SO_ACCEPTCONN) == 1);
	CHECK(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	CHECK(ERR(bind(b, (void *)&any, sizeof(any))) == EADDRINUSE);
	CHECK(getsockname(a, (void *)&got, &len) == 0 && ntohs(got.sin_port) == 8080);
	CHECK(ERR(getpeername(a, (void *)&got, &len)) == ENOTCONN);
	close(a);
	CHECK(bind(b, (void *)&any, sizeof(any)) == 0);
	close(b);
}

int main(void)
{
	udp_refusals();
	tcp_refusals();
	port_sharing();
	printf("net_errors: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
