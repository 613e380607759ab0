/* vsock.c: AF_VSOCK stream sockets over the virtio-vsock driver: connection
 * state, credit-based flow control both ways, listen/accept, shutdown/RST. */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "libos.h"
#include "sock.h"
#include "vsock.h"

#define EPHEMERAL 49152

static struct vsock *all;
static uint32_t next_port = EPHEMERAL;

void vsock_changed(struct vsock *v)
{
	thread_wake_all(&v->wq);
	sock_changed();
}

struct vsock *vsock_find(uint32_t lport, uint32_t pport, int listening)
{
	for (struct vsock *v = all; v; v = v->next)
		if (v->lport == lport && (listening ? v->state == LISTENING
						    : v->state >= CONNECTING && v->pport == pport))
			return v;
	return NULL;
}

int vsock_port_in_use(uint32_t port)
{
	for (struct vsock *v = all; v; v = v->next)
		if (v->state != UNBOUND && v->state != CLOSED && v->lport == port)
			return 1;
	return 0;
}

struct vsock *vsock_alloc(void)
{
	struct vsock *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->sock.ops = &vsock_sock_ops;
	v->next = all;
	all = v;
	return v;
}

void vsock_free(struct vsock *v)
{
	for (struct vsock **p = &all; *p; p = &(*p)->next)
		if (*p == v) {
			*p = v->next;
			break;
		}
	if (v->rx)
		pages_free(v->rx, RX_CAP);
	free(v);
}

/* A control or data packet on this connection, with our credit in it. */
int vsock_send_op(struct vsock *v, uint16_t op, uint32_t flags, const void *data, uint32_t len)
{
	struct virtio_vsock_hdr h = { .dst_cid = v->pcid,
				      .src_port = v->lport,
				      .dst_port = v->pport,
				      .op = op,
				      .flags = flags,
				      .buf_alloc = RX_CAP,
				      .fwd_cnt = v->fwd_cnt };

	v->fwd_told = v->fwd_cnt;
	return vsock_dev_send(&h, data, len);
}

static void reply_rst(const struct virtio_vsock_hdr *in)
{
	struct virtio_vsock_hdr h = { .dst_cid = in->src_cid,
				      .src_port = in->dst_port,
				      .dst_port = in->src_port,
				      .op = VIRTIO_VSOCK_OP_RST };

	if (in->op != VIRTIO_VSOCK_OP_RST)
		vsock_dev_send(&h, NULL, 0);
}

void vsock_reset(struct vsock *v, int err)
{
	if (v->state == CLOSED)
		return;
	v->err = err;
	v->state = CLOSED;
	vsock_changed(v);
}

uint32_t vsock_credit(const struct vsock *v)
{
	uint32_t used = v->tx_cnt - v->peer_fwd;

	return used >= v->peer_alloc ? 0 : v->peer_alloc - used;
}

int vsock_rx_init(struct vsock *v)
{
	v->rx = pages_alloc(RX_CAP);
	return v->rx ? 0 : -ENOMEM;
}

/* A REQUEST for a listener: a new connection waiting to be accepted. */
static void incoming(struct vsock *l, const struct virtio_vsock_hdr *h)
{
	struct vsock *c = l->npending < l->backlog ? vsock_alloc() : NULL;

	if (!c || vsock_rx_init(c)) {
		if (c)
			vsock_free(c);
		reply_rst(h);
		return;
	}
	c->state = CONNECTED;
	c->lport = h->dst_port;
	c->pport = h->src_port;
	c->pcid = h->src_cid;
	c->peer_alloc = h->buf_alloc;
	c->peer_fwd = h->fwd_cnt;
	l->pending[l->npending++] = c;
	vsock_send_op(c, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0);
	vsock_changed(l);
}

static void data(struct vsock *v, const struct virtio_vsock_hdr *h, const uint8_t *p, uint32_t len)
{
	uint32_t tail;

	if (v->state != CONNECTED || (v->shut_peer & VIRTIO_VSOCK_SHUTDOWN_SEND))
		return;
	if (len > RX_CAP - v->rx_len) { /* past the credit we gave: the peer is broken */
		reply_rst(h);
		vsock_reset(v, ECONNRESET);
		return;
	}
	tail = (v->rx_head + v->rx_len) % RX_CAP;
	if (len > RX_CAP - tail) {
		memcpy(v->rx + tail, p, RX_CAP - tail);
		memcpy(v->rx, p + (RX_CAP - tail), len - (RX_CAP - tail));
	} else {
		memcpy(v->rx + tail, p, len);
	}
	v->rx_len += len;
}

static void on_packet(struct vsock *v, const struct virtio_vsock_hdr *h, const uint8_t *p)
{
	v->peer_alloc = h->buf_alloc;
	v->peer_fwd = h->fwd_cnt;
	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (v->state == CONNECTING)
			v->state = CONNECTED;
		break;
	case VIRTIO_VSOCK_OP_RW:
		data(v, h, p, h->len);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		v->shut_peer |= (int)(h->flags & 3);
		break;
	case VIRTIO_VSOCK_OP_RST:
		vsock_reset(v, v->state == CONNECTING ? ECONNREFUSED : ECONNRESET);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		vsock_send_op(v, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break;
	default:
		reply_rst(h);
		vsock_reset(v, ECONNRESET);
	}
	vsock_changed(v);
}

void vsock_receive(const struct virtio_vsock_hdr *h, const uint8_t *p, uint32_t len)
{
	struct vsock *v;

	if (h->type != VIRTIO_VSOCK_TYPE_STREAM || h->dst_cid != vsock_guest_cid() || len != h->len)
		return;
	v = vsock_find(h->dst_port, h->src_port, 0);
	if (v && v->pcid == h->src_cid)
		on_packet(v, h, p);
	else if (h->op == VIRTIO_VSOCK_OP_REQUEST && (v = vsock_find(h->dst_port, 0, 1)))
		incoming(v, h);
	else
		reply_rst(h);
}

void vsock_transport_reset(void)
{
	for (struct vsock *v = all; v; v = v->next)
		if (v->state == CONNECTING || v->state == CONNECTED)
			vsock_reset(v, ECONNRESET);
}

int vsock_create(int type, struct sock **s)
{
	struct vsock *v;

	if (type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	if (!vsock_dev_present())
		return -EAFNOSUPPORT;
	v = vsock_alloc();
	if (!v)
		return -ENOMEM;
	*s = &v->sock;
	return 0;
}

/* A free port from the ephemeral range, as Linux picks for connect(). */
uint32_t vsock_ephemeral(void)
{
	uint32_t port;

	do {
		port = next_port++;
		if (next_port < EPHEMERAL)
			next_port = EPHEMERAL;
	} while (vsock_port_in_use(port));
	return port;
}
