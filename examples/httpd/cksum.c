/* cksum.c: the CRC of POSIX cksum (CRC-32, polynomial 0x04c11db7, MSB first, the length
 * appended), so that a test can compare an upload with `cksum < file`. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "httpd.h"

static uint32_t table[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i << 24;

		for (int k = 0; k < 8; k++)
			c = c & 0x80000000u ? (c << 1) ^ 0x04c11db7u : c << 1;
		table[i] = c;
	}
}

uint32_t cksum_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	pthread_once(&once, make_table);
	for (size_t i = 0; i < len; i++)
		crc = (crc << 8) ^ table[(crc >> 24) ^ p[i]];
	return crc;
}

/* The length goes in after the data, low byte first, as few bytes as it needs. */
uint32_t cksum_final(uint32_t crc, uint64_t length)
{
	for (; length; length >>= 8) {
		unsigned char b = (unsigned char)length;

		crc = cksum_update(crc, &b, 1);
	}
	return ~crc;
}
