/* httpd.h: what the files of examples/httpd share. Plain POSIX, so it builds on the host too. */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define HEAD_MAX   8192		  /* request line and headers: 431 (or 414) beyond */
#define URI_MAX	   4096		  /* the request target: 414 beyond */
#define BUF_SIZE   (2 * HEAD_MAX) /* room to read a pipelined request ahead */
#define IO_CHUNK   65536	  /* files, /bytes and uploads move in pieces this big */
#define TIMEOUT_MS 30000	  /* an idle or stalled peer is dropped after this */

/* One parsed request head; the strings point into the connection's buffer. */
struct request {
	char *method, *target; /* NUL-terminated */
	int minor;	       /* HTTP/1.<minor> */
	int keep_alive;	       /* what the client asked for (Connection, version) */
	int has_length, has_te, expect_continue;
	uint64_t length; /* Content-Length */
};

struct conn {
	int fd;
	char *buf;		   /* BUF_SIZE bytes */
	size_t len, pos;	   /* received; consumed (the head and body taken so far) */
	unsigned char *io;	   /* IO_CHUNK bytes */
	uint64_t body_left;	   /* of the current request's body, not yet read */
	int continue_pending;	   /* the client waits for "100 Continue" before its body */
	int keep_alive, head_only; /* for the response being written */
	int minor;
};

/* http.c: parsing and formatting, no I/O. */
/* buf[0..len): > 0 the head's length (request filled in), 0 incomplete, < 0 -status. */
long http_parse(char *buf, size_t len, struct request *r);
/* "/a%20b?x" -> path "/a b", query "x", in place; -1 if malformed, a NUL or a ".." segment. */
int http_path(char *target, char **path, char **query);
const char *http_reason(int status);
const char *http_mime(const char *path);
size_t http_head(char *out, size_t size, int status, const char *type, uint64_t length,
		 const struct conn *c, const char *extra);

/* conn.c: one connection's thread and its socket I/O. */
void *conn_main(void *arg); /* arg: the socket, as intptr_t */
int conn_send(struct conn *c, struct iovec *iov, int n);
long conn_body(struct conn *c, void *out, size_t max); /* bytes, 0 at its end, -1 */
/* The head with an optional body in one send (one segment for small answers). */
int respond(struct conn *c, int status, const char *type, const void *body, size_t len,
	    const char *extra);

/* serve.c: the routes. 0: go on with the connection; -1: close it. */
int serve(struct conn *c, struct request *r);

/* cksum.c: POSIX cksum's CRC, as `cksum` prints it. */
uint32_t cksum_update(uint32_t crc, const void *data, size_t len);
uint32_t cksum_final(uint32_t crc, uint64_t length);

/* httpd.c: settings and counters. */
extern const char *httpd_root; /* "" for "/" */
void stats_get(unsigned long *requests, unsigned long *accepted, unsigned long *open);
void stats_request(void);
void conn_done(void); /* a connection thread ends */

#endif
