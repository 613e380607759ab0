/* test_dwarf_hostile.c: truncated, corrupt and oversized line programs never mislead. */
#include "dwarf_fixture.h"

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
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_row_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
