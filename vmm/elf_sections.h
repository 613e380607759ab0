/* elf_sections.h: the section headers of an untrusted ELF image. */
#ifndef VMM_ELF_SECTIONS_H
#define VMM_ELF_SECTIONS_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* Does [off, off + size) fit in a buffer of len bytes? */
static inline int elf_in_file(uint64_t off, uint64_t size, size_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, size, &end) && end <= len;
}

/*
 * Section i, if its bytes lie wholly in the file (no NOBITS, no compressed
 * data, which would need zlib). 0 if there is no such section.
 */
int elf_section(const uint8_t *elf, size_t len, unsigned i, Elf64_Shdr *sh);

/* The first readable section of that name; 0 if none. */
int elf_section_named(const uint8_t *elf, size_t len, const char *name, Elf64_Shdr *sh);

/* Number of section headers, 0 if the table is malformed. */
unsigned elf_section_count(const uint8_t *elf, size_t len);

/* The NUL-terminated string at off in a string table section, or NULL. */
const char *elf_string(const uint8_t *elf, const Elf64_Shdr *strtab, uint64_t off);

#endif
