/* vsock_peer: the host side of the vsock integration tests.
 *   vsock_peer echo SOCK PORT BYTES CONNS  CONNS connections at once, each sends BYTES
 *                                          of a pattern and checks they come back
 *   vsock_peer stall SOCK PORT             one connection fills the guest and never
 *                                          reads; an echo beside it must still finish
 *   vsock_peer listen PATH REPLY           accept one connection on PATH (the guest's
 *                                          connect to CID 2), print it, answer REPLY */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX 256
#define LIMIT_S	  120

struct conn {
	int fd;
	uint64_t sent, got, want;
	uint32_t seed;
};

static uint8_t pattern(uint32_t seed, uint64_t i)
{
	return (uint8_t)((i * 2654435761u >> 7) ^ seed ^ (i >> 12));
}

static int die(const char *what)
{
	fprintf(stderr, "vsock_peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die(path);
	return fd;
}

/* Firecracker's handshake, blocking; then the socket goes non-blocking. */
static int vsock_connect(const char *path, unsigned port)
{
	int fd = unix_connect(path);
	char line[64];
	size_t n = 0;

	dprintf(fd, "CONNECT %u\n", port);
	while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	if (strncmp(line, "OK ", 3)) {
		fprintf(stderr, "vsock_peer: CONNECT %u: got '%s'\n", port, line);
		exit(1);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void pump(struct conn *c, short revents)
{
	uint8_t buf[65536];
	ssize_t n;

	if ((revents & POLLOUT) && c->sent < c->want) {
		size_t k =
		    c->want - c->sent < sizeof(buf) ? (size_t)(c->want - c->sent) : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(c->seed, c->sent + i);
		n = write(c->fd, buf, k);
		if (n > 0 && (c->sent += (uint64_t)n) == c->want)
			shutdown(c->fd, SHUT_WR);
	}
	if (revents & (POLLIN | POLLHUP)) {
		n = read(c->fd, buf, sizeof(buf));
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(c->seed, c->got + (uint64_t)i)) {
				fprintf(stderr, "vsock_peer: wrong byte at %llu\n",
					(unsigned long long)(c->got + (uint64_t)i));
				exit(1);
			}
		if (n > 0)
			c->got += (uint64_t)n;
		else if (n == 0 && c->got < c->want) {
			fprintf(stderr, "vsock_peer: connection closed after %llu of %llu bytes\n",
				(unsigned long long)c->got, (unsigned long long)c->want);
			exit(1);
		}
	}
}

static int echo(const char *path, unsigned port, uint64_t bytes, unsigned nconns)
{
	static struct conn c[CONNS_MAX];
	struct pollfd p[CONNS_MAX];
	time_t end = time(NULL) + LIMIT_S;
	unsigned left = nconns;

	if (nconns < 1 || nconns > CONNS_MAX)
		return fprintf(stderr, "vsock_peer: 1 to %d connections\n", CONNS_MAX), 2;
	for (unsigned i = 0; i < nconns; i++)
		c[i] = (struct conn){ vsock_connect(path, port), 0, 0, bytes, (uint32_t)i * 77 };
	while (left) {
		if (time(NULL) > end)
			return fprintf(stderr, "vsock_peer: echo timed out\n"), 1;
		for (unsigned i = 0; i < nconns; i++)
			p[i] = (struct pollfd){ c[i].got < bytes ? c[i].fd : -1,
						(short)(POLLIN | (c[i].sent < bytes ? POLLOUT : 0)),
						0 };
		if (poll(p, (nfds_t)nconns, 1000) < 0)
			die("poll");
		for (unsigned i = 0; i < nconns; i++)
			if (p[i].fd >= 0 && p[i].revents) {
				pump(&c[i], p[i].revents);
				left -= c[i].got == bytes;
			}
	}
	printf("echo: %u connection(s), %llu bytes each, all back intact\n", nconns,
	       (unsigned long long)bytes);
	return 0;
}

/* A reader that stops reading must not stall another connection. */
static int stall(const char *path, unsigned port)
{
	int hog = vsock_connect(path, port);
	uint8_t buf[65536] = { 0 };
	uint64_t pushed = 0;

	/* Fill everything between us and the guest: its echo stalls on our full socket. */
	for (int idle = 0; idle < 20;) {
		ssize_t n = write(hog, buf, sizeof(buf));

		if (n > 0)
			pushed += (uint64_t)n, idle = 0;
		else
			idle++, usleep(10000);
	}
	printf("stall: %llu bytes pushed to a connection nobody reads\n",
	       (unsigned long long)pushed);
	return echo(path, port, 1 << 20, 1);
}

static int listen_once(const char *path, const char *reply)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	char buf[4096];
	ssize_t n, got = 0;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		die(path);
	printf("listening\n");
	fflush(stdout);
	alarm(LIMIT_S);
	fd = accept(s, NULL, NULL);
	if (fd < 0)
		die("accept");
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	printf("got: %s\n", buf);
	if (write(fd, reply, strlen(reply)) < 0)
		die("write");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "echo"))
		return echo(argv[2], (unsigned)atoi(argv[3]), strtoull(argv[4], NULL, 0),
			    (unsigned)atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "stall"))
		return stall(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "listen"))
		return listen_once(argv[2], argv[3]);
	fprintf(stderr, "usage: vsock_peer echo SOCK PORT BYTES CONNS | stall SOCK PORT | "
			"listen PATH REPLY\n");
	return 2;
}
