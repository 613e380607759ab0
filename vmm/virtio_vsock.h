/* virtio_vsock.h: virtio-vsock with Firecracker's hybrid Unix-socket host side. */
#ifndef VMM_VIRTIO_VSOCK_H
#define VMM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio_mmio.h"

#define VSOCK_HDR	   ((uint32_t)sizeof(struct virtio_vsock_hdr)) /* 44 bytes */
#define VSOCK_BUF_ALLOC	   (256u << 10) /* what we advertise: our per-connection buffer */
#define VSOCK_PKT_MAX	   (64u << 10)	/* the largest payload of one packet, as Linux's */
#define VSOCK_CONNS_MAX	   1024		/* handshakes included */
#define VSOCK_HASH_SIZE	   1024
#define VSOCK_RST_MAX	   VIRTQ_NUM_MAX /* RSTs for packets that match no connection */
#define VSOCK_LINE_MAX	   32		 /* Firecracker's "CONNECT <port>\n" buffer */
#define VSOCK_LINE_MIN	   10		 /* strlen("connect 0\n"): read before looking */
#define VSOCK_HANDSHAKE_MS 5000		 /* from accept to a complete CONNECT line */
#define VSOCK_REQUEST_MS   2000		 /* REQUEST to RESPONSE, as Firecracker */
#define VSOCK_SHUTDOWN_MS  2000		 /* flushing to the host after a full guest SHUTDOWN */
#define VSOCK_TICK_MS	   250		 /* how often deadlines are checked */
#define VSOCK_PORT_BASE	   (1u << 30)	 /* host ports of host-initiated connections */
#define VSOCK_BUDGET	   (2 * VIRTQ_NUM_MAX) /* packets per queue run before yielding */

struct vmm;
struct vsock;

enum vsock_state {
	VSOCK_FREE,
	VSOCK_HANDSHAKE,   /* a host client is sending its CONNECT line */
	VSOCK_LOCAL_INIT,  /* host-initiated: REQUEST queued or sent, no RESPONSE yet */
	VSOCK_ESTABLISHED, /* bytes flow (guest-initiated ones start here, RESPONSE queued) */
	VSOCK_DEAD,	   /* host socket closed; an RST for the guest is queued */
};

/* What a connection owes the guest, sent in this order of priority. */
#define PEND_RST	    0x01
#define PEND_REQUEST	    0x02
#define PEND_RESPONSE	    0x04
#define PEND_RW		    0x08 /* the host socket may have bytes for the guest */
#define PEND_SHUTDOWN	    0x10
#define PEND_CREDIT_UPDATE  0x20
#define PEND_CREDIT_REQUEST 0x40

struct vsock_conn {
	struct io_watch w; /* first: the I/O thread hands us &w; w.fd is the host socket */
	struct vsock *vs;
	enum vsock_state state;
	uint32_t local_port, peer_port; /* host side, guest side */
	uint32_t watched;		/* epoll events registered; 0: not in the set */
	uint8_t pend;
	uint8_t guest_shut; /* VIRTIO_VSOCK_SHUTDOWN_* the guest has sent */
	bool host_eof, request_sent, hashed, queued;
	/* Host to guest: the guest's buffer and what it has consumed; what we sent. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Guest to host: bytes received, written to the host socket, last fwd_cnt told. */
	uint32_t rx_cnt, fwd_cnt, fwd_sent;
	uint8_t *buf; /* VSOCK_BUF_ALLOC ring of bytes the host socket did not take yet */
	uint32_t buf_head, buf_len;
	uint64_t deadline; /* ms, CLOCK_MONOTONIC; 0: none */
	uint8_t line[VSOCK_LINE_MAX];
	uint8_t line_len;
	struct vsock_conn *hnext, *pnext, *pprev, *fnext;
};

struct vsock {
	struct virtio_dev dev; /* first: the transport hands us &dev */
	uint64_t cid;
	struct vmm *vm; /* the I/O thread's epoll set; NULL: nothing is watched (tests) */
	char *path;
	uint64_t path_dev, path_ino; /* the socket file we made, to unlink only ours */
	struct io_watch listener, timer;
	bool timer_armed, listener_paused;
	struct vsock_conn *pool, *free_list;
	int nconns;
	struct vsock_conn *hash[VSOCK_HASH_SIZE];
	struct vsock_conn *pend_head, *pend_tail;
	struct {
		uint32_t local, peer;
	} rst[VSOCK_RST_MAX];
	uint32_t rst_head, rst_len;
	uint32_t port_last;
	bool tx_stalled; /* tx waits for room in rst[] */
	bool have_spare; /* spare: an rx chain taken but not filled */
	struct virtq_chain chain, spare;
};

/* virtio_vsock.c: the device model. */
int vsock_init(struct vsock *vs, uint64_t cid);
int vsock_attach(struct vsock *vs, struct vmm *vm);
void vsock_destroy(struct vsock *vs);
/* One guest packet from tx; the chain is given back by the caller. */
void vsock_tx_packet(struct vsock *vs, const struct virtq_chain *c);
/* Fills the guest's rx buffers with what connections owe it. */
void vsock_rx_fill(struct vsock *vs);
/* An RST to the guest for a packet with no connection; false if none fits. */
bool vsock_queue_rst(struct vsock *vs, uint32_t local, uint32_t peer);

/* vsock_conn.c: the connection table, credit and the host socket's bytes. */
struct vsock_conn *vsock_conn_new(struct vsock *vs, int fd, enum vsock_state state);
void vsock_conn_free(struct vsock_conn *c);
struct vsock_conn *vsock_conn_find(struct vsock *vs, uint32_t local, uint32_t peer);
int vsock_conn_bind(struct vsock_conn *c, uint32_t local, uint32_t peer);
uint32_t vsock_conn_port(struct vsock *vs);
void vsock_conn_queue(struct vsock_conn *c, uint8_t bits);
void vsock_conn_unqueue(struct vsock_conn *c);
uint32_t vsock_conn_credit(const struct vsock_conn *c);
void vsock_conn_peer(struct vsock_conn *c, uint32_t buf_alloc, uint32_t fwd_cnt);
void vsock_conn_events(struct vsock_conn *c);
void vsock_conn_reset(struct vsock_conn *c);
void vsock_conn_close_host(struct vsock_conn *c);
int vsock_conn_write(struct vsock_conn *c, const struct iovec *iov, int n, uint32_t len);
void vsock_conn_flush(struct vsock_conn *c);
void vsock_conn_shutdown(struct vsock_conn *c, uint32_t flags);
void vsock_conn_event(struct io_watch *w, uint32_t events);

/* vsock_host.c: the Unix-socket side. */
int vsock_host_open(struct vsock *vs, const char *path);
void vsock_host_close(struct vsock *vs);
/* Bytes still to read of a CONNECT line of len bytes: 0 when it is complete. */
size_t vsock_host_line_need(const uint8_t *line, size_t len);
/* Firecracker's parse of a complete line: 0 and *port, or -1. */
int vsock_host_parse(const uint8_t *line, size_t len, uint32_t *port);
int vsock_host_connect(struct vsock *vs, uint32_t port);
void vsock_host_accept(struct io_watch *w, uint32_t events);
void vsock_host_tick(struct io_watch *w, uint32_t events);
void vsock_host_handshake(struct vsock_conn *c);
int vsock_host_ok(struct vsock_conn *c);
void vsock_host_deadline(struct vsock_conn *c, uint64_t ms);
void vsock_host_expire(struct vsock *vs, uint64_t now);
uint64_t vsock_now_ms(void);

#endif
