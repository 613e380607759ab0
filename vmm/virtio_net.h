/* virtio_net.h: the virtio-net device model on a tap device. */
#ifndef VMM_VIRTIO_NET_H
#define VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"

#define NET_HDR	      ((uint32_t)sizeof(struct virtio_net_hdr)) /* 12 bytes */
#define NET_FRAME_MAX 65550u	    /* the largest frame after the header, as the spec's */
#define NET_ETH_HLEN  14u	    /* shorter is not an Ethernet frame */
#define NET_BUDGET    VIRTQ_NUM_MAX /* frames per queue run before yielding */

struct vmm;

struct net {
	struct virtio_dev dev; /* first: the transport hands us &dev */
	struct net_tap {
		struct io_watch w; /* first: the I/O thread hands us &w; w.fd is the tap */
		struct net *net;
	} tap;
	struct vmm *vm;	 /* the I/O thread's epoll set; NULL: nothing is watched (tests) */
	bool rx_watched; /* EPOLLIN on the tap is in the set */
	uint8_t mac[6];
	uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped;
	struct virtq_chain chain; /* scratch for the I/O thread */
};

/* Opens the existing tap NAME for virtio-net (vnet header, no offloads); fd or -errno. */
int net_tap_open(const char *name);

/* A stable locally administered unicast MAC from the tap's name. */
void net_default_mac(const char *name, uint8_t mac[6]);

void net_init(struct net *n, int tap_fd, const uint8_t mac[6]);
/* Starts watching the tap on vm's I/O thread; -errno on failure. */
int net_attach(struct net *n, struct vmm *vm);
void net_destroy(struct net *n);

/* One guest frame from tx to the tap: 0 sent, -EINVAL malformed, else -errno (dropped). */
int net_tx_frame(struct net *n, const struct virtq_chain *c);

/* One frame from the tap into an rx chain: bytes written, or -errno (-EAGAIN: none). */
int net_rx_frame(struct net *n, const struct virtq_chain *c);

/* Moves frames from the tap into the guest's rx buffers (lock held). */
void net_rx(struct net *n);

#endif
