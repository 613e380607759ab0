/* serve.c: the routes: files under the root, GET /stats, GET /bytes/N, POST /upload. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httpd.h"

#define BYTES_MAX   (1ULL << 30) /* /bytes/N: N up to 1 GiB */
#define DISCARD_MAX (1 << 20)	 /* a body no route wants: read and dropped up to this */
#define TEXT	    "text/plain; charset=utf-8"

/* Fills buf with the response body's bytes [off, off + len). */
typedef int fill_fn(void *ctx, unsigned char *buf, uint64_t off, size_t len);

static int status_text(struct conn *c, int status, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));

	return respond(c, status, TEXT, body, (size_t)n, extra);
}

static int not_allowed(struct conn *c, const char *allow)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
	return status_text(c, 405, extra);
}

/* The head with the first piece of the body in one send, then the rest piece by piece. */
static int stream(struct conn *c, const char *type, uint64_t size, fill_fn *fill, void *ctx)
{
	char head[1024];
	struct iovec iov[2] = { { head, http_head(head, sizeof(head), 200, type, size, c, NULL) } };
	size_t len;

	if (!iov[0].iov_len)
		return -1;
	if (c->head_only || !size)
		return conn_send(c, iov, 1);
	for (uint64_t off = 0; off < size; off += len) {
		len = size - off < IO_CHUNK ? (size_t)(size - off) : IO_CHUNK;
		if (fill(ctx, c->io, off, len))
			return -1;
		iov[1] = (struct iovec){ c->io, len }; /* conn_send moves the iovecs along */
		if (conn_send(c, off ? &iov[1] : iov, off ? 1 : 2))
			return -1;
	}
	return 0;
}

/* A file that shrinks under us breaks the Content-Length already sent: close. */
static int fill_file(void *ctx, unsigned char *buf, uint64_t off, size_t len)
{
	int fd = *(int *)ctx;

	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n <= 0 && !(n < 0 && errno == EINTR))
			return -1;
		if (n > 0)
			buf += n, off += (uint64_t)n, len -= (size_t)n;
	}
	return 0;
}

/* Directories are answered with a redirect to PATH/, so relative links work. */
static int redirect(struct conn *c, const char *path)
{
	static const char safe[] = "-._~/!$&'()*+,;=:@";
	char extra[600] = "Location: ";
	size_t n = strlen(extra);

	for (const unsigned char *p = (const unsigned char *)path; *p && n < 500; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(safe, *p))
			extra[n++] = (char)*p;
		else
			n += (size_t)snprintf(extra + n, 4, "%%%02X", *p);
	if (n >= 500)
		return status_text(c, 404, NULL);
	memcpy(extra + n, "/\r\n", 4);
	return status_text(c, 301, extra);
}

static int file(struct conn *c, const char *path)
{
	const char *index = path[strlen(path) - 1] == '/' ? "index.html" : "";
	char full[PATH_MAX];
	struct stat st;
	int fd, rc;

	if (snprintf(full, sizeof(full), "%s%s%s", httpd_root, path, index) >= (int)sizeof(full))
		return status_text(c, 404, NULL);
	/* O_NONBLOCK: a FIFO under a host root must not hang the thread. */
	if ((fd = open(full, O_RDONLY | O_NONBLOCK)) < 0)
		return status_text(c, errno == EACCES ? 403 : 404, NULL);
	if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		rc = status_text(c, 404, NULL);
	else if (S_ISDIR(st.st_mode))
		rc = *index ? status_text(c, 404, NULL) : redirect(c, path);
	else
		rc = stream(c, http_mime(full), (uint64_t)st.st_size, fill_file, &fd);
	close(fd);
	return rc;
}

static void store_le64(unsigned char *p, uint64_t w)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(w >> (8 * i));
}

/* tests/tools/pattern's: the little-endian word at offset o is o ^ (seed * 0x9e3779b97f4a7c15). */
static int fill_pattern(void *ctx, unsigned char *buf, uint64_t off, size_t len)
{
	uint64_t key = *(uint64_t *)ctx * 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		store_le64(buf + i, (off + i) ^ key);
	if (i < len) { /* only the last piece can end inside a word: pieces are 8-aligned */
		unsigned char w[8];

		store_le64(w, (off + i) ^ key);
		memcpy(buf + i, w, len - i);
	}
	return 0;
}

/* Decimal, at most max; -1 if not. */
static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!n || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return v <= max ? 0 : -1;
}

/* GET /bytes/N[?seed=S]: N bytes of `pattern S N` (seed 1 when none is given). */
static int bytes(struct conn *c, const char *n, const char *query)
{
	uint64_t size, seed = 1;

	if (parse_u64(n, strlen(n), BYTES_MAX, &size))
		return status_text(c, 400, NULL);
	if (!strncmp(query, "seed=", 5) &&
	    parse_u64(query + 5, strcspn(query + 5, "&"), UINT64_MAX, &seed))
		return status_text(c, 400, NULL);
	return stream(c, "application/octet-stream", size, fill_pattern, &seed);
}

static int stats(struct conn *c)
{
	unsigned long requests, accepted, open;
	char body[160];
	int n;

	stats_get(&requests, &accepted, &open);
	n = snprintf(body, sizeof(body),
		     "{\"requests\":%lu,\"connections_accepted\":%lu,\"connections_open\":%lu}\n",
		     requests, accepted, open);
	return respond(c, 200, "application/json", body, (size_t)n, NULL);
}

/* POST /upload: the body's cksum, "CRC LENGTH\n", as `cksum < file` prints it. */
static int upload(struct conn *c, const struct request *r)
{
	uint64_t total = c->body_left;
	uint32_t crc = 0;
	char body[48];
	long n;

	if (!r->has_length)
		return status_text(c, 411, NULL);
	while ((n = conn_body(c, c->io, IO_CHUNK)) > 0)
		crc = cksum_update(crc, c->io, (size_t)n);
	if (n < 0)
		return -1;
	n = snprintf(body, sizeof(body), "%lu %llu\n", (unsigned long)cksum_final(crc, total),
		     (unsigned long long)total);
	return respond(c, 200, TEXT, body, (size_t)n, NULL);
}

/* A body the route does not read is dropped; a big one, or one the client holds back
 * for "100 Continue", is left unread and the connection closes after the answer. */
static int skip_body(struct conn *c)
{
	if (c->continue_pending || c->body_left > DISCARD_MAX) {
		c->keep_alive = 0;
		return 0;
	}
	while (c->body_left)
		if (conn_body(c, c->io, IO_CHUNK) <= 0)
			return -1;
	return 0;
}

int serve(struct conn *c, struct request *r)
{
	int get = !strcmp(r->method, "GET") || c->head_only;
	int to_upload;
	char *path, *query;

	if (r->has_te) { /* chunked bodies are not supported: the framing is unknown, close */
		c->keep_alive = 0;
		return status_text(c, 501, NULL);
	}
	if (http_path(r->target, &path, &query))
		return skip_body(c) ? -1 : status_text(c, 400, NULL);
	to_upload = !strcmp(path, "/upload");
	if (to_upload && !strcmp(r->method, "POST"))
		return upload(c, r);
	if (skip_body(c))
		return -1;
	if (to_upload)
		return not_allowed(c, "POST");
	if (!get)
		return not_allowed(c, "GET, HEAD");
	if (!strcmp(path, "/stats"))
		return stats(c);
	if (!strncmp(path, "/bytes/", 7))
		return bytes(c, path + 7, query);
	return file(c, path);
}
