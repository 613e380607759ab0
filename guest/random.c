/* random.c: getrandom() from a ChaCha20 stream keyed by vmm's seed. */
#include <string.h>

#include "libos.h"

static uint32_t key[8], counter[2];

static uint32_t rotl(uint32_t v, int n)
{
	return v << n | v >> (32 - n);
}

#define QR(a, b, c, d)                                                                         \
	(a += b, d = rotl(d ^ a, 16), c += d, b = rotl(b ^ c, 12), a += b, d = rotl(d ^ a, 8), \
	 c += d, b = rotl(b ^ c, 7))

/* One 64-byte ChaCha20 block (RFC 8439 layout, 64-bit counter, zero nonce). */
static void block(uint32_t out[16])
{
	static const uint32_t sigma[4] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	uint32_t x[16], in[16];

	memcpy(in, sigma, sizeof(sigma));
	memcpy(in + 4, key, sizeof(key));
	in[12] = counter[0];
	in[13] = counter[1];
	in[14] = in[15] = 0;
	memcpy(x, in, sizeof(x));
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		out[i] = x[i] + in[i];
	if (++counter[0] == 0)
		counter[1]++;
}

void random_init(const uint8_t seed[32])
{
	memcpy(key, seed, sizeof(key));
}

/* Each call ends by rekeying from the stream, so past output cannot be rebuilt. */
void random_fill(void *buf, size_t len)
{
	uint32_t out[16];
	uint8_t *p = buf;

	while (len) {
		size_t n = len < sizeof(out) ? len : sizeof(out);

		block(out);
		memcpy(p, out, n);
		p += n;
		len -= n;
	}
	block(out);
	memcpy(key, out, sizeof(key));
	memset(out, 0, sizeof(out));
}
