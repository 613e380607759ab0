/* net_wire.h: what both ends of the network tests agree on: the byte stream of
 * tests/tools/pattern.c at any offset, and the CRC that POSIX cksum prints.
 * Included by tests/guest/net_echo.c (guest) and tests/tools/net_peer.c (host);
 * plain C, little-endian like pattern.c. */
#ifndef NET_WIRE_H
#define NET_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The seed of every stream unless told otherwise: not 0, so each byte of a word varies. */
#define WIRE_SEED 1

/* The 64-bit word at byte offset o (a multiple of 8) is o ^ key. */
static inline uint64_t wire_key(uint64_t seed)
{
	return seed * 0x9e3779b97f4a7c15ULL;
}

static inline uint8_t wire_byte(uint64_t key, uint64_t off)
{
	return (uint8_t)(((off & ~7ULL) ^ key) >> (8 * (off & 7)));
}

/* n bytes of the stream, starting at stream offset off (any alignment). */
static inline void wire_fill(uint8_t *buf, size_t n, uint64_t key, uint64_t off)
{
	size_t i = 0;

	for (; i < n && ((off + i) & 7); i++)
		buf[i] = wire_byte(key, off + i);
	for (; i + 8 <= n; i += 8) {
		uint64_t w = (off + i) ^ key;

		memcpy(buf + i, &w, 8);
	}
	for (; i < n; i++)
		buf[i] = wire_byte(key, off + i);
}

/* The index of the first byte of buf that is not the stream at off, or n. */
static inline size_t wire_check(const uint8_t *buf, size_t n, uint64_t key, uint64_t off)
{
	size_t i = 0;

	for (; i < n && ((off + i) & 7); i++)
		if (buf[i] != wire_byte(key, off + i))
			return i;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, buf + i, 8);
		if (w != ((off + i) ^ key))
			break; /* the byte loop below finds which byte */
	}
	for (; i < n; i++)
		if (buf[i] != wire_byte(key, off + i))
			return i;
	return n;
}

/* cksum's CRC: CRC-32 (0x04c11db7), most significant bit first, over the data and
 * then the length's bytes, least significant first; complemented. Eight tables so a
 * benchmark's sink is not limited by a byte-at-a-time loop. */
static uint32_t wire_crc_tab[8][256];

struct wire_crc {
	uint32_t crc;
	uint64_t len;
};

/* Once, before any thread computes a CRC. */
static inline void wire_crc_tables(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b << 24;

		for (int k = 0; k < 8; k++)
			c = c & 0x80000000u ? c << 1 ^ 0x04c11db7u : c << 1;
		wire_crc_tab[0][b] = c;
	}
	for (int k = 1; k < 8; k++)
		for (int b = 0; b < 256; b++) {
			uint32_t c = wire_crc_tab[k - 1][b];

			wire_crc_tab[k][b] = c << 8 ^ wire_crc_tab[0][c >> 24];
		}
}

static inline uint32_t wire_crc_bytes(uint32_t crc, const uint8_t *p, size_t n)
{
	const uint32_t(*t)[256] = (const uint32_t(*)[256])wire_crc_tab;

	for (; n >= 8; p += 8, n -= 8) {
		crc ^= (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		crc = t[7][crc >> 24] ^ t[6][crc >> 16 & 0xff] ^ t[5][crc >> 8 & 0xff] ^
		      t[4][crc & 0xff] ^ t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
	}
	for (; n; p++, n--)
		crc = crc << 8 ^ t[0][(crc >> 24) ^ *p];
	return crc;
}

static inline void wire_crc_update(struct wire_crc *c, const void *p, size_t n)
{
	c->crc = wire_crc_bytes(c->crc, p, n);
	c->len += n;
}

/* "CRC LENGTH\n", as cksum prints it for the same bytes (without a file name). */
static inline int wire_crc_line(const struct wire_crc *c, char *line, size_t size)
{
	uint32_t crc = c->crc;

	for (uint64_t len = c->len; len; len >>= 8) {
		uint8_t b = (uint8_t)len;

		crc = wire_crc_bytes(crc, &b, 1);
	}
	return snprintf(line, size, "%u %llu\n", ~crc, (unsigned long long)c->len);
}

#endif
