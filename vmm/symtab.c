/* symtab.c: function symbols from an untrusted ELF image's .symtab. */
#include "symtab.h"

#include <stdlib.h>
#include <string.h>

#include "elf_sections.h"

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Finds SHT_SYMTAB and its string table; 0 if the image has none. */
static int find_tables(const uint8_t *buf, size_t len, Elf64_Shdr *sym, Elf64_Shdr *str)
{
	unsigned n = elf_section_count(buf, len);

	for (unsigned i = 0; i < n; i++)
		if (elf_section(buf, len, i, sym) && sym->sh_type == SHT_SYMTAB)
			return elf_section(buf, len, sym->sh_link, str) && str->sh_size > 0;
	return 0;
}

int symtab_load(struct symtab *st, const uint8_t *buf, size_t len)
{
	Elf64_Shdr symsh, strsh;
	const char *file = NULL;
	size_t count;

	memset(st, 0, sizeof(*st));
	if (!find_tables(buf, len, &symsh, &strsh))
		return 0;
	count = symsh.sh_size / sizeof(Elf64_Sym);
	st->syms = calloc(count ? count : 1, sizeof(*st->syms));
	if (!st->syms)
		return -1;
	for (size_t i = 0; i < count; i++) {
		Elf64_Sym s;
		const char *name;

		memcpy(&s, buf + symsh.sh_offset + i * sizeof(s), sizeof(s));
		name = elf_string(buf, &strsh, s.st_name);
		/* Local symbols follow the STT_FILE entry of their object file. */
		if (ELF64_ST_TYPE(s.st_info) == STT_FILE)
			file = name;
		if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || !name || !*name)
			continue;
		st->syms[st->n++] =
		    (struct sym){ s.st_value, s.st_size, name,
				  ELF64_ST_BIND(s.st_info) == STB_LOCAL ? file : NULL };
	}
	qsort(st->syms, st->n, sizeof(*st->syms), by_addr);
	return 0;
}

const struct sym *symtab_lookup(const struct symtab *st, uint64_t addr)
{
	size_t lo = 0, hi = st->n;
	const struct sym *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	s = &st->syms[lo - 1];
	/* Symbols without a size (hand-written assembly) match up to the next one. */
	if (s->size && addr - s->addr >= s->size)
		return NULL;
	return s;
}

void symtab_free(struct symtab *st)
{
	free(st->syms);
	memset(st, 0, sizeof(*st));
}
