/* control.c: the control service: ping, status, shutdown and invoke on vsock
 * port VMM_CONTROL_PORT, on its own threads beside the app (virtio/control.h). */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "libos.h"
#include "thread.h"
#include "vmm_guest.h"
#include "vsock.h"

static struct {
	vmm_invoke_fn invoke;
	void *invoke_ctx;
	void (*on_shutdown)(void *ctx);
	void *shutdown_ctx;
	volatile int stopping;
	int argc;
	char **argv;
} ctl;

int vmm_control_on_invoke(vmm_invoke_fn fn, void *ctx)
{
	ctl.invoke = fn;
	ctl.invoke_ctx = ctx;
	return 0;
}

int vmm_control_on_shutdown(void (*fn)(void *ctx), void *ctx)
{
	ctl.on_shutdown = fn;
	ctl.shutdown_ctx = ctx;
	return 0;
}

int vmm_shutdown_requested(void)
{
	return ctl.stopping;
}

static int send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static int reply(int fd, int ok, const void *body, size_t len)
{
	char head[VMM_CONTROL_HEADER_MAX];
	int n = snprintf(head, sizeof(head), "%s %zu\n", ok ? "ok" : "error", len);

	return send_all(fd, head, (size_t)n) || send_all(fd, body, len) ? -1 : 0;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* {"name":..., "argv":[...], ...}: flat JSON, as virtio/control.h documents. */
static size_t status_json(char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");
	struct timespec ts;
	long n;

	if (!f)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(f, "{\"name\":");
	json_str(f, ctl.argv[0]);
	fprintf(f, ",\"argv\":[");
	for (int i = 1; i < ctl.argc; i++) {
		if (i > 1)
			fputc(',', f);
		json_str(f, ctl.argv[i]);
	}
	fprintf(f,
		"],\"uptime_ns\":%lld,\"mem_total\":%llu,\"mem_used\":%llu,\"threads\":%d,"
		"\"state\":\"%s\"}",
		(long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (unsigned long long)boot.mem_size,
		(unsigned long long)pages_in_use(), thread_count(),
		ctl.stopping ? "stopping" : "running");
	fflush(f);
	n = ftell(f);
	fclose(f);
	return n > 0 && (size_t)n < size - 1 ? (size_t)n : 0;
}

static void *grace_timer(void *arg)
{
	struct timespec ts = { (time_t)((uintptr_t)arg / 1000),
			       (long)((uintptr_t)arg % 1000) * 1000000 };

	nanosleep(&ts, NULL);
	console_printf("guest: the app did not exit within %lu ms of the shutdown request\n",
		       (unsigned long)(uintptr_t)arg);
	_exit(VMM_CONTROL_KILLED);
}

static int shutdown_request(int fd, const char *body, uint32_t len)
{
	uintptr_t ms = len ? strtoul(body, NULL, 10) : VMM_CONTROL_GRACE_MS;
	pthread_t t;

	if (reply(fd, 1, "stopping", 8))
		return -1;
	if (!ctl.stopping) {
		ctl.stopping = 1;
		pthread_create(&t, NULL, grace_timer, (void *)ms);
		pthread_detach(t);
		if (ctl.on_shutdown)
			ctl.on_shutdown(ctl.shutdown_ctx);
	}
	return 0;
}

static int invoke(int fd, const char *body, uint32_t len)
{
	void *out = NULL;
	size_t out_len = 0;
	int rc;

	if (!ctl.invoke)
		return reply(fd, 0, "no invoke handler registered", 28);
	rc = ctl.invoke(body, len, &out, &out_len, ctl.invoke_ctx);
	rc = reply(fd, rc == 0, out ? out : "", out ? out_len : 0);
	free(out);
	return rc;
}

static int dispatch(int fd, const char *verb, char *body, uint32_t len)
{
	char status[4096];
	size_t n;

	if (!strcmp(verb, "ping"))
		return reply(fd, 1, "pong", 4);
	if (!strcmp(verb, "status")) {
		n = status_json(status, sizeof(status));
		return n ? reply(fd, 1, status, n) : reply(fd, 0, "status too long", 15);
	}
	if (!strcmp(verb, "shutdown"))
		return shutdown_request(fd, body, len);
	if (!strcmp(verb, "invoke"))
		return invoke(fd, body, len);
	return reply(fd, 0, "unknown request", 15);
}

/* Reads exactly n bytes; -1 at end of stream or on error. */
static int read_all(int fd, char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_header(int fd, char *line, size_t size, size_t *n)
{
	for (*n = 0; *n < size; (*n)++) {
		if (read_all(fd, line + *n, 1))
			return -1;
		if (line[*n] == '\n')
			return 0;
	}
	return -1;
}

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char line[VMM_CONTROL_HEADER_MAX], verb[16], *body;
	size_t n;
	uint32_t len;

	while (!read_header(fd, line, sizeof(line), &n)) {
		if (control_parse_header(line, n, verb, &len)) {
			reply(fd, 0, "malformed request", 17);
			break;
		}
		body = malloc((size_t)len + 1);
		if (!body || read_all(fd, body, len)) {
			free(body);
			break;
		}
		body[len] = 0;
		n = (size_t)dispatch(fd, verb, body, len);
		free(body);
		if (n)
			break;
	}
	close(fd);
	return NULL;
}

static void *listen_loop(void *arg)
{
	int s = (int)(intptr_t)arg, fd;
	pthread_t t;

	while ((fd = accept(s, NULL, NULL)) >= 0) {
		if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	console_printf("guest: control service stopped: accept failed (%s)\n", strerror(errno));
	return NULL;
}

/* Before main: listen on the control port if there is a vsock device. */
void control_start(int argc, char **argv)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_port = VMM_CONTROL_PORT,
				 .svm_cid = VMADDR_CID_ANY };
	pthread_t t;
	int s;

	ctl.argc = argc;
	ctl.argv = argv;
	if (!vsock_dev_present())
		return;
	s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16) ||
	    pthread_create(&t, NULL, listen_loop, (void *)(intptr_t)s)) {
		console_printf("guest: control service not started: %s\n", strerror(errno));
		return;
	}
	pthread_detach(t);
}
