/* test_virtio_net.c: tx validation and rx delivery, against a datagram socket pair
 * standing in for the tap, a fake guest ring, and a real tap in a private netns. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "ring_builder.h"
#include "virtio_net.h"

#define RXBUF  (NET_HDR + VIRTIO_NET_FRAME_MAX) /* the smallest rx buffer the spec allows */
#define RAM    0x40000
#define QSIZE  8
#define DESC   0x1000
#define AVAIL  0x2000
#define USED   0x3000
#define BUFS   0x10000 /* rx buffers, RXBUF apart */
#define MAC(x) ((const uint8_t[6]){ 0x02, 0, 0, 0, 0, (x) })

struct fx {
	struct net n;
	int peer; /* the host's end of the "tap" */
	struct virtq_chain c;
	struct rb r;
	uint8_t buf[2 * (NET_HDR + NET_FRAME_MAX)];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int sv[2];

	*state = f;
	if (!f || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv))
		return -1;
	net_init(&f->n, sv[0], MAC(1));
	f->peer = sv[1];
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	net_destroy(&f->n);
	close(f->peer);
	pthread_mutex_destroy(&f->n.dev.lock);
	rb_free(&f->r);
	free(f);
	return 0;
}

static void add(struct virtq_chain *c, uint8_t *p, uint32_t len, bool write)
{
	c->buf[c->n++] = (struct virtq_buf){ p, len, write };
	*(write ? &c->in_bytes : &c->out_bytes) += len;
}

/* A tx chain of len bytes from f->buf, cut into three descriptors. */
static void tx_chain(struct fx *f, uint32_t len)
{
	memset(&f->c, 0, sizeof(f->c));
	add(&f->c, f->buf, len / 3, false);
	add(&f->c, f->buf + len / 3, len / 3, false);
	add(&f->c, f->buf + 2 * (len / 3), len - 2 * (len / 3), false);
}

static void test_tx_frame(void **state)
{
	struct fx *f = *state;
	uint8_t got[256];

	for (int i = 0; i < 72; i++)
		f->buf[i] = (uint8_t)(i + 1); /* a header full of offload requests */
	tx_chain(f, 72);
	assert_int_equal(net_tx_frame(&f->n, &f->c), 0);
	assert_int_equal(recv(f->peer, got, sizeof(got), 0), 72);
	for (int i = 0; i < (int)NET_HDR; i++)
		assert_int_equal(got[i], 0); /* the guest's header never reaches the kernel */
	assert_memory_equal(got + NET_HDR, f->buf + NET_HDR, 60);
	assert_int_equal(f->n.tx_frames, 1);
}

static void test_tx_bad_lengths(void **state)
{
	struct fx *f = *state;
	uint8_t got[16];

	memset(&f->c, 0, sizeof(f->c));
	assert_int_equal(net_tx_frame(&f->n, &f->c), -EINVAL); /* empty */
	tx_chain(f, NET_HDR);
	assert_int_equal(net_tx_frame(&f->n, &f->c), -EINVAL); /* a header, no frame */
	tx_chain(f, NET_HDR + NET_ETH_HLEN - 1);
	assert_int_equal(net_tx_frame(&f->n, &f->c), -EINVAL);
	tx_chain(f, NET_HDR + NET_FRAME_MAX + 1);
	assert_int_equal(net_tx_frame(&f->n, &f->c), -EINVAL);
	add(&f->c, f->buf, 4096, true); /* writable bytes don't count */
	assert_int_equal(net_tx_frame(&f->n, &f->c), -EINVAL);
	assert_int_equal(f->n.tx_dropped, 5);
	assert_int_equal(recv(f->peer, got, sizeof(got), 0), -1);
	assert_int_equal(errno, EAGAIN);
}

/* A full tap drops the frame rather than block the I/O thread. */
static void test_tx_full(void **state)
{
	struct fx *f = *state;
	int rc, i;

	tx_chain(f, NET_HDR + 1000);
	for (i = 0; i < 100000 && (rc = net_tx_frame(&f->n, &f->c)) == 0; i++)
		;
	assert_int_equal(rc, -EAGAIN);
	assert_int_equal(f->n.tx_dropped, 1);
}

/* The host sends header + frame as the tap would. */
static void host_send(struct fx *f, uint32_t frame_len, uint8_t seed)
{
	uint8_t pkt[NET_HDR + 2000];

	memset(pkt, 0xee, NET_HDR); /* whatever the tap says, the guest gets flags 0 */
	for (uint32_t i = 0; i < frame_len; i++)
		pkt[NET_HDR + i] = (uint8_t)(seed + i);
	assert_int_equal(send(f->peer, pkt, NET_HDR + frame_len, 0), NET_HDR + frame_len);
}

static void check_rx(const uint8_t *p, uint32_t frame_len, uint8_t seed)
{
	struct virtio_net_hdr h;

	memcpy(&h, p, NET_HDR);
	assert_int_equal(h.flags | h.gso_type | h.hdr_len | h.gso_size, 0);
	assert_int_equal(h.num_buffers, 1);
	for (uint32_t i = 0; i < frame_len; i++)
		assert_int_equal(p[NET_HDR + i], (uint8_t)(seed + i));
}

static void test_rx_frame(void **state)
{
	struct fx *f = *state;

	memset(&f->c, 0, sizeof(f->c));
	add(&f->c, f->buf, 5, true); /* the header split across descriptors */
	add(&f->c, f->buf + 5, 100, true);
	add(&f->c, f->buf + 105, RXBUF, true);
	assert_int_equal(net_rx_frame(&f->n, &f->c), -EAGAIN);
	host_send(f, 1514, 7);
	assert_int_equal(net_rx_frame(&f->n, &f->c), NET_HDR + 1514);
	check_rx(f->buf, 1514, 7);
	assert_int_equal(f->n.rx_frames, 1);
}

static void test_rx_small_chain(void **state)
{
	struct fx *f = *state;

	memset(&f->c, 0, sizeof(f->c));
	add(&f->c, f->buf, RXBUF - 1, true);
	add(&f->c, f->buf + RXBUF, 4096, false); /* readable bytes don't count */
	host_send(f, 60, 1);
	assert_int_equal(net_rx_frame(&f->n, &f->c), 0); /* returned empty */
	memset(&f->c, 0, sizeof(f->c));
	add(&f->c, f->buf, RXBUF, true);
	assert_int_equal(net_rx_frame(&f->n, &f->c), NET_HDR + 60); /* the frame waited */
	check_rx(f->buf, 60, 1);
}

/* A driver that set up the rx queue with n buffers of RXBUF bytes. */
static void ring_up(struct fx *f, int n)
{
	struct virtio_dev *d = &f->n.dev;

	assert_int_equal(rb_init(&f->r, RAM, QSIZE, DESC, AVAIL, USED), 0);
	d->mem = &f->r.m;
	d->vq[VIRTIO_NET_RX] = rb_virtq(&f->r);
	d->ready[VIRTIO_NET_RX] = true;
	d->status = VIRTIO_STATUS_DRIVER_OK;
	for (int i = 0; i < n; i++)
		rb_desc(&f->r, (uint16_t)i, BUFS + (uint64_t)i * RXBUF, RXBUF, VIRTQ_DESC_F_WRITE,
			0);
}

static void test_rx_ring(void **state)
{
	struct fx *f = *state;

	ring_up(f, 4);
	rb_publish(&f->r, 0);
	rb_publish(&f->r, 1);
	host_send(f, 60, 10);
	host_send(f, 61, 20);
	host_send(f, 62, 30);
	net_rx(&f->n);
	assert_int_equal(rb_used_idx(&f->r), 2);
	assert_int_equal(rb_used(&f->r, 1).id, 1);
	assert_int_equal(rb_used(&f->r, 1).len, NET_HDR + 61);
	check_rx(rb_at(&f->r, BUFS + RXBUF, RXBUF), 61, 20);
	assert_false(f->n.rx_watched); /* out of buffers: the tap waits */
	rb_publish(&f->r, 2);
	rb_publish(&f->r, 3);
	net_rx(&f->n); /* the rx kick */
	assert_int_equal(rb_used_idx(&f->r), 3);
	check_rx(rb_at(&f->r, BUFS + 2 * RXBUF, RXBUF), 62, 30);
	assert_true(f->n.rx_watched); /* a buffer waits for the next frame */
}

static void test_rx_hostile_ring(void **state)
{
	struct fx *f = *state;

	ring_up(f, 1);
	rb_set_avail_idx(&f->r, QSIZE + 1); /* more entries than the ring holds */
	host_send(f, 60, 1);
	net_rx(&f->n);
	assert_true(f->n.dev.status & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rb_used_idx(&f->r), 0);
	f->n.dev.status = 0;
	net_rx(&f->n); /* not live: nothing happens */
	assert_false(f->n.rx_watched);
}

static void test_default_mac(void **state)
{
	uint8_t a[6], b[6];

	(void)state;
	net_default_mac("vmmtap0", a);
	net_default_mac("vmmtap0", b);
	assert_memory_equal(a, b, 6);
	assert_int_equal(a[0] & 3, 2); /* unicast, locally administered */
	net_default_mac("vmmtap1", b);
	assert_memory_not_equal(a, b, 6);
}

/* A persistent tap, up, in a network namespace of our own. */
static int make_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR), s = socket(AF_INET, SOCK_DGRAM, 0), rc;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	rc = fd < 0 || s < 0 || ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, 1);
	ifr.ifr_flags = IFF_UP;
	rc = rc || ioctl(s, SIOCSIFFLAGS, &ifr);
	close(fd);
	close(s);
	return rc ? -1 : 0;
}

/*
 * A real tap: a missing one is refused, not created; a guest frame goes in.
 * (Frames from the host side reaching the guest are covered end to end by
 * tests/integration/net_guest.sh, which pings a real guest through a tap.)
 */
static void test_real_tap(void **state)
{
	struct fx *f = *state;
	int fd;

	if (geteuid() || unshare(CLONE_NEWNET) || make_tap("vmmtap0"))
		skip();
	assert_int_equal(net_tap_open("nosuchtap"), -ENODEV);
	fd = net_tap_open("vmmtap0");
	assert_true(fd >= 0);
	close(f->n.tap.w.fd);
	f->n.tap.w.fd = fd;
	tx_chain(f, NET_HDR + 60);
	assert_int_equal(net_tx_frame(&f->n, &f->c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tx_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_bad_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_small_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_hostile_ring, setup, teardown),
		cmocka_unit_test(test_default_mac),
		cmocka_unit_test_setup_teardown(test_real_tap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
