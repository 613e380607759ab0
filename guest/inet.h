/* inet.h: what AF_INET sockets share, UDP and TCP alike: addresses, ports, options. */
#ifndef INET_H
#define INET_H

#include <stdint.h>
#include <sys/socket.h>

#include "sock.h"

#define EPHEMERAL_LOW  32768 /* Linux's ip_local_port_range */
#define EPHEMERAL_HIGH 60999

/* Socket options that mean the same for every AF_INET socket. */
struct inet_opts {
	int reuseaddr, keepalive, nodelay, broadcast, linger, linger_secs;
	uint64_t rcvtimeo, sndtimeo; /* ns; 0: wait forever */
};

/* A sockaddr_in from the application: address and port in host order, or -errno. */
int inet_addr_in(const struct sockaddr *a, socklen_t len, uint32_t *ip, uint16_t *port);
/* Fills a sockaddr_in (truncated to *len, as Linux does) and sets *len to its size. */
void inet_addr_out(struct sockaddr *a, socklen_t *len, uint32_t ip, uint16_t port);
/* bind()'s address: ours or INADDR_ANY; there is no loopback interface. */
int inet_local_ok(uint32_t ip);
/* An unused port in the ephemeral range, starting at a random place; 0 if none. */
uint16_t inet_ephemeral(int (*in_use)(uint16_t port, const void *arg), const void *arg);

/* Options of SOL_SOCKET that need no family: 0, or -ENOPROTOOPT if not one of them. */
int inet_setopt(struct inet_opts *o, int level, int name, const void *val, socklen_t len);
int inet_getopt(const struct inet_opts *o, int level, int name, int *val);
/* A copy of an int option out to the application, truncated as Linux does. */
int inet_put_int(void *val, socklen_t *len, int v);
/* When a wait that started now with timeout ns gives up (0: never). */
uint64_t inet_deadline(uint64_t timeout_ns);

int udp_create(struct sock **s);
int tcp_create(struct sock **s);

#endif
