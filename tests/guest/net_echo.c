/* net_echo: AF_INET servers for the network tests and benchmark, and a client.
 *   net_echo [PORT]                 PORT (default 7): TCP echo, and UDP echo (each datagram
 *                                   back to its sender); PORT+1: TCP sink, reads to EOF and
 *                                   answers "CRC LENGTH\n" as cksum would; PORT+2: TCP source,
 *                                   reads a line "N\n" and sends N bytes of the pattern
 *                                   (net_wire.h, seed WIRE_SEED), then closes. Prints
 *                                   "net_echo: up ..." once every port listens; runs until
 *                                   killed and never exits over a client's error.
 *   net_echo connect HOST PORT N    connect to HOST:PORT (IPv4), send N bytes of the pattern,
 *                                   shut down writing, print the reply read up to EOF.
 * Plain POSIX: it builds and runs on the host too, against tests/tools/net_peer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_wire.h"

#define BUF_SIZE 65536
#define REQ_MAX	 64

typedef void service_fn(int fd, uint8_t *buf);

struct listener {
	int fd;
	service_fn *serve;
};

struct job {
	int fd;
	service_fn *serve;
};

/* stdout is not a terminal in a VM: flush each line so the harness sees it at once. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("net_echo: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void echo(int fd, uint8_t *buf)
{
	ssize_t n;

	while ((n = read(fd, buf, BUF_SIZE)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && write_all(fd, buf, (size_t)n))
			return;
}

static void sink(int fd, uint8_t *buf)
{
	struct wire_crc c = { 0, 0 };
	char line[REQ_MAX];
	ssize_t n;

	while ((n = recv(fd, buf, BUF_SIZE, 0)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			wire_crc_update(&c, buf, (size_t)n);
	if (n == 0)
		write_all(fd, (uint8_t *)line, (size_t)wire_crc_line(&c, line, sizeof(line)));
}

/* The request line, byte by byte: nothing past it may be consumed. */
static int read_count(int fd, unsigned long long *count)
{
	char line[REQ_MAX], *end;
	size_t n = 0;

	while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	errno = 0;
	*count = strtoull(line, &end, 10);
	return n == 0 || errno || *end ? -1 : 0;
}

static void source(int fd, uint8_t *buf)
{
	uint64_t key = wire_key(WIRE_SEED), off = 0;
	unsigned long long count;

	if (read_count(fd, &count)) {
		say("source: bad request line");
		return;
	}
	while (off < count) {
		size_t k = count - off < BUF_SIZE ? (size_t)(count - off) : BUF_SIZE;

		wire_fill(buf, k, key, off);
		if (write_all(fd, buf, k))
			return;
		off += k;
	}
	/* A FIN, then wait for the client's: closing with data unread would send a reset. */
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, BUF_SIZE) > 0)
		;
}

static void *run_job(void *arg)
{
	struct job j = *(struct job *)arg;
	uint8_t *buf = malloc(BUF_SIZE);

	free(arg);
	if (buf)
		j.serve(j.fd, buf);
	free(buf);
	close(j.fd);
	return NULL;
}

/* The peer accept() reported must be the one getpeername() reports. */
static void check_peer(int fd, const struct sockaddr_in *from)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);

	if (getpeername(fd, (struct sockaddr *)&peer, &len) || peer.sin_port != from->sin_port ||
	    peer.sin_addr.s_addr != from->sin_addr.s_addr)
		say("getpeername disagrees with accept (%s)", strerror(errno));
}

static void *accept_loop(void *arg)
{
	struct listener *l = arg;
	int one = 1;

	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		int fd = accept(l->fd, (struct sockaddr *)&from, &len);
		struct job *j;
		pthread_t t;

		if (fd < 0) {
			say("accept: %s", strerror(errno));
			usleep(10000); /* EMFILE and the like: let connections finish */
			continue;
		}
		check_peer(fd, &from);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		j = malloc(sizeof(*j));
		if (j)
			*j = (struct job){ fd, l->serve };
		if (!j || pthread_create(&t, NULL, run_job, j)) {
			say("no thread for a connection");
			free(j);
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

/* A bound socket on PORT; -1 with a message. */
static int open_port(int type, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in got;
	socklen_t len = sizeof(got);
	int one = 1, fd = socket(AF_INET, type, 0);

	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		say("port %u: %s", port, strerror(errno));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&got, &len) || ntohs(got.sin_port) != port) {
		say("port %u: getsockname says %u", port, ntohs(got.sin_port));
		return -1;
	}
	return fd;
}

/* Each datagram goes back to its sender as it came. */
static void __attribute__((noreturn)) udp_echo(int fd)
{
	static uint8_t buf[BUF_SIZE];

	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

		if (n < 0 || sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len) != n) {
			say("udp: %s", strerror(errno));
			usleep(1000);
		}
	}
}

static int serve(unsigned port)
{
	static service_fn *const services[] = { echo, sink, source };
	static struct listener l[3];
	pthread_t t;
	int udp;

	if (port < 1 || port > 65533)
		return say("port %u: want 1 to 65533 (three ports from it)", port), 2;
	udp = open_port(SOCK_DGRAM, port);
	if (udp < 0)
		return 1;
	for (unsigned i = 0; i < 3; i++) {
		l[i] = (struct listener){ open_port(SOCK_STREAM, port + i), services[i] };
		if (l[i].fd < 0)
			return 1;
	}
	for (unsigned i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, accept_loop, &l[i])) {
			say("pthread_create failed");
			return 1;
		}
	say("up: tcp echo and udp echo on %u, sink on %u, source on %u", port, port + 1, port + 2);
	udp_echo(udp);
}

/* count bytes of the pattern, then a FIN: the peer answers once it has them all. */
static int send_pattern(int fd, unsigned long long count)
{
	static uint8_t buf[BUF_SIZE];
	uint64_t key = wire_key(WIRE_SEED);

	for (uint64_t off = 0; off < count;) {
		size_t k = count - off < BUF_SIZE ? (size_t)(count - off) : BUF_SIZE;

		wire_fill(buf, k, key, off);
		if (write_all(fd, buf, k))
			return -1;
		off += k;
	}
	return shutdown(fd, SHUT_WR);
}

static void print_ends(int fd)
{
	struct sockaddr_in me, peer;
	socklen_t len = sizeof(me), plen = sizeof(peer);
	char a[INET_ADDRSTRLEN] = "?", b[INET_ADDRSTRLEN] = "?";

	if (getsockname(fd, (struct sockaddr *)&me, &len) ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen)) {
		say("getsockname/getpeername: %s", strerror(errno));
		return;
	}
	inet_ntop(AF_INET, &me.sin_addr, a, sizeof(a));
	inet_ntop(AF_INET, &peer.sin_addr, b, sizeof(b));
	say("connected %s:%u -> %s:%u", a, ntohs(me.sin_port), b, ntohs(peer.sin_port));
}

static int connect_host(const char *host, unsigned port, unsigned long long count)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char reply[4096];
	ssize_t n, got = 0;
	int one = 1, fd;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return say("not an IPv4 address: %s", host), 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return say("connect to %s:%u: %s", host, port, strerror(errno)), 1;
	print_ends(fd);
	if (send_pattern(fd, count))
		return say("sending %llu bytes: %s", count, strerror(errno)), 1;
	while ((n = read(fd, reply + got, sizeof(reply) - 1 - (size_t)got)) > 0)
		got += n;
	reply[got] = 0;
	if (n < 0)
		return say("reading the reply: %s", strerror(errno)), 1;
	say("reply: %s", reply);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	/* A client that resets must not end the server (send() also says MSG_NOSIGNAL). */
	signal(SIGPIPE, SIG_IGN);
	wire_crc_tables();
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return connect_host(argv[2], (unsigned)atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc <= 2 && (argc == 1 || atoi(argv[1]) > 0))
		return serve(argc == 2 ? (unsigned)atoi(argv[1]) : 7);
	printf("usage: net_echo [PORT] | net_echo connect HOST PORT BYTES\n");
	return 2;
}
