/* httpd: an HTTP/1.1 server for the files bundled in the image, with /stats, /bytes/N, /upload.
 *   httpd [-p PORT] [-r ROOT]     port 80 and root "/" (examples/httpd/files in the image)
 * One thread per connection, at most MAX_CONNS; past that a client gets 503. Plain POSIX,
 * so it also builds on the host: gcc -O2 -Wall -Wextra -Werror examples/httpd/[a-z]*.c -lpthread */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"

#define MAX_CONNS 64

const char *httpd_root = "";
static unsigned long requests, accepted, open_conns;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void stats_get(unsigned long *req, unsigned long *acc, unsigned long *open)
{
	pthread_mutex_lock(&lock);
	*req = requests, *acc = accepted, *open = open_conns;
	pthread_mutex_unlock(&lock);
}

void stats_request(void)
{
	pthread_mutex_lock(&lock);
	requests++;
	pthread_mutex_unlock(&lock);
}

void conn_done(void)
{
	pthread_mutex_lock(&lock);
	open_conns--;
	pthread_mutex_unlock(&lock);
}

static int take_slot(void)
{
	int ok;

	pthread_mutex_lock(&lock);
	accepted++;
	ok = open_conns < MAX_CONNS;
	open_conns += (unsigned long)ok;
	pthread_mutex_unlock(&lock);
	return ok;
}

/* No thread to spare: a best-effort 503 on the fresh (non-blocking) socket, then close. */
static void busy(int fd)
{
	static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\nServer: vmm-httpd\r\n"
				  "Content-Type: text/plain\r\nContent-Length: 19\r\n"
				  "Retry-After: 1\r\nConnection: close\r\n\r\n503 server is busy\n";
	ssize_t n = send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);

	(void)n; /* if it failed, the client learns from the close instead */
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void start(int fd)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (!take_slot()) {
		busy(fd);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, conn_main, (void *)(intptr_t)fd);
	pthread_attr_destroy(&attr);
	if (rc) {
		conn_done();
		busy(fd);
	}
}

static void die(const char *what)
{
	fprintf(stderr, "httpd: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Port 0 takes any free port; the line printed names the real one. */
static int listen_on(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		fprintf(stderr, "httpd: SO_REUSEADDR: %s\n", strerror(errno));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	if (listen(fd, 128))
		die("listen");
	if (!getsockname(fd, (struct sockaddr *)&a, &len))
		*port = ntohs(a.sin_port);
	return fd;
}

/* Out of descriptors or memory is passing: wait a little rather than spin. */
static void accept_failed(void)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK || errno == EFAULT)
		die("accept");
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
		nanosleep(&pause, NULL);
}

/* TCP_NODELAY: a response goes out at once, not after the client's delayed ACK. */
static _Noreturn void accept_loop(int lfd)
{
	for (;;) {
		int fd = accept(lfd, NULL, NULL), one = 1;

		if (fd < 0) {
			accept_failed();
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
			close(fd);
			continue;
		}
		start(fd);
	}
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: httpd [-p PORT] [-r ROOT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	int opt, port = 80, lfd;
	char *root = NULL, *end;
	long p;

	while ((opt = getopt(argc, argv, "p:r:")) != -1) {
		if (opt == 'p' && (p = strtol(optarg, &end, 10)) >= 0 && p <= 65535 && !*end &&
		    *optarg)
			port = (int)p;
		else if (opt == 'r')
			root = optarg;
		else
			usage();
	}
	if (optind != argc)
		usage();
	if (root) { /* "/srv/www/" -> "/srv/www", "/" -> "": request paths start with '/' */
		for (end = root + strlen(root); end > root && end[-1] == '/'; end--)
			end[-1] = 0;
		httpd_root = root;
	}
	sigaction(SIGPIPE, &ign, NULL); /* belt and braces: sends use MSG_NOSIGNAL */
	lfd = listen_on(&port);
	printf("httpd: listening on port %d\n", port);
	fflush(stdout);
	accept_loop(lfd);
}
