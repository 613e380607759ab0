/* frames_input.c: frames into the stack as fuzz_frames's records ask: fixed up first
 * (checksums, addresses, lengths, ISN-relative numbers), each in a buffer of its exact
 * size, and the last one repeated on demand. */
#include <string.h>

#include "frames.h"
#include "tcp.h"

#define FRAME_MAX      1514 /* VIRTIO_NET_FRAME_MAX: the driver drops longer frames */
#define REPEATS_BUDGET 4096 /* per input: an input of many repeats would take seconds */

static uint8_t last[FRAME_MAX]; /* the last frame as the input gave it, for repeats */
static size_t last_n;
static unsigned last_fix;
static unsigned repeats_left;

static void fix_lengths(uint8_t *ip, size_t len, size_t hlen)
{
	put16(ip + 2, (uint16_t)len);
	if (ip[9] == IP_PROTO_UDP && len >= hlen + 8)
		put16(ip + hlen + 4, (uint16_t)(len - hlen));
}

/* SACK blocks (option 5) name our sequence numbers: they count from our ISN too. */
static void fix_sack(uint8_t *o, size_t n, uint32_t iss)
{
	for (size_t i = 0, len; i + 1 < n && o[i]; i += len) {
		len = o[i] == 1 ? 1 : o[i + 1];
		if ((o[i] != 1 && len < 2) || len > n - i)
			return; /* tcp_parse stops here too */
		for (size_t b = 2; o[i] == 5 && b + 4 <= len; b += 4)
			put32(o + i + b, get32(o + i + b) + iss);
	}
}

/* A segment for a known connection: its numbers were relative to the connection's. */
static void fix_rel(const uint8_t *ip, uint8_t *seg, size_t len)
{
	size_t off;
	struct tcb *t;

	if (ip[9] != IP_PROTO_TCP || len < TCP_HLEN)
		return;
	off = (size_t)(seg[12] >> 4) * 4;
	t = tcb_find(get32(ip + 16), get16(seg + 2), get32(ip + 12), get16(seg));
	if (!t)
		return;
	put32(seg + 4, get32(seg + 4) + t->irs);
	put32(seg + 8, get32(seg + 8) + t->iss);
	if (off > TCP_HLEN && off <= len)
		fix_sack(seg + TCP_HLEN, off - TCP_HLEN, t->iss);
}

static void fix_l4(uint8_t *l4, size_t len, size_t at, uint64_t pseudo)
{
	uint16_t sum;

	put16(l4 + at, 0);
	sum = frames_csum(l4, len, pseudo);
	put16(l4 + at, sum || !pseudo ? sum : 0xffff); /* UDP's 0 means no checksum */
}

static void fix_csums(uint8_t *ip, size_t hlen, size_t total)
{
	uint8_t *l4 = ip + hlen;
	size_t len = total - hlen, ulen = len >= 8 ? get16(l4 + 4) : 0;
	uint32_t src = get32(ip + 12), dst = get32(ip + 16);

	put16(ip + 10, 0);
	put16(ip + 10, frames_csum(ip, hlen, 0));
	if (ip[9] == IP_PROTO_TCP && len >= TCP_HLEN)
		fix_l4(l4, len, 16, frames_pseudo(src, dst, IP_PROTO_TCP, len));
	else if (ip[9] == IP_PROTO_UDP && ulen >= 8 && ulen <= len)
		fix_l4(l4, ulen, 6, frames_pseudo(src, dst, IP_PROTO_UDP, ulen));
	else if (ip[9] == IP_PROTO_ICMP && len >= 4)
		fix_l4(l4, len, 2, 0);
}

static void fixup(uint8_t *f, size_t n, unsigned fix)
{
	uint8_t *ip;
	size_t len, hlen, total;

	if ((fix & FIX_DST) && n >= ETH_ALEN)
		memcpy(f, net_if.mac, ETH_ALEN);
	if (n < ETH_HLEN + IP_HLEN || get16(f + 12) != ETHERTYPE_IPV4)
		return;
	ip = f + ETH_HLEN;
	len = n - ETH_HLEN;
	if (fix & FIX_DST)
		put32(ip + 16, net_if.ip);
	hlen = (size_t)(ip[0] & 15) * 4;
	if (hlen < IP_HLEN || hlen > len)
		return;
	if (fix & FIX_LEN)
		fix_lengths(ip, len, hlen);
	total = get16(ip + 2) < len ? get16(ip + 2) : len;
	if (total < hlen)
		return;
	if (fix & FIX_REL)
		fix_rel(ip, ip + hlen, total - hlen);
	if (fix & FIX_CSUM)
		fix_csums(ip, hlen, total);
}

/* A copy of exactly the frame's size: ASan sees any read past its end. */
static void deliver(const uint8_t *p, size_t n, unsigned fix)
{
	uint8_t *f = malloc(n);

	CHECK(f != NULL);
	memcpy(f, p, n);
	fixup(f, n, fix);
	eth_input(f, n);
	free(f);
}

void frames_input_reset(void)
{
	last_n = 0;
	repeats_left = REPEATS_BUDGET;
}

void frames_deliver(const uint8_t *p, size_t n, unsigned fix)
{
	n = n < FRAME_MAX ? n : FRAME_MAX;
	if (!n)
		return; /* the driver passes on no empty frame */
	memcpy(last, p, n);
	last_n = n;
	last_fix = fix;
	deliver(p, n, fix);
}

/* The last frame's TCP or UDP header (its offset, 0 if none) and TCP data length. */
static size_t l4_at(size_t *dlen)
{
	const uint8_t *ip = last + ETH_HLEN;
	size_t hlen, total, doff;

	if (last_n < ETH_HLEN + IP_HLEN || get16(last + 12) != ETHERTYPE_IPV4)
		return 0;
	hlen = (size_t)(ip[0] & 15) * 4;
	total = last_n - ETH_HLEN;
	total = (last_fix & FIX_LEN) || get16(ip + 2) > total ? total : get16(ip + 2);
	if (hlen < IP_HLEN || (ip[9] != IP_PROTO_TCP && ip[9] != IP_PROTO_UDP) ||
	    total < hlen + (ip[9] == IP_PROTO_TCP ? TCP_HLEN : 8))
		return 0;
	doff = (size_t)(ip[hlen + 12] >> 4) * 4;
	*dlen = ip[9] == IP_PROTO_TCP && total >= hlen + doff ? total - hlen - doff : 0;
	return ETH_HLEN + hlen;
}

void frames_repeat(unsigned count, int next_port)
{
	size_t dlen = 0, at = l4_at(&dlen);

	count = count < repeats_left ? count : repeats_left;
	repeats_left -= count;
	for (unsigned i = 0; i < count && last_n; i++) {
		if (at && next_port)
			put16(last + at, (uint16_t)(get16(last + at) + 1));
		else if (at)
			put32(last + at + 4, get32(last + at + 4) + (uint32_t)dlen);
		deliver(last, last_n, last_fix);
	}
}
