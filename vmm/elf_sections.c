/* elf_sections.c: find sections and strings in an untrusted ELF image. */
#include "elf_sections.h"

#include <string.h>

unsigned elf_section_count(const uint8_t *elf, size_t len)
{
	Elf64_Ehdr eh;

	if (len < sizeof(eh))
		return 0;
	memcpy(&eh, elf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !elf_in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), len))
		return 0;
	return eh.e_shnum;
}

int elf_section(const uint8_t *elf, size_t len, unsigned i, Elf64_Shdr *sh)
{
	Elf64_Ehdr eh;

	if (i >= elf_section_count(elf, len))
		return 0;
	memcpy(&eh, elf, sizeof(eh));
	memcpy(sh, elf + eh.e_shoff + i * sizeof(*sh), sizeof(*sh));
	return sh->sh_type != SHT_NOBITS && !(sh->sh_flags & SHF_COMPRESSED) &&
	       elf_in_file(sh->sh_offset, sh->sh_size, len);
}

const char *elf_string(const uint8_t *elf, const Elf64_Shdr *strtab, uint64_t off)
{
	if (off >= strtab->sh_size ||
	    !memchr(elf + strtab->sh_offset + off, 0, strtab->sh_size - off))
		return NULL;
	return (const char *)elf + strtab->sh_offset + off;
}

int elf_section_named(const uint8_t *elf, size_t len, const char *name, Elf64_Shdr *sh)
{
	unsigned n = elf_section_count(elf, len);
	Elf64_Shdr names;
	Elf64_Ehdr eh;

	if (!n)
		return 0;
	memcpy(&eh, elf, sizeof(eh));
	if (!elf_section(elf, len, eh.e_shstrndx, &names))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		const char *s;

		if (!elf_section(elf, len, i, sh))
			continue;
		s = elf_string(elf, &names, sh->sh_name);
		if (s && !strcmp(s, name))
			return 1;
	}
	return 0;
}
