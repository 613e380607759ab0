/* fuzz_frames.c: libFuzzer target for the guest's network stack (guest/eth.c ip.c udp.c
 * inet.c tcp_*.c), built for the host: hostile Ethernet frames, a clock the input drives,
 * and socket calls, with TCP's invariants and every frame sent checked at each step.
 *
 * The input is a sequence of records: a control byte, a 16-bit little-endian length, and
 * that many bytes. The control byte's high nibble is the operation, its low nibble ARG:
 *   0, 12-15  a frame for eth_input (its first 1514 bytes, as the driver would give it);
 *             ARG's bits fix it up first: 1 the IPv4 header checksum and the TCP, UDP or
 *             ICMP checksum; 2 the destination MAC and IPv4 address, to ours; 4 the IPv4
 *             total length and the UDP length, to the frame's; 8 TCP seq, ack and SACK
 *             blocks counted from the connection's irs and iss (no ISN to guess)
 *   1   the clock moves u16 ms (ARG & 1: seconds), then tcp_tick and eth_tick run
 *   2   accept on slot 0 into a free slot
 *   3   recv on slot ARG: u16 * 4 bytes, byte 2: 1 MSG_PEEK, 2 MSG_WAITALL; byte 3 splits
 *       the buffer into three iovecs. A UDP socket echoes what it gets to its sender.
 *   4   send on slot ARG: u16 * 4 bytes of a known pattern, split as for recv
 *   5   shutdown on slot ARG, how = byte 0 % 4 (3 is invalid)
 *   6   close on slot ARG
 *   7   poll, name, SO_ERROR on slot ARG, then by byte 0: TCP_NODELAY = byte 1,
 *       SO_LINGER 0, TCP_MAXSEG, or listen(byte 1)
 *   8   the tx ring is full (ARG & 1) or has room again (tcp_tx_ready)
 *   9   sendto on slot 1: to 10.0.0.<byte 0> (ARG & 1: 192.168.0.<byte 0>, through the
 *       gateway; ARG & 2: 255.255.255.255), port u16 at byte 1, the rest as data
 *   10  a new TCP socket connects, non-blocking, to 10.0.0.<byte 0> (ARG & 1: off the
 *       link) port u16 at byte 1; ARG & 2: bound first to port u16 at byte 3. ARG & 4:
 *       slot 1 (UDP) connects there instead, or dissolves its association if the port is 0
 *   11  the last frame again, u16 % 1024 times, fixed up as before: each time a TCP
 *       segment's seq moves on by its data's length, or (ARG & 1) a TCP or UDP source
 *       port by one: a bulk transfer that fills windows, or a flood of new peers
 * u16 is the little-endian pair at byte 0 unless said otherwise; missing bytes read 0.
 *
 * Each input starts from fresh sockets: slot 0 listens on port 80 (backlog 4), slot 1 is
 * UDP bound to 7, slot 2 connects to 10.0.0.1:1234 from port 32768 (random_fill gives
 * zeros); accepted and new sockets take slots 3-15. The stack is 10.0.0.2/24 via 10.0.0.1.
 * Afterwards every socket is closed and an hour of silence passes: the stack must then
 * hold no connection and no page.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#undef TCP_MSS /* glibc's; guest/tcp.h has the stack's (see frames_tcp_sock.c) */

#include "frames.h"
#include "tcp.h"

#define SLOTS	   16
#define BACKLOG	   4
#define SILENCE_NS 3600000000000ULL
#define PEER_PORT  1234

enum {
	OP_FRAME,
	OP_CLOCK,
	OP_ACCEPT,
	OP_RECV,
	OP_SEND,
	OP_SHUTDOWN,
	OP_CLOSE,
	OP_OPT,
	OP_TXFULL,
	OP_UDP,
	OP_CONNECT,
	OP_REPEAT
};
enum { SLOT_LISTEN, SLOT_UDP, SLOT_CONNECT };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rec {
	uint8_t op, arg;
	const uint8_t *p;
	size_t n;
};

static struct {
	struct sock *s;
	int udp;
} slot[SLOTS];

static uint8_t buf[TCP_BUF]; /* what recv and send move */
int frames_trace;

static int next_rec(const uint8_t **data, size_t *size, struct rec *r)
{
	size_t n;

	if (*size < 3)
		return 0;
	r->op = (*data)[0] >> 4;
	r->arg = (*data)[0] & 15;
	n = (size_t)((*data)[1] | (*data)[2] << 8);
	*data += 3;
	*size -= 3;
	r->n = n < *size ? n : *size;
	r->p = *data;
	*data += r->n;
	*size -= r->n;
	return 1;
}

static uint8_t arg8(const struct rec *r, size_t i)
{
	return i < r->n ? r->p[i] : 0;
}

static uint16_t arg16(const struct rec *r, size_t i)
{
	return (uint16_t)(arg8(r, i) | arg8(r, i + 1) << 8);
}

static void op_frame(const struct rec *r)
{
	frames_deliver(r->p, r->n, r->arg);
}

static void op_repeat(const struct rec *r)
{
	frames_repeat(arg16(r, 0) % 1024, r->arg & 1);
}

static void op_clock(const struct rec *r)
{
	frames_now += arg16(r, 0) * (r->arg & 1 ? 1000000000ULL : 1000000ULL);
	tcp_tick(frames_now);
	eth_tick(frames_now);
}

/* Slots 0-2 keep their kinds: once closed, they stay empty. */
static int free_slot(void)
{
	for (int i = SLOT_CONNECT + 1; i < SLOTS; i++)
		if (!slot[i].s)
			return i;
	return -1;
}

static void op_accept(void)
{
	struct sock *l = slot[SLOT_LISTEN].s, *c;
	int i = free_slot(), err;

	if (!l || i < 0)
		return;
	err = l->ops->accept(l, &c, 1);
	CHECK(err == 0 || err == -EAGAIN || err == -EINVAL);
	if (!err)
		slot[i].s = c;
}

/* Three consecutive pieces of buf, any of them empty, as byte k says. */
static void split(size_t len, uint8_t k, struct iovec *iov)
{
	size_t a = len * (k & 15) / 15, b = (len - a) * (k >> 4) / 15;

	iov[0] = (struct iovec){ buf, a };
	iov[1] = (struct iovec){ buf + a, b };
	iov[2] = (struct iovec){ buf + a + b, len - a - b };
}

static int tcp_errno_ok(long err)
{
	return err == -EAGAIN || err == -ENOTCONN || err == -EPIPE || err == -ECONNRESET ||
	       err == -ECONNREFUSED || err == -ETIMEDOUT || err == -ENOBUFS;
}

/* A datagram goes back where it came from, as an echo server's would. */
static void udp_recv(struct sock *s, const struct iovec *iov, size_t want, int flags)
{
	struct sockaddr_in from = { 0 };
	socklen_t flen = sizeof(from);
	struct iovec echo = { buf, 0 };
	long got = s->ops->recvfrom(s, iov, 3, flags, (struct sockaddr *)&from, &flen);

	CHECK(got == -EAGAIN || (got >= 0 && (size_t)got <= want && got <= ETH_MTU - 28));
	if (got <= 0 || (flags & MSG_PEEK))
		return;
	echo.iov_len = (size_t)got;
	got = s->ops->sendto(s, &echo, 1, SOCK_NOWAIT, (struct sockaddr *)&from, flen);
	CHECK(got == (long)echo.iov_len || (got == -EINVAL && !from.sin_port)); /* port 0 */
}

static void op_recv(const struct rec *r)
{
	struct sock *s = slot[r->arg].s;
	size_t want = (size_t)arg16(r, 0) * 4;
	int flags =
	    SOCK_NOWAIT | (arg8(r, 2) & 1 ? MSG_PEEK : 0) | (arg8(r, 2) & 2 ? MSG_WAITALL : 0);
	struct iovec iov[3];
	struct tcb *t = (struct tcb *)s;
	uint32_t rlen;
	long got;

	split(want, arg8(r, 3), iov);
	if (!s || slot[r->arg].udp) {
		if (s)
			udp_recv(s, iov, want, flags);
		return;
	}
	rlen = t->rlen;
	got = s->ops->recv(s, iov, 3, flags);
	CHECK((got >= 0 && (size_t)got <= want) || tcp_errno_ok(got));
	if (got > 0 && !(flags & MSG_PEEK))
		CHECK(t->rlen == rlen - (uint32_t)got);
}

/* The pattern continues the stream where the queue ends: frames_check verifies it sent. */
static void op_send(const struct rec *r)
{
	struct sock *s = slot[r->arg].s;
	size_t want = (size_t)arg16(r, 0) * 4;
	struct tcb *t = (struct tcb *)s;
	struct iovec iov[3];
	uint32_t base, slen;
	long got;

	if (!s)
		return;
	split(want, arg8(r, 2), iov);
	if (slot[r->arg].udp) {
		got = s->ops->send(s, iov, 3, SOCK_NOWAIT); /* needs a connect (op 10) */
		CHECK(got == -EDESTADDRREQ || got == (long)want || got == -EMSGSIZE);
		return;
	}
	base = t->snd_una - t->iss - 1 + t->slen;
	for (size_t i = 0; i < want; i++)
		buf[i] = frames_pattern(base + (uint32_t)i);
	slen = t->slen;
	got = s->ops->send(s, iov, 3, SOCK_NOWAIT);
	CHECK((got >= 0 && (size_t)got <= want) || tcp_errno_ok(got));
	if (got > 0)
		CHECK(t->slen == slen + (uint32_t)got);
}

static void op_shutdown(const struct rec *r)
{
	struct sock *s = slot[r->arg].s;
	int err;

	if (!s)
		return;
	err = s->ops->shutdown(s, arg8(r, 0) % 4);
	CHECK(err == 0 || err == -EINVAL || err == -ENOTCONN);
}

static void op_close(const struct rec *r)
{
	struct sock *s = slot[r->arg].s;

	if (!s)
		return;
	s->ops->close(s);
	slot[r->arg].s = NULL;
	slot[r->arg].udp = 0;
}

static void op_opt(const struct rec *r)
{
	struct sock *s = slot[r->arg].s;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a), vlen = sizeof(int);
	struct linger lg = { 1, 0 };
	int v = arg8(r, 1);

	if (!s)
		return;
	s->ops->poll(s);
	s->ops->name(s, (struct sockaddr *)&a, &alen, arg8(r, 0) & 1);
	s->ops->getopt(s, SOL_SOCKET, SO_ERROR, &v, &vlen);
	v = arg8(r, 1);
	switch (arg8(r, 0) >> 1 & 3) {
	case 0:
		s->ops->setopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
		break;
	case 1:
		s->ops->setopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	case 2:
		s->ops->getopt(s, IPPROTO_TCP, TCP_MAXSEG, &v, &vlen);
		break;
	default:
		if (s->ops->listen)
			s->ops->listen(s, v);
	}
}

static void op_txfull(const struct rec *r)
{
	frames_tx_full = r->arg & 1;
	if (!frames_tx_full)
		tcp_tx_ready();
}

static struct sockaddr_in addr_in(uint32_t ip, uint16_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(ip) };
}

static uint32_t peer_ip(const struct rec *r)
{
	return (r->arg & 1 ? 0xc0a80000u : 0x0a000000u) | arg8(r, 0);
}

static void op_udp(const struct rec *r)
{
	struct sock *s = slot[SLOT_UDP].s;
	struct sockaddr_in to = addr_in(r->arg & 2 ? IP_BROADCAST : peer_ip(r), arg16(r, 1));
	size_t skip = r->n < 3 ? r->n : 3;
	struct iovec iov = { (void *)(uintptr_t)(r->p + skip), r->n - skip };
	long got;

	if (!s)
		return;
	got = s->ops->sendto(s, &iov, 1, SOCK_NOWAIT, (struct sockaddr *)&to, sizeof(to));
	/* Refused: too big, port 0, broadcast without SO_BROADCAST, ourselves, unroutable. */
	CHECK(got == (long)iov.iov_len || got == -EMSGSIZE || got == -EINVAL || got == -EACCES ||
	      got == -ECONNREFUSED || got == -ENETUNREACH);
}

static void udp_connect(const struct rec *r)
{
	struct sock *s = slot[SLOT_UDP].s;
	struct sockaddr_in to = addr_in(peer_ip(r), arg16(r, 1));
	int err;

	if (!s)
		return;
	to.sin_family = to.sin_port ? AF_INET : AF_UNSPEC;
	err = s->ops->connect(s, (struct sockaddr *)&to, sizeof(to), 1);
	CHECK(err == 0 || err == -ENETUNREACH || err == -EACCES || err == -ECONNREFUSED);
}

static void op_connect(const struct rec *r)
{
	struct sockaddr_in to = addr_in(peer_ip(r), arg16(r, 1));
	struct sockaddr_in local = addr_in(INADDR_ANY, arg16(r, 3));
	struct sock *s;
	int i = free_slot(), err;

	if (r->arg & 4) {
		udp_connect(r);
		return;
	}
	if (i < 0)
		return;
	err = tcp_create(&s);
	CHECK(err == 0);
	slot[i].s = s;
	if ((r->arg & 2) && s->ops->bind(s, (struct sockaddr *)&local, sizeof(local)))
		return;
	err = s->ops->connect(s, (struct sockaddr *)&to, sizeof(to), 1);
	CHECK(err == -EINPROGRESS || err == -ECONNREFUSED || err == -EADDRNOTAVAIL ||
	      err == -ENETUNREACH);
}

static void run(const struct rec *r)
{
	switch (r->op) {
	case OP_CLOCK:
		op_clock(r);
		break;
	case OP_ACCEPT:
		op_accept();
		break;
	case OP_RECV:
		op_recv(r);
		break;
	case OP_SEND:
		op_send(r);
		break;
	case OP_SHUTDOWN:
		op_shutdown(r);
		break;
	case OP_CLOSE:
		op_close(r);
		break;
	case OP_OPT:
		op_opt(r);
		break;
	case OP_TXFULL:
		op_txfull(r);
		break;
	case OP_UDP:
		op_udp(r);
		break;
	case OP_CONNECT:
		op_connect(r);
		break;
	case OP_REPEAT:
		op_repeat(r);
		break;
	default:
		op_frame(r);
	}
}

static void trace(const struct rec *r)
{
	const struct tcb *t;

	fprintf(stderr, "op %u arg %#x len %zu:", r->op, r->arg, r->n);
	for (t = tcb_first(); t; t = t->next)
		fprintf(stderr, " [%u>%u st %d slen %u rlen %u]", t->lport, t->rport, t->state,
			t->slen, t->rlen);
	for (t = tcb_time_wait_first(); t; t = t->next)
		fprintf(stderr, " [%u>%u TIME_WAIT]", t->lport, t->rport);
	fprintf(stderr, "\n");
}

static void setup(void)
{
	struct sockaddr_in a80 = addr_in(INADDR_ANY, 80), a7 = addr_in(INADDR_ANY, 7);
	struct sockaddr_in peer = addr_in(FRAMES_GW, PEER_PORT);
	struct sock *s;
	int err;

	frames_libos_reset();
	frames_check_reset();
	frames_eth_reset();
	frames_input_reset();
	memset(slot, 0, sizeof(slot));
	err = tcp_create(&s) || s->ops->bind(s, (struct sockaddr *)&a80, sizeof(a80)) ||
	      s->ops->listen(s, BACKLOG);
	CHECK(!err);
	slot[SLOT_LISTEN].s = s;
	err = udp_create(&s) || s->ops->bind(s, (struct sockaddr *)&a7, sizeof(a7));
	CHECK(!err);
	slot[SLOT_UDP].s = s;
	slot[SLOT_UDP].udp = 1;
	err = tcp_create(&s);
	CHECK(!err);
	slot[SLOT_CONNECT].s = s;
	err = s->ops->connect(s, (struct sockaddr *)&peer, sizeof(peer), 1);
	CHECK(err == -EINPROGRESS);
}

/* Nobody answers: retransmissions give up, TIME_WAIT and orphans' FIN_WAIT_2 run out. */
static void settle(void)
{
	uint64_t end = frames_now + SILENCE_NS, due;

	while ((tcb_first() || tcb_time_wait_first()) && frames_now < end) {
		due = tcp_due();
		frames_now = !due ? end : due > frames_now ? due : frames_now + 1000000;
		tcp_tick(frames_now);
		eth_tick(frames_now);
		frames_check_tcbs();
	}
}

static void teardown(void)
{
	frames_tx_full = 0;
	tcp_tx_ready();
	for (int i = SLOTS - 1; i >= 0; i--)
		op_close(&(struct rec){ .op = OP_CLOSE, .arg = (uint8_t)i });
	settle();
	for (const struct tcb *t = tcb_first(); t; t = t->next)
		fprintf(stderr,
			"fuzz_frames: an hour after the last close, %u>%u is still in state %d "
			"(orphan %d, persist %d, slen %u, snd_wnd %u, t_rexmt %llu)\n",
			t->lport, t->rport, t->state, t->orphan, t->persist, t->slen, t->snd_wnd,
			(unsigned long long)t->t_rexmt);
	CHECK(!tcb_first() && !tcb_time_wait_first());
	CHECK(frames_pages == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec r;

	frames_trace = getenv("FRAMES_TRACE") != NULL;
	setup();
	while (next_rec(&data, &size, &r)) {
		run(&r);
		if (frames_trace)
			trace(&r);
		frames_check_tcbs();
		CHECK(frames_tx_held == 0 && frames_parks == 0);
	}
	teardown();
	return 0;
}
