/* conn.c: one connection: requests read, parsed and answered in order, keep-alive, timeouts. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"

/* The socket is non-blocking: waits go through poll, so a stalled peer times out. */
static int wait_for(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	int n;

	while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return n > 0 ? 0 : -1;
}

static long recv_some(struct conn *c, void *out, size_t max)
{
	for (;;) {
		ssize_t n = recv(c->fd, out, max, 0);

		if (n >= 0)
			return (long)n;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    wait_for(c->fd, POLLIN, TIMEOUT_MS))
			return -1;
	}
}

/* All of iov, or -1. MSG_NOSIGNAL: a peer that has gone is an error here, not SIGPIPE. */
int conn_send(struct conn *c, struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = n };

	while (m.msg_iovlen > 0) {
		ssize_t sent = sendmsg(c->fd, &m, MSG_NOSIGNAL);

		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
			    wait_for(c->fd, POLLOUT, TIMEOUT_MS))
				return -1;
			continue;
		}
		while (m.msg_iovlen > 0 && (size_t)sent >= m.msg_iov->iov_len) {
			sent -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++, m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + sent;
			m.msg_iov->iov_len -= (size_t)sent;
		}
	}
	return 0;
}

int respond(struct conn *c, int status, const char *type, const void *body, size_t len,
	    const char *extra)
{
	char head[1024];
	struct iovec iov[2] = { { head, 0 }, { (void *)body, len } };

	if (!(iov[0].iov_len = http_head(head, sizeof(head), status, type, len, c, extra)))
		return -1;
	return conn_send(c, iov, c->head_only || !len ? 1 : 2);
}

/* The body: first what came with the head, then straight from the socket. */
long conn_body(struct conn *c, void *out, size_t max)
{
	static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
	size_t buffered = c->len - c->pos;
	long n;

	if (max > c->body_left)
		max = (size_t)c->body_left;
	if (!max)
		return 0;
	if (c->continue_pending) {
		struct iovec iov = { (void *)go_on, sizeof(go_on) - 1 };

		c->continue_pending = 0;
		if (conn_send(c, &iov, 1))
			return -1;
	}
	if (buffered) {
		n = (long)(buffered < max ? buffered : max);
		memcpy(out, c->buf + c->pos, (size_t)n);
		c->pos += (size_t)n;
	} else if ((n = recv_some(c, out, max)) <= 0) {
		return -1; /* the peer left in the middle */
	}
	c->body_left -= (uint64_t)n;
	return n;
}

/* An error in the head: answered, and the connection closes (its framing is lost). */
static void refuse(struct conn *c, int status)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));

	c->keep_alive = 0, c->head_only = 0, c->minor = 1;
	respond(c, status, "text/plain; charset=utf-8", body, (size_t)n, NULL);
}

/* Drop what the last request used; a pipelined request moves to the front. */
static void consume(struct conn *c)
{
	memmove(c->buf, c->buf + c->pos, c->len - c->pos);
	c->len -= c->pos;
	c->pos = 0;
}

static int one_request(struct conn *c)
{
	struct request r;
	long head;

	while (!(head = http_parse(c->buf, c->len, &r))) {
		long n = recv_some(c, c->buf + c->len, BUF_SIZE - c->len);

		if (n <= 0)
			return -1; /* closed, reset or idle too long: no answer owed */
		c->len += (size_t)n;
	}
	if (head < 0) {
		refuse(c, (int)-head);
		return -1;
	}
	c->pos = (size_t)head;
	c->keep_alive = r.keep_alive, c->minor = r.minor;
	c->head_only = !strcmp(r.method, "HEAD");
	c->body_left = r.has_length ? r.length : 0;
	c->continue_pending = r.expect_continue && c->body_left;
	stats_request();
	if (serve(c, &r) || !c->keep_alive || c->body_left)
		return -1;
	consume(c);
	return 0;
}

/* When we close first, unread input would make the kernel send a reset that can
 * destroy the answer in flight: send FIN, then read until the client closes too. */
static void linger_close(int fd)
{
	char sink[4096];
	int rounds = 0;

	shutdown(fd, SHUT_WR);
	while (rounds++ < 16 && !wait_for(fd, POLLIN, 500) && recv(fd, sink, sizeof(sink), 0) > 0)
		;
	close(fd);
}

void *conn_main(void *arg)
{
	struct conn c = { .fd = (int)(intptr_t)arg };

	c.buf = malloc(BUF_SIZE);
	c.io = malloc(IO_CHUNK);
	if (c.buf && c.io)
		while (!one_request(&c))
			;
	linger_close(c.fd);
	free(c.buf);
	free(c.io);
	conn_done();
	return NULL;
}
