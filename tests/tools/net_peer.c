/* net_peer: the host end of the TCP/IP tests and benchmark, against tests/guest/net_echo.c.
 *   net_peer [-t SECONDS] COMMAND ARGS...  no wait lasts longer than SECONDS (default 30)
 *   echo HOST PORT BYTES              one connection sends BYTES of the pattern while it
 *                                     reads the echo; checks every byte
 *   conns HOST PORT N                 N connections one after another, each sends a short
 *                                     message, shuts down writing and wants it back, then EOF
 *   parallel HOST PORT CLIENTS BYTES  CLIENTS echo connections at once (each its own seed)
 *   udp HOST PORT N                   N datagrams of 4 to 1472 bytes, one at a time, each
 *                                     echoed exactly (the policy is above udp_one)
 *   upload HOST PORT BYTES            BYTES of the pattern to the sink (PORT+1 of net_echo);
 *                                     its "CRC LENGTH" must be cksum's for them
 *   download HOST PORT BYTES          asks the source (PORT+2) for BYTES; checks them all
 *   listen PORT                       accept one connection (from net_echo connect), check it
 *                                     carries the pattern, read to EOF, answer "CRC LENGTH\n"
 * HOST is an IPv4 address; the pattern is net_wire.h's (tests/tools/pattern.c, seed 1).
 * Exit status 0 if all is well, 1 on a mismatch, an error or a timeout (one line on stderr
 * saying which), 2 on a usage error. The last line on stdout is key=value pairs,
 * e.g. "mib_s=812.3 bytes=16777216", for scripts. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../guest/net_wire.h"

#define BUF_SIZE    65536
#define CLIENTS_MAX 1024
#define UDP_MAX	    1472 /* a 1500-byte IPv4 packet */
#define UDP_WAIT_MS 250
#define UDP_TRIES   8

static int limit_s = 30;
static char ctx[64]; /* which connection or datagram an error is about */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "net_peer: %s", ctx);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void result(uint64_t bytes, double secs, const char *extra)
{
	printf("mib_s=%.1f bytes=%llu%s\n", (double)bytes / (1 << 20) / secs,
	       (unsigned long long)bytes, extra);
}

static const char *io_error(void)
{
	return errno == EAGAIN ? "timed out" : strerror(errno);
}

static struct sockaddr_in address(const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	long p = strtol(port, NULL, 10);

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || p < 1 || p > 65535)
		die("bad address %s port %s (want an IPv4 address and 1 to 65535)", host, port);
	a.sin_port = htons((uint16_t)p);
	return a;
}

/* Blocking reads, writes and connect give up after limit_s (EAGAIN, or EINPROGRESS). */
static void bound(int fd)
{
	struct timeval tv = { .tv_sec = limit_s };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int tcp_connect(const struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	bound(fd);
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)))
		die("connect to %s:%u: %s", inet_ntoa(a->sin_addr), ntohs(a->sin_port),
		    errno == EINPROGRESS ? "timed out" : strerror(errno));
	return fd;
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send: %s", io_error());
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
	}
}

static size_t read_some(int fd, void *p, size_t n)
{
	ssize_t r;

	while ((r = read(fd, p, n)) < 0 && errno == EINTR)
		;
	if (r < 0)
		die("read: %s", io_error());
	return (size_t)r;
}

/* Reads a short reply up to EOF into line, NUL-terminated. */
static size_t read_reply(int fd, char *line, size_t size)
{
	size_t got = 0, r;

	while (got < size - 1 && (r = read_some(fd, line + got, size - 1 - got)) > 0)
		got += r;
	line[got] = 0;
	return got;
}

/* A reply for an error message: up to 40 bytes, anything unprintable as '?'. */
static const char *printable(char *s)
{
	size_t i;

	for (i = 0; s[i] && i < 40; i++)
		s[i] = s[i] >= ' ' && s[i] < 127 ? s[i] : '?';
	s[i] = 0;
	return s;
}

struct conn {
	int fd;
	uint64_t key, sent, got, want;
};

/* One step of an echo connection: send what the socket takes, check what came back. */
static void pump(struct conn *c, short revents, uint8_t *buf)
{
	ssize_t n;
	size_t bad;

	if ((revents & POLLOUT) && c->sent < c->want) {
		size_t k = c->want - c->sent < BUF_SIZE ? (size_t)(c->want - c->sent) : BUF_SIZE;

		wire_fill(buf, k, c->key, c->sent);
		n = send(c->fd, buf, k, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("send after %llu bytes: %s", (unsigned long long)c->sent,
			    strerror(errno));
		if (n > 0 && (c->sent += (uint64_t)n) == c->want)
			shutdown(c->fd, SHUT_WR);
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = read(c->fd, buf, BUF_SIZE);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		die("read after %llu bytes: %s", (unsigned long long)c->got, strerror(errno));
	if (n == 0 && c->got < c->want)
		die("EOF after %llu of %llu bytes", (unsigned long long)c->got,
		    (unsigned long long)c->want);
	if (n > 0 && c->got + (uint64_t)n > c->want)
		die("%llu bytes more than were sent", (unsigned long long)(c->got + n - c->want));
	if (n > 0 && (bad = wire_check(buf, (size_t)n, c->key, c->got)) < (size_t)n)
		die("wrong byte at offset %llu", (unsigned long long)(c->got + bad));
	if (n > 0)
		c->got += (uint64_t)n;
}

/* Runs the connections to the end; fails if none moves for limit_s. */
static void run_echo(struct conn *c, unsigned n)
{
	static struct pollfd p[CLIENTS_MAX];
	static uint8_t buf[BUF_SIZE];
	unsigned left = 0;

	for (unsigned i = 0; i < n; i++)
		left += c[i].got < c[i].want;
	while (left) {
		for (unsigned i = 0; i < n; i++)
			p[i] = (struct pollfd){
				c[i].got < c[i].want ? c[i].fd : -1,
				(short)(POLLIN | (c[i].sent < c[i].want ? POLLOUT : 0)), 0
			};
		int r = poll(p, n, limit_s * 1000);

		if (r < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		ctx[0] = 0;
		if (r == 0)
			die("no progress for %d s: %u of %u connections unfinished", limit_s, left,
			    n);
		for (unsigned i = 0; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			snprintf(ctx, sizeof(ctx), "client %u: ", i);
			pump(&c[i], p[i].revents, buf);
			left -= c[i].got == c[i].want;
		}
	}
	ctx[0] = 0;
}

static int parallel(const struct sockaddr_in *a, unsigned clients, uint64_t bytes)
{
	static struct conn c[CLIENTS_MAX];
	double t0 = now();
	char extra[32];

	if (clients < 1 || clients > CLIENTS_MAX)
		return fprintf(stderr, "net_peer: 1 to %d clients\n", CLIENTS_MAX), 2;
	for (unsigned i = 0; i < clients; i++) {
		snprintf(ctx, sizeof(ctx), "client %u: ", i);
		c[i] = (struct conn){ tcp_connect(a), wire_key(WIRE_SEED + i), 0, 0, bytes };
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	}
	run_echo(c, clients);
	for (unsigned i = 0; i < clients; i++)
		close(c[i].fd);
	snprintf(extra, sizeof(extra), " clients=%u", clients);
	result(bytes * clients, now() - t0, extra);
	return 0;
}

static int conns(const struct sockaddr_in *a, unsigned n)
{
	double t0 = now();

	for (unsigned i = 0; i < n; i++) {
		char msg[64], back[128];
		int len = snprintf(msg, sizeof(msg), "net_peer connection %u of %u\n", i, n);
		int fd;

		snprintf(ctx, sizeof(ctx), "connection %u of %u: ", i, n);
		fd = tcp_connect(a);
		write_all(fd, msg, (size_t)len);
		if (shutdown(fd, SHUT_WR))
			die("shutdown: %s", strerror(errno));
		if (read_reply(fd, back, sizeof(back)) != (size_t)len ||
		    memcmp(back, msg, (size_t)len))
			die("sent '%.*s', got back '%s'", len - 1, msg, printable(back));
		close(fd);
	}
	ctx[0] = 0;
	printf("conns=%u ms_per_conn=%.3f\n", n, (now() - t0) * 1000 / (n ? n : 1));
	return 0;
}

/* Datagram seq: its number (4 bytes, little-endian), then the pattern of seed seq + 2. */
static size_t udp_fill(uint8_t *buf, uint32_t seq)
{
	static const size_t first[] = { UDP_MAX, 4, UDP_MAX - 1, 5 };
	size_t n = seq < 4 ? first[seq] : 4 + (seq * 997u) % (UDP_MAX - 3);

	memcpy(buf, &seq, 4);
	wire_fill(buf + 4, n - 4, wire_key(seq + 2), 4);
	return n;
}

/* The policy: UDP may drop, so each datagram is sent up to UDP_TRIES times, waiting
 * UDP_WAIT_MS for its echo each time (2 s in all). A late echo of an earlier datagram is
 * counted and skipped. A wrong echo of the current one fails at once; so does a datagram
 * still unanswered after UDP_TRIES sends, and ECONNREFUSED (nobody listens). */
static void udp_one(int fd, uint32_t seq, unsigned *resent, unsigned *stale)
{
	static uint8_t out[UDP_MAX], in[UDP_MAX + 1];
	size_t n = udp_fill(out, seq);

	for (int tries = 0; tries < UDP_TRIES; tries++, ++*resent) {
		struct pollfd p = { fd, POLLIN, 0 };
		double end = now() + UDP_WAIT_MS / 1e3, left;

		if (send(fd, out, n, 0) != (ssize_t)n)
			die("send %zu bytes: %s", n, strerror(errno));
		while ((left = end - now()) > 0 && poll(&p, 1, (int)(left * 1e3) + 1) > 0) {
			ssize_t r = recv(fd, in, sizeof(in), 0);
			uint32_t got = 0;

			if (r < 0)
				die("recv: %s", strerror(errno));
			memcpy(&got, in, r >= 4 ? 4 : 0);
			if (r < 4 || got < seq) {
				++*stale;
				continue;
			}
			if ((size_t)r != n || memcmp(in, out, n))
				die("the echo differs: %zd bytes, sent %zu", r, n);
			return;
		}
	}
	die("no echo of %zu bytes after %d sends, %d ms apart", n, UDP_TRIES, UDP_WAIT_MS);
}

static int udp(const struct sockaddr_in *a, unsigned n)
{
	unsigned resent = 0, stale = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	double t0 = now();

	/* connect: only the server's datagrams arrive, and ICMP port unreachable is reported */
	if (fd < 0 || connect(fd, (const struct sockaddr *)a, sizeof(*a)))
		die("udp socket: %s", strerror(errno));
	for (unsigned i = 0; i < n; i++) {
		snprintf(ctx, sizeof(ctx), "datagram %u of %u: ", i, n);
		udp_one(fd, i, &resent, &stale);
	}
	ctx[0] = 0;
	printf("datagrams=%u resent=%u stale=%u us_per_datagram=%.1f\n", n, resent, stale,
	       (now() - t0) * 1e6 / (n ? n : 1));
	return 0;
}

static int upload(const struct sockaddr_in *a, uint64_t bytes)
{
	static uint8_t buf[BUF_SIZE];
	struct wire_crc c = { 0, 0 };
	uint64_t key = wire_key(WIRE_SEED);
	char want[64], got[64], extra[80];
	double t0 = now();
	int fd = tcp_connect(a);

	for (uint64_t off = 0; off < bytes;) {
		size_t k = bytes - off < BUF_SIZE ? (size_t)(bytes - off) : BUF_SIZE;

		wire_fill(buf, k, key, off);
		wire_crc_update(&c, buf, k);
		write_all(fd, buf, k);
		off += k;
	}
	if (shutdown(fd, SHUT_WR))
		die("shutdown: %s", strerror(errno));
	read_reply(fd, got, sizeof(got));
	wire_crc_line(&c, want, sizeof(want));
	if (strcmp(got, want))
		die("the sink says '%s', cksum says '%.*s'", printable(got),
		    (int)strcspn(want, "\n"), want);
	close(fd);
	snprintf(extra, sizeof(extra), " crc=%.*s", (int)strcspn(want, " "), want);
	result(bytes, now() - t0, extra);
	return 0;
}

static int download(const struct sockaddr_in *a, uint64_t bytes)
{
	static uint8_t buf[BUF_SIZE];
	uint64_t key = wire_key(WIRE_SEED), got = 0;
	double t0 = now();
	int fd = tcp_connect(a);
	char req[32];
	size_t n, bad;

	write_all(fd, req, (size_t)snprintf(req, sizeof(req), "%llu\n", (unsigned long long)bytes));
	while ((n = read_some(fd, buf, BUF_SIZE)) > 0) {
		if (got + n > bytes)
			die("more than the %llu bytes asked for", (unsigned long long)bytes);
		if ((bad = wire_check(buf, n, key, got)) < n)
			die("wrong byte at offset %llu", (unsigned long long)(got + bad));
		got += n;
	}
	if (got != bytes)
		die("EOF after %llu of %llu bytes", (unsigned long long)got,
		    (unsigned long long)bytes);
	close(fd);
	result(bytes, now() - t0, "");
	return 0;
}

static int accept_one(const char *port)
{
	struct sockaddr_in a = address("0.0.0.0", port);
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), fd;
	struct pollfd p;

	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		die("listen on port %s: %s", port, strerror(errno));
	printf("net_peer: listening on port %s\n", port);
	fflush(stdout);
	p = (struct pollfd){ s, POLLIN, 0 };
	if (poll(&p, 1, limit_s * 1000) != 1)
		die("nobody connected to port %s within %d s", port, limit_s);
	fd = accept(s, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	close(s);
	bound(fd);
	return fd;
}

static int listen_once(const char *port)
{
	static uint8_t buf[BUF_SIZE];
	struct wire_crc c = { 0, 0 };
	uint64_t key = wire_key(WIRE_SEED);
	uint64_t bad_at = UINT64_MAX;
	char line[64];
	int fd = accept_one(port);
	size_t n, bad;

	while ((n = read_some(fd, buf, BUF_SIZE)) > 0) {
		if (bad_at == UINT64_MAX && (bad = wire_check(buf, n, key, c.len)) < n)
			bad_at = c.len + bad;
		wire_crc_update(&c, buf, n);
	}
	/* Answer even a wrong stream: the guest then reports a CRC that does not match. */
	write_all(fd, line, (size_t)wire_crc_line(&c, line, sizeof(line)));
	close(fd);
	if (bad_at != UINT64_MAX)
		die("the stream is not the pattern from offset %llu", (unsigned long long)bad_at);
	printf("bytes=%llu crc=%.*s\n", (unsigned long long)c.len, (int)strcspn(line, " "), line);
	return 0;
}

static uint64_t count(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		die("not a count: '%s'", s);
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: net_peer [-t SECONDS] echo HOST PORT BYTES | conns HOST PORT N |\n"
			"  parallel HOST PORT CLIENTS BYTES | udp HOST PORT N |\n"
			"  upload HOST PORT BYTES | download HOST PORT BYTES | listen PORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		limit_s = atoi(argv[2]);
		argc -= 2, argv += 2;
	}
	wire_crc_tables();
	if (argc == 3 && !strcmp(argv[1], "listen") && limit_s > 0)
		return listen_once(argv[2]);
	if (argc < 5 || limit_s < 1)
		return usage();
	a = address(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "echo"))
		return parallel(&a, 1, count(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "conns"))
		return conns(&a, (unsigned)count(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "parallel"))
		return parallel(&a, (unsigned)count(argv[4]), count(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "udp"))
		return udp(&a, (unsigned)count(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "upload"))
		return upload(&a, count(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "download"))
		return download(&a, count(argv[4]));
	return usage();
}
