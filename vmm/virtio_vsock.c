/* virtio_vsock.c: the virtio-vsock device model: guest packets from tx, ours into rx.
 * Every header field from the guest is hostile; the connections live in
 * vsock_conn.c, the Unix-socket side in vsock_host.c. */
#include "virtio_vsock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define OP(x)	      VIRTIO_VSOCK_OP_##x
#define VSOCK_POLL_NS 50000

static const struct virtio_dev_ops vsock_ops;

static struct vsock *to_vsock(struct virtio_dev *d)
{
	return (struct vsock *)d;
}

/* Copies a header out of (write: into) the chain, however the driver split it. */
static void copy_hdr(const struct virtq_chain *c, struct virtio_vsock_hdr *h, bool write)
{
	virtq_copy(c, write, h, VSOCK_HDR);
}

/* Is queue q running? (Callers hold the lock; the transport's own check is private.) */
static bool queue_live(const struct virtio_dev *d, int q)
{
	return (d->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(d->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) && d->ready[q];
}

/* More work than one turn: come back through the queue's ioeventfd, after other watches. */
static void reschedule(struct vsock *vs, int q)
{
	uint64_t one = 1;

	if (vs->dev.kick[q].w.fd >= 0 && write(vs->dev.kick[q].w.fd, &one, 8) < 0)
		return; /* the counter is saturated: a kick is pending anyway */
}

bool vsock_queue_rst(struct vsock *vs, uint32_t local, uint32_t peer)
{
	uint32_t i = (vs->rst_head + vs->rst_len) % VSOCK_RST_MAX;

	if (vs->rst_len == VSOCK_RST_MAX)
		return false;
	vs->rst[i].local = local;
	vs->rst[i].peer = peer;
	vs->rst_len++;
	return true;
}

/* A request from the guest to host port P: the Unix socket PATH_P. */
static void guest_request(struct vsock *vs, const struct virtio_vsock_hdr *h)
{
	struct vsock_conn *c;
	int fd = vs->nconns < VSOCK_CONNS_MAX ? vsock_host_connect(vs, h->dst_port) : -1;

	c = fd >= 0 ? vsock_conn_new(vs, fd, VSOCK_ESTABLISHED) : NULL;
	if (!c || vsock_conn_bind(c, h->dst_port, h->src_port)) {
		if (c)
			vsock_conn_free(c);
		else if (fd >= 0)
			close(fd);
		vsock_queue_rst(vs, h->dst_port, h->src_port);
		return;
	}
	vsock_conn_peer(c, h->buf_alloc, h->fwd_cnt);
	vsock_conn_queue(c, PEND_RESPONSE);
	vsock_conn_events(c);
}

/* The guest accepted a host-initiated connection: tell the host client its port. */
static void response(struct vsock_conn *c)
{
	if (c->state != VSOCK_LOCAL_INIT || !c->request_sent) {
		vsock_conn_reset(c);
		return;
	}
	c->state = VSOCK_ESTABLISHED;
	c->deadline = 0;
	if (vsock_host_ok(c))
		vsock_conn_reset(c);
}

static void rw(struct vsock_conn *c, const struct virtq_chain *ch, uint32_t len)
{
	struct iovec iov[VIRTQ_NUM_MAX];
	int n = virtq_iov(ch, false, VSOCK_HDR, len, iov);

	/* Data after the guest's own SHUTDOWN(SEND), or past the credit we gave: RST. */
	if (c->state != VSOCK_ESTABLISHED || (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
	    vsock_conn_write(c, iov, n, len))
		vsock_conn_reset(c);
}

/* A packet of an existing connection (c->state is not HANDSHAKE). */
static void dispatch(struct vsock_conn *c, const struct virtio_vsock_hdr *h,
		     const struct virtq_chain *ch)
{
	if (c->state == VSOCK_DEAD)
		return; /* our RST is on its way */
	vsock_conn_peer(c, h->buf_alloc, h->fwd_cnt);
	switch (h->op) {
	case OP(RESPONSE):
		response(c);
		break;
	case OP(RW):
		rw(c, ch, h->len);
		break;
	case OP(SHUTDOWN):
		if (c->state == VSOCK_ESTABLISHED)
			vsock_conn_shutdown(c, h->flags & 3);
		else
			vsock_conn_reset(c);
		break;
	case OP(CREDIT_UPDATE):
		break; /* the credit fields were all it carried */
	case OP(CREDIT_REQUEST):
		vsock_conn_queue(c, PEND_CREDIT_UPDATE);
		break;
	default: /* a second REQUEST, or an op we do not know */
		vsock_conn_reset(c);
		return;
	}
	vsock_conn_events(c);
}

/* Is the header wrong for a stream packet to the host with payload bytes behind it? */
static bool bad_header(const struct vsock *vs, const struct virtio_vsock_hdr *h, uint32_t payload)
{
	return h->type != VIRTIO_VSOCK_TYPE_STREAM || h->src_cid != vs->cid ||
	       h->dst_cid != VIRTIO_VSOCK_HOST_CID || h->len != payload || h->len > VSOCK_PKT_MAX ||
	       (h->op != OP(RW) && h->len);
}

void vsock_tx_packet(struct vsock *vs, const struct virtq_chain *ch)
{
	struct virtio_vsock_hdr h;
	struct vsock_conn *c;

	if (ch->out_bytes < VSOCK_HDR)
		return; /* not even a header: no address to answer */
	copy_hdr(ch, &h, false);
	c = vsock_conn_find(vs, h.dst_port, h.src_port);
	if (h.op == OP(RST)) {
		/* Never answered, whatever it holds: two RSTs must not ping-pong. */
		if (c && !bad_header(vs, &h, ch->out_bytes - VSOCK_HDR))
			vsock_conn_free(c);
		return;
	}
	if (bad_header(vs, &h, ch->out_bytes - VSOCK_HDR)) {
		if (c)
			vsock_conn_reset(c);
		else
			vsock_queue_rst(vs, h.dst_port, h.src_port);
	} else if (c) {
		dispatch(c, &h, ch);
	} else if (h.op == OP(REQUEST)) {
		guest_request(vs, &h);
	} else {
		vsock_queue_rst(vs, h.dst_port, h.src_port);
	}
}

/* Writes our header for c into the rx chain; every packet carries our credit. */
static void put_hdr(struct vsock *vs, struct vsock_conn *c, const struct virtq_chain *ch,
		    uint16_t op, uint32_t len, uint32_t flags)
{
	struct virtio_vsock_hdr h = {
		.src_cid = VIRTIO_VSOCK_HOST_CID,
		.dst_cid = vs->cid,
		.src_port = c->local_port,
		.dst_port = c->peer_port,
		.len = len,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = op,
		.flags = flags,
		.buf_alloc = VSOCK_BUF_ALLOC,
		.fwd_cnt = c->fwd_cnt,
	};

	c->fwd_sent = c->fwd_cnt;
	c->pend &= (uint8_t)~PEND_CREDIT_UPDATE;
	copy_hdr(ch, &h, true);
}

static uint32_t rx_rst(struct vsock *vs, const struct virtq_chain *ch)
{
	struct vsock_conn dummy = { .local_port = vs->rst[vs->rst_head].local,
				    .peer_port = vs->rst[vs->rst_head].peer };

	vs->rst_head = (vs->rst_head + 1) % VSOCK_RST_MAX;
	vs->rst_len--;
	put_hdr(vs, &dummy, ch, OP(RST), 0, 0);
	return VSOCK_HDR;
}

/* Host bytes straight into the guest's buffer, within its credit: the payload length. */
static uint32_t rx_read(struct vsock_conn *c, const struct virtq_chain *ch)
{
	uint32_t max = ch->in_bytes - VSOCK_HDR, credit = vsock_conn_credit(c);
	struct iovec iov[VIRTQ_NUM_MAX];
	ssize_t r;

	max = max < credit ? max : credit;
	max = max < VSOCK_PKT_MAX ? max : VSOCK_PKT_MAX;
	if (!credit) {
		/* Stalled: ask once; the guest's next packet carries fresh credit. */
		c->pend = (uint8_t)((c->pend & ~PEND_RW) | PEND_CREDIT_REQUEST);
		return 0;
	}
	if (!max)
		return 0; /* a buffer with no room for data: it carries a credit update */
	r = readv(c->w.fd, iov, virtq_iov(ch, true, VSOCK_HDR, max, iov));
	if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->pend &= (uint8_t)~PEND_RW;
	} else if (r < 0) {
		vsock_conn_reset(c);
	} else if (r == 0) {
		c->host_eof = true; /* the host sends no more: SHUTDOWN(SEND) after the data */
		c->pend = (uint8_t)((c->pend & ~PEND_RW) | PEND_SHUTDOWN);
	} else {
		c->tx_cnt += (uint32_t)r;
		if ((uint32_t)r < max)
			c->pend &=
			    (uint8_t)~PEND_RW; /* drained for now: epoll says when there is more */
	}
	return r > 0 ? (uint32_t)r : 0;
}

/* The control packet c owes the guest, most urgent first; 0 if none. */
static uint16_t take_op(struct vsock_conn *c, uint32_t *flags)
{
	static const struct {
		uint8_t bit;
		uint16_t op;
	} order[] = { { PEND_REQUEST, OP(REQUEST) },
		      { PEND_RESPONSE, OP(RESPONSE) },
		      { PEND_RW, OP(CREDIT_UPDATE) }, /* data, but no room in this buffer */
		      { PEND_SHUTDOWN, OP(SHUTDOWN) },
		      { PEND_CREDIT_UPDATE, OP(CREDIT_UPDATE) },
		      { PEND_CREDIT_REQUEST, OP(CREDIT_REQUEST) } };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(c->pend & order[i].bit))
			continue;
		if (order[i].bit != PEND_RW)
			c->pend &= (uint8_t)~order[i].bit;
		if (order[i].bit == PEND_REQUEST) {
			c->request_sent = true;
			vsock_host_deadline(c, VSOCK_REQUEST_MS);
		}
		*flags = order[i].bit == PEND_SHUTDOWN ? VIRTIO_VSOCK_SHUTDOWN_SEND : 0;
		return order[i].op;
	}
	return 0;
}

/* One packet of c's into the chain: its length, or 0 if c had nothing after all. */
static uint32_t rx_conn(struct vsock *vs, struct vsock_conn *c, const struct virtq_chain *ch)
{
	uint32_t len = 0, flags = 0;
	uint16_t op;

	vsock_conn_unqueue(c); /* back at the tail below if it owes more: round robin */
	if (!(c->pend & (PEND_RST | PEND_REQUEST | PEND_RESPONSE)) && (c->pend & PEND_RW))
		len = rx_read(c, ch);
	if (c->pend & PEND_RST) {
		put_hdr(vs, c, ch, OP(RST), 0, 0);
		vsock_conn_free(c);
		return VSOCK_HDR;
	}
	op = len ? OP(RW) : take_op(c, &flags);
	if (op)
		put_hdr(vs, c, ch, op, len, flags);
	if (c->pend)
		vsock_conn_queue(c, 0);
	vsock_conn_events(c);
	return op ? VSOCK_HDR + len : 0;
}

/* The next rx buffer into vs->spare: 1, 0 if the guest has posted none, -1 if broken. */
static int rx_take(struct vsock *vs)
{
	struct virtq *q = &vs->dev.vq[VIRTIO_VSOCK_RX];
	int rc;

	if (vs->have_spare)
		return 1;
	rc = virtq_pop(q, vs->dev.mem, &vs->spare);
	if (rc == 0) {
		/* Ask for a kick when it posts more; look again, or one could slip past. */
		virtq_update_avail_event(q, vs->dev.mem);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		rc = virtq_pop(q, vs->dev.mem, &vs->spare);
	}
	/* Every packet starts with a whole header: a shorter buffer breaks the rules. */
	if (rc < 0 || (rc == 1 && vs->spare.in_bytes < VSOCK_HDR)) {
		virtio_dev_fail(&vs->dev);
		return -1;
	}
	vs->have_spare = rc == 1;
	return rc;
}

/* Fills rx buffers until nothing is owed or the guest has posted no more. */
/* Packets delivered to the guest: how many. */
static int rx_drain(struct vsock *vs)
{
	struct virtq *q = &vs->dev.vq[VIRTIO_VSOCK_RX];
	int budget = VSOCK_BUDGET, delivered = 0;
	uint32_t len;

	if (!queue_live(&vs->dev, VIRTIO_VSOCK_RX))
		return 0;
	while ((vs->rst_len || vs->pend_head) && rx_take(vs) == 1) {
		if (budget-- == 0) {
			reschedule(vs, VIRTIO_VSOCK_RX);
			return delivered;
		}
		len = vs->rst_len ? rx_rst(vs, &vs->spare) : rx_conn(vs, vs->pend_head, &vs->spare);
		if (!len)
			continue; /* the buffer stays ours for the next packet */
		vs->have_spare = false;
		virtq_push(q, vs->dev.mem, vs->spare.head, len);
		virtio_dev_signal(&vs->dev, VIRTIO_VSOCK_RX);
		delivered++;
	}
	return delivered;
}

/* Guest packets until tx is empty, or RSTs we cannot deliver yet pile up (as vhost does). */
static void tx_run(struct vsock *vs)
{
	struct virtq *q = &vs->dev.vq[VIRTIO_VSOCK_TX];
	int budget = VSOCK_BUDGET, rc;

	while (queue_live(&vs->dev, VIRTIO_VSOCK_TX)) {
		if (vs->rst_len == VSOCK_RST_MAX) {
			vs->tx_stalled = true;
			return;
		}
		if (budget-- == 0) {
			reschedule(vs, VIRTIO_VSOCK_TX);
			return;
		}
		rc = virtq_pop(q, vs->dev.mem, &vs->chain);
		if (rc < 0) {
			virtio_dev_fail(&vs->dev);
			return;
		}
		if (rc == 0) {
			virtq_update_avail_event(q, vs->dev.mem);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (!virtq_has_avail(q, vs->dev.mem))
				return;
			continue;
		}
		vsock_tx_packet(vs, &vs->chain);
		virtq_push(q, vs->dev.mem, vs->chain.head, 0);
		virtio_dev_signal(&vs->dev, VIRTIO_VSOCK_TX);
	}
}

void vsock_rx_fill(struct vsock *vs)
{
	/*
	 * A request just went in: its answer usually follows within tens of
	 * microseconds. Watch the tx ring that long, kicks still off, instead
	 * of sleeping until the kick's ioeventfd wakes the I/O thread.
	 */
	if (rx_drain(vs) && !vs->tx_stalled &&
	    virtq_poll(&vs->dev.vq[VIRTIO_VSOCK_TX], vs->dev.mem, VSOCK_POLL_NS)) {
		tx_run(vs);
		rx_drain(vs);
	}
	if (!vs->tx_stalled || vs->rst_len == VSOCK_RST_MAX)
		return;
	/* Room for RSTs again: take up the guest's packets where tx stopped. */
	vs->tx_stalled = false;
	tx_run(vs);
	rx_drain(vs);
	if (vs->tx_stalled && vs->rst_len < VSOCK_RST_MAX) {
		vs->tx_stalled = false;
		reschedule(vs, VIRTIO_VSOCK_TX);
	}
}

static void vsock_notify(struct virtio_dev *d, int q)
{
	struct vsock *vs = to_vsock(d);

	/* The event queue's buffers wait for a TRANSPORT_RESET we never send. */
	if (q == VIRTIO_VSOCK_TX)
		tx_run(vs);
	if (q != VIRTIO_VSOCK_EVENT)
		vsock_rx_fill(vs);
}

static void vsock_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len, bool write)
{
	struct virtio_vsock_config cfg = { to_vsock(d)->cid };

	if (!write) /* the CID is read-only */
		memcpy(data, (uint8_t *)&cfg + off, len);
}

/* Status 0: every connection the guest knew of ends (host sockets closed). */
static void vsock_reset(struct virtio_dev *d)
{
	struct vsock *vs = to_vsock(d);

	for (int i = 0; i < VSOCK_CONNS_MAX; i++) {
		struct vsock_conn *c = &vs->pool[i];

		/* A CONNECT whose REQUEST has not gone out yet waits for the new driver. */
		if (c->state != VSOCK_FREE && c->state != VSOCK_HANDSHAKE &&
		    !(c->state == VSOCK_LOCAL_INIT && !c->request_sent))
			vsock_conn_free(c);
	}
	vs->rst_head = vs->rst_len = 0;
	vs->have_spare = vs->tx_stalled = false;
}

static const struct virtio_dev_ops vsock_ops = { vsock_config, vsock_notify, vsock_reset };

int vsock_init(struct vsock *vs, uint64_t cid)
{
	uint64_t features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_RING_INDIRECT_DESC;

	virtio_dev_init(&vs->dev, &vsock_ops, VIRTIO_ID_VSOCK, features,
			sizeof(struct virtio_vsock_config), 3);
	vs->cid = cid;
	vs->listener = (struct io_watch){ vsock_host_accept, -1 };
	vs->timer = (struct io_watch){ vsock_host_tick, -1 };
	vs->port_last = VSOCK_PORT_BASE - 1;
	vs->pool = calloc(VSOCK_CONNS_MAX, sizeof(*vs->pool));
	if (!vs->pool)
		return -ENOMEM;
	/* Slots are never freed while the device lives: a stale epoll event finds a slot. */
	for (int i = VSOCK_CONNS_MAX - 1; i >= 0; i--) {
		struct vsock_conn *c = &vs->pool[i];

		c->w = (struct io_watch){ vsock_conn_event, -1 };
		c->vs = vs;
		c->fnext = vs->free_list;
		vs->free_list = c;
	}
	return 0;
}

int vsock_attach(struct vsock *vs, struct vmm *vm)
{
	int rc = 0;

	vs->vm = vm;
	if (vs->listener.fd >= 0)
		rc = iothread_watch(vm, &vs->listener, EPOLLIN);
	if (!rc && vs->timer.fd >= 0)
		rc = iothread_watch(vm, &vs->timer, EPOLLIN);
	return rc;
}

void vsock_destroy(struct vsock *vs)
{
	for (int i = 0; vs->pool && i < VSOCK_CONNS_MAX; i++)
		if (vs->pool[i].state != VSOCK_FREE)
			vsock_conn_free(&vs->pool[i]);
	vsock_host_close(vs);
	free(vs->pool);
	vs->pool = NULL;
}
