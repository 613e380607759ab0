/* test_vsock_packets.c: the vsock device against a fake driver: hostile headers get RST, guest
 * connections to PATH_P, config space, rx buffers the driver gets wrong, RST back-pressure. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vsock_guest.h"

#define OP(x) VIRTIO_VSOCK_OP_##x

static int setup(void **state)
{
	*state = vg_new();
	return 0;
}

static int teardown(void **state)
{
	vg_free(*state);
	return 0;
}

/* The next rx packet must be op from host port src to guest port dst. */
static struct virtio_vsock_hdr expect(struct vg *g, uint16_t op, uint32_t src, uint32_t dst)
{
	struct virtio_vsock_hdr h = { 0 };

	if (!vg_recv(g, &h, NULL, NULL))
		fail_msg("no packet, want op %u", op);
	if (h.op != op || h.src_port != src || h.dst_port != dst || h.src_cid != 2 ||
	    h.dst_cid != VG_CID || h.type != VIRTIO_VSOCK_TYPE_STREAM)
		fail_msg("op %u %u->%u cid %llu->%llu, want op %u %u->%u", h.op, h.src_port,
			 h.dst_port, (unsigned long long)h.src_cid, (unsigned long long)h.dst_cid,
			 op, src, dst);
	return h;
}

static void expect_none(struct vg *g)
{
	struct virtio_vsock_hdr h = { 0 };

	if (vg_recv(g, &h, NULL, NULL))
		fail_msg("unexpected op %u %u->%u", h.op, h.src_port, h.dst_port);
}

static void test_config(void **state)
{
	struct vg *g = *state;
	uint64_t cid = 0;
	uint32_t lo = 1;

	assert_int_equal(vg_read(g, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK);
	virtio_mmio_access(&g->vs->dev, VIRTIO_MMIO_CONFIG, (uint8_t *)&cid, 8, false);
	assert_int_equal(cid, VG_CID);
	virtio_mmio_access(&g->vs->dev, VIRTIO_MMIO_CONFIG, (uint8_t *)&lo, 4, true);
	virtio_mmio_access(&g->vs->dev, VIRTIO_MMIO_CONFIG + 4, (uint8_t *)&lo, 4, false);
	assert_int_equal(lo, 0);
	virtio_mmio_access(&g->vs->dev, VIRTIO_MMIO_CONFIG, (uint8_t *)&lo, 4, false);
	assert_int_equal(lo, VG_CID); /* read-only */
	vg_reg(g, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(vg_read(g, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_NUM_MAX);
	vg_reg(g, VIRTIO_MMIO_QUEUE_SEL, 3);
	assert_int_equal(vg_read(g, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

/* Each field of the header wrong in turn: an RST back, the ports swapped, no crash. */
static void test_hostile_headers(void **state)
{
	struct vg *g = *state;
	static uint8_t big[VSOCK_PKT_MAX + 1];
	struct virtio_vsock_hdr h = { 0 };
	uint16_t done;

	vg_post_rx(g, VG_QSZ);
	vg_send(g, OP(RW), 1000, 2000, "abc", 3); /* no such connection */
	expect(g, OP(RST), 2000, 1000);
	h = vg_hdr(OP(REQUEST), 1000, 2000, 0);
	h.src_cid = 8; /* not the guest's */
	vg_send_hdr(g, &h, NULL, 0);
	expect(g, OP(RST), 2000, 1000);
	h = vg_hdr(OP(REQUEST), 1000, 2000, 0);
	h.dst_cid = 3; /* not the host */
	vg_send_hdr(g, &h, NULL, 0);
	expect(g, OP(RST), 2000, 1000);
	h = vg_hdr(OP(REQUEST), 1000, 2000, 0);
	h.type = 2; /* SEQPACKET */
	vg_send_hdr(g, &h, NULL, 0);
	expect(g, OP(RST), 2000, 1000);
	h = vg_hdr(OP(RW), 1000, 2000, 10); /* claims more than it carries */
	vg_send_hdr(g, &h, "abc", 3);
	expect(g, OP(RST), 2000, 1000);
	h = vg_hdr(OP(RW), 1000, 2000, 1); /* carries more than it claims */
	vg_send_hdr(g, &h, "abc", 3);
	expect(g, OP(RST), 2000, 1000);
	vg_send(g, OP(RW), 1000, 2000, big, sizeof(big)); /* longer than any packet */
	expect(g, OP(RST), 2000, 1000);
	vg_send(g, OP(CREDIT_UPDATE), 1000, 2000, "x", 1); /* a payload on a control op */
	expect(g, OP(RST), 2000, 1000);
	for (uint16_t op = 8; op < 12; op++) {
		vg_send(g, op, 1000, 2000, NULL, 0);
		expect(g, OP(RST), 2000, 1000);
	}
	vg_send(g, 0, 1000, 2000, NULL, 0);
	expect(g, OP(RST), 2000, 1000);
	/* An RST is never answered; a chain too short for a header has no one to answer. */
	done = vg_tx_done(g);
	vg_send(g, OP(RST), 1000, 2000, NULL, 0);
	vg_put_tx(g, "short", 5, 0);
	virtio_dev_kick(&g->vs->dev, VIRTIO_VSOCK_TX);
	assert_int_equal(vg_tx_done(g), (uint16_t)(done + 2));
	expect_none(g);
	assert_int_equal(vg_read(g, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* A guest connection to host port P goes to PATH_P; none there: RST. */
static void test_guest_connect(void **state)
{
	struct vg *g = *state;
	char path[96], buf[64];
	struct virtio_vsock_hdr h = { 0 };
	uint32_t len;
	int l, s;

	vg_post_rx(g, VG_QSZ);
	vg_send(g, OP(REQUEST), 40000, 5000, NULL, 0);
	expect(g, OP(RST), 5000, 40000);
	snprintf(path, sizeof(path), "%s_5000", g->path);
	l = vg_unix_listen(path);
	/* The header split over two descriptors is one header all the same. */
	h = vg_hdr(OP(REQUEST), 40000, 5000, 0);
	vg_put_tx(g, &h, VSOCK_HDR, 13);
	virtio_dev_kick(&g->vs->dev, VIRTIO_VSOCK_TX);
	h = expect(g, OP(RESPONSE), 5000, 40000);
	assert_int_equal(h.buf_alloc, VSOCK_BUF_ALLOC);
	assert_int_equal(h.fwd_cnt, 0);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	vg_send(g, OP(RW), 40000, 5000, "hello host", 10);
	assert_int_equal(read(s, buf, sizeof(buf)), 10);
	assert_memory_equal(buf, "hello host", 10);
	assert_int_equal(write(s, "hi guest", 8), 8);
	vg_settle(g, 50);
	assert_true(vg_recv(g, &h, buf, &len));
	assert_int_equal(h.op, OP(RW));
	assert_int_equal(len, 8);
	assert_memory_equal(buf, "hi guest", 8);
	assert_int_equal(h.fwd_cnt, 10); /* our credit rides along */
	/* A second REQUEST on a live connection resets it. */
	vg_send(g, OP(REQUEST), 40000, 5000, NULL, 0);
	expect(g, OP(RST), 5000, 40000);
	assert_int_equal(read(s, buf, sizeof(buf)), 0);
	close(s);
	close(l);
}

/* CREDIT_REQUEST gets CREDIT_UPDATE; RW for a half-open direction gets RST. */
static void test_credit_request_and_shutdown(void **state)
{
	struct vg *g = *state;
	char path[96], buf[16];
	struct virtio_vsock_hdr h = { 0 };
	int l, s;

	snprintf(path, sizeof(path), "%s_5001", g->path);
	l = vg_unix_listen(path);
	vg_post_rx(g, VG_QSZ);
	vg_send(g, OP(REQUEST), 41000, 5001, NULL, 0);
	expect(g, OP(RESPONSE), 5001, 41000);
	s = accept(l, NULL, NULL);
	vg_send(g, OP(RW), 41000, 5001, "0123456789", 10);
	vg_send(g, OP(CREDIT_REQUEST), 41000, 5001, NULL, 0);
	h = expect(g, OP(CREDIT_UPDATE), 5001, 41000);
	assert_int_equal(h.fwd_cnt, 10);
	assert_int_equal(h.buf_alloc, VSOCK_BUF_ALLOC);
	h = vg_hdr(OP(SHUTDOWN), 41000, 5001, 0);
	h.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
	vg_send_hdr(g, &h, NULL, 0);
	assert_int_equal(read(s, buf, sizeof(buf)), 10);
	assert_int_equal(read(s, buf, sizeof(buf)), 0); /* SHUT_WR reached the host */
	expect_none(g);
	vg_send(g, OP(RW), 41000, 5001, "late", 4); /* after its own SHUTDOWN(SEND) */
	expect(g, OP(RST), 5001, 41000);
	close(s);
	close(l);
}

/* The driver posts an rx buffer smaller than a header: NEEDS_RESET, and a reset recovers. */
static void test_short_rx_buffer(void **state)
{
	struct vg *g = *state;

	vg_send(g, OP(RW), 1, 2, NULL, 0); /* an RST is owed */
	vg_post_rx_len(g, 1, VSOCK_HDR - 1);
	assert_true(vg_read(g, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	vg_bring_up(g, 1u << VIRTIO_F_RING_EVENT_IDX);
	vg_post_rx(g, 1);
	expect_none(g); /* what was owed went with the reset */
	vg_send(g, OP(RW), 1, 2, NULL, 0);
	expect(g, OP(RST), 2, 1);
}

/* No rx buffers: RSTs wait, up to a queue's worth; then tx waits too, and nothing is lost. */
static void test_rst_backpressure(void **state)
{
	struct vg *g = *state;
	struct virtio_vsock_hdr h = vg_hdr(OP(RW), 0, 9, 0);
	uint32_t n = 0, got = 0;

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < VG_QSZ && g->tx_desc - vg_tx_done(g) < VG_QSZ; i++, n++) {
			h.src_port = n;
			vg_put_tx(g, &h, VSOCK_HDR, 0);
		}
		virtio_dev_kick(&g->vs->dev, VIRTIO_VSOCK_TX);
	}
	assert_int_equal(vg_tx_done(g), VSOCK_RST_MAX); /* tx stopped there */
	assert_true(n > VSOCK_RST_MAX);
	while (got < n) {
		vg_post_rx(g, VG_QSZ);
		for (int i = 0; i < VG_QSZ && got < n; i++, got++)
			expect(g, OP(RST), 9, got); /* in order, none dropped */
	}
	assert_int_equal(vg_tx_done(g), (uint16_t)n);
	expect_none(g);
}

/* At the connection limit: a guest REQUEST gets RST, a host client is closed at once. */
static void test_conn_limit(void **state)
{
	struct vg *g = *state;
	static struct vsock_conn *fill[VSOCK_CONNS_MAX];
	char path[96], c;
	int l, n = 0, client;

	snprintf(path, sizeof(path), "%s_5002", g->path);
	l = vg_unix_listen(path);
	vg_post_rx(g, VG_QSZ);
	while (n < VSOCK_CONNS_MAX && (fill[n] = vsock_conn_new(g->vs, -1, VSOCK_HANDSHAKE)))
		n++;
	assert_int_equal(n, VSOCK_CONNS_MAX);
	assert_null(vsock_conn_new(g->vs, -1, VSOCK_HANDSHAKE));
	vg_send(g, OP(REQUEST), 40000, 5002, NULL, 0);
	expect(g, OP(RST), 5002, 40000);
	client = vg_unix_connect(g->path);
	vg_settle(g, 20);
	assert_int_equal(read(client, &c, 1), 0);
	vsock_conn_free(fill[--n]);
	vg_send(g, OP(REQUEST), 40000, 5002, NULL, 0);
	expect(g, OP(RESPONSE), 5002, 40000);
	while (n)
		vsock_conn_free(fill[--n]);
	close(client);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credit_request_and_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_rx_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_limit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
