/* vsockbench: invoke round trips and streaming throughput over vmm's vsock
 * socket, next to the same traffic over a plain Unix socket on the host.
 *   vsockbench rtt SOCKET|--floor COUNT        control-protocol invoke round trips
 *   vsockbench stream SOCKET|--floor PORT MIB  bytes to an echo server and back
 * With --floor, vsockbench serves the other end itself on a socketpair-like
 * Unix socket: the cost of the host's own sockets, with no VM in the path. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "vsockbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			die("write");
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

static void read_all(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			die("read");
		p = (char *)p + r;
		n -= (size_t)r;
	}
}

static size_t read_line(int fd, char *line, size_t size)
{
	size_t n = 0;

	while (n < size - 1) {
		read_all(fd, line + n, 1);
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	return n;
}

static int vsock_connect(const char *path, unsigned port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char line[64];

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die(path);
	dprintf(fd, "CONNECT %u\n", port);
	read_line(fd, line, sizeof(line));
	if (strncmp(line, "OK ", 3)) {
		fprintf(stderr, "vsockbench: CONNECT %u: '%s'\n", port, line);
		exit(1);
	}
	return fd;
}

/* The floor's server: answers control frames, or echoes bytes. */
static void *floor_server(void *arg)
{
	int fd = (int)(intptr_t)arg, rtt = fd < 0;
	static char buf[65536];
	char line[64], word[16], body[256];
	uint32_t len;
	ssize_t n;

	fd = rtt ? -fd : fd;
	if (!rtt) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			write_all(fd, buf, (size_t)n);
		return NULL;
	}
	for (;;) {
		size_t k = read_line(fd, line, sizeof(line));

		if (control_parse_header(line, k, word, &len) || len > sizeof(body))
			return NULL;
		read_all(fd, body, len);
		k = (size_t)snprintf(line, sizeof(line), "ok %u\n", len);
		write_all(fd, line, k);
		write_all(fd, body, len);
	}
}

static int floor_connect(int rtt)
{
	int sv[2];
	pthread_t t;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	pthread_create(&t, NULL, floor_server, (void *)(intptr_t)(rtt ? -sv[1] : sv[1]));
	pthread_detach(t);
	return sv[0];
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int rtt(const char *sock, int count)
{
	int fd = strcmp(sock, "--floor") ? vsock_connect(sock, VMM_CONTROL_PORT) : floor_connect(1);
	double *t = malloc((size_t)count * sizeof(*t));
	char line[64], word[16], body[256];
	uint32_t len;

	for (int i = 0; i < count; i++) {
		double t0 = now();
		size_t k;

		write_all(fd, "invoke 12\nhello world\n", 22);
		k = read_line(fd, line, sizeof(line));
		if (control_parse_header(line, k, word, &len) || len > sizeof(body) ||
		    strcmp(word, "ok"))
			return fprintf(stderr, "vsockbench: bad reply '%s'\n", line), 1;
		read_all(fd, body, len);
		t[i] = (now() - t0) * 1e6;
	}
	qsort(t, (size_t)count, sizeof(*t), cmp);
	printf("rtt count=%d p50_us=%.1f p99_us=%.1f min_us=%.1f\n", count, t[count / 2],
	       t[count * 99 / 100], t[0]);
	return 0;
}

static int stream(const char *sock, unsigned port, int mib)
{
	int fd = strcmp(sock, "--floor") ? vsock_connect(sock, port) : floor_connect(0);
	static char out[65536], in[65536];
	uint64_t total = (uint64_t)mib << 20, sent = 0, got = 0;
	double t0 = now();

	while (got < total) {
		struct pollfd p = { fd, (short)(POLLIN | (sent < total ? POLLOUT : 0)), 0 };

		if (poll(&p, 1, 10000) <= 0)
			die("poll");
		if ((p.revents & POLLOUT) && sent < total) {
			ssize_t w =
			    write(fd, out, total - sent < sizeof(out) ? total - sent : sizeof(out));

			sent += w > 0 ? (uint64_t)w : 0;
		}
		if (p.revents & POLLIN) {
			ssize_t r = read(fd, in, sizeof(in));

			if (r <= 0)
				die("read");
			got += (uint64_t)r;
		}
	}
	printf("stream mib=%d mib_s=%.1f\n", mib, (double)mib / (now() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "rtt"))
		return rtt(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1);
	if (argc == 5 && !strcmp(argv[1], "stream"))
		return stream(argv[2], (unsigned)atoi(argv[3]),
			      atoi(argv[4]) > 0 ? atoi(argv[4]) : 1);
	fprintf(stderr,
		"usage: vsockbench rtt SOCKET|--floor COUNT | stream SOCKET|--floor PORT MIB\n");
	return 2;
}
