/* ip.c: IPv4 in and out (RFC 791) and ICMP echo (RFC 792): `ping` gets answers. */
#include <errno.h>
#include <string.h>

#include "libos.h"
#include "net.h"

#define IP_TTL		64
#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFSET	0x1fff
#define ICMP_HLEN	8
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO	8

static uint16_t next_id;

uint16_t ip_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8; /* an odd byte is padded with zero */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Not a source anyone can be answered at: nothing, broadcast, multicast, ours. */
static int bad_source(uint32_t src)
{
	return src == 0 || src == IP_BROADCAST || (src >> 28) == 0xe || src == net_if.ip ||
	       (net_if.mask != ~0u && src == (net_if.ip | ~net_if.mask));
}

/* The echo's identifier, sequence and data come back unchanged; only the type differs. */
static void icmp_input(uint32_t src, const uint8_t *msg, size_t len)
{
	static uint8_t reply[ETH_MTU - IP_HLEN];

	if (len < ICMP_HLEN || len > sizeof(reply) || ip_checksum(msg, len) != 0)
		return;
	if (msg[0] != ICMP_ECHO || msg[1] != 0)
		return;
	memcpy(reply, msg, len);
	reply[0] = ICMP_ECHO_REPLY;
	put16(reply + 2, 0);
	put16(reply + 2, ip_checksum(reply, len));
	ip_output(src, IP_PROTO_ICMP, reply, len);
}

/*
 * A frame is hostile: every length is checked before it is believed. Fragments
 * are dropped, not reassembled: our peers are on one link with one MTU, and
 * reassembly buffers are the classic denial of service; a sender that needs
 * them sees timeouts. Broadcasts get no echo replies (as Linux by default).
 */
void ip_input(const uint8_t *p, size_t len)
{
	size_t hlen, total;
	uint32_t src, dst;

	if (!net_if.ip || len < IP_HLEN || p[0] >> 4 != 4)
		return;
	hlen = (size_t)(p[0] & 15) * 4;
	total = get16(p + 2);
	if (hlen < IP_HLEN || hlen > total || total > len) /* len may hold Ethernet padding */
		return;
	if (ip_checksum(p, hlen) != 0)
		return;
	if (get16(p + 6) & (IP_MF | IP_OFFSET))
		return;
	src = get32(p + 12);
	dst = get32(p + 16);
	if (dst != net_if.ip || bad_source(src))
		return;
	if (p[9] == IP_PROTO_ICMP)
		icmp_input(src, p + hlen, total - hlen);
}

/* On the link: straight there; beyond it: the gateway, if there is one. */
static int next_hop(uint32_t dst, uint32_t *hop)
{
	if (dst == IP_BROADCAST || ((dst ^ net_if.ip) & net_if.mask) == 0)
		*hop = dst;
	else if (net_if.gw)
		*hop = net_if.gw;
	else
		return -ENETUNREACH;
	return 0;
}

/* One unfragmented packet, DF set: we never fragment, so path MTU discovery may. */
int ip_output(uint32_t dst, uint8_t proto, const void *payload, size_t len)
{
	static uint8_t pkt[ETH_MTU];
	uint32_t hop;
	int err;

	if (!net_if.ip)
		return -ENETDOWN;
	if (len > ETH_MTU - IP_HLEN)
		return -EMSGSIZE;
	err = next_hop(dst, &hop);
	if (err)
		return err;
	pkt[0] = 4 << 4 | IP_HLEN / 4;
	pkt[1] = 0;
	put16(pkt + 2, (uint16_t)(IP_HLEN + len));
	put16(pkt + 4, next_id++);
	put16(pkt + 6, IP_DF);
	pkt[8] = IP_TTL;
	pkt[9] = proto;
	put16(pkt + 10, 0);
	put32(pkt + 12, net_if.ip);
	put32(pkt + 16, dst);
	put16(pkt + 10, ip_checksum(pkt, IP_HLEN));
	memcpy(pkt + IP_HLEN, payload, len);
	return eth_output(hop, pkt, IP_HLEN + len);
}
