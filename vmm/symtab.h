/* symtab.h: the image's function symbols, for symbolized fault reports. */
#ifndef VMM_SYMTAB_H
#define VMM_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

struct sym {
	uint64_t addr, size;
	const char *name; /* point into the image buffer, NUL-checked */
	const char *file; /* source file for local symbols, or NULL */
};

struct symtab {
	struct sym *syms; /* sorted by addr */
	size_t n;
};

/* Reads .symtab from the ELF image in buf; an image without one gives n = 0. */
int symtab_load(struct symtab *st, const uint8_t *buf, size_t len);
const struct sym *symtab_lookup(const struct symtab *st, uint64_t addr);
void symtab_free(struct symtab *st);

#endif
