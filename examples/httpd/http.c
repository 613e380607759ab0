/* http.c: HTTP/1.1 request heads parsed in place, paths decoded, response heads formatted. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "httpd.h"

/* RFC 9110 token characters: methods and header names. */
static int tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The head ends at an empty line; bare LF line ends are accepted as RFC 9112 allows. */
static size_t head_end(const char *buf, size_t start, size_t len)
{
	for (size_t i = start; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The next line of the head, NUL-terminated in place without its CR LF; NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl = strchr(line, '\n');

	if (!nl)
		return NULL;
	*p = nl + 1;
	if (nl > line && nl[-1] == '\r')
		nl--;
	*nl = 0;
	return line;
}

static int parse_request_line(char *line, struct request *r)
{
	char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	char *v = sp2 + 1;

	if (!sp2 || sp1 == line || sp2 == sp1 + 1 || sp1 - line > 15)
		return -400;
	*sp1 = *sp2 = 0;
	r->method = line, r->target = sp1 + 1;
	for (char *p = line; *p; p++)
		if (!tchar((unsigned char)*p))
			return -400;
	for (char *p = r->target; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -400;
	if (strlen(r->target) > URI_MAX)
		return -414;
	if (strncmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
	    v[7] > '9' || v[8])
		return -400;
	if (v[5] != '1')
		return -505;
	r->minor = v[7] - '0';
	return 0;
}

/* A comma-separated list has this token (Connection: keep-alive, Upgrade). */
static int has_token(const char *list, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = list; *p;) {
		p += strspn(p, " \t,");
		if (!strncasecmp(p, token, n) && strchr(" \t,", p[n]))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* 1*DIGIT without overflow; a second, different value is an error (RFC 9112 6.3). */
static int parse_length(const char *v, struct request *r)
{
	uint64_t n = 0;

	if (!*v)
		return -400;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
			return -400;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	if (r->has_length && r->length != n)
		return -400;
	r->has_length = 1, r->length = n;
	return 0;
}

static int parse_header(char *line, struct request *r, int *close, int *keep, int *hosts)
{
	char *colon = strchr(line, ':'), *v, *end;

	if (!colon || colon == line)
		return -400;
	for (char *p = line; p < colon; p++)
		if (!tchar((unsigned char)*p)) /* also: a blank before the colon, folded lines */
			return -400;
	*colon = 0;
	v = colon + 1 + strspn(colon + 1, " \t");
	for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = 0;
	for (char *p = v; *p; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
			return -400;
	if (!strcasecmp(line, "content-length"))
		return parse_length(v, r);
	if (!strcasecmp(line, "transfer-encoding"))
		r->has_te = 1;
	else if (!strcasecmp(line, "host"))
		++*hosts;
	else if (!strcasecmp(line, "connection"))
		*close |= has_token(v, "close"), *keep |= has_token(v, "keep-alive");
	else if (!strcasecmp(line, "expect"))
		return strcasecmp(v, "100-continue") ? -417 : (r->expect_continue = 1, 0);
	return 0;
}

/* Too long without an end: a request line that never ended is a long URI. */
static long too_long(const char *buf, size_t start)
{
	return memchr(buf + start, '\n', HEAD_MAX - start) ? -431 : -414;
}

long http_parse(char *buf, size_t len, struct request *r)
{
	size_t start = 0, end;
	int close = 0, keep = 0, hosts = 0, rc;
	char *p, *line;

	while (start < len && start < HEAD_MAX && (buf[start] == '\r' || buf[start] == '\n'))
		start++; /* empty lines before a request are ignored (RFC 9112 2.2) */
	if (start == HEAD_MAX)
		return -400;
	end = head_end(buf, start, len < HEAD_MAX ? len : HEAD_MAX);
	if (!end)
		return len >= HEAD_MAX ? too_long(buf, start) : 0;
	if (memchr(buf + start, 0, end - start))
		return -400;
	memset(r, 0, sizeof(*r));
	buf[end - 1] = 0; /* the last LF: lines end at the ones before it */
	p = buf + start;
	if ((rc = parse_request_line(next_line(&p), r)))
		return rc;
	while ((line = next_line(&p)) && *line)
		if ((rc = parse_header(line, r, &close, &keep, &hosts)))
			return rc;
	if ((r->minor >= 1 && hosts != 1) || hosts > 1)
		return -400; /* RFC 9112 3.2: exactly one Host in HTTP/1.1 */
	r->keep_alive = !close && (r->minor >= 1 || keep);
	return (long)end;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A ".." segment (after decoding) could climb out of the root. */
static int climbs(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if (p[-1] == '/' && (p[2] == '/' || !p[2]))
			return 1;
	return 0;
}

int http_path(char *target, char **path, char **query)
{
	char *in, *out, *q;

	if (!strncasecmp(target, "http://", 7)) /* absolute form: drop the authority */
		target = strchr(target + 7, '/');
	if (!target || target[0] != '/')
		return -1;
	if ((q = strchr(target, '?')))
		*q++ = 0;
	*query = q ? q : target + strlen(target);
	for (in = out = target; *in; in++, out++) {
		if (*in != '%') {
			*out = *in;
			continue;
		}
		if (hex(in[1]) < 0 || hex(in[2]) < 0 || (in[1] == '0' && in[2] == '0'))
			return -1;
		*out = (char)(hex(in[1]) * 16 + hex(in[2]));
		in += 2;
	}
	*out = 0;
	*path = target;
	return climbs(target) ? -1 : 0;
}

const char *http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 301, "Moved Permanently" },
		{ 400, "Bad Request" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 411, "Length Required" },
		{ 414, "URI Too Long" },
		{ 417, "Expectation Failed" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

const char *http_mime(const char *path)
{
	static const char *const types[][2] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "json", "application/json" },
		{ "png", "image/png" },
		{ "ico", "image/x-icon" },
		{ "svg", "image/svg+xml" },
		{ "jpg", "image/jpeg" },
		{ "wasm", "application/wasm" },
	};
	const char *dot = strrchr(path, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i][0]))
				return types[i][1];
	return "application/octet-stream";
}

/* HTTP/1.1 keeps the connection unless told; HTTP/1.0 needs to hear it is kept. */
static const char *connection(const struct conn *c)
{
	if (!c->keep_alive)
		return "Connection: close\r\n";
	return c->minor == 0 ? "Connection: keep-alive\r\n" : "";
}

/* Date is what an origin server with a clock sends (RFC 9110 6.6.1). */
size_t http_head(char *out, size_t size, int status, const char *type, uint64_t length,
		 const struct conn *c, const char *extra)
{
	char date[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (gmtime_r(&now, &tm))
		strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
	n = snprintf(out, size,
		     "HTTP/1.1 %d %s\r\nServer: vmm-httpd\r\n%sContent-Type: %s\r\n"
		     "Content-Length: %llu\r\n%s%s\r\n",
		     status, http_reason(status), date, type, (unsigned long long)length,
		     connection(c), extra ? extra : "");
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}
