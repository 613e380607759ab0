/* vsock_guest.h: a fake guest driver for the vsock device: rings in fake RAM, packets in and out,
 * and the I/O thread's loop over a real epoll set. */
#ifndef TESTS_VSOCK_GUEST_H
#define TESTS_VSOCK_GUEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ring_builder.h"
#include "virtio_vsock.h"
#include "vm.h"

#define VG_RAM	 (4ULL << 20)
#define VG_QSZ	 16
#define VG_RXSZ	 4096 /* a Linux driver's rx buffer */
#define VG_TXSZ	 (VSOCK_HDR + VSOCK_PKT_MAX + 64)
#define VG_RXBUF 0x10000ULL
#define VG_TXBUF 0x100000ULL
#define VG_CID	 7

struct vg {
	struct vsock *vs;
	struct vmm vm; /* only its epoll set is used */
	struct rb q[3];
	uint8_t *ram;
	uint16_t rx_seen, tx_seen, rx_desc, tx_desc;
	char dir[32], path[64];
};

static inline void vg_reg(struct vg *g, uint32_t off, uint32_t v)
{
	virtio_mmio_access(&g->vs->dev, off, (uint8_t *)&v, 4, true);
}

static inline uint32_t vg_read(struct vg *g, uint32_t off)
{
	uint32_t v;

	virtio_mmio_access(&g->vs->dev, off, (uint8_t *)&v, 4, false);
	return v;
}

/* A by-the-book bring-up of all three queues; features as given (low word). */
static inline void vg_bring_up(struct vg *g, uint32_t features)
{
	uint32_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	memset(g->ram, 0, VG_RXBUF);
	g->rx_seen = g->tx_seen = g->rx_desc = g->tx_desc = 0;
	vg_reg(g, VIRTIO_MMIO_STATUS, 0);
	vg_reg(g, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vg_reg(g, VIRTIO_MMIO_STATUS, s);
	vg_reg(g, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vg_reg(g, VIRTIO_MMIO_DRIVER_FEATURES, features);
	vg_reg(g, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vg_reg(g, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	vg_reg(g, VIRTIO_MMIO_STATUS, s |= VIRTIO_STATUS_FEATURES_OK);
	for (int i = 0; i < 3; i++) {
		uint64_t base = 0x1000ULL * (1 + 3 * (uint64_t)i);

		rb_layout(&g->q[i], g->ram, VG_RAM, VG_QSZ, base, base + 0x1000, base + 0x2000);
		vg_reg(g, VIRTIO_MMIO_QUEUE_SEL, (uint32_t)i);
		vg_reg(g, VIRTIO_MMIO_QUEUE_NUM, VG_QSZ);
		vg_reg(g, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)base);
		vg_reg(g, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)base + 0x1000);
		vg_reg(g, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)base + 0x2000);
		vg_reg(g, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	vg_reg(g, VIRTIO_MMIO_STATUS, s | VIRTIO_STATUS_DRIVER_OK);
}

static inline struct vg *vg_new(void)
{
	struct vg *g = calloc(1, sizeof(*g));

	if (!g)
		abort();
	g->vs = calloc(1, sizeof(*g->vs));
	g->ram = calloc(1, VG_RAM);
	snprintf(g->dir, sizeof(g->dir), "/tmp/vsock_test.XXXXXX");
	if (!g->vs || !g->ram || !mkdtemp(g->dir) || vsock_init(g->vs, VG_CID))
		abort();
	snprintf(g->path, sizeof(g->path), "%s/v.sock", g->dir);
	if (vsock_host_open(g->vs, g->path))
		abort();
	g->vm.io_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g->vm.io_epfd < 0 || vsock_attach(g->vs, &g->vm))
		abort();
	g->vs->dev.mem = &g->q[0].m;
	g->q[0].m = (struct guest_mem){ g->ram, VG_RAM };
	vg_bring_up(g, 0);
	return g;
}

static inline void vg_free(struct vg *g)
{
	char p[96];

	vsock_destroy(g->vs);
	pthread_mutex_destroy(&g->vs->dev.lock);
	close(g->vm.io_epfd);
	free(g->vs);
	free(g->ram);
	for (int i = 0; i < 3; i++) { /* listeners tests made for PATH_P */
		snprintf(p, sizeof(p), "%s/v.sock_%d", g->dir, 5000 + i);
		unlink(p);
	}
	rmdir(g->dir);
	free(g);
}

/* The I/O thread's loop, once: every ready watch's callback. */
static inline int vg_pump(struct vg *g, int ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(g->vm.io_epfd, ev, 64, ms);

	for (int i = 0; i < n; i++) {
		struct io_watch *w = ev[i].data.ptr;

		w->fn(w, ev[i].events);
	}
	return n;
}

/* Pumps until nothing is ready for ms. */
static inline void vg_settle(struct vg *g, int ms)
{
	while (vg_pump(g, ms) > 0)
		;
}

/* Posts n empty rx buffers of len bytes each. */
static inline void vg_post_rx_len(struct vg *g, int n, uint32_t len)
{
	for (int i = 0; i < n; i++) {
		uint16_t d = g->rx_desc++ % VG_QSZ;

		rb_desc(&g->q[0], d, VG_RXBUF + (uint64_t)d * VG_RXSZ, len, VIRTQ_DESC_F_WRITE, 0);
		rb_publish(&g->q[0], d);
	}
	virtio_dev_kick(&g->vs->dev, VIRTIO_VSOCK_RX);
}

static inline void vg_post_rx(struct vg *g, int n)
{
	vg_post_rx_len(g, n, VG_RXSZ);
}

/* Queues raw bytes on tx (split into two descriptors at split, if not 0); no kick. */
static inline void vg_put_tx(struct vg *g, const void *p, uint32_t len, uint32_t split)
{
	uint16_t d = g->tx_desc++ % VG_QSZ, d2 = (uint16_t)(d + VG_QSZ / 2) % VG_QSZ;
	uint64_t buf = VG_TXBUF + (uint64_t)d * VG_TXSZ;

	memcpy(rb_at(&g->q[1], buf, len ? len : 1), p, len);
	if (split && split < len) {
		/* A second descriptor from the other half of the table. */
		rb_desc(&g->q[1], d, buf, split, VIRTQ_DESC_F_NEXT, d2);
		rb_desc(&g->q[1], d2, buf + split, len - split, 0, 0);
	} else {
		rb_desc(&g->q[1], d, buf, len, 0, 0);
	}
	rb_publish(&g->q[1], d);
}

static inline struct virtio_vsock_hdr vg_hdr(uint16_t op, uint32_t src_port, uint32_t dst_port,
					     uint32_t len)
{
	return (struct virtio_vsock_hdr){ .src_cid = VG_CID,
					  .dst_cid = VIRTIO_VSOCK_HOST_CID,
					  .src_port = src_port,
					  .dst_port = dst_port,
					  .len = len,
					  .type = VIRTIO_VSOCK_TYPE_STREAM,
					  .op = op,
					  .buf_alloc = 1u << 20,
					  .fwd_cnt = 0 };
}

/* Sends one packet (header and payload) and kicks tx. */
static inline void vg_send_hdr(struct vg *g, const struct virtio_vsock_hdr *h, const void *payload,
			       uint32_t len)
{
	static uint8_t pkt[VG_TXSZ];

	memcpy(pkt, h, VSOCK_HDR);
	if (len)
		memcpy(pkt + VSOCK_HDR, payload, len);
	vg_put_tx(g, pkt, VSOCK_HDR + len, 0);
	virtio_dev_kick(&g->vs->dev, VIRTIO_VSOCK_TX);
}

static inline void vg_send(struct vg *g, uint16_t op, uint32_t src_port, uint32_t dst_port,
			   const void *payload, uint32_t len)
{
	struct virtio_vsock_hdr h = vg_hdr(op, src_port, dst_port, len);

	vg_send_hdr(g, &h, payload, len);
}

/* The next packet the device put in rx: 1 with its header and payload, 0 if none. */
static inline int vg_recv(struct vg *g, struct virtio_vsock_hdr *h, void *payload, uint32_t *len)
{
	struct virtq_used_elem e;
	uint8_t *buf;

	if (rb_used_idx(&g->q[0]) == g->rx_seen)
		return 0;
	e = rb_used(&g->q[0], g->rx_seen++ % VG_QSZ);
	buf = rb_at(&g->q[0], VG_RXBUF + (uint64_t)e.id * VG_RXSZ, VG_RXSZ);
	if (e.len < VSOCK_HDR || e.len > VG_RXSZ)
		abort();
	memcpy(h, buf, VSOCK_HDR);
	if (len)
		*len = e.len - VSOCK_HDR;
	if (payload)
		memcpy(payload, buf + VSOCK_HDR, e.len - VSOCK_HDR);
	return 1;
}

/* How many tx chains the device has given back so far. */
static inline uint16_t vg_tx_done(struct vg *g)
{
	return rb_used_idx(&g->q[1]);
}

static inline int vg_unix_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024))
		abort();
	return fd;
}

static inline int vg_unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		abort();
	return fd;
}

#endif
