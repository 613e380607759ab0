/* eth.c: Ethernet in and out, and ARP (RFC 826): a small cache, answers, resolution. */
#include <errno.h>
#include <string.h>

#include "libos.h"
#include "net.h"

#define ARP_LEN	     28
#define ARP_REQUEST  1
#define ARP_REPLY    2
#define ARP_ENTRIES  16
#define ARP_TTL_NS   60000000000ULL /* then resolved again, as a peer's MAC may change */
#define ARP_RETRY_NS 1000000000ULL
#define ARP_TRIES    3
#define TICK_NS	     100000000ULL /* retries need no finer clock than this */

enum { FREE, PENDING, RESOLVED };

/* One packet waits per unresolved address; a newer one replaces it (RFC 1122 2.3.2.2). */
struct arp_entry {
	int state, tries;
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	uint64_t expires; /* RESOLVED: time to forget; PENDING: time to ask again */
	size_t pending_len;
	uint8_t pending[ETH_MTU];
};

static struct arp_entry cache[ARP_ENTRIES];
static uint64_t next_tick;
static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int send_frame(const uint8_t *dst, uint16_t type, const void *payload, size_t len)
{
	uint8_t h[ETH_HLEN];

	memcpy(h, dst, ETH_ALEN);
	memcpy(h + ETH_ALEN, net_if.mac, ETH_ALEN);
	put16(h + 12, type);
	return net_dev_send(h, payload, len);
}

static int send_arp(uint16_t op, const uint8_t *tha, uint32_t tpa)
{
	uint8_t a[ARP_LEN];

	put16(a, 1); /* Ethernet */
	put16(a + 2, ETHERTYPE_IPV4);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, net_if.mac, ETH_ALEN);
	put32(a + 14, net_if.ip);
	memcpy(a + 18, op == ARP_REPLY ? tha : (const uint8_t[ETH_ALEN]){ 0 }, ETH_ALEN);
	put32(a + 24, tpa);
	return send_frame(op == ARP_REPLY ? tha : broadcast, ETHERTYPE_ARP, a, ARP_LEN);
}

static struct arp_entry *lookup(uint32_t ip)
{
	for (int i = 0; i < ARP_ENTRIES; i++)
		if (cache[i].state != FREE && cache[i].ip == ip)
			return &cache[i];
	return NULL;
}

/* A free entry, else the one that expires soonest: the cache never refuses. */
static struct arp_entry *claim(uint32_t ip)
{
	struct arp_entry *e = &cache[0];

	for (int i = 0; i < ARP_ENTRIES && e->state != FREE; i++)
		if (cache[i].state == FREE || cache[i].expires < e->expires)
			e = &cache[i];
	e->state = FREE;
	e->ip = ip;
	e->pending_len = 0;
	return e;
}

static void resolved(struct arp_entry *e, const uint8_t *mac)
{
	memcpy(e->mac, mac, ETH_ALEN);
	e->state = RESOLVED;
	e->expires = clock_monotonic_ns() + ARP_TTL_NS;
	if (e->pending_len)
		send_frame(e->mac, ETHERTYPE_IPV4, e->pending, e->pending_len);
	e->pending_len = 0;
}

/* Hardware Ethernet, IPv4, sizes 6 and 4; a sender that is a unicast other than us (or 0). */
static int arp_sane(const uint8_t *a)
{
	static const uint8_t zero[ETH_ALEN];

	return get16(a) == 1 && get16(a + 2) == ETHERTYPE_IPV4 && a[4] == ETH_ALEN && a[5] == 4 &&
	       !(a[8] & 1) && memcmp(a + 8, net_if.mac, ETH_ALEN) != 0 &&
	       memcmp(a + 8, zero, ETH_ALEN) != 0;
}

/* RFC 826's merge: refresh whoever we know; learn the sender only if it asked us. */
static void arp_input(const uint8_t *a, size_t len)
{
	uint32_t spa, tpa;
	struct arp_entry *e;

	if (len < ARP_LEN || !arp_sane(a))
		return;
	spa = get32(a + 14);
	tpa = get32(a + 24);
	if (spa == 0 || spa == IP_BROADCAST) /* a probe (RFC 5227): no address to learn */
		e = NULL;
	else if ((e = lookup(spa)) != NULL)
		resolved(e, a + 8);
	if (!net_if.ip || tpa != net_if.ip)
		return;
	if (spa && spa != IP_BROADCAST && !e)
		resolved(claim(spa), a + 8);
	if (get16(a + 6) == ARP_REQUEST)
		send_arp(ARP_REPLY, a + 8, spa);
}

/* Ours, or broadcast; a multicast group we never joined is not. */
void eth_input(const uint8_t *frame, size_t len)
{
	if (len < ETH_HLEN)
		return;
	if (memcmp(frame, net_if.mac, ETH_ALEN) && memcmp(frame, broadcast, ETH_ALEN))
		return;
	switch (get16(frame + 12)) {
	case ETHERTYPE_ARP:
		arp_input(frame + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETHERTYPE_IPV4:
		ip_input(frame + ETH_HLEN, len - ETH_HLEN);
		break;
	}
}

int eth_output(uint32_t next_hop, const void *packet, size_t len)
{
	struct arp_entry *e;

	if (len > ETH_MTU)
		return -EMSGSIZE;
	if (ip_broadcast(next_hop))
		return send_frame(broadcast, ETHERTYPE_IPV4, packet, len);
	e = lookup(next_hop);
	if (e && e->state == RESOLVED)
		return send_frame(e->mac, ETHERTYPE_IPV4, packet, len);
	if (!e) {
		e = claim(next_hop);
		e->state = PENDING;
		e->tries = 1;
		e->expires = clock_monotonic_ns() + ARP_RETRY_NS;
		send_arp(ARP_REQUEST, NULL, next_hop);
	}
	memcpy(e->pending, packet, len);
	e->pending_len = len;
	return 0;
}

/* Pending: ask again, or give up (the packet is lost, as on any unreachable host). */
static int expire(struct arp_entry *e, uint64_t now)
{
	if (e->state == FREE || now < e->expires)
		return 0;
	if (e->state == RESOLVED || e->tries == ARP_TRIES) {
		e->state = FREE;
		return 0;
	}
	e->tries++;
	e->expires = now + ARP_RETRY_NS;
	send_arp(ARP_REQUEST, NULL, e->ip);
	return 1;
}

/* From the driver's poller, which runs at least once a second even when idle. */
int eth_tick(uint64_t now_ns)
{
	int n = 0;

	if (now_ns < next_tick)
		return 0;
	next_tick = now_ns + TICK_NS;
	for (int i = 0; i < ARP_ENTRIES; i++)
		n += expire(&cache[i], now_ns);
	return n;
}
