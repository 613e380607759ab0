/* vsock_host.c: the host end of vsock in Firecracker's hybrid protocol: the listening
 * Unix socket, the "CONNECT <port>\n" handshake, PATH_<port> for connections the
 * guest opens, and the deadlines that close what never completes. */
#include "virtio_vsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SUFFIX_MAX sizeof("_4294967295")

uint64_t vsock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Firecracker reads 10 bytes, then one at a time up to a newline or 32 bytes in all. */
size_t vsock_host_line_need(const uint8_t *line, size_t len)
{
	if (len < VSOCK_LINE_MIN)
		return VSOCK_LINE_MIN - len;
	return line[len - 1] == '\n' || len >= VSOCK_LINE_MAX ? 0 : 1;
}

/* The length of a UTF-8 sequence from its lead byte; 0 if it cannot lead one. */
static size_t utf8_len(uint8_t b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	return b >= 0xf0 && b <= 0xf4 ? 4 : 0;
}

/* Rust's str::from_utf8: no overlongs, surrogates or code points past U+10FFFF. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		uint8_t b = s[i];

		k = utf8_len(b);
		if (!k || k > n - i)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		if ((b == 0xe0 && s[i + 1] < 0xa0) || (b == 0xed && s[i + 1] > 0x9f) ||
		    (b == 0xf0 && s[i + 1] < 0x90) || (b == 0xf4 && s[i + 1] > 0x8f))
			return false;
	}
	return true;
}

/* Bytes of Unicode White_Space at s (what Rust's split_whitespace splits on); 0 if none. */
static size_t space_at(const uint8_t *s, size_t n)
{
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) ||
	    (s[0] == 0xe2 && s[1] == 0x80 &&
	     (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) ||
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
	    (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80))
		return 3;
	return 0;
}

/* The next whitespace-separated word from *pos: its length, its start in *at. */
static size_t word(const uint8_t *s, size_t n, size_t *pos, size_t *at)
{
	size_t k;

	while (*pos < n && (k = space_at(s + *pos, n - *pos)))
		*pos += k;
	*at = *pos;
	while (*pos < n && !space_at(s + *pos, n - *pos))
		(*pos)++;
	return *pos - *at;
}

/*
 * As Firecracker's muxer: valid UTF-8, first word "connect" in any case, second
 * a u32 as Rust parses it (digits, an optional '+'), anything after ignored.
 */
int vsock_host_parse(const uint8_t *line, size_t len, uint32_t *port)
{
	size_t pos = 0, at, n;
	uint64_t v = 0;

	if (!utf8_ok(line, len))
		return -1;
	n = word(line, len, &pos, &at);
	if (n != 7 || strncasecmp((const char *)line + at, "connect", 7))
		return -1;
	n = word(line, len, &pos, &at);
	if (n > 1 && line[at] == '+') {
		at++;
		n--;
	}
	if (!n)
		return -1;
	for (size_t i = at; i < at + n; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(line[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*port = (uint32_t)v;
	return 0;
}

static void arm(struct vsock *vs)
{
	const long ns = VSOCK_TICK_MS * 1000000L;
	struct itimerspec t = { { ns / 1000000000L, ns % 1000000000L },
				{ ns / 1000000000L, ns % 1000000000L } };

	if (!vs->timer_armed && vs->timer.fd >= 0 &&
	    timerfd_settime(vs->timer.fd, 0, &t, NULL) == 0)
		vs->timer_armed = true;
}

void vsock_host_deadline(struct vsock_conn *c, uint64_t ms)
{
	c->deadline = vsock_now_ms() + ms;
	arm(c->vs);
}

void vsock_host_expire(struct vsock *vs, uint64_t now)
{
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	bool any = false;

	for (int i = 0; i < VSOCK_CONNS_MAX; i++) {
		struct vsock_conn *c = &vs->pool[i];

		if (c->deadline && now >= c->deadline) {
			c->deadline = 0;
			vsock_conn_reset(c); /* freed at once if the guest never heard of it */
		}
		any |= c->deadline != 0;
	}
	if (vs->listener_paused && vs->vm && !iothread_watch(vs->vm, &vs->listener, EPOLLIN))
		vs->listener_paused = false;
	any |= vs->listener_paused;
	if (!any && vs->timer_armed && timerfd_settime(vs->timer.fd, 0, &off, NULL) == 0)
		vs->timer_armed = false;
}

void vsock_host_tick(struct io_watch *w, uint32_t events)
{
	struct vsock *vs = (struct vsock *)((char *)w - offsetof(struct vsock, timer));
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, 8) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&vs->dev.lock);
	vsock_host_expire(vs, vsock_now_ms());
	vsock_rx_fill(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}

/* Reads the CONNECT line as far as it has come; then the guest gets a REQUEST. */
void vsock_host_handshake(struct vsock_conn *c)
{
	uint32_t port;
	size_t need;
	ssize_t r;

	while ((need = vsock_host_line_need(c->line, c->line_len))) {
		/* No more than Firecracker would take: what follows the line stays unread. */
		r = read(c->w.fd, c->line + c->line_len, need);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			vsock_conn_free(c); /* gone, or failed, mid-line */
			return;
		}
		c->line_len = (uint8_t)(c->line_len + r);
	}
	if (vsock_host_parse(c->line, c->line_len, &port) ||
	    vsock_conn_bind(c, vsock_conn_port(c->vs), port)) {
		vsock_conn_free(c);
		return;
	}
	c->state = VSOCK_LOCAL_INIT;
	vsock_host_deadline(c, VSOCK_REQUEST_MS);
	vsock_conn_queue(c, PEND_REQUEST);
	vsock_conn_events(c);
}

/* Out of descriptors: stop listening for a tick, or the pending connection spins us. */
static void pause_listener(struct vsock *vs)
{
	if (vs->vm)
		iothread_unwatch(vs->vm, &vs->listener);
	vs->listener_paused = true;
	arm(vs);
}

static void adopt(struct vsock *vs, int fd)
{
	struct vsock_conn *c = vsock_conn_new(vs, fd, VSOCK_HANDSHAKE);

	if (!c) {
		close(fd); /* at the limit: Firecracker drops it too */
		return;
	}
	vsock_host_deadline(c, VSOCK_HANDSHAKE_MS);
	vsock_conn_events(c);
	if (c->state == VSOCK_HANDSHAKE)
		vsock_host_handshake(c); /* the line often comes with the connection */
}

void vsock_host_accept(struct io_watch *w, uint32_t events)
{
	struct vsock *vs = (struct vsock *)((char *)w - offsetof(struct vsock, listener));

	(void)events;
	pthread_mutex_lock(&vs->dev.lock);
	/* A bounded batch: the other watches get their turn. */
	for (int i = 0; i < 64 && !vs->listener_paused; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0)
			adopt(vs, fd);
		else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			pause_listener(vs);
		else if (errno != EINTR && errno != ECONNABORTED)
			break;
	}
	vsock_rx_fill(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}

int vsock_host_ok(struct vsock_conn *c)
{
	char msg[24];
	int n = snprintf(msg, sizeof(msg), "OK %u\n", c->local_port);

	/* A fresh socket takes a dozen bytes at once, or it is broken. */
	return send(c->w.fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n ? 0 : -1;
}

int vsock_host_connect(struct vsock *vs, uint32_t port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (!vs->path || snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", vs->path, port) >=
			     (int)sizeof(a.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* A Unix connect never goes on in the background: it works now or fails. */
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A socket file nobody listens on (left by a vmm that was killed) may be replaced. */
static bool stale(const struct sockaddr_un *a)
{
	struct stat st;
	int fd, rc;

	if (lstat(a->sun_path, &st) || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	rc = connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
	close(fd);
	return rc == ECONNREFUSED;
}

static int bind_to(int fd, const struct sockaddr_un *a)
{
	struct stat st;

	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) == 0)
		return 0;
	if (errno != EADDRINUSE)
		return -errno;
	/* Never remove what is not a socket: it is somebody's file. */
	if (lstat(a->sun_path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (!stale(a) || unlink(a->sun_path))
		return -EADDRINUSE;
	return bind(fd, (const struct sockaddr *)a, sizeof(*a)) ? -errno : 0;
}

int vsock_host_open(struct vsock *vs, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int rc;

	/* Room for the longest suffix too: guest-initiated connections go to PATH_PORT. */
	if (!*path || strlen(path) + SUFFIX_MAX > sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	vs->listener.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vs->listener.fd < 0)
		return -errno;
	rc = bind_to(vs->listener.fd, &a);
	if (rc)
		return rc;
	if (stat(path, &st) == 0) {
		vs->path_dev = st.st_dev;
		vs->path_ino = st.st_ino;
	}
	vs->path = strdup(path);
	if (!vs->path) {
		unlink(path);
		return -ENOMEM;
	}
	if (listen(vs->listener.fd, SOMAXCONN) < 0)
		return -errno;
	vs->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	return vs->timer.fd < 0 ? -errno : 0;
}

void vsock_host_close(struct vsock *vs)
{
	struct stat st;

	if (vs->listener.fd >= 0)
		close(vs->listener.fd);
	if (vs->timer.fd >= 0)
		close(vs->timer.fd);
	vs->listener.fd = vs->timer.fd = -1;
	/* Only our own socket file: another vmm may have taken the path since. */
	if (vs->path && stat(vs->path, &st) == 0 && st.st_dev == vs->path_dev &&
	    st.st_ino == vs->path_ino)
		unlink(vs->path);
	free(vs->path);
	vs->path = NULL;
}
