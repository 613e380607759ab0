/* dwarf_cursor.h: a bounded little-endian reader over untrusted DWARF bytes. */
#ifndef VMM_DWARF_CURSOR_H
#define VMM_DWARF_CURSOR_H

#include <stdint.h>
#include <string.h>

/* A bounded reader: a read past end sets bad and yields 0, so callers check once at the end. */
struct cur {
	const uint8_t *p, *end;
	int bad;
};

static inline void fail(struct cur *c)
{
	c->bad = 1;
	c->p = c->end;
}

static inline void skip(struct cur *c, uint64_t n)
{
	if (c->bad || (uint64_t)(c->end - c->p) < n)
		fail(c);
	else
		c->p += n;
}

/* A little-endian integer of size bytes, size <= 8. */
static inline uint64_t get(struct cur *c, unsigned size)
{
	const uint8_t *p = c->p;
	uint64_t v = 0;

	skip(c, size);
	for (unsigned i = 0; i < size && !c->bad; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* LEB128. Bits past 64 are dropped but every byte is consumed, to stay in step. */
static inline uint64_t leb(struct cur *c, int sign)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (c->bad || c->p == c->end) {
			fail(c);
			return 0;
		}
		b = *c->p++;
		if (shift < 64) {
			v |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
		}
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	return v;
}

/* A NUL-terminated string at the cursor, or NULL. */
static inline const char *cstr(struct cur *c)
{
	const uint8_t *nul;
	const char *s = (const char *)c->p;

	if (c->bad || c->p == c->end || !(nul = memchr(c->p, 0, (size_t)(c->end - c->p)))) {
		fail(c);
		return NULL;
	}
	c->p = nul + 1;
	return s;
}

static inline const char *str_at(const struct cur *s, uint64_t off)
{
	size_t n = s->p ? (size_t)(s->end - s->p) : 0;

	if (off >= n || !memchr(s->p + off, 0, n - off))
		return NULL;
	return (const char *)s->p + off;
}

#endif
