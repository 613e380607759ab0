/* test_vsock_conn.c: the vsock connection table, host port numbering, credit arithmetic,
 * and guest bytes buffered for a host socket that does not keep up. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "virtio_vsock.h"

static int setup(void **state)
{
	struct vsock *vs = calloc(1, sizeof(*vs));

	*state = vs;
	return vs ? vsock_init(vs, 3) : -1;
}

static int teardown(void **state)
{
	struct vsock *vs = *state;

	vsock_destroy(vs);
	pthread_mutex_destroy(&vs->dev.lock);
	free(vs);
	return 0;
}

static void test_pool(void **state)
{
	struct vsock *vs = *state;
	static struct vsock_conn *c[VSOCK_CONNS_MAX];

	for (int i = 0; i < VSOCK_CONNS_MAX; i++) {
		c[i] = vsock_conn_new(vs, -1, VSOCK_ESTABLISHED);
		assert_non_null(c[i]);
	}
	assert_null(vsock_conn_new(vs, -1, VSOCK_ESTABLISHED));
	assert_int_equal(vs->nconns, VSOCK_CONNS_MAX);
	vsock_conn_free(c[17]);
	vsock_conn_free(c[17]); /* twice is harmless */
	assert_int_equal(vs->nconns, VSOCK_CONNS_MAX - 1);
	assert_ptr_equal(vsock_conn_new(vs, -1, VSOCK_HANDSHAKE), c[17]);
	assert_int_equal(c[17]->state, VSOCK_HANDSHAKE);
	for (int i = 0; i < VSOCK_CONNS_MAX; i++)
		vsock_conn_free(c[i]);
	assert_int_equal(vs->nconns, 0);
}

/* Hundreds of connections, many sharing a port on one side or the other. */
static void test_table(void **state)
{
	struct vsock *vs = *state;
	static struct vsock_conn *c[1000];
	struct vsock_conn *dup;

	for (uint32_t i = 0; i < 1000; i++) {
		c[i] = vsock_conn_new(vs, -1, VSOCK_ESTABLISHED);
		assert_int_equal(vsock_conn_bind(c[i], 1100 + i % 10, 49152 + i / 10), 0);
	}
	dup = vsock_conn_new(vs, -1, VSOCK_ESTABLISHED);
	assert_int_equal(vsock_conn_bind(dup, 1100, 49152), -EEXIST);
	vsock_conn_free(dup);
	for (uint32_t i = 0; i < 1000; i++)
		assert_ptr_equal(vsock_conn_find(vs, 1100 + i % 10, 49152 + i / 10), c[i]);
	assert_null(vsock_conn_find(vs, 49152, 1100)); /* the key is ordered */
	for (uint32_t i = 0; i < 1000; i += 2)
		vsock_conn_free(c[i]);
	for (uint32_t i = 0; i < 1000; i++)
		assert_ptr_equal(vsock_conn_find(vs, 1100 + i % 10, 49152 + i / 10),
				 i % 2 ? c[i] : NULL);
	for (uint32_t i = 1; i < 1000; i += 2)
		vsock_conn_free(c[i]);
	for (int b = 0; b < VSOCK_HASH_SIZE; b++)
		assert_null(vs->hash[b]);
}

/* Firecracker's: 2^30 upwards, skipping ports in use, wrapping within [2^30, 2^31). */
static void test_ports(void **state)
{
	struct vsock *vs = *state;
	struct vsock_conn *c;

	assert_int_equal(vsock_conn_port(vs), 1u << 30);
	assert_int_equal(vsock_conn_port(vs), (1u << 30) + 1);
	c = vsock_conn_new(vs, -1, VSOCK_LOCAL_INIT);
	assert_int_equal(vsock_conn_bind(c, (1u << 30) + 2, 5), 0);
	assert_int_equal(vsock_conn_port(vs), (1u << 30) + 3); /* +2 is taken */
	vsock_conn_free(c);
	vs->port_last = 0x7ffffffe;
	assert_int_equal(vsock_conn_port(vs), 0x7fffffff);
	assert_int_equal(vsock_conn_port(vs), 1u << 30);
}

static void test_credit(void **state)
{
	static const struct {
		uint32_t buf_alloc, fwd_cnt, tx_cnt, credit;
	} cases[] = {
		{ 0, 0, 0, 0 },				  /* before the guest said anything */
		{ 65536, 0, 0, 65536 },			  /* fresh */
		{ 65536, 1000, 5000, 61536 },		  /* 4000 in flight */
		{ 65536, 0, 65536, 0 },			  /* full */
		{ 65536, 0, 70000, 0 },			  /* shrunk under us */
		{ 4096, 0xfffffff0u, 0x10, 4096 - 0x20 }, /* the counters wrap */
		{ 4096, 100, 50, 0 },			  /* fwd_cnt ahead of us: a lie */
		{ 0xffffffffu, 0, 0, 0xffffffffu },
	};
	struct vsock_conn c = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vsock_conn_peer(&c, cases[i].buf_alloc, cases[i].fwd_cnt);
		c.tx_cnt = cases[i].tx_cnt;
		if (vsock_conn_credit(&c) != cases[i].credit)
			fail_msg("case %zu: credit %u, want %u", i, vsock_conn_credit(&c),
				 cases[i].credit);
	}
}

static void test_pending_order(void **state)
{
	struct vsock *vs = *state;
	struct vsock_conn *a = vsock_conn_new(vs, -1, VSOCK_ESTABLISHED);
	struct vsock_conn *b = vsock_conn_new(vs, -1, VSOCK_ESTABLISHED);
	struct vsock_conn *c = vsock_conn_new(vs, -1, VSOCK_ESTABLISHED);

	vsock_conn_queue(a, 0); /* nothing owed: not queued */
	assert_null(vs->pend_head);
	vsock_conn_queue(a, PEND_RW);
	vsock_conn_queue(b, PEND_RESPONSE);
	vsock_conn_queue(c, PEND_RST);
	vsock_conn_queue(a, PEND_SHUTDOWN); /* already queued: keeps its place */
	assert_ptr_equal(vs->pend_head, a);
	assert_int_equal(a->pend, PEND_RW | PEND_SHUTDOWN);
	vsock_conn_unqueue(b);
	assert_ptr_equal(a->pnext, c);
	assert_ptr_equal(vs->pend_tail, c);
	vsock_conn_free(a);
	assert_ptr_equal(vs->pend_head, c);
	vsock_conn_free(c);
	assert_null(vs->pend_head);
	assert_null(vs->pend_tail);
	vsock_conn_free(b);
}

/* A socketpair whose vmm end takes few bytes at a time. */
static struct vsock_conn *paired(struct vsock *vs, int *peer)
{
	int sv[2], small = 4096;
	struct vsock_conn *c;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	c = vsock_conn_new(vs, sv[0], VSOCK_ESTABLISHED);
	assert_int_equal(vsock_conn_bind(c, 1, 2), 0);
	*peer = sv[1];
	return c;
}

static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* Drains the peer, checking the bytes continue the pattern from *off. */
static void drain(int fd, uint32_t *off)
{
	uint8_t buf[8192];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++, (*off)++)
			if (buf[i] != pat(*off))
				fail_msg("byte %u: %02x, want %02x", *off, buf[i], pat(*off));
}

static void test_buffered_writes(void **state)
{
	struct vsock *vs = *state;
	static uint8_t data[VSOCK_BUF_ALLOC + 100];
	uint32_t sent = 0, got = 0;
	int peer;
	struct vsock_conn *c = paired(vs, &peer);
	struct iovec iov[2];

	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = pat(i);
	/* 64 KiB at a time, split in two iovecs: the socket takes some, the rest waits. */
	while (sent + 65536 <= VSOCK_BUF_ALLOC) {
		iov[0] = (struct iovec){ data + sent, 1000 };
		iov[1] = (struct iovec){ data + sent + 1000, 65536 - 1000 };
		assert_int_equal(vsock_conn_write(c, iov, 2, 65536), 0);
		sent += 65536;
	}
	assert_true(c->buf_len > 0);
	assert_int_equal(c->rx_cnt, sent);
	assert_int_equal(c->fwd_cnt + c->buf_len, sent);
	/* More than the buffer has room for is a guest ignoring its credit. */
	iov[0] = (struct iovec){ data, VSOCK_BUF_ALLOC - c->buf_len + 1 };
	assert_int_equal(vsock_conn_write(c, iov, 1, (uint32_t)iov[0].iov_len), -1);
	/* The host reads: each flush moves more, in order, and fwd_cnt counts it. */
	while (c->buf_len) {
		drain(peer, &got);
		vsock_conn_flush(c);
	}
	drain(peer, &got);
	assert_int_equal(got, sent);
	assert_int_equal(c->fwd_cnt, sent);
	assert_null(c->buf);			   /* given back once empty */
	assert_true(c->pend & PEND_CREDIT_UPDATE); /* half the buffer moved since */
	vsock_conn_free(c);
	close(peer);
}

/* SHUTDOWN(SEND) becomes shutdown(SHUT_WR) only once the buffered bytes are out. */
static void test_shutdown_after_flush(void **state)
{
	struct vsock *vs = *state;
	static uint8_t data[65536];
	struct iovec iov = { data, sizeof(data) };
	uint32_t got = 0;
	int peer;
	struct vsock_conn *c = paired(vs, &peer);

	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = pat(i);
	assert_int_equal(vsock_conn_write(c, &iov, 1, sizeof(data)), 0);
	assert_true(c->buf_len > 0);
	vsock_conn_shutdown(c, VIRTIO_VSOCK_SHUTDOWN_SEND);
	drain(peer, &got);
	assert_true(got < sizeof(data));
	assert_int_equal(read(peer, data, 1), -1); /* not EOF yet: bytes are still to come */
	while (c->buf_len) {
		vsock_conn_flush(c);
		drain(peer, &got);
	}
	assert_int_equal(got, sizeof(data));
	assert_int_equal(read(peer, data, 1), 0); /* now EOF */
	assert_int_equal(c->state, VSOCK_ESTABLISHED);
	/* Both directions shut and nothing buffered: the connection ends with an RST. */
	vsock_conn_shutdown(c, VIRTIO_VSOCK_SHUTDOWN_RCV);
	assert_int_equal(c->state, VSOCK_DEAD);
	assert_int_equal(c->pend, PEND_RST);
	assert_int_equal(c->w.fd, -1);
	vsock_conn_free(c);
	close(peer);
}

/* A host that closed: the next write fails, and the caller resets the connection. */
static void test_write_to_closed(void **state)
{
	struct vsock *vs = *state;
	uint8_t b = 1;
	struct iovec iov = { &b, 1 };
	int peer;
	struct vsock_conn *c = paired(vs, &peer);

	close(peer);
	assert_int_equal(vsock_conn_write(c, &iov, 1, 1), -1);
	vsock_conn_reset(c);
	assert_int_equal(c->state, VSOCK_DEAD);
	vsock_conn_reset(c); /* twice is harmless */
	assert_int_equal(c->pend, PEND_RST);
	vsock_conn_free(c);
}

/* The epoll mask follows the state: no credit or an RW waiting means no EPOLLIN. */
static void test_events(void **state)
{
	struct vsock *vs = *state;
	int peer;
	struct vsock_conn *c = paired(vs, &peer);

	vsock_conn_events(c);
	assert_int_equal(c->watched, 0); /* no credit yet */
	vsock_conn_peer(c, 4096, 0);
	vsock_conn_events(c);
	assert_int_equal(c->watched, EPOLLIN);
	c->tx_cnt = 4096;
	vsock_conn_events(c);
	assert_int_equal(c->watched, 0);
	vsock_conn_peer(c, 4096, 1);
	vsock_conn_queue(c, PEND_RW);
	vsock_conn_events(c);
	assert_int_equal(c->watched, 0);
	c->pend = 0;
	c->guest_shut = VIRTIO_VSOCK_SHUTDOWN_RCV;
	vsock_conn_events(c);
	assert_int_equal(c->watched, 0);
	c->state = VSOCK_LOCAL_INIT;
	c->guest_shut = 0;
	vsock_conn_events(c);
	assert_int_equal(c->watched, 0); /* nothing past the CONNECT line before RESPONSE */
	c->state = VSOCK_HANDSHAKE;
	vsock_conn_events(c);
	assert_int_equal(c->watched, EPOLLIN);
	vsock_conn_unqueue(c);
	vsock_conn_free(c);
	close(peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports, setup, teardown),
		cmocka_unit_test(test_credit),
		cmocka_unit_test_setup_teardown(test_pending_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffered_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_after_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_to_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
