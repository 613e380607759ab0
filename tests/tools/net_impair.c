/* net_impair: a lossy, reordering wire between a VM's tap and the host (netem in userspace).
 *   net_impair --vm-ns A --vm-if tap0 --host-ns B --host-tap tapH [--loss PCT] [--reorder PCT]
 *              [--reorder-gap N] [--reorder-us N] [--delay-us N] [--seed N]
 * The VM's end is a packet socket on tap0 in namespace A, which vmm holds open; A must give
 * tap0 no address, so that only the VM answers there. The host's end is the existing tap
 * tapH in namespace B, which this program attaches to. A namespace is a name under
 * /var/run/netns or a path.
 * Each way on its own, a frame is dropped with probability --loss percent; else it is held
 * back with probability --reorder percent until --reorder-gap (3) later frames have
 * overtaken it or --reorder-us (10000) have passed; and every frame waits --delay-us (0).
 * The dice are seeded (--seed, 1), one stream per direction, so a run can be repeated.
 * Prints "net_impair: ready" on stdout once both ends are open; on SIGTERM or SIGINT one line
 * of counts per direction on stderr, then exit 0. A setup failure is one line on stderr and
 * exit 1; a usage error exits 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 2048 /* an MTU up to 2030; our taps carry 1514-byte frames */
#define HOLD_MAX  1024 /* frames held back per direction (netem's default limit) */
#define BATCH	  64   /* frames taken from one end before the other gets a turn */
#define RCVBUF	  (4 << 20)

struct held {
	uint64_t due_ns; /* sent by then at the latest */
	uint64_t seq;	 /* its place among the frames kept, in arrival order */
	int reorder;	 /* also sent once --reorder-gap later frames have gone */
	uint32_t len;
	uint8_t data[FRAME_MAX];
};

struct dir {
	const char *name;
	int in, out;
	uint64_t rng;
	uint64_t seq, sent_seq; /* frames kept so far; the latest of them sent */
	struct held slot[HOLD_MAX];
	int order[HOLD_MAX]; /* indices into slot of the held frames, oldest first */
	int free[HOLD_MAX];  /* indices of unused slots */
	int nheld, nfree, nreorder;
	unsigned long in_n, fwd, drop, reord, early, txerr, big;
};

static struct {
	uint64_t loss, reorder; /* probabilities, out of 2^32 */
	uint64_t gap, reorder_ns, delay_ns, seed;
	const char *vm_ns, *vm_if, *host_ns, *host_tap;
} cfg = { .gap = 3, .reorder_ns = 10000000, .seed = 1 };

static struct dir dirs[2]; /* [0] VM to host, [1] host to VM; large, so static */
static int pkt_fd = -1;
static volatile sig_atomic_t stop;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("net_impair: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* splitmix64: tiny, and any seed (0 too) gives a good stream. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A die roll is taken for every frame, even at 0 %, so that the stream, and with it the
 * fate of each frame, depends on the seed and the frame's place alone. */
static int roll(struct dir *d, uint64_t chance)
{
	return (next_rand(&d->rng) >> 32) < chance;
}

static void summary(void)
{
	struct tpacket_stats st = { 0 };
	socklen_t len = sizeof(st);

	for (int i = 0; i < 2; i++) {
		struct dir *d = &dirs[i];

		fprintf(stderr,
			"net_impair: %s in=%lu fwd=%lu drop=%lu reorder=%lu early=%lu txerr=%lu "
			"big=%lu held=%d\n",
			d->name, d->in_n, d->fwd, d->drop, d->reord, d->early, d->txerr, d->big,
			d->nheld);
	}
	/* Frames the kernel dropped before we read them are loss we did not choose. */
	if (pkt_fd >= 0 && getsockopt(pkt_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		fprintf(stderr, "net_impair: packet socket drops=%u\n", st.tp_drops);
}

static void send_frame(struct dir *d, const uint8_t *buf, uint32_t len, uint64_t seq)
{
	if (write(d->out, buf, len) == (ssize_t)len) {
		d->fwd++;
	} else {
		/* Not fatal: a tap with no reader (the VM not up yet) refuses frames for a while.
		 * The first error is shown so a wire that never works is not silent. */
		if (d->txerr++ == 0)
			fprintf(stderr,
				"net_impair: %s: write: %s (counted in txerr from now on)\n",
				d->name, strerror(errno));
	}
	if (seq > d->sent_seq)
		d->sent_seq = seq;
}

static void unhold(struct dir *d, int i)
{
	struct held *h = &d->slot[d->order[i]];

	send_frame(d, h->data, h->len, h->seq);
	d->nreorder -= h->reorder;
	d->free[d->nfree++] = d->order[i];
	d->nheld--;
	memmove(&d->order[i], &d->order[i + 1], (size_t)(d->nheld - i) * sizeof(d->order[0]));
}

static int ripe(const struct dir *d, const struct held *h, uint64_t now)
{
	return h->due_ns <= now || (h->reorder && d->sent_seq >= h->seq + cfg.gap);
}

/* Sends every held frame whose time has come or that enough frames have overtaken. Each
 * send can ripen an older reordered frame, so passes repeat until one sends nothing.
 * Without reordered frames the queue is in time order and the first unripe one ends it. */
static void release(struct dir *d, uint64_t now)
{
	int sent;

	do {
		sent = 0;
		for (int i = 0; i < d->nheld;) {
			if (ripe(d, &d->slot[d->order[i]], now)) {
				unhold(d, i);
				sent = 1;
			} else if (!d->nreorder) {
				break;
			} else {
				i++;
			}
		}
	} while (sent && d->nreorder);
}

static void hold(struct dir *d, const uint8_t *buf, uint32_t len, int reorder, uint64_t now)
{
	struct held *h;
	int s;

	/* Full: the oldest goes early rather than a frame being lost that --loss did not pick. */
	if (d->nheld == HOLD_MAX) {
		unhold(d, 0);
		d->early++;
	}
	s = d->free[--d->nfree];
	h = &d->slot[s];
	memcpy(h->data, buf, len);
	h->len = len;
	h->seq = d->seq;
	h->reorder = reorder;
	h->due_ns = now + cfg.delay_ns + (reorder ? cfg.reorder_ns : 0);
	d->order[d->nheld++] = s;
	d->reord += (unsigned long)reorder;
	d->nreorder += reorder;
}

/* One frame's fate: dropped, sent at once, or held back. */
static void frame(struct dir *d, const uint8_t *buf, size_t len, uint64_t now)
{
	int lost = roll(d, cfg.loss), late = roll(d, cfg.reorder);

	d->in_n++;
	if (len > FRAME_MAX) {
		if (d->big++ == 0)
			fprintf(stderr,
				"net_impair: %s: a frame over %d bytes dropped (counted in big)\n",
				d->name, FRAME_MAX);
		return;
	}
	if (lost) {
		d->drop++;
		return;
	}
	d->seq++;
	if (late || cfg.delay_ns)
		hold(d, buf, (uint32_t)len, late, now);
	else
		send_frame(d, buf, (uint32_t)len, d->seq);
	release(d, now);
}

/* Reads what one end has ready, BATCH frames at most. The packet socket also shows the
 * frames we send into tap0 (as outgoing); only what the VM wrote (incoming) is kept. */
static void pump(struct dir *d, int is_pkt)
{
	static uint8_t buf[FRAME_MAX + 1];
	uint64_t now = now_ns();

	for (int n = 0; n < BATCH; n++) {
		struct sockaddr_ll sll = { 0 };
		socklen_t sl = sizeof(sll);
		ssize_t len;

		if (is_pkt)
			len = recvfrom(d->in, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
				       (struct sockaddr *)&sll, &sl);
		else
			len = read(d->in, buf, sizeof(buf));
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (len < 0) {
			summary();
			die("%s: read: %s", d->name, strerror(errno));
		}
		if (is_pkt && sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		frame(d, buf, (size_t)len, now);
	}
}

/* How long poll may sleep: until the first held frame is due, or for ever. */
static struct timespec *wait_time(struct timespec *ts)
{
	uint64_t first = UINT64_MAX, now = now_ns();

	for (int i = 0; i < 2; i++)
		for (int j = 0; j < dirs[i].nheld; j++)
			if (dirs[i].slot[dirs[i].order[j]].due_ns < first)
				first = dirs[i].slot[dirs[i].order[j]].due_ns;
	if (first == UINT64_MAX)
		return NULL;
	first = first > now ? first - now : 0;
	ts->tv_sec = (time_t)(first / 1000000000);
	ts->tv_nsec = (long)(first % 1000000000);
	return ts;
}

/* SIGTERM and SIGINT stay blocked except inside ppoll, so a stop is never missed. */
static void relay(void)
{
	sigset_t during;

	sigprocmask(SIG_BLOCK, NULL, &during);
	sigdelset(&during, SIGTERM);
	sigdelset(&during, SIGINT);
	while (!stop) {
		struct pollfd p[2] = { { dirs[0].in, POLLIN, 0 }, { dirs[1].in, POLLIN, 0 } };
		struct timespec ts;

		if (ppoll(p, 2, wait_time(&ts), &during) < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll: %s", strerror(errno));
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].revents)
				pump(&dirs[i], i == 0);
			release(&dirs[i], now_ns());
		}
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void enter_ns(const char *ns)
{
	char path[PATH_MAX];
	int fd;

	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("network namespace %s: %s: %s", ns, path, strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns %s: %s", path, strerror(errno));
	close(fd);
}

/* The interface ifname in the current namespace: its index; it must exist and be up, or
 * every frame sent to it would be refused. */
static unsigned need_up(const char *ns, const char *ifname)
{
	struct ifreq ifr = { 0 };
	unsigned idx = if_nametoindex(ifname);
	int s;

	if (strlen(ifname) >= IFNAMSIZ)
		die("interface name too long: %s", ifname);
	if (idx == 0)
		die("no interface %s in namespace %s: %s", ifname, ns, strerror(errno));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket AF_INET: %s", strerror(errno));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS %s: %s", ifname, strerror(errno));
	if (!(ifr.ifr_flags & IFF_UP))
		die("%s in namespace %s is down", ifname, ns);
	close(s);
	return idx;
}

static int open_vm_end(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd, one = 1, rcv = RCVBUF;

	enter_ns(cfg.vm_ns);
	sll.sll_ifindex = (int)need_up(cfg.vm_ns, cfg.vm_if);
	/* Protocol 0 until bound: otherwise frames of every interface would queue first. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket AF_PACKET: %s", strerror(errno));
	/* An optimisation only: pump drops outgoing frames itself on kernels without it. */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* A deep queue: the VM can send faster than we are scheduled. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind packet socket to %s: %s", cfg.vm_if, strerror(errno));
	return fd;
}

static int open_host_end(void)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;

	/* The tun device belongs to the namespace current when it is opened. */
	enter_ns(cfg.host_ns);
	/* TUNSETIFF would create a missing tap, one nobody had set up: insist it exists. */
	need_up(cfg.host_ns, cfg.host_tap);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("/dev/net/tun: %s", strerror(errno));
	strcpy(ifr.ifr_name, cfg.host_tap);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF %s (must be a tap nobody else holds): %s", cfg.host_tap,
		    strerror(errno));
	return fd;
}

static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: net_impair --vm-ns NS --vm-if IF --host-ns NS --host-tap TAP\n"
	      "       [--loss PCT] [--reorder PCT] [--reorder-gap N] [--reorder-us N]\n"
	      "       [--delay-us N] [--seed N]\n",
	      stderr);
	exit(2);
}

static uint64_t parse_pct(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0 && v <= 100)) {
		fprintf(stderr, "net_impair: not a percentage from 0 to 100: %s\n", s);
		usage();
	}
	return (uint64_t)(v / 100 * 4294967296.0);
}

static uint64_t parse_num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *end || errno || *s == '-' || v > UINT32_MAX) {
		fprintf(stderr, "net_impair: not a number from 0 to %u: %s\n", UINT32_MAX, s);
		usage();
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm-ns", 1, 0, 'a' },
		{ "vm-if", 1, 0, 'i' },
		{ "host-ns", 1, 0, 'b' },
		{ "host-tap", 1, 0, 't' },
		{ "loss", 1, 0, 'l' },
		{ "reorder", 1, 0, 'r' },
		{ "reorder-gap", 1, 0, 'g' },
		{ "reorder-us", 1, 0, 'u' },
		{ "delay-us", 1, 0, 'd' },
		{ "seed", 1, 0, 's' },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			cfg.vm_ns = optarg;
			break;
		case 'i':
			cfg.vm_if = optarg;
			break;
		case 'b':
			cfg.host_ns = optarg;
			break;
		case 't':
			cfg.host_tap = optarg;
			break;
		case 'l':
			cfg.loss = parse_pct(optarg);
			break;
		case 'r':
			cfg.reorder = parse_pct(optarg);
			break;
		case 'g':
			cfg.gap = parse_num(optarg);
			break;
		case 'u':
			cfg.reorder_ns = parse_num(optarg) * 1000;
			break;
		case 'd':
			cfg.delay_ns = parse_num(optarg) * 1000;
			break;
		case 's':
			cfg.seed = parse_num(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !cfg.vm_ns || !cfg.vm_if || !cfg.host_ns || !cfg.host_tap)
		usage();
}

static void init_dir(struct dir *d, const char *name, int in, int out, uint64_t seed)
{
	d->name = name;
	d->in = in;
	d->out = out;
	d->rng = seed;
	for (int i = 0; i < HOLD_MAX; i++)
		d->free[i] = HOLD_MAX - 1 - i;
	d->nfree = HOLD_MAX;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t stops;
	int tap_fd;

	parse_args(argc, argv);
	/* Blocked from the start: a stop before the loop is seen by its first ppoll. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pkt_fd = open_vm_end();
	tap_fd = open_host_end();
	init_dir(&dirs[0], "vm>host", pkt_fd, tap_fd, cfg.seed * 2);
	init_dir(&dirs[1], "host>vm", tap_fd, pkt_fd, cfg.seed * 2 + 1);
	printf("net_impair: ready\n");
	fflush(stdout);
	relay();
	summary();
	return 0;
}
