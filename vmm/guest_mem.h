/* guest_mem.h: guest RAM and the one checked translation into it. */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include <stdint.h>

struct guest_mem {
	uint8_t *base;
	uint64_t size;
};

/* Host pointer to [gpa, gpa + len), or NULL if any byte lies outside RAM. */
static inline void *gpa_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end) || end > m->size)
		return 0;
	return m->base + gpa;
}

#endif
