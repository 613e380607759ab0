/* fuzz_dwarf.c: libFuzzer target for line_table_load, on whole images and on bare .debug_line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_line.h"
#include "../unit/dwarf_builder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names lie in the buffer and end there, or are the static "??"; rows are sorted. */
static void check_files(const struct line_table *lt, const uint8_t *buf, size_t len)
{
	const char *end = (const char *)buf + len;

	for (size_t i = 0; i < lt->nfiles; i++) {
		const char *f = lt->files[i];

		if (f >= (const char *)buf && f < end) {
			if (!memchr(f, 0, (size_t)(end - f)))
				abort();
		} else if (strcmp(f, "??")) {
			abort();
		}
	}
}

/* Lookups answer from the last row at an address, and only inside a sequence. */
static void check_rows(const struct line_table *lt)
{
	for (size_t i = 0; i < lt->n; i++) {
		const struct line_row *r = &lt->rows[i], *next = i + 1 < lt->n ? r + 1 : NULL;
		const char *f;
		unsigned line;
		int found;

		if ((r->file >= lt->nfiles && r->file != LINE_END && r->file != LINE_NOFILE) ||
		    (next && next->addr < r->addr))
			abort();
		if (next && next->addr == r->addr)
			continue;
		found = line_table_lookup(lt, r->addr, &f, &line);
		if (found != (r->file != LINE_END) || (found && line != r->line))
			abort();
		if (r->addr && line_table_lookup(lt, r->addr - 1, &f, &line) && i == 0)
			abort(); /* nothing lies before the first row */
	}
}

static void check(const uint8_t *buf, size_t len)
{
	struct line_table lt;

	if (line_table_load(&lt, buf, len))
		return; /* out of memory */
	check_files(&lt, buf, len);
	check_rows(&lt);
	line_table_free(&lt);
}

/*
 * Most inputs die at the ELF header, so the input also goes in as a bare
 * .debug_line; it doubles as the string sections, so that string offsets
 * land on bytes the fuzzer controls.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db_sect s[3] = { { ".debug_line_str", data, size },
				{ ".debug_str", data, size },
				{ ".debug_line", data, size } };
	size_t len;
	uint8_t *img;

	check(data, size);
	img = db_elf(s, 3, &len);
	check(img, len);
	free(img);
	return 0;
}
