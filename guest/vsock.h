/* vsock.h: between the virtio-vsock driver and the AF_VSOCK socket layer. */
#ifndef VSOCK_H
#define VSOCK_H

#include <stdint.h>

#include "sock.h"
#include "virtio.h"

/* Largest payload of one packet we send; what we can receive is RX_PAYLOAD. */
#define VSOCK_TX_PAYLOAD 16384

/* Driver (virtio_vsock.c) */
int vsock_dev_present(void);
uint64_t vsock_guest_cid(void);
/* Sends a packet; fills src_cid and len. Waits for room on the tx queue. */
int vsock_dev_send(struct virtio_vsock_hdr *h, const void *data, uint32_t len);

/* Socket layer (vsock.c): what the driver found on the rx and event queues. */
void vsock_receive(const struct virtio_vsock_hdr *h, const uint8_t *data, uint32_t len);
void vsock_transport_reset(void);

#define RX_CAP	    (256 * 1024) /* the buf_alloc we advertise per connection */
#define BACKLOG_MAX 128

enum state { UNBOUND, BOUND, LISTENING, CONNECTING, CONNECTED, CLOSED };

struct vsock {
	struct sock sock; /* first: the socket layer hands us &sock */
	enum state state;
	uint32_t lport, pport;
	uint64_t pcid;
	int err;		   /* ECONNRESET, ECONNREFUSED, ETIMEDOUT once closed */
	int shut_local, shut_peer; /* VIRTIO_VSOCK_SHUTDOWN_* */
	uint8_t *rx;		   /* RX_CAP bytes, a ring */
	uint32_t rx_head, rx_len;
	uint32_t fwd_cnt, fwd_told; /* bytes the app took; what the peer last heard */
	uint32_t peer_alloc, peer_fwd, tx_cnt;
	struct vsock *pending[BACKLOG_MAX]; /* connections not accepted yet */
	int npending, backlog;
	struct waitq wq;
	struct vsock *next;
};

extern const struct sock_ops vsock_sock_ops;

/* The connection table and packets (vsock.c). */
struct vsock *vsock_alloc(void);
void vsock_free(struct vsock *v);
struct vsock *vsock_find(uint32_t lport, uint32_t pport, int listening);
int vsock_port_in_use(uint32_t port);
uint32_t vsock_ephemeral(void);
int vsock_rx_init(struct vsock *v);
int vsock_send_op(struct vsock *v, uint16_t op, uint32_t flags, const void *data, uint32_t len);
void vsock_reset(struct vsock *v, int err);
void vsock_changed(struct vsock *v);
uint32_t vsock_credit(const struct vsock *v); /* bytes the peer will take now */

#endif
