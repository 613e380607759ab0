/* test_vsock_host.c: host-initiated connections (CONNECT, OK, deadlines), credit both ways,
 * shutdowns, rx starvation, reset and many connections, through real Unix sockets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vsock_guest.h"

#define OP(x)	  VIRTIO_VSOCK_OP_##x
#define PORT0	  VSOCK_PORT_BASE
#define GUEST_BUF (1u << 20)

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

/* Keeps the rx queue full of buffers. */
static void refill(struct vg *g)
{
	int n = VG_QSZ - (uint16_t)(g->rx_desc - g->rx_seen);

	if (n > 0)
		vg_post_rx(g, n);
}

/* The next packet, giving the device buffers and the I/O loop turns until one comes. */
static int next(struct vg *g, struct virtio_vsock_hdr *h, void *buf, uint32_t *len)
{
	for (int i = 0; i < 20; i++) {
		if (vg_recv(g, h, buf, len))
			return 1;
		refill(g);
		vg_pump(g, 10);
	}
	return 0;
}

static struct virtio_vsock_hdr expect(struct vg *g, uint16_t op, uint32_t src, uint32_t dst)
{
	struct virtio_vsock_hdr h = { 0 };

	if (!next(g, &h, NULL, NULL))
		fail_msg("no packet, want op %u %u->%u", op, src, dst);
	if (h.op != op || h.src_port != src || h.dst_port != dst)
		fail_msg("op %u %u->%u, want op %u %u->%u", h.op, h.src_port, h.dst_port, op, src,
			 dst);
	return h;
}

static void expect_none(struct vg *g)
{
	struct virtio_vsock_hdr h = { 0 };

	if (next(g, &h, NULL, NULL))
		fail_msg("unexpected op %u %u->%u", h.op, h.src_port, h.dst_port);
}

static int client(struct vg *g, const char *line)
{
	int fd = vg_unix_connect(g->path);

	if (line && write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		fail();
	return fd;
}

/* Reads what the client has within ms: a string, "" for EOF, NULL for nothing. */
static const char *got(int fd, int ms)
{
	static char buf[256];
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t r;

	if (poll(&p, 1, ms) != 1)
		return NULL;
	r = read(fd, buf, sizeof(buf) - 1);
	if (r < 0)
		return "(error)";
	buf[r] = 0;
	return buf;
}

static void respond(struct vg *g, uint32_t guest_port, uint32_t host_port, uint32_t buf_alloc)
{
	struct virtio_vsock_hdr h = vg_hdr(OP(RESPONSE), guest_port, host_port, 0);

	h.buf_alloc = buf_alloc;
	vg_send_hdr(g, &h, NULL, 0);
}

/* A host program connects to guest port gp and the guest accepts: the client's fd. */
static int establish(struct vg *g, uint32_t gp, uint32_t buf_alloc, uint32_t *host_port)
{
	char line[32], ok[32];
	struct virtio_vsock_hdr h = { 0 };
	int fd;

	snprintf(line, sizeof(line), "CONNECT %u\n", gp);
	fd = client(g, line);
	if (!next(g, &h, NULL, NULL) || h.op != OP(REQUEST) || h.dst_port != gp)
		fail_msg("no REQUEST for port %u", gp);
	*host_port = h.src_port;
	respond(g, gp, h.src_port, buf_alloc);
	snprintf(ok, sizeof(ok), "OK %u\n", h.src_port);
	assert_string_equal(got(fd, 1000), ok);
	return fd;
}

/* As establish, with one rx buffer only, for the REQUEST: none is left after. */
static int establish_bare(struct vg *g, uint32_t gp, uint32_t *host_port)
{
	char line[32];
	struct virtio_vsock_hdr h = { 0 };
	int fd;

	snprintf(line, sizeof(line), "CONNECT %u\n", gp);
	fd = client(g, line);
	vg_settle(g, 10);
	vg_post_rx(g, 1);
	if (!vg_recv(g, &h, NULL, NULL) || h.op != OP(REQUEST))
		fail_msg("no REQUEST for port %u", gp);
	*host_port = h.src_port;
	respond(g, gp, h.src_port, GUEST_BUF);
	assert_non_null(got(fd, 1000));
	return fd;
}

static void test_connect_ok(void **state)
{
	struct vg *g = *state;
	struct virtio_vsock_hdr h = { 0 };
	char buf[64];
	uint32_t len;
	int fd = client(g, "CONNECT 52\nHELLO");

	h = expect(g, OP(REQUEST), PORT0, 52);
	assert_int_equal(h.dst_cid, VG_CID);
	assert_int_equal(h.buf_alloc, VSOCK_BUF_ALLOC);
	expect_none(g); /* HELLO waits in the socket until the guest answers */
	assert_null(got(fd, 0));
	respond(g, 52, PORT0, GUEST_BUF);
	assert_string_equal(got(fd, 1000), "OK 1073741824\n");
	assert_true(next(g, &h, buf, &len));
	assert_int_equal(h.op, OP(RW));
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "HELLO", 5);
	vg_send(g, OP(RW), 52, PORT0, "world", 5);
	assert_string_equal(got(fd, 1000), "world");
	close(fd);
	h = expect(g, OP(SHUTDOWN), PORT0, 52); /* the host closed: it sends no more */
	assert_int_equal(h.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
	vg_send(g, OP(RW), 52, PORT0, "x", 1); /* nobody to write to: RST */
	expect(g, OP(RST), PORT0, 52);
}

static void test_handshake_lines(void **state)
{
	struct vg *g = *state;
	int a = client(g, "connect 6\n"), b = client(g, "CONNECT 6 \n");
	int bad1 = client(g, "garbage garbage\n"), bad2 = client(g, "CONNECT 4294967296\n");
	int bad3 = client(g, "CONNECT x\n");

	expect(g, OP(REQUEST), PORT0, 6);
	expect(g, OP(REQUEST), PORT0 + 1, 6);
	expect_none(g);
	assert_string_equal(got(bad1, 1000), ""); /* closed at once */
	assert_string_equal(got(bad2, 1000), "");
	assert_string_equal(got(bad3, 1000), "");
	close(a);
	close(b);
	close(bad1);
	close(bad2);
	close(bad3);
}

/* Silent, half a line, gone mid-line: closed, and the guest never hears of them. */
static void test_handshake_deadline(void **state)
{
	struct vg *g = *state;
	int silent = client(g, NULL), half = client(g, "CONNECT 12"), gone = client(g, "CONN");

	close(gone);
	vg_settle(g, 20);
	assert_int_equal(g->vs->nconns, 2);
	assert_null(got(silent, 0));
	vsock_host_expire(g->vs, vsock_now_ms() + VSOCK_HANDSHAKE_MS - 500);
	assert_null(got(half, 0));
	vsock_host_expire(g->vs, vsock_now_ms() + VSOCK_HANDSHAKE_MS + 1);
	assert_string_equal(got(silent, 0), "");
	assert_string_equal(got(half, 0), "");
	assert_int_equal(g->vs->nconns, 0);
	expect_none(g);
	close(silent);
	close(half);
}

/* No listener in the guest: it answers RST, or nothing; either way the client is closed. */
static void test_unanswered(void **state)
{
	struct vg *g = *state;
	int refused = client(g, "CONNECT 7\n"), silent = client(g, "CONNECT 8\n");

	expect(g, OP(REQUEST), PORT0, 7);
	expect(g, OP(REQUEST), PORT0 + 1, 8);
	vg_send(g, OP(RST), 7, PORT0, NULL, 0);
	assert_string_equal(got(refused, 1000), "");
	assert_null(got(silent, 0));
	vsock_host_expire(g->vs, vsock_now_ms() + VSOCK_REQUEST_MS + 1);
	assert_string_equal(got(silent, 0), "");
	expect(g, OP(RST), PORT0 + 1, 8); /* the guest may still think it pending */
	expect_none(g);
	close(refused);
	close(silent);
}

/* Before the driver posts rx buffers the REQUEST waits; past the deadline the client goes. */
static void test_no_driver(void **state)
{
	struct vg *g = *state;
	int fd = client(g, "CONNECT 9\n");

	vg_settle(g, 20);
	assert_int_equal(g->vs->nconns, 1);
	vsock_host_expire(g->vs, vsock_now_ms() + VSOCK_REQUEST_MS + 1);
	assert_string_equal(got(fd, 0), "");
	expect_none(g); /* it never reached the guest: no RST either */
	close(fd);
}

/* Host to guest: never more than the guest's credit; ask when it runs out. */
static void test_guest_credit(void **state)
{
	struct vg *g = *state;
	static uint8_t data[10000], in[sizeof(data)];
	uint32_t hp, n = 0, fwd = 0, len, stalls = 0;
	struct virtio_vsock_hdr h = { 0 };
	int fd = establish(g, 60, 4096, &hp);

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	assert_int_equal(write(fd, data, sizeof(data)), sizeof(data));
	while (n < sizeof(data)) {
		assert_true(next(g, &h, in + n, &len));
		if (h.op == OP(RW)) {
			n += len;
			assert_true(n - fwd <= 4096);
			continue;
		}
		assert_int_equal(h.op, OP(CREDIT_REQUEST));
		assert_int_equal(n - fwd, 4096); /* only when the credit is all used */
		assert_int_equal(vsock_conn_find(g->vs, hp, 60)->watched, 0);
		fwd = n; /* the guest read it all */
		stalls++;
		h = vg_hdr(OP(CREDIT_UPDATE), 60, hp, 0);
		h.buf_alloc = 4096;
		h.fwd_cnt = fwd;
		vg_send_hdr(g, &h, NULL, 0);
	}
	assert_memory_equal(in, data, sizeof(data));
	assert_int_equal(stalls, sizeof(data) / 4096);
	close(fd);
}

/* A host reader that stops reading: its bytes wait in vmm, other connections carry on. */
static void test_slow_reader(void **state)
{
	struct vg *g = *state;
	static uint8_t data[VSOCK_PKT_MAX], in[VSOCK_PKT_MAX];
	uint32_t hp_a, hp_b, sent = 0, rcvd = 0, len;
	int a = establish(g, 70, GUEST_BUF, &hp_a), b = establish(g, 71, GUEST_BUF, &hp_b);
	struct virtio_vsock_hdr h = { 0 };
	struct vsock_conn *c = vsock_conn_find(g->vs, hp_a, 70);
	int small = 65536;
	ssize_t r;

	/* A host socket of known size: the rest waits in vmm's buffer. */
	setsockopt(c->w.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 5 + 3);
	/* Fill the socket, then all our buffer: 64 KiB packets up to the credit we gave. */
	while (c->buf_len + VSOCK_PKT_MAX <= VSOCK_BUF_ALLOC) {
		vg_send(g, OP(RW), 70, hp_a, data, sizeof(data));
		sent += sizeof(data);
	}
	assert_true(c->buf_len > VSOCK_BUF_ALLOC / 2);
	assert_true(c->watched & EPOLLOUT);
	vg_send(g, OP(RW), 71, hp_b, "still here", 10);
	assert_string_equal(got(b, 1000), "still here");
	assert_int_equal(write(b, "pong", 4), 4);
	do /* credit updates for a may come first: what it sent did move */
		assert_true(next(g, &h, in, &len));
	while (h.src_port != hp_b);
	assert_int_equal(h.op, OP(RW));
	assert_memory_equal(in, "pong", 4);
	/* The reader wakes up: everything arrives in order, and the guest hears of it. */
	fcntl(a, F_SETFL, O_NONBLOCK);
	while (rcvd < sent) {
		while ((r = read(a, in, sizeof(in))) > 0)
			for (ssize_t i = 0; i < r; i++, rcvd++)
				if (in[i] != data[rcvd % sizeof(data)])
					fail_msg("byte %u differs", rcvd);
		vg_pump(g, 10);
	}
	while (next(g, &h, NULL, NULL)) {
		assert_int_equal(h.op, OP(CREDIT_UPDATE));
		assert_true(h.fwd_cnt + VSOCK_BUF_ALLOC / 2 > sent - c->buf_len);
	}
	vg_send(g, OP(CREDIT_REQUEST), 70, hp_a, NULL, 0);
	h = expect(g, OP(CREDIT_UPDATE), hp_a, 70);
	assert_int_equal(h.fwd_cnt, sent);
	close(a);
	close(b);
}

static void test_credit_overrun(void **state)
{
	struct vg *g = *state;
	static uint8_t data[VSOCK_PKT_MAX];
	uint32_t hp;
	int fd = establish(g, 72, GUEST_BUF, &hp), small = 4096;
	struct vsock_conn *c = vsock_conn_find(g->vs, hp, 72);

	setsockopt(c->w.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (int i = 0; i < 5; i++) /* 320 KiB: more than 256 KiB of credit */
		vg_send(g, OP(RW), 72, hp, data, sizeof(data));
	expect(g, OP(RST), hp, 72);
	assert_null(vsock_conn_find(g->vs, hp, 72));
	close(fd);
}

/* Half-closes both ways, then the guest's full SHUTDOWN ends it with an RST. */
static void test_half_close(void **state)
{
	struct vg *g = *state;
	struct virtio_vsock_hdr h = { 0 };
	uint32_t hp, len;
	char buf[16];
	int fd = establish(g, 80, GUEST_BUF, &hp);

	assert_int_equal(write(fd, "last", 4), 4);
	shutdown(fd, SHUT_WR);
	assert_true(next(g, &h, buf, &len));
	assert_int_equal(h.op, OP(RW));
	h = expect(g, OP(SHUTDOWN), hp, 80);
	assert_int_equal(h.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
	vg_send(g, OP(RW), 80, hp, "reply", 5); /* the other way still works */
	assert_string_equal(got(fd, 1000), "reply");
	h = vg_hdr(OP(SHUTDOWN), 80, hp, 0);
	h.flags = VIRTIO_VSOCK_SHUTDOWN_SEND | VIRTIO_VSOCK_SHUTDOWN_RCV;
	vg_send_hdr(g, &h, NULL, 0);
	expect(g, OP(RST), hp, 80);
	assert_string_equal(got(fd, 1000), "");
	expect_none(g);
	close(fd);
}

/* No rx buffers: the host's bytes stay in its socket, nothing spins, nothing is lost. */
static void test_rx_starved(void **state)
{
	struct vg *g = *state;
	static uint8_t in[3 * 3000];
	uint32_t hp, n = 0, len;
	struct virtio_vsock_hdr h = { 0 };
	char chunk[3000];
	int fd = establish_bare(g, 90, &hp);

	for (int i = 0; i < 3; i++) {
		memset(chunk, 'a' + i, sizeof(chunk));
		assert_int_equal(write(fd, chunk, sizeof(chunk)), sizeof(chunk));
		vg_settle(g, 10);
	}
	assert_int_equal(vg_pump(g, 20), 0); /* the socket is not watched: no busy loop */
	while (n < sizeof(in) && next(g, &h, in + n, &len))
		n += len;
	assert_int_equal(n, sizeof(in));
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(in[i], 'a' + i / 3000);
	close(fd);
}

/* rx buffers with no room for data: each carries a CREDIT_UPDATE until a real one comes. */
static void test_header_only_buffers(void **state)
{
	struct vg *g = *state;
	struct virtio_vsock_hdr h = { 0 };
	uint32_t hp, len;
	char buf[8];
	int fd = establish_bare(g, 91, &hp);

	assert_int_equal(write(fd, "data", 4), 4);
	vg_settle(g, 10);
	vg_post_rx_len(g, 2, VSOCK_HDR);
	expect(g, OP(CREDIT_UPDATE), hp, 91);
	expect(g, OP(CREDIT_UPDATE), hp, 91);
	assert_true(next(g, &h, buf, &len));
	assert_int_equal(h.op, OP(RW));
	assert_memory_equal(buf, "data", 4);
	close(fd);
}

/* A driver reset closes what the guest knew of; a CONNECT not yet sent waits for it. */
static void test_reset(void **state)
{
	struct vg *g = *state;
	uint32_t hp;
	int est = establish(g, 100, GUEST_BUF, &hp), waiting;

	vg_bring_up(g, 1u << VIRTIO_F_RING_EVENT_IDX); /* resets first: nothing posted now */
	assert_string_equal(got(est, 1000), "");
	waiting = client(g, "CONNECT 101\n");
	vg_settle(g, 10);
	vg_bring_up(g, 0);
	assert_null(got(waiting, 0));
	expect(g, OP(REQUEST), PORT0 + 1, 101);
	respond(g, 101, PORT0 + 1, GUEST_BUF);
	assert_string_equal(got(waiting, 1000), "OK 1073741825\n");
	close(est);
	close(waiting);
}

/* Hundreds at once, each carrying its own bytes both ways. */
static void test_many(void **state)
{
	enum { N = 300 };
	struct vg *g = *state;
	static int fd[N];
	static uint32_t hp[N];
	struct virtio_vsock_hdr h = { 0 };
	char buf[64], want[64];
	uint32_t len;
	int seen = 0;

	for (int i = 0; i < N; i++)
		fd[i] = establish(g, 2000 + (uint32_t)i, GUEST_BUF, &hp[i]);
	assert_int_equal(g->vs->nconns, N);
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "from host %d", i);
		assert_int_equal(write(fd[i], want, strlen(want)), strlen(want));
	}
	while (seen < N && next(g, &h, buf, &len)) {
		int i = (int)(h.dst_port - 2000);

		assert_int_equal(h.op, OP(RW));
		assert_true(i >= 0 && i < N && h.src_port == hp[i]);
		snprintf(want, sizeof(want), "from host %d", i);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(buf, want, len);
		snprintf(buf, sizeof(buf), "from guest %d", i);
		vg_send(g, OP(RW), h.dst_port, h.src_port, buf, (uint32_t)strlen(buf));
		seen++;
	}
	assert_int_equal(seen, N);
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "from guest %d", i);
		assert_string_equal(got(fd[i], 1000), want);
		close(fd[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unanswered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_credit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credit_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_starved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_only_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
