/* dwarf_line.h: source file and line of code addresses, from the image's DWARF .debug_line. */
#ifndef VMM_DWARF_LINE_H
#define VMM_DWARF_LINE_H

#include <stddef.h>
#include <stdint.h>

/* More rows than any guest needs (a large program has tens of thousands): bounds memory. */
#define LINE_MAX_ROWS (4u << 20)

/* row.file values that are not indexes into line_table.files. */
#define LINE_END    UINT32_MAX	     /* ends a sequence: no line for this address on */
#define LINE_NOFILE (UINT32_MAX - 1) /* the program named a file the unit lacks */

struct line_row {
	uint64_t addr;
	uint32_t file; /* index into line_table.files, LINE_END or LINE_NOFILE */
	uint32_t line;
};

struct line_table {
	struct line_row *rows; /* sorted by addr; a row holds up to the next one */
	size_t n;
	const char **files; /* base names, NUL-terminated, in the image or static */
	size_t nfiles;
};

/*
 * Reads .debug_line (DWARF 2 to 5) of the ELF image in elf, which must outlive
 * the table: names point into it. Malformed units are skipped. 0 on success,
 * n = 0 without line information; -1 when out of memory.
 */
int line_table_load(struct line_table *lt, const uint8_t *elf, size_t len);

/* 1 and the file's base name and line of addr; 0 if no sequence covers addr. */
int line_table_lookup(const struct line_table *lt, uint64_t addr, const char **file,
		      unsigned *line);
void line_table_free(struct line_table *lt);

#endif
