/* net.h: the guest's IPv4 stack inside: virtio-net driver, Ethernet and ARP, IPv4 and ICMP. */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <stdint.h>

#define ETH_ALEN       6
#define ETH_HLEN       14
#define ETH_MTU	       1500
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define IP_HLEN	       20
#define IP_PROTO_ICMP  1
#define IP_PROTO_TCP   6
#define IP_PROTO_UDP   17
#define IP_BROADCAST   0xffffffffu

/* Our one interface. Addresses in host byte order; 0: not configured. */
struct net_if {
	uint8_t mac[ETH_ALEN];
	uint32_t ip, mask, gw;
	int prefix;
};
extern struct net_if net_if;

/* Frames and packets are byte arrays in network order: read and write them byte by byte. */
static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* virtio_net.c */
void net_option(const char *opt); /* vmm.ip=ADDR/PREFIX[,gw=ADDR] */
int net_configured(void);
void net_fdt(const void *fdt, int node); /* vmm's device tree: the net node's addresses */
/* One frame out: an Ethernet header and its payload, copied. Never waits: -EAGAIN when
 * every tx slot is in flight (the caller drops, as a full NIC would). */
int net_dev_send(const uint8_t *eth_hdr, const void *payload, size_t len);
/* Between hold and release, frames queue without a notification; release sends one
 * for the lot. A notification is an exit to vmm: a burst should cost one. Nests. */
void net_tx_hold(void);
void net_tx_release(void);

/* eth.c */
void eth_input(const uint8_t *frame, size_t len);
/* An IPv4 packet to next_hop's MAC, resolved by ARP if need be (then sent later). */
int eth_output(uint32_t next_hop, const void *packet, size_t len);
int eth_tick(uint64_t now_ns); /* ARP retries and expiry: nonzero if it sent anything */

/* ip.c */
void ip_input(const uint8_t *packet, size_t len);
int ip_output(uint32_t dst, uint8_t proto, const void *payload, size_t len);
/* The Internet checksum (RFC 1071) of len bytes, host order: 0 over a valid header. */
uint16_t ip_checksum(const void *data, size_t len);
/* The same in parts: partial sums chained through sum, then folded and complemented. */
uint64_t csum_partial(const void *data, size_t len, uint64_t sum);
uint16_t csum_fold(uint64_t sum);
uint64_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len);
/* The limited broadcast address, or our subnet's. */
int ip_broadcast(uint32_t ip);
/* Not 0, broadcast, multicast or class E. */
int ip_unicast(uint32_t ip);
/* Can dst be reached (on the link, or through the gateway)? */
int ip_routable(uint32_t dst);
/* ICMP destination unreachable (code: 3 port) about the IPv4 packet we could not deliver. */
void icmp_unreachable(const uint8_t *packet, size_t len, uint8_t code);

/* udp.c, tcp_in.c: what IPv4 delivers; packets are ours, checked as far as IPv4 goes. */
void udp_input(uint32_t src, uint32_t dst, const uint8_t *packet, size_t ip_hlen, size_t len);
void tcp_input(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);
/* tcp_timer.c: TCP's timers, from the driver's poller; due: the soonest, 0: none. */
int tcp_tick(uint64_t now_ns);
uint64_t tcp_due(void);
/* tcp_out.c: the driver freed tx slots; connections a full ring held back send now. */
void tcp_tx_ready(void);

#endif
