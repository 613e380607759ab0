/* virtio_vsock.c: the virtio-vsock driver: rx buffers kept posted, packets out
 * on tx, events; the socket layer gets every packet through vsock_receive. */
#include <errno.h>
#include <string.h>

#include "libos.h"
#include "thread.h"
#include "virtio_mmio.h"
#include "vsock.h"

#define RX_BUF 4096 /* header and payload in one buffer */
#define HDR    sizeof(struct virtio_vsock_hdr)
#define EVENTS 4

struct tx_slot {
	struct virtio_vsock_hdr h;
	uint8_t data[VSOCK_TX_PAYLOAD];
};

static struct {
	struct virtio_mmio_dev *dev;
	struct virtq rx, tx, ev;
	uint64_t cid;
	uint8_t *rxbuf[VIRTQ_GUEST_MAX];		   /* by head */
	struct virtio_vsock_event *ev_of[VIRTQ_GUEST_MAX]; /* by head */
	struct tx_slot *slot_of[VIRTQ_GUEST_MAX];	   /* tx in flight, by head */
	struct tx_slot *free_slots[VIRTQ_GUEST_MAX];
	int nfree;
	struct virtio_vsock_event *events;
	struct poller poller;
} vs;

int vsock_dev_present(void)
{
	return vs.dev && !vs.dev->broken;
}

uint64_t vsock_guest_cid(void)
{
	return vs.cid;
}

static void post_rx(uint8_t *buf)
{
	int head = virtq_add(&vs.rx, &(struct virtq_buf){ (uintptr_t)buf, RX_BUF }, 0, 1);

	if (head >= 0)
		vs.rxbuf[head] = buf;
}

static void post_event(struct virtio_vsock_event *e)
{
	int head = virtq_add(&vs.ev, &(struct virtq_buf){ (uintptr_t)e, sizeof(*e) }, 0, 1);

	if (head >= 0)
		vs.ev_of[head] = e;
}

/* Every used rx buffer is one packet; it goes back on the queue at once. */
static int reap_rx(void)
{
	uint32_t len;
	int head, n = 0;

	while ((head = virtq_pop(&vs.rx, &len)) >= 0) {
		uint8_t *buf = vs.rxbuf[head];
		struct virtio_vsock_hdr h;

		if (len >= HDR) {
			memcpy(&h, buf, HDR);
			if (h.len > len - HDR)
				h.len = len - HDR;
			vsock_receive(&h, buf + HDR, h.len);
		}
		post_rx(buf);
		n++;
	}
	if (n)
		virtq_kick(&vs.rx);
	return n;
}

static int reap_tx(void)
{
	uint32_t len;
	int head, n = 0;

	while ((head = virtq_pop(&vs.tx, &len)) >= 0) {
		vs.free_slots[vs.nfree++] = vs.slot_of[head];
		n++;
	}
	return n;
}

static int reap_events(void)
{
	uint32_t len;
	int head, n = 0;

	while ((head = virtq_pop(&vs.ev, &len)) >= 0) {
		struct virtio_vsock_event *e = vs.ev_of[head];

		if (len >= sizeof(*e) && e->id == VIRTIO_VSOCK_EVENT_TRANSPORT_RESET) {
			vs.cid = virtio_mmio_config64(vs.dev, 0);
			vsock_transport_reset();
		}
		post_event(e);
		n++;
	}
	if (n)
		virtq_kick(&vs.ev);
	return n;
}

static int vsock_poll(void)
{
	if (!vsock_dev_present())
		return 0;
	return reap_tx() + reap_rx() + reap_events();
}

/* used_event follows every reap (virtq_pop): nothing to add before sleeping. */
static void vsock_arm(void)
{
}

/* A free tx slot, waiting for the device to give one back if need be. */
static struct tx_slot *get_slot(void)
{
	while (!vs.nfree) {
		if (reap_tx())
			break;
		if (virtio_mmio_wait(vs.dev, &vs.tx))
			return NULL;
	}
	return vs.free_slots[--vs.nfree];
}

int vsock_dev_send(struct virtio_vsock_hdr *h, const void *data, uint32_t len)
{
	struct tx_slot *s;
	int head;

	if (!vsock_dev_present() || len > VSOCK_TX_PAYLOAD)
		return -EIO;
	s = get_slot();
	if (!s)
		return -EIO;
	h->src_cid = vs.cid;
	h->len = len;
	h->type = VIRTIO_VSOCK_TYPE_STREAM;
	s->h = *h;
	if (len)
		memcpy(s->data, data, len);
	head = virtq_add(
	    &vs.tx, (struct virtq_buf[]){ { (uintptr_t)&s->h, HDR }, { (uintptr_t)s->data, len } },
	    len ? 2 : 1, 0);
	if (head < 0) {
		vs.free_slots[vs.nfree++] = s;
		return head;
	}
	vs.slot_of[head] = s;
	virtq_kick(&vs.tx);
	return 0;
}

static int setup_queues(struct virtio_mmio_dev *d)
{
	uint8_t *rx;
	struct tx_slot *tx;

	if (virtio_mmio_queue(d, VIRTIO_VSOCK_RX, &vs.rx) ||
	    virtio_mmio_queue(d, VIRTIO_VSOCK_TX, &vs.tx) ||
	    virtio_mmio_queue(d, VIRTIO_VSOCK_EVENT, &vs.ev))
		return -ENODEV;
	rx = pages_alloc((size_t)vs.rx.size * RX_BUF);
	tx = pages_alloc((size_t)vs.tx.size / 2 * sizeof(*tx));
	vs.events = pages_alloc(EVENTS * sizeof(*vs.events));
	if (!rx || !tx || !vs.events)
		return -ENOMEM;
	for (int i = 0; i < vs.rx.size; i++)
		post_rx(rx + (size_t)i * RX_BUF);
	/* A packet takes two descriptors: half the queue's worth of slots. */
	for (int i = 0; i < vs.tx.size / 2; i++)
		vs.free_slots[vs.nfree++] = &tx[i];
	for (int i = 0; i < EVENTS; i++)
		post_event(&vs.events[i]);
	return 0;
}

int virtio_vsock_attach(struct virtio_mmio_dev *d)
{
	if (vs.dev) {
		console_printf("guest: a second vsock device at %#lx, skipped\n", d->base);
		return -EBUSY;
	}
	if (virtio_mmio_start(d, 1ULL << VIRTIO_F_RING_EVENT_IDX))
		return -EIO;
	vs.dev = d;
	if (setup_queues(d)) {
		console_printf("guest: vsock device at %#lx: no queues\n", d->base);
		virtio_mmio_fail(d);
		return -EIO;
	}
	vs.cid = virtio_mmio_config64(d, 0);
	virtio_mmio_ready(d);
	virtq_kick(&vs.rx);
	virtq_kick(&vs.ev);
	vs.poller = (struct poller){ .poll = vsock_poll, .arm = vsock_arm };
	thread_add_poller(&vs.poller);
	return 0;
}
