/* test_dwarf_line.c: line lookups from hand-built DWARF 2-5 line programs, and hostile ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "dwarf_builder.h"
#include "dwarf_line.h"

/* Names lie in the image and end there, or are the static "??"; rows are sorted. */
static void check_sane(const struct line_table *lt, const uint8_t *img, size_t len)
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
static size_t load_sane(const uint8_t *img, size_t len)
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
static void expect(const struct line_table *lt, uint64_t addr, const char *file, unsigned line)
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
static uint8_t *load_db(struct line_table *lt, struct db *line, struct db *lstr)
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

static void done(struct line_table *lt, uint8_t *img)
{
	line_table_free(lt);
	free(img);
}

/*
 * A DWARF 4 unit (or 2, 3) of two sequences at base and base + 0x1000, using
 * every standard opcode. Rows: base a.c:10, +4 a.c:11, +6 b.h:16, +0x17 a.c:6,
 * +0x117 a.c:100, end at +0x120; base + 0x1000 a.c:3, end at base + 0x1018.
 */
static void unit_v4(struct db *b, struct db_unit u, uint64_t base)
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

static void expect_v4(const struct line_table *lt, uint64_t base)
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

static uint8_t *image_v4(struct db_unit u, size_t *len)
{
	struct db line = { 0 };
	uint8_t *img;

	unit_v4(&line, u, 0x1000);
	img = db_image(&line, NULL, NULL, len);
	db_free(&line);
	return img;
}

static void test_v4(void **state)
{
	static const unsigned versions[] = { 2, 3, 4 };
	struct line_table lt;
	size_t len;

	(void)state;
	for (int i = 0; i < 3; i++) {
		uint8_t *img = image_v4(db_unit(versions[i]), &len);

		assert_int_equal(line_table_load(&lt, img, len), 0);
		check_sane(&lt, img, len);
		assert_int_equal(lt.n, 8); /* 5 + end, 1 + end */
		expect_v4(&lt, 0x1000);
		expect(&lt, 0, NULL, 0);
		expect(&lt, UINT64_MAX, NULL, 0);
		line_table_free(&lt);
		free(img);
	}
}

/* 64-bit DWARF: 8-byte unit_length and header_length. */
static void test_dwarf64(void **state)
{
	struct db_unit u = db_unit(4);
	struct line_table lt;
	size_t len;
	uint8_t *img;

	(void)state;
	u.offsize = 8;
	img = image_v4(u, &len);
	assert_int_equal(line_table_load(&lt, img, len), 0);
	expect_v4(&lt, 0x1000);
	line_table_free(&lt);
	free(img);
}

/* DWARF 5 as GCC writes it: file 0 is the primary file, names in .debug_line_str. */
static void unit_v5(struct db *line, struct db *lstr)
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
static void unit_v5_forms(struct db *line, struct db *str)
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
static uint8_t *image_v5(size_t *len, int last)
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

static void test_v5(void **state)
{
	struct line_table lt;
	size_t len;
	uint8_t *img = image_v5(&len, 0);

	(void)state;
	assert_int_equal(line_table_load(&lt, img, len), 0);
	check_sane(&lt, img, len);
	expect(&lt, 0x3fff, NULL, 0);
	expect(&lt, 0x4000, "prog.c", 5);
	expect(&lt, 0x4003, "x.h", 6);
	expect(&lt, 0x4005, "prog.c", 3); /* file 0 is valid in DWARF 5 */
	expect(&lt, 0x4006, "??", 3);
	expect(&lt, 0x4008, NULL, 0);
	expect(&lt, 0x5000, "z.c", 1);
	expect(&lt, 0x5004, "other.c", 2);
	expect(&lt, 0x5007, "other.c", 2);
	expect(&lt, 0x5008, NULL, 0);
	done(&lt, img);
}

/* Programs whose rows need care: shared addresses, adjoining and empty sequences. */
static void test_sequences(void **state)
{
	struct db_unit u = db_unit(4);
	static const char *const files[] = { "s.c", NULL };
	struct db line = { 0 };
	struct line_table lt;
	uint8_t *img;

	(void)state;
	db_begin(&line, &u);
	db_v4_lists(&line, no_dirs, files);
	db_program(&line, &u);
	db_set_address(&line, 0x3000); /* comes first in the file, but second by address */
	db_op(&line, DW_LNS_copy, 0);
	db_special(&line, &u, 0, 1); /* same address: the last row wins */
	db_special(&line, &u, 0, 1);
	db_special(&line, &u, 4, 1);
	db_special(&line, &u, 0, -1); /* back to the previous line: one row from 0x3000 */
	db_special(&line, &u, 4, 2);
	db_end_sequence(&line); /* at the last row's address: that row holds nothing */
	db_set_address(&line, 0x2ff0);
	db_op(&line, DW_LNS_copy, 0);
	db_op(&line, DW_LNS_advance_pc, 0x10);
	db_end_sequence(&line); /* where the first one starts */
	db_set_address(&line, 0x4000);
	db_end_sequence(&line); /* empty */
	db_set_address(&line, 0x5000);
	db_op(&line, DW_LNS_copy, 0); /* never ended: must not match */
	db_end(&line, &u);
	img = load_db(&lt, &line, NULL);
	assert_int_equal(lt.n, 4);
	expect(&lt, 0x2ff0, "s.c", 1);
	expect(&lt, 0x2fff, "s.c", 1);
	expect(&lt, 0x3000, "s.c", 3);
	expect(&lt, 0x3007, "s.c", 3);
	expect(&lt, 0x3008, NULL, 0);
	expect(&lt, 0x4000, NULL, 0);
	expect(&lt, 0x5000, NULL, 0);
	done(&lt, img);
}

/*
 * DWARF 2 with opcode_base 10 (10-12 are special opcodes), define_file, file
 * 0 (invalid before DWARF 5), set_address of 4 bytes or of none, and names to
 * cut to their last component.
 */
static void test_dwarf2(void **state)
{
	struct db_unit u = db_unit(2);
	struct db line = { 0 };
	struct line_table lt;
	uint8_t *img;

	(void)state;
	u.opcode_base = 10;
	u.line_range = 7; /* so const_add_pc moves (255 - 10) / 7 = 35, not (255 - 13) / 7 */
	db_begin(&line, &u);
	db_v4_lists(&line, no_dirs, odd_files);
	db_program(&line, &u);
	db_ext(&line, DW_LNE_define_file, 1 + 8 + 3);
	db_str(&line, "x/def.c");
	db_bytes(&line, "\0\0\0", 3);
	db_ext(&line, DW_LNE_set_address, 17); /* no such address size: ignored */
	db_bytes(&line, "0123456789abcdef", 16);
	db_ext(&line, DW_LNE_set_address, 1);
	db_ext(&line, DW_LNE_set_address, 5);
	db_int(&line, 0x6000, 4);
	db_op(&line, DW_LNS_advance_line, 4);
	db_special(&line, &u, 0, -5); /* opcode 10: line 0 */
	assert_int_equal(line.p[line.n - 1], 10);
	for (int f = 0; f <= 5; f++) { /* 0 and 5 do not exist */
		db_op(&line, DW_LNS_set_file, f);
		db_special(&line, &u, 2, 1);
	}
	db_op(&line, DW_LNS_set_file, 1);
	db_op(&line, DW_LNS_const_add_pc, 0);
	db_op(&line, DW_LNS_copy, 0);
	db_op(&line, DW_LNS_advance_pc, 2);
	db_end_sequence(&line);
	db_end(&line, &u);
	img = load_db(&lt, &line, NULL);
	expect(&lt, 0x6000, "c.c", 0);
	expect(&lt, 0x6002, "??", 1); /* file 0 */
	expect(&lt, 0x6004, "c.c", 2);
	expect(&lt, 0x6006, "dir/", 3);
	expect(&lt, 0x6008, "/", 4);
	expect(&lt, 0x600a, "def.c", 5);
	expect(&lt, 0x600c, "??", 6);
	expect(&lt, 0x602e, "??", 6);
	expect(&lt, 0x602f, "c.c", 6); /* const_add_pc */
	expect(&lt, 0x6030, "c.c", 6);
	expect(&lt, 0x6031, NULL, 0);
	done(&lt, img);
}

/*
 * min_inst_length 4 alone (DWARF 3), then with VLIW op_index (DWARF 4); an
 * opcode newer than the reader, an unknown extended one, an overlong LEB128.
 */
static void test_vliw(void **state)
{
	struct db_unit v = db_unit(3), w = db_unit(4);
	struct db line = { 0 };
	struct line_table lt;
	uint8_t *img;

	(void)state;
	v.min_inst = 4;
	db_begin(&line, &v);
	db_v4_lists(&line, no_dirs, odd_files);
	db_program(&line, &v);
	db_set_address(&line, 0xa000);
	db_op(&line, DW_LNS_copy, 0);
	db_op(&line, DW_LNS_advance_pc, 3);
	db_special(&line, &v, 1, 1);
	db_op(&line, DW_LNS_advance_pc, 1);
	db_end_sequence(&line);
	db_end(&line, &v);

	w.min_inst = 4;
	w.max_ops = 3;
	w.opcode_base = 14; /* opcode 13: one LEB128 operand, says the header */
	db_begin(&line, &w);
	db_v4_lists(&line, no_dirs, odd_files);
	db_program(&line, &w);
	db_set_address(&line, 0x9000);
	db_op(&line, DW_LNS_copy, 0);
	db_int(&line, 13, 1);
	db_bytes(&line, "\x80\x80\x01", 3);
	db_ext(&line, 0x80, 4);
	db_bytes(&line, "xyz", 3);
	db_int(&line, DW_LNS_advance_pc, 1); /* 5 operations: 1 instruction, op_index 2 */
	db_bytes(&line, "\x85\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 13);
	db_special(&line, &w, 0, 1);
	db_special(&line, &w, 1, 1); /* op_index 3: the next instruction */
	db_op(&line, DW_LNS_advance_pc, 3);
	db_end_sequence(&line);
	db_end(&line, &w);
	img = load_db(&lt, &line, NULL);
	expect(&lt, 0xa00f, "c.c", 1); /* min_inst_length 4 */
	expect(&lt, 0xa010, "c.c", 2);
	expect(&lt, 0xa013, "c.c", 2);
	expect(&lt, 0xa014, NULL, 0);
	expect(&lt, 0x9000, "c.c", 1);
	expect(&lt, 0x9003, "c.c", 1);
	expect(&lt, 0x9004, "c.c", 2);
	expect(&lt, 0x9008, "c.c", 3);
	expect(&lt, 0x900b, "c.c", 3);
	expect(&lt, 0x900c, NULL, 0);
	done(&lt, img);
}

static void test_no_lines(void **state)
{
	static const uint8_t junk[64] = "\177ELF";
	struct db_sect other = { ".debug_info", "x", 1 };
	struct line_table lt;
	size_t len;
	uint8_t *img = db_elf(&other, 1, &len);

	(void)state;
	assert_int_equal(load_sane(img, len), 0);
	assert_int_equal(load_sane(junk, sizeof(junk)), 0);
	assert_int_equal(line_table_load(&lt, junk, 0), 0);
	expect(&lt, 0, NULL, 0);
	line_table_free(&lt);
	free(img);
}

/*
 * Every prefix of each section, that section ending the file so that ASan
 * sees any read past it; then every prefix of the file.
 */
static void test_truncated(void **state)
{
	size_t len;
	uint8_t *full;

	(void)state;
	for (int last = 0; last < 3; last++) {
		const Elf64_Shdr *sh;

		full = image_v5(&len, last);
		sh = (const Elf64_Shdr *)(full + sizeof(Elf64_Ehdr)) + 3;
		assert_int_equal(sh->sh_offset + sh->sh_size, len);
		for (uint64_t k = 0; k <= sh->sh_size; k++) {
			size_t n = sh->sh_offset + k;
			uint8_t *img = malloc(n);

			assert_non_null(img);
			memcpy(img, full, n);
			((Elf64_Shdr *)(img + sizeof(Elf64_Ehdr)))[3].sh_size = k;
			load_sane(img, n);
			free(img);
		}
		free(full);
	}
	full = image_v5(&len, 0);
	for (size_t k = 0; k <= len; k++) {
		uint8_t *img = malloc(k ? k : 1);

		assert_non_null(img);
		memcpy(img, full, k);
		load_sane(img, k);
		free(img);
	}
	free(full);
}

/* Broken header fields of the first of two units: the second must still read right. */
static void test_bad_headers(void **state)
{
	static const struct {
		size_t off, size;
		uint64_t value;
		int second_ok; /* 1: the second unit reads right; 0: anything sane */
	} bad[] = {
		{ 4, 2, 0, 1 },		 { 4, 2, 1, 1 },	  { 4, 2, 6, 1 },
		{ 4, 2, 0xffff, 1 },	 { 6, 4, 0xffffffff, 1 }, { 6, 4, 0, 1 },
		{ 6, 4, 17, 1 },	 { 14, 1, 0, 1 }, /* line_range 0 */
		{ 15, 1, 0, 1 },			  /* opcode_base 0 */
		{ 0, 4, 0xffffffff, 0 }, { 0, 4, 0xfffffff0, 0 }, { 0, 4, 0x7fffffff, 0 },
		{ 0, 4, 0, 0 },		 { 0, 4, 3, 0 },	  { 10, 1, 0, 0 },
		{ 11, 1, 0, 0 },	 { 11, 1, 255, 0 },	  { 13, 1, 0x80, 0 },
		{ 14, 1, 255, 0 },	 { 15, 1, 1, 0 },	  { 15, 1, 255, 0 },
		{ 20, 1, 0xff, 0 }, /* set_column's operand count */
	};
	struct line_table lt;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct db line = { 0 };
		uint8_t *img;

		unit_v4(&line, db_unit(4), 0x1000);
		unit_v4(&line, db_unit(4), 0x100000);
		db_put(&line, bad[i].off, bad[i].value, (unsigned)bad[i].size);
		img = load_db(&lt, &line, NULL);
		if (bad[i].second_ok) {
			expect(&lt, 0x1000, NULL, 0);
			expect_v4(&lt, 0x100000);
		}
		done(&lt, img);
	}
}

/* Every bit of the image flipped in turn, section headers included. */
static void test_bit_flips(void **state)
{
	size_t len;
	uint8_t *img = image_v5(&len, 0);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			img[i] ^= (uint8_t)(1 << bit);
			load_sane(img, len);
			img[i] ^= (uint8_t)(1 << bit);
		}
	}
	free(img);
}

/*
 * File lists that lose names, or their unit: an unknown form, strx (names
 * lost), a name the section ends before its NUL, an offset past the section,
 * and 2^40 directories of no attribute at all.
 */
static void test_forms(void **state)
{
	static const uint64_t form[] = { DW_FORM_addr, DW_FORM_strx1, DW_FORM_line_strp,
					 DW_FORM_line_strp };
	struct db line = { 0 }, lstr = { 0 };
	struct line_table lt;
	uint8_t *img;

	(void)state;
	db_bytes(&lstr, "ok.c\0abc", 8);
	for (int v = 0; v < 4; v++) {
		struct db_unit u = db_unit(5);

		db_begin(&line, &u);
		db_int(&line, 0, 1); /* directory attributes */
		db_uleb(&line, v == 3 ? 1ull << 40 : 0);
		db_int(&line, 1, 1);
		db_uleb(&line, DW_LNCT_path);
		db_uleb(&line, form[v]);
		db_uleb(&line, 3);
		for (uint32_t i = 0; i < 3; i++)
			db_int(&line, (uint32_t[]){ 5, 0, 100 }[i], v >= 2 ? 4 : 1);
		db_program(&line, &u);
		db_set_address(&line, 0x1000 * (v + 1));
		for (int f = 1; f <= 3; f++) {
			db_op(&line, DW_LNS_set_file, f % 3);
			db_special(&line, &u, 1, 1);
		}
		db_op(&line, DW_LNS_advance_pc, 1);
		db_end_sequence(&line);
		db_end(&line, &u);
	}
	img = load_db(&lt, &line, &lstr);
	expect(&lt, 0x1001, NULL, 0);
	expect(&lt, 0x2001, "??", 2);
	expect(&lt, 0x3001, "ok.c", 2);
	expect(&lt, 0x3002, "??", 3); /* past the end */
	expect(&lt, 0x3003, "??", 4); /* "abc" without its NUL */
	expect(&lt, 0x3004, NULL, 0);
	expect(&lt, 0x4001, NULL, 0);
	done(&lt, img);
}

/* Past LINE_MAX_ROWS the sequence that overflows is dropped, earlier ones kept. */
static void test_row_limit(void **state)
{
	struct db_unit u = db_unit(4);
	static const char *const files[] = { "big.c", NULL };
	struct db line = { 0 };
	struct line_table lt;
	uint8_t *img;

	(void)state;
	db_begin(&line, &u);
	db_v4_lists(&line, no_dirs, files);
	db_program(&line, &u);
	db_set_address(&line, 0x1000);
	db_op(&line, DW_LNS_copy, 0);
	db_op(&line, DW_LNS_advance_pc, 1);
	db_end_sequence(&line);
	db_set_address(&line, 0x10000);
	for (uint32_t i = 0; i < LINE_MAX_ROWS - 2; i++) /* its end row is the one too many */
		db_special(&line, &u, 1, 1);
	db_op(&line, DW_LNS_advance_pc, 1);
	db_end_sequence(&line);
	db_end(&line, &u);
	img = load_db(&lt, &line, NULL);
	assert_int_equal(lt.n, 2);
	expect(&lt, 0x1000, "big.c", 1);
	expect(&lt, 0x10001, NULL, 0);
	done(&lt, img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),	    cmocka_unit_test(test_dwarf64),
		cmocka_unit_test(test_v5),	    cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_dwarf2),	    cmocka_unit_test(test_vliw),
		cmocka_unit_test(test_no_lines),    cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_headers), cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_forms),	    cmocka_unit_test(test_row_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
