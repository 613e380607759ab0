/* frames_seeds.c: writes fuzz_frames's seed corpus into a directory: inputs that reach
 * deep at once (handshakes with data both ways, a connect, each way of closing, a bulk
 * transfer, a SYN flood, ARP, ping, UDP echo).
 * Records are as fuzz_frames.c describes; frames carry every fix-up, so their checksums,
 * lengths and ISN-relative numbers are left for the harness to fill in. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME	    0x0f /* a frame, all fix-ups */
#define CLOCK_MS    0x10
#define CLOCK_S	    0x11
#define ACCEPT	    0x20
#define RECV(s)	    (0x30 | (s))
#define SEND(s)	    (0x40 | (s))
#define SHUTDOWN(s) (0x50 | (s))
#define CLOSE(s)    (0x60 | (s))
#define UDP	    0x90
#define REPEAT	    0xb0
#define PEER	    0x0a000001u
#define US	    0x0a000002u
#define SYN	    0x02
#define FIN	    0x01
#define RST	    0x04
#define PSH	    0x08
#define ACK	    0x10

struct seed {
	uint8_t b[16384];
	size_t n;
};

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
/* MSS 1460, NOP, window scale 7, SACK permitted, timestamps, end: every kind parsed. */
static const uint8_t syn_opts[] = { 2, 4, 5, 180, 1, 3, 3, 7, 4, 2, 8, 10,
				    0, 0, 0, 1,	  0, 0, 0, 0, 0, 0, 0, 0 };

static uint8_t *put(struct seed *s, const void *p, size_t n)
{
	uint8_t *at = s->b + s->n;

	if (n > sizeof(s->b) - s->n)
		abort(); /* a seed outgrew its buffer */
	memcpy(at, p, n);
	s->n += n;
	return at;
}

static void put16(struct seed *s, uint16_t v)
{
	put(s, (uint8_t[]){ (uint8_t)(v >> 8), (uint8_t)v }, 2);
}

static void put32(struct seed *s, uint32_t v)
{
	put16(s, (uint16_t)(v >> 16));
	put16(s, (uint16_t)v);
}

/* A record's header; its length is patched by end(). */
static size_t begin(struct seed *s, uint8_t ctl)
{
	put(s, (uint8_t[]){ ctl, 0, 0 }, 3);
	return s->n;
}

static void end(struct seed *s, size_t start)
{
	size_t len = s->n - start;

	s->b[start - 2] = (uint8_t)len;
	s->b[start - 1] = (uint8_t)(len >> 8);
}

static void op(struct seed *s, uint8_t ctl, uint16_t arg)
{
	size_t at = begin(s, ctl);

	put(s, (uint8_t[]){ (uint8_t)arg, (uint8_t)(arg >> 8) }, 2);
	end(s, at);
}

static void eth(struct seed *s, const uint8_t *dst, uint16_t type)
{
	put(s, dst, 6);
	put(s, peer_mac, 6);
	put16(s, type);
}

/* Ethernet and IPv4 headers, from the peer to us; lengths and checksums left as 0. */
static void ipv4(struct seed *s, uint8_t proto)
{
	eth(s, our_mac, 0x0800);
	put(s, (uint8_t[]){ 0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0 }, 12);
	put32(s, PEER);
	put32(s, US);
}

struct tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opts;
	size_t olen;
	const char *data;
};

static void tcp(struct seed *s, struct tcp t)
{
	size_t at = begin(s, FRAME);

	ipv4(s, 6);
	put16(s, t.sport);
	put16(s, t.dport);
	put32(s, t.seq);
	put32(s, t.ack);
	put(s, (uint8_t[]){ (uint8_t)((20 + t.olen) / 4 << 4), t.flags }, 2);
	put16(s, t.wnd);
	put32(s, 0);
	put(s, t.opts, t.olen);
	put(s, t.data ? t.data : "", t.data ? strlen(t.data) : 0);
	end(s, at);
}

static void arp(struct seed *s, uint16_t op_code, const uint8_t *dst)
{
	size_t at = begin(s, FRAME & ~2); /* keep the destination MAC: broadcast for a request */

	eth(s, dst, 0x0806);
	put(s, (uint8_t[]){ 0, 1, 8, 0, 6, 4, 0, (uint8_t)op_code }, 8);
	put(s, peer_mac, 6);
	put32(s, PEER);
	put(s, op_code == 1 ? (uint8_t[6]){ 0 } : our_mac, 6);
	put32(s, US);
	end(s, at);
}

static void datagram(struct seed *s, uint16_t dport, const char *data)
{
	size_t at = begin(s, FRAME);

	ipv4(s, 17);
	put16(s, 40000);
	put16(s, dport);
	put32(s, 0); /* length, checksum */
	put(s, data, strlen(data));
	end(s, at);
}

/* SYN to port 80 with every option kind; the SYN-ACK is then sent again. */
static void seed_syn(struct seed *s)
{
	tcp(s, (struct tcp){ 40000, 80, 0x1000, 0, SYN, 64240, syn_opts, sizeof(syn_opts), 0 });
	op(s, CLOCK_MS, 300);
	op(s, CLOCK_S, 2);
}

/* The peer connects to port 80, sends a request out of order, reads a reply, closes. */
static void seed_http(struct seed *s)
{
	arp(s, 2, our_mac);
	tcp(s, (struct tcp){ 40000, 80, 0x1000, 0, SYN, 64240, syn_opts, sizeof(syn_opts), 0 });
	tcp(s, (struct tcp){ 40000, 80, 1, 1, ACK, 502, 0, 0, 0 });
	op(s, ACCEPT, 0);
	tcp(s, (struct tcp){ 40000, 80, 11, 1, ACK | PSH, 502, 0, 0, "HTTP/1.0\r\n\r\n" });
	tcp(s, (struct tcp){ 40000, 80, 1, 1, ACK, 502, 0, 0, "GET / " });
	tcp(s, (struct tcp){ 40000, 80, 7, 1, ACK, 502, 0, 0, "idx " });
	op(s, RECV(3), 1024);
	op(s, SEND(3), 1000); /* 4000 bytes: three segments */
	op(s, CLOCK_MS, 50);
	tcp(s, (struct tcp){ 40000, 80, 23, 1461, ACK, 502, 0, 0, 0 });
	tcp(s, (struct tcp){ 40000, 80, 23, 4001, ACK | FIN, 502, 0, 0, 0 });
	op(s, RECV(3), 16);
	op(s, CLOSE(3), 0);
	tcp(s, (struct tcp){ 40000, 80, 24, 4002, ACK, 502, 0, 0, 0 });
	op(s, CLOCK_S, 61);
}

/* Our connect to 10.0.0.1:1234 from port 32768: ARP, SYN-ACK, data both ways, SACK, a
 * zero window and its probes, then a reset. */
static void seed_connect(struct seed *s)
{
	static const uint8_t opts[] = { 2, 4, 3, 232, 1, 3, 3, 2, 1, 1, 4, 2 };
	/* NOP, NOP, SACK: the peer holds 1001-3001, so 1-1001 is the hole (ISN-relative). */
	static const uint8_t sack[] = { 1, 1, 5, 10, 0, 0, 3, 233, 0, 0, 11, 185 };

	arp(s, 2, our_mac);
	op(s, CLOCK_S, 1);
	tcp(s, (struct tcp){ 1234, 32768, 7000, 1, SYN | ACK, 29200, opts, sizeof(opts), 0 });
	op(s, SEND(2), 750);
	tcp(s, (struct tcp){ 1234, 32768, 1, 1, ACK, 29200, sack, sizeof(sack), 0 });
	tcp(s, (struct tcp){ 1234, 32768, 1, 1001, ACK, 0, 0, 0, 0 });
	tcp(s, (struct tcp){ 1234, 32768, 1, 1001, ACK | PSH, 0, 0, 0, "hello" });
	op(s, CLOCK_S, 2);
	op(s, CLOCK_S, 4);
	tcp(s, (struct tcp){ 1234, 32768, 6, 1001, ACK, 8000, 0, 0, 0 });
	op(s, RECV(2), 100);
	tcp(s, (struct tcp){ 1234, 32768, 6, 3001, ACK, 8000, 0, 0, 0 });
	tcp(s, (struct tcp){ 1234, 32768, 6, 0, RST, 0, 0, 0, 0 });
}

/* A bulk transfer fills our receive ring (zero window, data beyond it dropped), the app
 * reads some, and more comes; out-of-order ranges beyond what we can remember; a SYN flood
 * past the listener's backlog. */
static void seed_bulk(struct seed *s)
{
	static char mss[1461];

	memset(mss, 'x', 1460);
	arp(s, 2, our_mac);
	tcp(s, (struct tcp){ 40000, 80, 0x1000, 0, SYN, 64240, syn_opts, sizeof(syn_opts), 0 });
	tcp(s, (struct tcp){ 40000, 80, 1, 1, ACK, 502, 0, 0, 0 });
	op(s, ACCEPT, 0);
	for (uint32_t i = 0; i < 10; i++) /* ten ranges, a hole before each */
		tcp(s, (struct tcp){ 40000, 80, 5000 + 20 * i, 1, ACK, 502, 0, 0, "0123456789" });
	tcp(s, (struct tcp){ 40000, 80, 1, 1, ACK, 502, 0, 0, mss });
	op(s, REPEAT, 190);
	op(s, RECV(3), 16384); /* 64 KiB */
	tcp(s, (struct tcp){ 40000, 80, 262145, 1, ACK, 502, 0, 0, mss });
	op(s, REPEAT, 60);
	op(s, RECV(3), 65535);
	tcp(s, (struct tcp){ 40001, 80, 0x1000, 0, SYN, 64240, syn_opts, sizeof(syn_opts), 0 });
	op(s, REPEAT | 1, 8);
	op(s, CLOCK_S, 3);
}

/* We close first: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT; a new SYN then reuses the addresses. */
static void seed_active_close(struct seed *s)
{
	arp(s, 2, our_mac);
	tcp(s, (struct tcp){ 40000, 80, 0x1000, 0, SYN, 64240, syn_opts, sizeof(syn_opts), 0 });
	tcp(s, (struct tcp){ 40000, 80, 1, 1, ACK, 502, 0, 0, 0 });
	op(s, ACCEPT, 0);
	op(s, SEND(3), 1000);
	op(s, SHUTDOWN(3), 1); /* SHUT_WR */
	tcp(s, (struct tcp){ 40000, 80, 1, 4002, ACK, 502, 0, 0, 0 });
	tcp(s, (struct tcp){ 40000, 80, 1, 4002, ACK | FIN, 502, 0, 0, 0 });
	tcp(s, (struct tcp){ 40000, 80, 1, 4002, ACK | FIN, 502, 0, 0, 0 });
	tcp(s, (struct tcp){ 40000, 80, 100000, 0, SYN, 64240, syn_opts, sizeof(syn_opts), 0 });
	op(s, CLOSE(3), 0);
	op(s, CLOCK_S, 61);
}

/* Both ends close at once on our connection: CLOSING, then TIME_WAIT. */
static void seed_simultaneous_close(struct seed *s)
{
	arp(s, 2, our_mac);
	tcp(s,
	    (struct tcp){ 1234, 32768, 7000, 1, SYN | ACK, 29200, syn_opts, sizeof(syn_opts), 0 });
	op(s, SHUTDOWN(2), 2); /* SHUT_RDWR */
	tcp(s, (struct tcp){ 1234, 32768, 1, 1, ACK | FIN, 29200, 0, 0, 0 });
	tcp(s, (struct tcp){ 1234, 32768, 2, 2, ACK, 29200, 0, 0, 0 });
	op(s, CLOCK_S, 30);
	op(s, CLOCK_S, 31);
}

static void seed_udp(struct seed *s)
{
	arp(s, 1, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff });
	datagram(s, 7, "hello, echo");
	op(s, RECV(1), 512);
	datagram(s, 9, "nobody here");
	size_t at = begin(s, UDP);
	put(s, (uint8_t[]){ 1, 0x35, 0 }, 3); /* to 10.0.0.1:53 */
	put(s, "query", 5);
	end(s, at);
}

static void seed_ping(struct seed *s)
{
	size_t at = begin(s, FRAME);

	ipv4(s, 1);
	put(s, (uint8_t[]){ 8, 0, 0, 0, 0x12, 0x34, 0, 1 }, 8);
	put(s, "abcdefghijklmnopqrstuvwabcdefghi", 32);
	end(s, at);
	at = begin(s, FRAME);
	ipv4(s, 99); /* a protocol we do not speak */
	put(s, "????????", 8);
	end(s, at);
}

static int write_seed(const char *dir, const char *name, void (*make)(struct seed *))
{
	static struct seed s;
	char path[4096];
	FILE *f;

	s.n = 0;
	make(&s);
	snprintf(path, sizeof(path), "%s/seed_%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s.b, 1, s.n, f) != s.n || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	return write_seed(argv[1], "syn", seed_syn) | write_seed(argv[1], "http", seed_http) |
	       write_seed(argv[1], "connect", seed_connect) | write_seed(argv[1], "udp", seed_udp) |
	       write_seed(argv[1], "ping", seed_ping) |
	       write_seed(argv[1], "active_close", seed_active_close) |
	       write_seed(argv[1], "bulk", seed_bulk) |
	       write_seed(argv[1], "simultaneous_close", seed_simultaneous_close);
}
