/* fuzz_net.c: libFuzzer target for virtio-net behind its mmio transport: hostile rings on
 * both queues, with a datagram socket pair standing in for the tap. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "virtio_net.h"

#define RAM 0x20000 /* 128 KiB: room for a maximal tx frame */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The header; the rest is RAM's content from address 0. */
struct setup {
	uint8_t flags, size_log2, frames, pad;
	uint16_t frame_len;
};

static struct net n;
static int tap[2] = { -1, -1 }, wake_fd = -1;

static void reg(uint64_t off, uint32_t v)
{
	virtio_mmio_access(&n.dev, off, (uint8_t *)&v, 4, true);
}

/* Both queues packed from 0: avail, desc, used, each sized for qsize. */
static void queue(int q, uint64_t at, uint16_t qsize)
{
	uint64_t desc = (at + 6 + 2ULL * qsize + 15) & ~15ULL, used = desc + 16ULL * qsize;

	reg(VIRTIO_MMIO_QUEUE_SEL, (uint32_t)q);
	reg(VIRTIO_MMIO_QUEUE_NUM, qsize);
	reg(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	reg(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)at);
	reg(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	reg(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void bring_up(uint8_t flags, uint16_t qsize)
{
	uint32_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	reg(VIRTIO_MMIO_STATUS, s);
	reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg(VIRTIO_MMIO_DRIVER_FEATURES, flags & 1 ? 1u << VIRTIO_F_RING_EVENT_IDX : 0);
	reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	reg(VIRTIO_MMIO_STATUS, s |= VIRTIO_STATUS_FEATURES_OK);
	queue(VIRTIO_NET_RX, 0, qsize);
	queue(VIRTIO_NET_TX, 0x8000, qsize);
	reg(VIRTIO_MMIO_STATUS, s | VIRTIO_STATUS_DRIVER_OK);
}

/* Frames the "tap" has for the guest, and drains what the guest sent. */
static void host_frames(const struct setup *s)
{
	static uint8_t frame[NET_HDR + 2000];
	uint8_t drain[NET_HDR + NET_FRAME_MAX];

	for (int i = 0; i < s->frames % 8; i++)
		if (send(tap[1], frame, NET_HDR + s->frame_len % 2000, 0) < 0)
			break;
	while (recv(tap[1], drain, sizeof(drain), 0) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem mem = { NULL, RAM };
	struct setup s;

	if (tap[0] < 0 && (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, tap) ||
			   (wake_fd = eventfd(0, EFD_NONBLOCK)) < 0))
		abort();
	if (size < sizeof(s) || !(mem.base = calloc(1, RAM)))
		return 0;
	memcpy(&s, data, sizeof(s));
	data += sizeof(s);
	size -= sizeof(s);
	memcpy(mem.base, data, size < RAM ? size : RAM);
	net_init(&n, tap[0], (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 });
	n.dev.mem = &mem;
	n.dev.wake_fd = wake_fd;
	bring_up(s.flags, (uint16_t)(1u << (s.size_log2 % 9)));
	host_frames(&s);
	virtio_dev_kick(&n.dev, VIRTIO_NET_TX);
	virtio_dev_kick(&n.dev, VIRTIO_NET_RX);
	virtio_dev_kick(&n.dev, VIRTIO_NET_TX);
	(void)virtio_dev_pending(&n.dev);
	host_frames(&s);
	pthread_mutex_destroy(&n.dev.lock);
	memset(&n, 0, sizeof(n)); /* the next input starts from power-on */
	free(mem.base);
	return 0;
}
