/* virtio_net.c: the virtio-net driver: rx buffers kept posted, a tx slot pool, the
 * interface's addresses (boot option or device tree); frames go to eth_input. */
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "libos.h"
#include "net.h"
#include "thread.h"
#include "virtio_mmio.h"

#define HDR    sizeof(struct virtio_net_hdr) /* 12: VERSION_1 always has num_buffers */
#define RX_BUF (HDR + VIRTIO_NET_FRAME_MAX)  /* no MRG_RXBUF: a whole frame per buffer */
#define IP_OPT "vmm.ip="
#define GW_OPT ",gw="

struct tx_slot {
	struct virtio_net_hdr h;
	uint8_t frame[VIRTIO_NET_FRAME_MAX];
};

struct net_if net_if;

static struct {
	struct virtio_mmio_dev *dev;
	struct virtq rx, tx;
	uint8_t *rxbuf[VIRTQ_GUEST_MAX];	  /* by head */
	struct tx_slot *slot_of[VIRTQ_GUEST_MAX]; /* tx in flight, by head */
	struct tx_slot *free_slots[VIRTQ_GUEST_MAX];
	int nfree, have_mac;
	int held; /* net_tx_hold depth: kicks wait for the last release */
	struct poller poller;
} nd;

static void set_prefix(int prefix)
{
	net_if.prefix = prefix;
	net_if.mask = prefix ? ~0u << (32 - prefix) : 0;
}

/* Dotted quad to host order; 0 if malformed (0.0.0.0 is no address of ours anyway). */
static uint32_t parse_ip(const char *s, const char **end)
{
	uint32_t ip = 0;

	for (int i = 0; i < 4; i++) {
		char *e;
		unsigned long b = strtoul(s, &e, 10);

		if (e == s || b > 255 || (i < 3 && *e != '.'))
			return 0;
		ip = ip << 8 | (uint32_t)b;
		s = i < 3 ? e + 1 : e;
	}
	*end = s;
	return ip;
}

/* Monitors without a device tree (QEMU): vmm.ip=10.0.0.2/24[,gw=10.0.0.1]. */
void net_option(const char *opt)
{
	const char *p = opt + strlen(IP_OPT);
	uint32_t ip, gw = 0;
	char *e;
	long prefix;

	if (strncmp(opt, IP_OPT, strlen(IP_OPT)))
		return;
	ip = parse_ip(p, &p);
	if (!ip || *p != '/')
		goto bad;
	prefix = strtol(p + 1, &e, 10);
	if (e == p + 1 || prefix < 0 || prefix > 32)
		goto bad;
	if (!strncmp(e, GW_OPT, strlen(GW_OPT))) {
		gw = parse_ip(e + strlen(GW_OPT), &p);
		if (!gw || *p)
			goto bad;
	} else if (*e) {
		goto bad;
	}
	net_if.ip = ip;
	net_if.gw = gw;
	set_prefix((int)prefix);
	return;
bad:
	console_printf("guest: bad boot option %s, ignored\n", opt);
}

int net_configured(void)
{
	return net_if.ip != 0;
}

static uint32_t fdt_u32(const void *fdt, int node, const char *name, uint32_t dflt)
{
	int len;
	const fdt32_t *v = fdt_getprop(fdt, node, name, &len);

	return v && len == 4 ? fdt32_to_cpu(*v) : dflt;
}

/* vmm's net node; read at boot, while the tree is known to be intact. */
void net_fdt(const void *fdt, int node)
{
	int len;
	const uint8_t *mac = fdt_getprop(fdt, node, VMM_FDT_MAC, &len);
	uint32_t prefix = fdt_u32(fdt, node, VMM_FDT_IPV4_PREFIX, 32);

	if (mac && len == ETH_ALEN) {
		memcpy(net_if.mac, mac, ETH_ALEN);
		nd.have_mac = 1;
	}
	if (!fdt_getprop(fdt, node, VMM_FDT_IPV4, &len))
		return; /* no address in the tree: a vmm.ip= option may have given one */
	net_if.ip = fdt_u32(fdt, node, VMM_FDT_IPV4, 0);
	net_if.gw = fdt_u32(fdt, node, VMM_FDT_IPV4_GATEWAY, 0);
	set_prefix(prefix > 32 ? 32 : (int)prefix);
}

static void post_rx(uint8_t *buf)
{
	int head = virtq_add(&nd.rx, &(struct virtq_buf){ (uintptr_t)buf, RX_BUF }, 0, 1);

	if (head >= 0)
		nd.rxbuf[head] = buf;
}

/* Every used rx buffer is one frame; it goes back on the queue once the stack is done. */
static int reap_rx(void)
{
	uint32_t len;
	int head, n = 0;

	while ((head = virtq_pop(&nd.rx, &len)) >= 0) {
		uint8_t *buf = nd.rxbuf[head];

		/* The length is the device's word: a frame beyond the buffer is a lie. */
		if (len > HDR && len <= RX_BUF)
			eth_input(buf + HDR, len - HDR);
		post_rx(buf);
		n++;
	}
	if (n)
		virtq_kick(&nd.rx);
	return n;
}

static int reap_tx(void)
{
	uint32_t len;
	int head, n = 0;

	while ((head = virtq_pop(&nd.tx, &len)) >= 0) {
		nd.free_slots[nd.nfree++] = nd.slot_of[head];
		n++;
	}
	return n;
}

void net_tx_hold(void)
{
	nd.held++;
}

void net_tx_release(void)
{
	if (--nd.held == 0 && nd.dev)
		virtq_kick(&nd.tx); /* a no-op if nothing was added since the last kick */
}

/* What the stack answers to a batch of frames (ACKs above all) goes out with one kick. */
static int net_poll(void)
{
	uint64_t now = clock_monotonic_ns();
	int n, freed;

	if (!nd.dev || nd.dev->broken)
		return 0;
	net_tx_hold();
	freed = reap_tx();
	n = freed + reap_rx() + eth_tick(now) + tcp_tick(now);
	if (freed)
		tcp_tx_ready(); /* segments that found the ring full go now */
	net_tx_release();
	return n;
}

/* used_event follows every reap (virtq_pop): nothing to add before sleeping. */
static void net_arm(void)
{
}

int net_dev_send(const uint8_t *eth_hdr, const void *payload, size_t len)
{
	struct tx_slot *s;
	int head;

	if (!nd.dev || nd.dev->broken)
		return -ENETDOWN;
	if (len > VIRTIO_NET_FRAME_MAX - ETH_HLEN)
		return -EMSGSIZE;
	if (!nd.nfree && !reap_tx())
		return -EAGAIN;
	s = nd.free_slots[--nd.nfree];
	memset(&s->h, 0, HDR); /* no offloads negotiated: flags and gso_type 0 */
	memcpy(s->frame, eth_hdr, ETH_HLEN);
	memcpy(s->frame + ETH_HLEN, payload, len);
	head = virtq_add(
	    &nd.tx, &(struct virtq_buf){ (uintptr_t)s, (uint32_t)(HDR + ETH_HLEN + len) }, 1, 0);
	if (head < 0) {
		nd.free_slots[nd.nfree++] = s;
		return head;
	}
	nd.slot_of[head] = s;
	if (!nd.held)
		virtq_kick(&nd.tx);
	return 0;
}

static int setup_queues(struct virtio_mmio_dev *d)
{
	uint8_t *rx;
	struct tx_slot *tx;

	if (virtio_mmio_queue(d, VIRTIO_NET_RX, &nd.rx) ||
	    virtio_mmio_queue(d, VIRTIO_NET_TX, &nd.tx))
		return -ENODEV;
	rx = pages_alloc((size_t)nd.rx.size * RX_BUF);
	tx = pages_alloc((size_t)nd.tx.size * sizeof(*tx));
	if (!rx || !tx)
		return -ENOMEM;
	for (int i = 0; i < nd.rx.size; i++)
		post_rx(rx + (size_t)i * RX_BUF);
	/* A frame takes one descriptor: a slot per queue entry. */
	for (int i = 0; i < nd.tx.size; i++)
		nd.free_slots[nd.nfree++] = &tx[i];
	return 0;
}

/* The device tree's MAC wins; else the device's, byte by byte from config space. */
static void read_mac(struct virtio_mmio_dev *d)
{
	uint32_t lo, hi;

	if (nd.have_mac || !(d->features >> VIRTIO_NET_F_MAC & 1))
		return;
	lo = virtio_mmio_config32(d, 0);
	hi = virtio_mmio_config32(d, 4);
	for (int i = 0; i < 4; i++)
		net_if.mac[i] = (uint8_t)(lo >> 8 * i);
	net_if.mac[4] = (uint8_t)hi;
	net_if.mac[5] = (uint8_t)(hi >> 8);
	nd.have_mac = 1;
}

static void announce(void)
{
	const uint8_t *m = net_if.mac;
	uint32_t ip = net_if.ip;

	console_printf("guest: net %02x:%02x:%02x:%02x:%02x:%02x %u.%u.%u.%u/%d\n", m[0], m[1],
		       m[2], m[3], m[4], m[5], ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255,
		       net_if.prefix);
}

int virtio_net_attach(struct virtio_mmio_dev *d)
{
	if (nd.dev) {
		console_printf("guest: a second net device at %#lx, skipped\n", d->base);
		return -EBUSY;
	}
	if (virtio_mmio_start(d, 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_NET_F_MAC))
		return -EIO;
	nd.dev = d;
	if (setup_queues(d)) {
		console_printf("guest: net device at %#lx: no queues\n", d->base);
		virtio_mmio_fail(d);
		return -EIO;
	}
	read_mac(d);
	if (!nd.have_mac) { /* a locally administered address rather than none */
		random_fill(net_if.mac, ETH_ALEN);
		net_if.mac[0] = (uint8_t)((net_if.mac[0] & 0xfe) | 0x02);
	}
	virtio_mmio_ready(d);
	virtq_kick(&nd.rx);
	nd.poller = (struct poller){ .poll = net_poll, .arm = net_arm, .due = tcp_due };
	thread_add_poller(&nd.poller);
	announce();
	return 0;
}
