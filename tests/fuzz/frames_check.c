/* frames_check.c: what the stack sends must be well-formed whatever it was fed: Ethernet and
 * ARP, IPv4, and TCP, UDP and ICMP with valid checksums (summed here independently, and
 * TCP parsed again by the stack's own tcp_parse); TCP data must be what the app wrote. */
#include <string.h>

#include "frames.h"
#include "tcp.h"

#define ARP_LEN	  28
#define ICMP_HLEN 8
#define UDP_HLEN  8
#define MAX_FINS  64
#define IP_DF	  0x4000

/* Connections we sent a FIN on: a FIN can be acknowledged only if it went out. */
static struct {
	uint32_t rip;
	uint16_t lport, rport;
} fins[MAX_FINS];
static int nfins, fins_lost; /* lost: too many to remember, so any FIN may have gone */

void frames_check_reset(void)
{
	nfins = fins_lost = 0;
}

uint8_t frames_pattern(uint32_t off)
{
	return (uint8_t)((off * 2654435761u) >> 24); /* no short period: ring slips show */
}

/* RFC 1071, the plain way (big-endian 16-bit words), to cross-check the stack's. */
uint16_t frames_csum(const uint8_t *p, size_t len, uint64_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint64_t frames_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

int frames_fin_sent(uint32_t rip, uint16_t lport, uint16_t rport)
{
	if (fins_lost)
		return 1;
	for (int i = 0; i < nfins; i++)
		if (fins[i].rip == rip && fins[i].lport == lport && fins[i].rport == rport)
			return 1;
	return 0;
}

static void note_fin(uint32_t rip, uint16_t lport, uint16_t rport)
{
	if (frames_fin_sent(rip, lport, rport))
		return;
	if (nfins == MAX_FINS) {
		fins_lost = 1;
		return;
	}
	fins[nfins].rip = rip;
	fins[nfins].lport = lport;
	fins[nfins].rport = rport;
	nfins++;
}

/* A unicast host on the link or beyond: never ours, a broadcast, or a multicast group. */
static int unicast(uint32_t ip)
{
	return ip && ip != IP_BROADCAST && ip >> 28 != 0xe && ip != FRAMES_IP &&
	       ip != (FRAMES_IP | 0xff);
}

/* Windows: new data fits the peer's; the right edge we announce never moves left, but for
 * what window scaling rounds away (RFC 7323 2.4) and what a SYN's 16 bits cannot say. */
static void check_windows(const struct tcb *t, const struct tcp_seg *s)
{
	uint32_t edge = s->ack + (s->wnd << t->rcv_ws);

	if (s->len && SEQ_GT(s->seq + s->len, t->snd_max))
		CHECK(SEQ_LEQ(s->seq + s->len, t->snd_una + t->snd_wnd));
	if ((s->flags & TH_ACK) && !(s->flags & TH_SYN))
		CHECK(SEQ_GEQ(edge + (1u << t->rcv_ws) - 1, t->rcv_adv));
}

/* Sent data lies within what the app queued and is what it wrote; a FIN follows all of it. */
static void check_against_tcb(const struct tcp_seg *s)
{
	struct tcb *t = tcb_find(s->src, s->sport, s->dst, s->dport);
	uint32_t off;

	if (!t || (s->flags & TH_RST))
		return;
	check_windows(t, s);
	if (t->state == TCPS_TIME_WAIT)
		return;
	off = s->seq - t->snd_una;
	if (s->len) {
		CHECK(off <= t->slen && s->len <= t->slen - off);
		for (uint32_t i = 0; i < s->len; i++)
			CHECK(s->data[i] == frames_pattern(s->seq - t->iss - 1 + i));
	}
	if (s->flags & TH_FIN)
		CHECK(off + s->len == t->slen);
}

/* RFC 2018: up to four blocks, each non-empty and beyond the cumulative ACK. */
static void check_sack(const uint8_t *b, size_t n, const struct tcp_seg *s)
{
	CHECK((s->flags & TH_ACK) && n && n % 8 == 0 && n <= 32);
	for (size_t i = 0; i < n; i += 8)
		CHECK(SEQ_LT(get32(b + i), get32(b + i + 4)) && SEQ_GEQ(get32(b + i), s->ack));
}

/* A SYN carries MSS, window scale and SACK permitted; any other segment SACK blocks only. */
static void check_options(const uint8_t *o, size_t n, const struct tcp_seg *s)
{
	int syn = !!(s->flags & TH_SYN);

	for (size_t i = 0, len; i < n; i += len) {
		if (o[i] == 1) {
			len = 1;
			continue;
		}
		CHECK(i + 1 < n && o[i + 1] >= 2 && o[i + 1] <= n - i);
		len = o[i + 1];
		if (o[i] == 2)
			CHECK(syn && len == 4 && get16(o + i + 2) == TCP_MSS);
		else if (o[i] == 3)
			CHECK(syn && len == 3 && o[i + 2] == TCP_WSCALE);
		else if (o[i] == 4)
			CHECK(syn && len == 2);
		else if (o[i] == 5 && !syn)
			check_sack(o + i + 2, len - 2, s);
		else
			CHECK(0 && "an option we never send");
	}
}

static void check_tcp(uint32_t src, uint32_t dst, const uint8_t *p, size_t len, int live)
{
	struct tcp_seg s;

	CHECK(len >= TCP_HLEN && frames_csum(p, len, frames_pseudo(src, dst, 6, len)) == 0);
	CHECK(tcp_parse(p, len, src, dst, &s) == 0);
	CHECK(!(p[12] & 0x0f) && !(p[13] & 0xc0) && !get16(p + 18)); /* reserved, URG */
	check_options(p + TCP_HLEN, (size_t)(s.data - p) - TCP_HLEN, &s);
	CHECK(s.len <= TCP_MSS);
	CHECK(!(s.flags & TH_SYN) || (s.mss == TCP_MSS && !(s.flags & (TH_FIN | TH_RST))));
	CHECK(!(s.flags & TH_RST) || !s.len);
	CHECK((s.flags & TH_ACK) || (s.flags & (TH_SYN | TH_RST)));
	if (s.flags & TH_FIN)
		note_fin(dst, s.sport, s.dport);
	if (frames_trace && live)
		fprintf(stderr, "  out tcp %u>%u flags %#x seq %u ack %u len %u wnd %u\n", s.sport,
			s.dport, s.flags, s.seq, s.ack, s.len, s.wnd);
	if (live)
		check_against_tcb(&s);
}

static void check_udp(const uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
	CHECK(len >= UDP_HLEN && get16(p + 4) == len && get16(p + 6) != 0);
	CHECK(frames_csum(p, len, frames_pseudo(src, dst, IP_PROTO_UDP, len)) == 0);
}

/* We answer echoes and report unreachable protocols and ports; nothing else. */
static void check_icmp(const uint8_t *p, size_t len)
{
	CHECK(len >= ICMP_HLEN && frames_csum(p, len, 0) == 0);
	CHECK((p[0] == 0 && p[1] == 0) || (p[0] == 3 && (p[1] == 2 || p[1] == 3)));
	if (p[0] == 3)
		CHECK(len >= ICMP_HLEN + IP_HLEN && len <= ICMP_HLEN + 60 + 8);
}

/* live: the packet is being sent now, so the connection's state is the one it came from. */
static void check_ipv4(const uint8_t *p, size_t len, int live)
{
	uint32_t src, dst;

	CHECK(len >= IP_HLEN && len <= ETH_MTU);
	CHECK(p[0] == 0x45 && get16(p + 2) == len && frames_csum(p, IP_HLEN, 0) == 0);
	CHECK(get16(p + 6) == IP_DF && p[8] == 64);
	src = get32(p + 12);
	dst = get32(p + 16);
	CHECK(src == FRAMES_IP);
	if (p[9] == IP_PROTO_TCP) {
		CHECK(unicast(dst));
		check_tcp(src, dst, p + IP_HLEN, len - IP_HLEN, live);
	} else if (p[9] == IP_PROTO_UDP) {
		check_udp(p + IP_HLEN, len - IP_HLEN, src, dst);
	} else {
		CHECK(p[9] == IP_PROTO_ICMP && unicast(dst));
		check_icmp(p + IP_HLEN, len - IP_HLEN);
	}
}

void frames_check_packet(const uint8_t *p, size_t len)
{
	check_ipv4(p, len, 1);
}

static void check_arp(const uint8_t *eth, const uint8_t *a, size_t len)
{
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[ETH_ALEN];

	CHECK(len == ARP_LEN && get16(a) == 1 && get16(a + 2) == ETHERTYPE_IPV4);
	CHECK(a[4] == ETH_ALEN && a[5] == 4);
	CHECK(!memcmp(a + 8, net_if.mac, ETH_ALEN) && get32(a + 14) == FRAMES_IP);
	if (get16(a + 6) == 1) {
		CHECK(!memcmp(eth, bcast, ETH_ALEN) && !memcmp(a + 18, zero, ETH_ALEN));
	} else {
		CHECK(get16(a + 6) == 2 && !memcmp(eth, a + 18, ETH_ALEN));
		CHECK(!(eth[0] & 1)); /* a reply goes to the unicast that asked */
	}
}

void frames_check_frame(const uint8_t *eth, const uint8_t *payload, size_t len)
{
	CHECK(len <= ETH_MTU); /* 1514 bytes with the Ethernet header */
	CHECK(!memcmp(eth + ETH_ALEN, net_if.mac, ETH_ALEN) && memcmp(eth, net_if.mac, ETH_ALEN));
	if (get16(eth + 12) == ETHERTYPE_ARP) {
		check_arp(eth, payload, len);
		return;
	}
	CHECK(get16(eth + 12) == ETHERTYPE_IPV4);
	/* ARP may have held it while the connection moved on: its form only, then. */
	check_ipv4(payload, len, 0);
	CHECK(!!(eth[0] & 1) ==
	      (get32(payload + 16) == IP_BROADCAST || get32(payload + 16) == (FRAMES_IP | 0xff)));
}
