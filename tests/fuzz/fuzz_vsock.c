/* fuzz_vsock.c: libFuzzer target for virtio-vsock: guest packets with every header field
 * from the input, rx buffers of any size, host clients on real Unix sockets, deadlines,
 * resets and scribbled rings; what the device gives the guest is checked each step. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/vsock_guest.h"

#define CLIENTS 8
#define PEERS	4
#define STEPS	64
#define GUEST_P 5000 /* PATH_5000 listens: guest REQUESTs there succeed */
#define PAYLOAD 3000
#define OP(x)	VIRTIO_VSOCK_OP_##x

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

struct run {
	struct vg *g;
	struct in in;
	int client[CLIENTS], peer[PEERS], listen_p;
	uint32_t posted[VG_QSZ]; /* the length of each rx descriptor we posted */
	uint16_t used_seen;
	struct {
		uint32_t host, guest;
	} known[8]; /* port pairs the device used: packets for live connections */
	uint8_t nknown, knext;
	uint32_t req_host, req_guest; /* the last REQUEST the guest got */
	bool scribbled; /* the rings were scribbled on: their contents prove nothing */
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | u8(in);
	return v;
}

static size_t take(struct in *in, uint8_t *dst, size_t max)
{
	size_t n = max < in->n ? max : in->n;

	memcpy(dst, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

/* Ports that hit the connections the run makes, or anything. */
static uint32_t port(struct in *in)
{
	static const uint32_t common[] = {
		1000, 1001, GUEST_P, VSOCK_PORT_BASE, VSOCK_PORT_BASE + 1, 52, 53
	};
	uint8_t k = u8(in);

	return k < 7 * 32 ? common[k % 7] : u32(in);
}

/* A guest packet: well-formed unless a bit of bad says which field to break. */
static void tx_packet(struct run *r)
{
	static uint8_t pkt[VG_TXSZ];
	struct in *in = &r->in;
	uint8_t bad = u8(in), k = u8(in);
	uint16_t op = u8(in) % 9;
	uint32_t len = op == OP(RW) ? (uint32_t)(u8(in) << 8 | u8(in)) % PAYLOAD : 0;
	struct virtio_vsock_hdr h = vg_hdr(op, port(in), port(in), len);
	struct vsock_conn *c;

	/* Mostly the ports of a connection the device spoke of: its states get exercised. */
	if (k % 8 < r->nknown && k < 224) {
		h.src_port = r->known[k % 8].guest;
		h.dst_port = r->known[k % 8].host;
	}
	c = vsock_conn_find(r->g->vs, h.dst_port, h.src_port);
	h.flags = u8(in);
	h.buf_alloc = 1u << (u8(in) % 21);
	h.fwd_cnt = c ? c->tx_cnt : 0; /* a guest that keeps up */
	if (bad & 1)
		h.src_cid = u8(in) % 2 ? u32(in) : (uint64_t)u32(in) << 32 | VG_CID;
	if (bad & 2)
		h.dst_cid = u8(in);
	if (bad & 4)
		h.type = u8(in);
	if (bad & 8)
		h.len = u8(in) % 2 ? u32(in) : len + 1;
	if (bad & 16) {
		h.buf_alloc = u32(in);
		h.fwd_cnt = u32(in);
	}
	memcpy(pkt, &h, VSOCK_HDR);
	take(in, pkt + VSOCK_HDR, len);
	vg_put_tx(r->g, pkt, VSOCK_HDR + len, bad & 32 ? u8(in) % (VSOCK_HDR + len) : 0);
	if (!(bad & 64))
		virtio_dev_kick(&r->g->vs->dev, VIRTIO_VSOCK_TX);
}

static void post_rx(struct run *r)
{
	static const uint32_t sizes[] = { VG_RXSZ, VSOCK_HDR, VSOCK_HDR + 1, 100, VSOCK_HDR - 1 };
	uint8_t n = u8(&r->in) % (VG_QSZ + 1), k = u8(&r->in);
	uint32_t len = k < 200 ? sizes[k % 5] : VSOCK_HDR + k;

	for (int i = 0; i < n; i++)
		r->posted[(r->g->rx_desc + i) % VG_QSZ] = len;
	vg_post_rx_len(r->g, n, len);
}

static int *slot(int *fds, int n, struct in *in)
{
	return &fds[u8(in) % n];
}

static void sock_write(int fd, struct in *in)
{
	static const char *const lines[] = { "CONNECT 52\n",	      "connect 53\n",
					     "CONNECT 5000\n",	      "CONNECT 52",
					     "CONNECT 99999999999\n", "\n" };
	uint8_t buf[256], k = u8(in);
	size_t n = k < 128 ? strlen(lines[k % 6]) : take(in, buf, k - 128);

	if (fd >= 0 && send(fd, k < 128 ? (const void *)lines[k % 6] : buf, n,
			    MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return; /* closed or full: the host side may do that */
}

static void sock_close(int *fd, struct in *in)
{
	uint8_t buf[4096];

	if (*fd < 0)
		return;
	switch (u8(in) % 3) {
	case 0:
		close(*fd);
		*fd = -1;
		break;
	case 1:
		shutdown(*fd, SHUT_WR);
		break;
	default:
		while (recv(*fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
}

/* Host programs: clients of the vsock socket, and peers the guest reached on PATH_5000. */
static void host(struct run *r, uint8_t what)
{
	int *fd = what < 3 ? slot(r->client, CLIENTS, &r->in) : slot(r->peer, PEERS, &r->in);

	if (what == 0 && *fd < 0) {
		*fd = vg_unix_connect(r->g->path);
		sock_write(*fd, &r->in); /* usually a CONNECT line */
	} else if (what == 3 && *fd < 0)
		*fd = accept4(r->listen_p, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	else if (what == 1 || what == 4)
		sock_write(*fd, &r->in);
	else
		sock_close(fd, &r->in);
}

/* What the device gave the guest: within the buffers, and a header a driver can trust. */
static void check_rx(struct run *r)
{
	struct rb *q = &r->g->q[0];
	struct virtio_vsock_hdr h;

	for (; !r->scribbled && r->used_seen != rb_used_idx(q); r->used_seen++) {
		struct virtq_used_elem e = rb_used(q, r->used_seen % VG_QSZ);

		if (e.id >= VG_QSZ || e.len < VSOCK_HDR || e.len > r->posted[e.id])
			abort();
		memcpy(&h, rb_at(q, VG_RXBUF + (uint64_t)e.id * VG_RXSZ, VSOCK_HDR), VSOCK_HDR);
		if (h.src_cid != VIRTIO_VSOCK_HOST_CID || h.dst_cid != VG_CID ||
		    h.type != VIRTIO_VSOCK_TYPE_STREAM || h.op < OP(REQUEST) ||
		    h.op > OP(CREDIT_REQUEST) || h.len != e.len - VSOCK_HDR ||
		    (h.op != OP(RW) && h.len) || h.buf_alloc != VSOCK_BUF_ALLOC)
			abort();
		if (h.op == OP(REQUEST)) {
			r->req_host = h.src_port;
			r->req_guest = h.dst_port;
		}
		r->known[r->knext % 8].host = h.src_port;
		r->known[r->knext++ % 8].guest = h.dst_port;
		r->nknown = r->nknown < 8 ? r->nknown + 1 : 8;
	}
	r->g->rx_seen = rb_used_idx(q);
}

/* A guest with a listener on every port: it accepts the last REQUEST. */
static void answer(struct run *r)
{
	struct virtio_vsock_hdr h = vg_hdr(OP(RESPONSE), r->req_guest, r->req_host, 0);

	h.buf_alloc = 1u << (u8(&r->in) % 21);
	vg_send_hdr(r->g, &h, NULL, 0);
}

/* A guest streaming to one connection: up to a queue of RW packets at once. */
static void burst(struct run *r)
{
	static uint8_t pkt[VSOCK_HDR + 255 * 16];
	uint8_t k = u8(&r->in) % 8, n = u8(&r->in) % VG_QSZ + 1;
	uint32_t len = u8(&r->in) * 16u;
	struct virtio_vsock_hdr h;

	if (k >= r->nknown)
		return;
	h = vg_hdr(OP(RW), r->known[k].guest, r->known[k].host, len);
	for (int i = 0; i < n; i++) {
		memcpy(pkt, &h, VSOCK_HDR);
		memset(pkt + VSOCK_HDR, 'a' + i, len);
		vg_put_tx(r->g, pkt, VSOCK_HDR + len, 0);
	}
	virtio_dev_kick(&r->g->vs->dev, VIRTIO_VSOCK_TX);
}

/* Host sockets that take little at a time: guest bytes pile up in vmm's buffers. */
static void small_buffers(struct vsock *vs)
{
	int small = 4096;

	for (int i = 0; i < VSOCK_CONNS_MAX; i++)
		if (vs->pool[i].state == VSOCK_ESTABLISHED && vs->pool[i].w.fd >= 0)
			setsockopt(vs->pool[i].w.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
}

/* The connection table agrees with itself. */
static void check_conns(const struct vsock *vs)
{
	int n = 0;

	for (int i = 0; i < VSOCK_CONNS_MAX; i++) {
		const struct vsock_conn *c = &vs->pool[i];

		if (c->state == VSOCK_FREE)
			continue;
		n++;
		if (c->buf_len > VSOCK_BUF_ALLOC || (c->queued && !c->pend) ||
		    (c->hashed &&
		     vsock_conn_find((struct vsock *)vs, c->local_port, c->peer_port) != c) ||
		    (c->state == VSOCK_ESTABLISHED && (c->watched & EPOLLIN) &&
		     !vsock_conn_credit(c)) ||
		    (c->state == VSOCK_DEAD && c->w.fd >= 0))
			abort();
	}
	if (n != vs->nconns || vs->rst_len > VSOCK_RST_MAX)
		abort();
}

static void step(struct run *r)
{
	uint8_t what = u8(&r->in);
	uint32_t at;

	switch (what % 13) {
	case 0:
	case 1:
		tx_packet(r);
		break;
	case 2:
		post_rx(r);
		break;
	case 3:
		host(r, u8(&r->in) % 6);
		break;
	case 4:
		vg_pump(r->g, 0);
		break;
	case 5:
		vsock_host_expire(r->g->vs, vsock_now_ms() + (u8(&r->in) << 6));
		vsock_rx_fill(r->g->vs);
		break;
	case 6:
		vg_bring_up(r->g, u8(&r->in) % 2 ? 1u << VIRTIO_F_RING_EVENT_IDX : 0);
		r->used_seen = 0;
		break;
	case 7:
		at = u32(&r->in) % VG_RXBUF;
		r->g->ram[at] = u8(&r->in);
		r->scribbled = true;
		break;
	case 8:
		answer(r);
		break;
	case 9:
	case 10:
		burst(r);
		break;
	default:
		virtio_dev_kick(&r->g->vs->dev, u8(&r->in) % 3);
	}
	small_buffers(r->g->vs);
	check_rx(r);
	check_conns(r->g->vs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	char path[96];

	signal(SIGPIPE, SIG_IGN);
	memset(&r, 0, sizeof(r));
	memset(r.client, -1, sizeof(r.client));
	memset(r.peer, -1, sizeof(r.peer));
	r.in = (struct in){ data, size };
	r.g = vg_new();
	snprintf(path, sizeof(path), "%s_%d", r.g->path, GUEST_P);
	r.listen_p = vg_unix_listen(path);
	fcntl(r.listen_p, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < STEPS && r.in.n; i++)
		step(&r);
	for (int i = 0; i < CLIENTS; i++)
		if (r.client[i] >= 0)
			close(r.client[i]);
	for (int i = 0; i < PEERS; i++)
		if (r.peer[i] >= 0)
			close(r.peer[i]);
	close(r.listen_p);
	unlink(path);
	vg_free(r.g);
	return 0;
}
