/* vmmctl: talk to a guest's control service over vmm's vsock Unix socket.
 *   vmmctl [--json] [--timeout SECONDS] SOCKET ping|status|shutdown [GRACE_MS]|invoke [PAYLOAD|-]
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

/* Exit statuses, also in --help. */
enum { OK, GUEST_ERROR, USAGE, NO_SOCKET, NO_SERVICE, TIMEOUT };

static const char usage[] =
    "usage: vmmctl [--json] [--timeout SECONDS] SOCKET COMMAND [ARG]\n"
    "  ping                 check that the guest answers\n"
    "  status               the guest's name, argv, uptime, memory, threads\n"
    "  shutdown [GRACE_MS]  ask the app to exit (the VM stops after GRACE_MS, default 5000)\n"
    "  invoke [PAYLOAD|-]   hand PAYLOAD (or standard input) to the app's handler\n"
    "exit status: 0 ok, 1 the guest answered with an error, 2 usage,\n"
    "3 no such socket or vmm not listening, 4 no control service in the guest, 5 timeout\n";

static int json;
static double timeout_s = 5;
static double deadline;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int fail(int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		printf("{\"ok\":false,\"error\":\"%s\",\"message\":", code);
		json_string(stdout, msg, strlen(msg));
		printf("}\n");
	} else {
		fprintf(stderr, "vmmctl: %s\n", msg);
	}
	return status;
}

/* Waits for fd to be ready for events until the deadline; 0, or -1 on timeout. */
static int ready(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	double left = deadline - now();

	return left > 0 && poll(&p, 1, (int)(left * 1000) + 1) == 1 ? 0 : -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w;

		if (ready(fd, POLLOUT))
			return -ETIMEDOUT;
		w = write(fd, p, n);
		if (w < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (w > 0)
			p += w, n -= (size_t)w;
	}
	return 0;
}

/* Exactly n bytes; -ETIMEDOUT, -ECONNRESET at end of file, or -errno. */
static int read_all(int fd, char *p, size_t n)
{
	while (n) {
		ssize_t r;

		if (ready(fd, POLLIN))
			return -ETIMEDOUT;
		r = read(fd, p, n);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (r > 0)
			p += r, n -= (size_t)r;
	}
	return 0;
}

/* One line without its newline, at most size - 1 bytes. */
static int read_line(int fd, char *line, size_t size)
{
	for (size_t i = 0; i < size - 1; i++) {
		int rc = read_all(fd, line + i, 1);

		if (rc)
			return rc;
		if (line[i] == '\n') {
			line[i] = 0;
			return (int)i;
		}
	}
	return -EPROTO;
}

static int connect_unix(const char *path, int *fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path))
		return fail(USAGE, "usage", "%s: socket path too long", path);
	strcpy(a.sun_path, path);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || connect(*fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail(NO_SOCKET, "no_socket", "%s: %s%s", path, strerror(errno),
			    errno == ENOENT || errno == ECONNREFUSED
				? " (is a VM running with --vsock on it?)"
				: "");
	return OK;
}

/* Firecracker's handshake: CONNECT <port>, then OK <host port>. */
static int handshake(int fd)
{
	char line[64];
	int rc = write_all(fd, "CONNECT 1100\n", 13);

	if (!rc)
		rc = read_line(fd, line, sizeof(line));
	if (rc == -ETIMEDOUT)
		return fail(TIMEOUT, "timeout",
			    "the guest did not accept the connection within %g s", timeout_s);
	if (rc < 0 || strncmp(line, "OK ", 3))
		return fail(NO_SERVICE, "no_service",
			    "the guest has no control service on vsock port %d", VMM_CONTROL_PORT);
	return OK;
}

/* Sends one request and reads its response into *body (malloc'd). */
static int request(int fd, const char *verb, const char *arg, size_t arglen, char **body,
		   uint32_t *len, int *is_error)
{
	char line[VMM_CONTROL_HEADER_MAX], word[16];
	int n = snprintf(line, sizeof(line), "%s %zu\n", verb, arglen), rc;

	rc = write_all(fd, line, (size_t)n);
	if (!rc && arglen)
		rc = write_all(fd, arg, arglen);
	if (!rc)
		rc = read_line(fd, line, sizeof(line));
	if (rc >= 0 && control_parse_header(line, (size_t)rc, word, len))
		rc = -EPROTO;
	if (rc >= 0 && !(*body = malloc(*len + 1)))
		rc = -ENOMEM;
	if (rc >= 0)
		rc = read_all(fd, *body, *len);
	if (rc == -ETIMEDOUT)
		return fail(TIMEOUT, "timeout", "the guest did not answer within %g s", timeout_s);
	if (rc < 0)
		return fail(NO_SERVICE, "no_service", "the control connection failed: %s",
			    rc == -EPROTO ? "a malformed response" : strerror(-rc));
	(*body)[*len] = 0;
	*is_error = strcmp(word, "ok") != 0;
	return OK;
}

/* The first number or string value of "key" in the guest's flat JSON status. */
static const char *field(const char *json_text, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json_text, pat);
	if (!p)
		return "?";
	p += strlen(pat);
	if (*p == '"')
		p++;
	while (*p && *p != '"' && *p != ',' && *p != '}' && n + 1 < size)
		out[n++] = *p++;
	out[n] = 0;
	return out;
}

static void print_status(const char *body)
{
	char a[128], b[32], c[32], d[32], e[32];
	const char *argv = strstr(body, "\"argv\":");

	printf("name:    %s\n", field(body, "name", a, sizeof(a)));
	printf("state:   %s\n", field(body, "state", b, sizeof(b)));
	printf("uptime:  %.3f s\n", atof(field(body, "uptime_ns", c, sizeof(c))) / 1e9);
	printf("memory:  %.1f of %.1f MiB\n", atof(field(body, "mem_used", d, sizeof(d))) / 1048576,
	       atof(field(body, "mem_total", e, sizeof(e))) / 1048576);
	printf("threads: %s\n", field(body, "threads", b, sizeof(b)));
	if (argv) {
		const char *end = strchr(argv, ']');

		printf("argv:    %.*s\n", end ? (int)(end - argv - 6) : 0, argv + 7);
	}
}

static void print_ok(const char *verb, const char *body, uint32_t len, double rtt)
{
	if (json) {
		printf("{\"ok\":true,\"command\":\"%s\",\"rtt_us\":%.1f,", verb, rtt * 1e6);
		if (!strcmp(verb, "status"))
			printf("\"status\":%s}\n", len ? body : "null");
		else {
			printf("\"reply\":");
			json_string(stdout, body, len);
			printf("}\n");
		}
	} else if (!strcmp(verb, "status")) {
		print_status(body);
	} else if (!strcmp(verb, "ping")) {
		printf("%s (%.0f us)\n", body, rtt * 1e6);
	} else {
		fwrite(body, 1, len, stdout);
		if (strcmp(verb, "invoke") || (len && body[len - 1] != '\n'))
			putchar('\n');
	}
}

/* The invoke payload: the argument, or all of standard input for "-". */
static char *payload(const char *arg, size_t *len)
{
	size_t cap = 65536;
	char *buf;

	if (strcmp(arg, "-")) {
		*len = strlen(arg);
		return strdup(arg);
	}
	buf = malloc(cap);
	*len = 0;
	for (ssize_t r; buf && (r = read(0, buf + *len, cap - *len)) > 0;) {
		*len += (size_t)r;
		if (*len == cap && *len < VMM_CONTROL_BODY_MAX)
			buf = realloc(buf, cap *= 2);
	}
	return buf;
}

static int parse_args(int argc, char **argv, int *i)
{
	for (*i = 1; *i < argc && argv[*i][0] == '-' && argv[*i][1]; (*i)++) {
		if (!strcmp(argv[*i], "--json"))
			json = 1;
		else if (!strcmp(argv[*i], "--timeout") && *i + 1 < argc)
			timeout_s = atof(argv[++*i]);
		else if (!strcmp(argv[*i], "--help") || !strcmp(argv[*i], "-h"))
			return fputs(usage, stdout), -1;
		else
			return fail(USAGE, "usage", "unknown option %s (try --help)", argv[*i]);
	}
	if (timeout_s <= 0)
		return fail(USAGE, "usage", "--timeout needs a positive number of seconds");
	if (argc - *i < 2 || argc - *i > 3)
		return fail(USAGE, "usage", "need SOCKET and a command (try --help)");
	return OK;
}

int main(int argc, char **argv)
{
	const char *verb, *arg = "";
	char *body = NULL, *data = NULL;
	size_t arglen = 0;
	uint32_t len = 0;
	int i, fd = -1, rc, is_error = 0;
	double t0;

	if ((rc = parse_args(argc, argv, &i)))
		return rc < 0 ? OK : rc;
	verb = argv[i + 1];
	if (strcmp(verb, "ping") && strcmp(verb, "status") && strcmp(verb, "shutdown") &&
	    strcmp(verb, "invoke"))
		return fail(USAGE, "usage", "unknown command '%s' (try --help)", verb);
	if (i + 2 < argc) {
		arg = data = payload(argv[i + 2], &arglen);
		if (!data)
			return fail(USAGE, "usage", "out of memory");
	}
	deadline = now() + timeout_s;
	if ((rc = connect_unix(argv[i], &fd)) || (rc = handshake(fd)))
		return rc;
	t0 = now();
	rc = request(fd, verb, arg, arglen, &body, &len, &is_error);
	if (rc)
		return rc;
	if (is_error)
		rc = fail(GUEST_ERROR, "guest_error", "the guest answered: %s", body);
	else
		print_ok(verb, body, len, now() - t0);
	free(body);
	free(data);
	close(fd);
	return rc;
}
