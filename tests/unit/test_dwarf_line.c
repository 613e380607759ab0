/* test_dwarf_line.c: line lookups from hand-built DWARF 2-5 line programs. */
#include "dwarf_fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),	 cmocka_unit_test(test_dwarf64),
		cmocka_unit_test(test_v5),	 cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_dwarf2),	 cmocka_unit_test(test_vliw),
		cmocka_unit_test(test_no_lines), cmocka_unit_test(test_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
