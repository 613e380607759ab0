/* dwarf_fixture.h: hand-built line programs and the checks the DWARF line tests share. */
#ifndef DWARF_FIXTURE_H
#define DWARF_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "dwarf_builder.h"
#include "dwarf_line.h"

/* Names lie in the image and end there, or are the static "??"; rows are sorted. */
static inline void check_sane(const struct line_table *lt, const uint8_t *img, size_t len)
{
	const char *end = (const char *)img + len;

	for (size_t i = 0; i < lt->nfiles; i++) {
		const char *f = lt->files[i];

		assert_non_null(f);
		if (f >= (const char *)img && f < end)
			assert_non_null(memchr(f, 0, (size_t)(end - f)));
		else
			assert_string_equal(f, "??");
	}
	for (size_t i = 0; i < lt->n; i++) {
		const struct line_row *r = &lt->rows[i];
		size_t last = i;
		const char *f;
		unsigned line;

		assert_true(r->file < lt->nfiles || r->file == LINE_END || r->file == LINE_NOFILE);
		assert_true(i == 0 || lt->rows[i - 1].addr <= r->addr);
		while (last + 1 < lt->n && lt->rows[last + 1].addr == r->addr)
			last++;
		/* Of rows at one address, the last one answers. */
		assert_int_equal(line_table_lookup(lt, r->addr, &f, &line),
				 lt->rows[last].file != LINE_END);
	}
}

/* Loads an image, checks it is sane and frees it; returns how many rows it gave. */
static inline size_t load_sane(const uint8_t *img, size_t len)
{
	struct line_table lt;
	size_t n;

	assert_int_equal(line_table_load(&lt, img, len), 0);
	check_sane(&lt, img, len);
	n = lt.n;
	line_table_free(&lt);
	return n;
}

/* addr maps to file:line, or to nothing when file is NULL. */
static inline void expect(const struct line_table *lt, uint64_t addr, const char *file,
			  unsigned line)
{
	const char *f = NULL;
	unsigned l = 0;
	int found = line_table_lookup(lt, addr, &f, &l);

	if (!file && found)
		fail_msg("%#llx: expected nothing, got %s:%u", (unsigned long long)addr, f, l);
	if (file && (!found || strcmp(f, file) || l != line))
		fail_msg("%#llx: expected %s:%u, got %s:%u", (unsigned long long)addr, file, line,
			 found ? f : "nothing", l);
}

static const char *const no_dirs[] = { NULL };

static const char *const odd_files[] = { "a/b/c.c", "dir/", "/", NULL };

/* Loads .debug_line (and .debug_line_str) as an image, checked; frees the builders. */
static inline uint8_t *load_db(struct line_table *lt, struct db *line, struct db *lstr)
{
	size_t len;
	uint8_t *img = db_image(line, lstr, NULL, &len);

	assert_int_equal(line_table_load(lt, img, len), 0);
	check_sane(lt, img, len);
	db_free(line);
	if (lstr)
		db_free(lstr);
	return img;
}

static inline void done(struct line_table *lt, uint8_t *img)
{
	line_table_free(lt);
	free(img);
}

/*
 * A DWARF 4 unit (or 2, 3) of two sequences at base and base + 0x1000, using
 * every standard opcode. Rows: base a.c:10, +4 a.c:11, +6 b.h:16, +0x17 a.c:6,
 * +0x117 a.c:100, end at +0x120; base + 0x1000 a.c:3, end at base + 0x1018.
 */
static inline void unit_v4(struct db *b, struct db_unit u, uint64_t base)
{
	static const char *const dirs[] = { "src", NULL }, *const files[] = { "src/a.c", "b.h",
									      NULL };

	db_begin(b, &u);
	db_v4_lists(b, dirs, files);
	db_program(b, &u);
	db_set_address(b, base);
	db_op(b, DW_LNS_advance_line, 9);
	db_op(b, DW_LNS_copy, 0);
	db_special(b, &u, 4, 1);
	db_op(b, DW_LNS_set_file, 2);
	db_special(b, &u, 2, 5);
	db_op(b, DW_LNS_set_file, 1);
	db_op(b, DW_LNS_advance_line, -10);
	db_op(b, DW_LNS_const_add_pc, 0); /* (255 - 13) / 14 = 17 */
	db_op(b, DW_LNS_copy, 0);
	db_op(b, DW_LNS_fixed_advance_pc, 0x100);
	db_op(b, DW_LNS_advance_line, 94);
	db_op(b, DW_LNS_copy, 0);
	/* Opcodes that touch nothing a row keeps. */
	db_op(b, DW_LNS_set_column, 700);
	db_op(b, DW_LNS_negate_stmt, 0);
	db_op(b, DW_LNS_set_basic_block, 0);
	db_op(b, DW_LNS_set_prologue_end, 0);
	db_op(b, DW_LNS_set_epilogue_begin, 0);
	db_op(b, DW_LNS_set_isa, 1);
	db_ext(b, DW_LNE_set_discriminator, 2);
	db_uleb(b, 3);
	db_op(b, DW_LNS_advance_pc, 9);
	db_end_sequence(b);
	db_set_address(b, base + 0x1000);
	db_special(b, &u, 0, 2);
	db_special(b, &u, 8, 0); /* the same line again: no new row */
	db_op(b, DW_LNS_advance_pc, 16);
	db_end_sequence(b);
	db_end(b, &u);
}

static inline void expect_v4(const struct line_table *lt, uint64_t base)
{
	expect(lt, base - 1, NULL, 0);
	expect(lt, base, "a.c", 10);
	expect(lt, base + 3, "a.c", 10);
	expect(lt, base + 4, "a.c", 11);
	expect(lt, base + 6, "b.h", 16);      /* set_file */
	expect(lt, base + 0x16, "b.h", 16);   /* between rows */
	expect(lt, base + 0x17, "a.c", 6);    /* advance_line -10, const_add_pc */
	expect(lt, base + 0x117, "a.c", 100); /* fixed_advance_pc */
	expect(lt, base + 0x11f, "a.c", 100);
	expect(lt, base + 0x120, NULL, 0); /* end_sequence */
	expect(lt, base + 0xfff, NULL, 0);
	expect(lt, base + 0x1000, "a.c", 3);
	expect(lt, base + 0x1017, "a.c", 3);
	expect(lt, base + 0x1018, NULL, 0);
}

static inline uint8_t *image_v4(struct db_unit u, size_t *len)
{
	struct db line = { 0 };
	uint8_t *img;

	unit_v4(&line, u, 0x1000);
	img = db_image(&line, NULL, NULL, len);
	db_free(&line);
	return img;
}

/* DWARF 5 as GCC writes it: file 0 is the primary file, names in .debug_line_str. */
static inline void unit_v5(struct db *line, struct db *lstr)
{
	struct db_unit u = db_unit(5);
	uint32_t dirs[2], files[3];

	dirs[0] = db_str(lstr, "/work");
	dirs[1] = db_str(lstr, "src");
	files[0] = files[1] = db_str(lstr, "src/prog.c");
	files[2] = db_str(lstr, "inc/x.h");
	db_begin(line, &u);
	db_v5_lists(line, dirs, 2, files, 3);
	db_program(line, &u);
	db_set_address(line, 0x4000);
	db_special(line, &u, 0, 4); /* prog.c:5 */
	db_op(line, DW_LNS_set_file, 2);
	db_special(line, &u, 3, 1); /* 0x4003 x.h:6 */
	db_op(line, DW_LNS_set_file, 0);
	db_special(line, &u, 2, -3); /* 0x4005 prog.c:3 */
	db_op(line, DW_LNS_set_file, 3);
	db_special(line, &u, 1, 0); /* 0x4006: no file 3 */
	db_op(line, DW_LNS_advance_pc, 2);
	db_end_sequence(line);
	db_end(line, &u);
}

/* DWARF 5 with names inline and in .debug_str, and data, block attributes to skip. */
static inline void unit_v5_forms(struct db *line, struct db *str)
{
	static const uint16_t dir_format[] = { DW_LNCT_path, DW_FORM_string };
	static const uint16_t file_format[] = {
		DW_LNCT_directory_index, DW_FORM_data1, DW_LNCT_path, DW_FORM_strp,
		DW_LNCT_timestamp,	 DW_FORM_block, DW_LNCT_size, DW_FORM_data8,
		0x2001 /* a vendor's */, DW_FORM_data2, DW_LNCT_MD5,  DW_FORM_data16
	};
	struct db_unit u = db_unit(5);

	db_begin(line, &u);
	db_format(line, 1, dir_format);
	db_uleb(line, 1);
	db_str(line, "/build");
	db_format(line, 6, file_format);
	db_uleb(line, 2);
	for (int i = 0; i < 2; i++) {
		db_int(line, 0, 1);
		db_int(line, db_str(str, i ? "lib/z.c" : "other.c"), 4);
		db_uleb(line, 3);
		db_bytes(line, "abc", 3);
		db_int(line, 1234, 8);
		db_int(line, 7, 2);
		db_bytes(line, "0123456789abcdef", 16);
	}
	db_program(line, &u);
	db_set_address(line, 0x5000);
	db_op(line, DW_LNS_copy, 0); /* the file register starts at 1 */
	db_op(line, DW_LNS_set_file, 0);
	db_special(line, &u, 4, 1);
	db_op(line, DW_LNS_advance_pc, 4);
	db_end_sequence(line);
	db_end(line, &u);
}

/*
 * Both DWARF 5 units. The section named by last (0 .debug_line,
 * 1 .debug_line_str, 2 .debug_str) ends the file.
 */
static inline uint8_t *image_v5(size_t *len, int last)
{
	struct db line = { 0 }, lstr = { 0 }, str = { 0 };
	struct db_sect s[3], t;
	uint8_t *img;

	unit_v5(&line, &lstr);
	unit_v5_forms(&line, &str);
	s[0] = (struct db_sect){ ".debug_line", line.p, line.n };
	s[1] = (struct db_sect){ ".debug_line_str", lstr.p, lstr.n };
	s[2] = (struct db_sect){ ".debug_str", str.p, str.n };
	t = s[last];
	s[last] = s[2];
	s[2] = t;
	img = db_elf(s, 3, len);
	db_free(&line);
	db_free(&lstr);
	db_free(&str);
	return img;
}

#endif
