/* vsock_echo: AF_VSOCK through the socket API, for the integration tests.
 *   vsock_echo serve PORT        echo every connection's bytes back, a thread each
 *   vsock_echo connect PORT MSG  connect to the host (CID 2), send MSG, print the reply */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *echo(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static __thread char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w <= 0)
				goto out;
			off += w;
		}
out:
	close(fd);
	return NULL;
}

static int serve(unsigned port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_port = port,
				 .svm_cid = VMADDR_CID_ANY };
	struct sockaddr_vm peer;
	socklen_t len = sizeof(peer);
	int s = socket(AF_VSOCK, SOCK_STREAM, 0), fd;
	pthread_t t;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 64)) {
		printf("vsock_echo: cannot listen on %u: %s\n", port, strerror(errno));
		return 1;
	}
	printf("vsock_echo: listening on %u\n", port);
	fflush(stdout);
	while ((fd = accept(s, (struct sockaddr *)&peer, &len)) >= 0)
		if (pthread_create(&t, NULL, echo, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	printf("vsock_echo: accept: %s\n", strerror(errno));
	return 1;
}

static int connect_host(unsigned port, const char *msg)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_port = port,
				 .svm_cid = VMADDR_CID_HOST };
	char buf[256];
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	ssize_t n, got = 0;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		printf("vsock_echo: connect to host port %u: %s\n", port, strerror(errno));
		return 1;
	}
	if (write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg) || shutdown(fd, SHUT_WR)) {
		printf("vsock_echo: write: %s\n", strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	printf("vsock_echo: the host said: %s\n", buf);
	close(fd);
	return n < 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve((unsigned)atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "connect"))
		return connect_host((unsigned)atoi(argv[2]), argv[3]);
	printf("usage: vsock_echo serve PORT | connect PORT MSG\n");
	return 2;
}
