/* ip.c: IPv4 in and out (RFC 791) and ICMP echo (RFC 792): `ping` gets answers. */
#include <errno.h>
#include <string.h>

#include "libos.h"
#include "net.h"

#define IP_TTL		   64
#define IP_DF		   0x4000
#define IP_MF		   0x2000
#define IP_OFFSET	   0x1fff
#define ICMP_HLEN	   8
#define ICMP_ECHO_REPLY	   0
#define ICMP_ECHO	   8
#define ICMP_UNREACH	   3
#define ICMP_PROTO_UNREACH 2

static uint16_t next_id;

/*
 * RFC 1071's sum is byte-order independent: add native 32-bit words into 64
 * bits (no carries lost), fold, and swap once at the end. Callers chain
 * partial sums (pseudo-header, header, data); only the last part may be odd.
 */
uint64_t csum_partial(const void *data, size_t len, uint64_t sum)
{
	const uint8_t *p = data;
	uint32_t w;
	uint16_t h;

	for (; len >= 4; len -= 4, p += 4) {
		memcpy(&w, p, 4);
		sum += w;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len)
		sum += p[0]; /* the low byte of a little-endian word: the high byte on the wire */
	return sum;
}

uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~__builtin_bswap16((uint16_t)sum);
}

uint16_t ip_checksum(const void *data, size_t len)
{
	return csum_fold(csum_partial(data, len, 0));
}

uint64_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint8_t ph[12];

	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)len);
	return csum_partial(ph, sizeof(ph), 0);
}

int ip_broadcast(uint32_t ip)
{
	return ip == IP_BROADCAST || (net_if.mask != ~0u && ip == (net_if.ip | ~net_if.mask));
}

int ip_unicast(uint32_t ip)
{
	return ip != 0 && !ip_broadcast(ip) && (ip >> 28) < 0xe;
}

/* Not a source anyone can be answered at: nothing, broadcast, multicast, ours. */
static int bad_source(uint32_t src)
{
	return !ip_unicast(src) || src == net_if.ip;
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
	switch (p[9]) {
	case IP_PROTO_ICMP:
		icmp_input(src, p + hlen, total - hlen);
		break;
	case IP_PROTO_UDP:
		udp_input(src, dst, p, hlen, total);
		break;
	case IP_PROTO_TCP:
		tcp_input(src, dst, p + hlen, total - hlen);
		break;
	default:
		icmp_unreachable(p, total, ICMP_PROTO_UNREACH);
	}
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

int ip_routable(uint32_t dst)
{
	uint32_t hop;

	return net_if.ip && next_hop(dst, &hop) == 0;
}

/* RFC 792: the offending header and 8 bytes of its payload go back to the sender. */
void icmp_unreachable(const uint8_t *packet, size_t len, uint8_t code)
{
	uint8_t msg[ICMP_HLEN + 60 + 8] = { ICMP_UNREACH, code };
	size_t quote = (size_t)(packet[0] & 15) * 4 + 8;

	quote = quote < len ? quote : len;
	memcpy(msg + ICMP_HLEN, packet, quote);
	put16(msg + 2, ip_checksum(msg, ICMP_HLEN + quote));
	ip_output(get32(packet + 12), IP_PROTO_ICMP, msg, ICMP_HLEN + quote);
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
