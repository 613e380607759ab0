/* virtio_net.c: virtio-net on a tap device: guest frames from tx to the tap, the
 * tap's frames into rx. Every chain is hostile; a bad frame is dropped, as
 * Ethernet may drop, and the VMM never blocks on the tap. */
#include "virtio_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define RX VIRTIO_NET_RX
#define TX VIRTIO_NET_TX

static const struct virtio_dev_ops net_ops;

static struct net *to_net(struct virtio_dev *d)
{
	return (struct net *)d;
}

static int set_tap(int fd, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = NET_HDR;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return -errno;
	/* No offloads: the kernel hands us whole, checksummed frames of at most the MTU. */
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
		return -errno;
	return 0;
}

int net_tap_open(const char *name)
{
	int fd, rc;

	/* TUNSETIFF would create a missing tap: the user must name an existing one. */
	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	if (!if_nametoindex(name))
		return -ENODEV;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = set_tap(fd, name);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

void net_default_mac(const char *name, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a: stable across runs and hosts */

	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
}

/* Is queue q running? (Callers hold the lock; the transport's own check is private.) */
static bool queue_live(const struct virtio_dev *d, int q)
{
	return (d->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(d->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) && d->ready[q];
}

/* EPOLLIN on the tap only while the guest has somewhere to put a frame. */
static void watch_rx(struct net *n, bool on)
{
	if (on == n->rx_watched)
		return;
	if (!n->vm) {
		n->rx_watched = on;
	} else if (!on) {
		iothread_unwatch(n->vm, &n->tap.w);
		n->rx_watched = false;
	} else {
		n->rx_watched = iothread_watch(n->vm, &n->tap.w, EPOLLIN) == 0;
	}
}

int net_tx_frame(struct net *n, const struct virtq_chain *c)
{
	/* No offloads were negotiated, so the guest's header means nothing; the
	 * kernel would act on its GSO fields, so the tap gets zeros instead. */
	static const struct virtio_net_hdr zero;
	struct iovec iov[VIRTQ_NUM_MAX + 1] = { { (void *)&zero, NET_HDR } };
	ssize_t r;
	int cnt;

	if (c->out_bytes < NET_HDR + NET_ETH_HLEN || c->out_bytes > NET_HDR + NET_FRAME_MAX) {
		n->tx_dropped++;
		return -EINVAL;
	}
	cnt = virtq_iov(c, false, NET_HDR, c->out_bytes - NET_HDR, iov + 1);
	do
		r = writev(n->tap.w.fd, iov, cnt + 1);
	while (r < 0 && errno == EINTR);
	/* EAGAIN (the tap's queue is full) drops the frame: TCP retransmits, and
	 * holding the chain would stall every later frame behind this one. */
	if (r < 0) {
		n->tx_dropped++;
		return -errno;
	}
	n->tx_frames++;
	return 0;
}

int net_rx_frame(struct net *n, const struct virtq_chain *c)
{
	/* num_buffers 1, flags 0: we offered neither MRG_RXBUF nor GUEST_CSUM. */
	const struct virtio_net_hdr hdr = { .num_buffers = 1 };
	uint32_t cap =
	    c->in_bytes < NET_HDR + NET_FRAME_MAX ? c->in_bytes : NET_HDR + NET_FRAME_MAX;
	struct iovec iov[VIRTQ_NUM_MAX];
	ssize_t r;
	int cnt;

	/* The spec says rx buffers hold a whole frame; a shorter one is returned empty. */
	if (cap < NET_HDR + VIRTIO_NET_FRAME_MAX)
		return 0;
	cnt = virtq_iov(c, true, 0, cap, iov);
	do
		r = readv(n->tap.w.fd, iov, cnt);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	/* tun reports a frame's full length even when the buffer cut it short. */
	if ((uint64_t)r > cap)
		r = cap;
	if (r < NET_HDR + NET_ETH_HLEN) {
		n->rx_dropped++;
		return 0;
	}
	virtq_copy(c, true, (void *)&hdr, NET_HDR);
	n->rx_frames++;
	return (int)r;
}

/* No rx buffers: ask for a kick, and stop watching the tap unless some came meanwhile. */
static bool rx_starved(struct net *n)
{
	struct virtq *vq = &n->dev.vq[RX];

	virtq_update_avail_event(vq, n->dev.mem);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (virtq_has_avail(vq, n->dev.mem))
		return false;
	watch_rx(n, false);
	return true;
}

void net_rx(struct net *n)
{
	struct virtio_dev *d = &n->dev;
	struct virtq *vq = &d->vq[RX];
	int pushed = 0, rc;

	if (!queue_live(d, RX)) {
		watch_rx(n, false); /* the rx kick after DRIVER_OK brings it back */
		return;
	}
	watch_rx(n, true); /* level-triggered: what the budget leaves calls us again */
	for (int i = 0; i < NET_BUDGET; i++) {
		rc = virtq_pop(vq, d->mem, &n->chain);
		if (rc < 0) {
			virtio_dev_fail(d);
			watch_rx(n, false);
			break;
		}
		if (rc == 0 && rx_starved(n))
			break;
		if (rc == 0)
			continue;
		rc = net_rx_frame(n, &n->chain);
		if (rc < 0) {
			vq->last_avail--; /* not used: the chain is taken again next time */
			if (rc != -EAGAIN)
				watch_rx(n, false); /* the tap is broken: don't spin on it */
			break;
		}
		virtq_push(vq, d->mem, n->chain.head, (uint32_t)rc);
		pushed++;
	}
	if (pushed)
		virtio_dev_signal(d, RX);
}

/* More work than one turn: come back through the queue's ioeventfd, after other watches. */
static void reschedule(struct net *n, int q)
{
	uint64_t one = 1;

	if (n->dev.kick[q].w.fd >= 0 && write(n->dev.kick[q].w.fd, &one, 8) < 0)
		return; /* the counter is saturated: a kick is pending anyway */
}

static void tx(struct net *n)
{
	struct virtio_dev *d = &n->dev;
	struct virtq *vq = &d->vq[TX];
	int rc = 0, i;

	for (i = 0; i < NET_BUDGET && (rc = virtq_pop(vq, d->mem, &n->chain)) == 1; i++) {
		net_tx_frame(n, &n->chain); /* sent or dropped, the chain goes back */
		virtq_push(vq, d->mem, n->chain.head, 0);
	}
	if (i)
		virtio_dev_signal(d, TX);
	if (rc < 0) {
		virtio_dev_fail(d);
	} else if (i == NET_BUDGET) {
		reschedule(n, TX);
	} else {
		/* Re-check after publishing avail_event, or a kick could slip past. */
		virtq_update_avail_event(vq, d->mem);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (virtq_has_avail(vq, d->mem))
			reschedule(n, TX);
	}
}

static void net_notify(struct virtio_dev *d, int q)
{
	if (q == RX)
		net_rx(to_net(d)); /* new buffers: watch the tap again */
	else if (q == TX)
		tx(to_net(d));
}

static void net_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len, bool write)
{
	struct virtio_net_config cfg = { .status = VIRTIO_NET_S_LINK_UP };

	memcpy(cfg.mac, to_net(d)->mac, 6);
	if (!write)
		memcpy(data, (uint8_t *)&cfg + off, len);
}

static void net_reset(struct virtio_dev *d)
{
	(void)d; /* frames complete synchronously: nothing is in flight */
}

static const struct virtio_dev_ops net_ops = { net_config, net_notify, net_reset };

/* The tap has frames (I/O thread). */
static void tap_event(struct io_watch *w, uint32_t events)
{
	struct net *n = ((struct net_tap *)w)->net;

	(void)events;
	pthread_mutex_lock(&n->dev.lock);
	net_rx(n);
	pthread_mutex_unlock(&n->dev.lock);
}

void net_init(struct net *n, int tap_fd, const uint8_t mac[6])
{
	uint64_t features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_NET_F_MAC |
			    1ULL << VIRTIO_NET_F_STATUS;

	virtio_dev_init(&n->dev, &net_ops, VIRTIO_ID_NET, features,
			sizeof(struct virtio_net_config), 2);
	n->tap.w = (struct io_watch){ tap_event, tap_fd };
	n->tap.net = n;
	memcpy(n->mac, mac, 6);
}

int net_attach(struct net *n, struct vmm *vm)
{
	int rc;

	n->vm = vm;
	pthread_mutex_lock(&n->dev.lock);
	rc = iothread_watch(vm, &n->tap.w, EPOLLIN);
	n->rx_watched = rc == 0;
	pthread_mutex_unlock(&n->dev.lock);
	return rc;
}

void net_destroy(struct net *n)
{
	if (n->tap.w.fd >= 0)
		close(n->tap.w.fd);
	n->tap.w.fd = -1;
}
