/* test_symtab.c: symbol lookups, file names of locals, and hostile section headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "elf_builder.h"
#include "symtab.h"

/* Loads from an exact-size copy so ASan catches reads past the end; returns the copy. */
static uint8_t *load(struct symtab *st, const struct eb *b, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, b->buf, len);
	assert_int_equal(symtab_load(st, p, len), 0);
	return p;
}

/* Every symbol's name lies in the buffer and ends there; the list is sorted. */
static void check_sane(const struct symtab *st, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct sym *s = &st->syms[i];
		const char *end = (const char *)buf + len;

		assert_true(s->name >= (const char *)buf && s->name < end);
		assert_non_null(memchr(s->name, 0, (size_t)(end - s->name)));
		assert_true(s->name[0] != 0);
		if (s->file)
			assert_true(s->file >= (const char *)buf && s->file < end);
		if (i)
			assert_true(st->syms[i - 1].addr <= s->addr);
	}
}

static const char *name_at(const struct symtab *st, uint64_t addr)
{
	const struct sym *s = symtab_lookup(st, addr);

	return s ? s->name : NULL;
}

static void test_lookup(void **state)
{
	struct eb b = eb_build();
	struct symtab st;
	uint8_t *p = load(&st, &b, b.len);

	(void)state;
	assert_int_equal(st.n, 5); /* the data object and the STT_FILEs are not functions */
	check_sane(&st, p, b.len);
	assert_string_equal(name_at(&st, EB_TEXT), "_start");
	assert_string_equal(name_at(&st, EB_TEXT + 0x3f), "_start");
	assert_null(name_at(&st, EB_TEXT + 0x40)); /* past its size */
	assert_null(name_at(&st, EB_TEXT - 1));	   /* before the first */
	assert_null(name_at(&st, 0));
	assert_string_equal(name_at(&st, EB_TEXT + 0x100), "local_a");
	assert_string_equal(name_at(&st, EB_TEXT + 0x2ff), "main");
	assert_null(name_at(&st, EB_TEXT + 0x300));
	/* An unsized label covers everything up to the next symbol. */
	assert_string_equal(name_at(&st, EB_TEXT + 0x400), "stub");
	assert_string_equal(name_at(&st, EB_TEXT + 0x4ff), "stub");
	assert_string_equal(name_at(&st, EB_TEXT + 0x50f), "local_b");
	assert_null(name_at(&st, EB_TEXT + 0x510));
	assert_null(name_at(&st, UINT64_MAX));
	assert_null(name_at(&st, EB_DATA)); /* objects are not symbolized */
	symtab_free(&st);
	assert_int_equal(st.n, 0);
	assert_null(st.syms);
	free(p);
	eb_free(&b);
}

static void test_file_names(void **state)
{
	struct eb b = eb_build();
	struct symtab st;
	uint8_t *p = load(&st, &b, b.len);
	const struct sym *s;

	(void)state;
	s = symtab_lookup(&st, EB_TEXT + 0x110);
	assert_non_null(s);
	assert_string_equal(s->name, "local_a");
	assert_string_equal(s->file, "start.c");
	s = symtab_lookup(&st, EB_TEXT + 0x500);
	assert_non_null(s);
	assert_string_equal(s->file, "other.c");
	s = symtab_lookup(&st, EB_TEXT + 0x200);
	assert_non_null(s);
	assert_null(s->file); /* globals have no file */
	symtab_free(&st);
	free(p);
	eb_free(&b);
}

static void test_empty(void **state)
{
	struct symtab st = { 0 };

	(void)state;
	assert_null(symtab_lookup(&st, 0x100000));
	assert_int_equal(symtab_load(&st, (const uint8_t *)"\177ELF", 4), 0);
	assert_int_equal(st.n, 0);
	assert_null(symtab_lookup(&st, 0x100000));
	symtab_free(&st);
}

/* Only a prefix holding the whole section header table yields symbols. */
static void test_truncated(void **state)
{
	struct eb b = eb_build();

	(void)state;
	for (size_t len = 0; len <= b.len; len++) {
		struct symtab st;
		uint8_t *p = load(&st, &b, len);

		if (st.n != (len >= EB_SH_OFF + EB_NSH * sizeof(Elf64_Shdr) ? 5 : 0))
			fail_msg("length %zu: %zu symbols", len, st.n);
		check_sane(&st, p, len);
		symtab_free(&st);
		free(p);
	}
	eb_free(&b);
}

/* One hostile variant per case, and how many symbols must survive it (or ANY). */
#define ANY SIZE_MAX

struct bad {
	size_t n;
	struct eb_patch p[2];
};

static void run_bad(void **state)
{
	const struct bad *c = *state;
	struct eb b = eb_build();
	struct symtab st;
	uint8_t *p;

	eb_apply(&b, c->p, 2);
	p = load(&st, &b, b.len);
	if (c->n != ANY && st.n != c->n)
		fail_msg("%zu symbols, want %zu", st.n, c->n);
	check_sane(&st, p, b.len);
	for (uint64_t a = EB_TEXT - 0x10; a < EB_TEXT + 0x600; a += 8)
		symtab_lookup(&st, a);
	symtab_free(&st);
	free(p);
	eb_free(&b);
}

/* The file name of local_b is cut off: local_b stays, without a file. */
static void test_file_unterminated(void **state)
{
	struct eb b = eb_build();
	struct symtab st;
	const struct sym *s;
	uint8_t *p;

	(void)state;
	eb_sym(&b, 3)->st_name = EB_STR_SIZE - 1;
	b.buf[EB_STR_OFF + EB_STR_SIZE - 1] = 'x';
	p = load(&st, &b, b.len);
	assert_int_equal(st.n, 5);
	s = symtab_lookup(&st, EB_TEXT + 0x500);
	assert_non_null(s);
	assert_string_equal(s->name, "local_b");
	assert_null(s->file);
	s = symtab_lookup(&st, EB_TEXT + 0x100);
	assert_non_null(s);
	assert_string_equal(s->file, "start.c");
	symtab_free(&st);
	free(p);
	eb_free(&b);
}

/* A deterministic storm of byte flips over the headers and tables. */
static void test_random_garbage(void **state)
{
	uint32_t x = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct eb b = eb_build();
		struct symtab st;
		uint8_t *p;

		for (int k = 0; k < 1 + round % 6; k++) {
			x = x * 1103515245 + 12345;
			b.buf[(x >> 8) % EB_TEXT_OFF] ^= (uint8_t)(1u << (x >> 28 & 7));
		}
		p = load(&st, &b, b.len);
		check_sane(&st, p, b.len);
		for (uint64_t a = EB_TEXT - 0x10; a < EB_TEXT + 0x600; a += 0x30)
			symtab_lookup(&st, a);
		symtab_free(&st);
		free(p);
		eb_free(&b);
	}
}

/* clang-format would take the braces in this macro for blocks. */
/* clang-format off */
#define BAD(name, n, ...) { #name, run_bad, NULL, NULL, &(struct bad){ n, { __VA_ARGS__ } } }
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_file_unterminated),
		cmocka_unit_test(test_random_garbage),
		BAD(no_sections, 0, { EB_EH(e_shnum), 0 }),
		BAD(shoff_past_end, 0, { EB_EH(e_shoff), EB_LEN - 64 }),
		BAD(shoff_wraps, 0, { EB_EH(e_shoff), UINT64_MAX - 10 }),
		BAD(shentsize, 0, { EB_EH(e_shentsize), 40 }),
		BAD(shnum_huge, 0, { EB_EH(e_shnum), 0xffff }),
		BAD(link_past_shnum, 0, { EB_SH(1, sh_link), EB_NSH }),
		BAD(link_huge, 0, { EB_SH(1, sh_link), UINT32_MAX }),
		BAD(link_to_self, ANY, { EB_SH(1, sh_link), 1 }), /* .symtab read as strings */
		BAD(sym_off_past_end, 0, { EB_SH(1, sh_offset), EB_LEN }),
		BAD(sym_size_wraps, 0, { EB_SH(1, sh_size), UINT64_MAX }),
		BAD(sym_size_ragged, 5, { EB_SH(1, sh_size), EB_NSYMS * sizeof(Elf64_Sym) + 5 }),
		BAD(str_off_wraps, 0, { EB_SH(2, sh_offset), UINT64_MAX - 4 }),
		BAD(str_empty, 0, { EB_SH(2, sh_size), 0 }),
		/* The string table ends inside "local_b", with no NUL after it. */
		BAD(str_unterminated, 4, { EB_SH(2, sh_size), EB_S_LOCAL_B + 3 }),
		BAD(name_past_strtab, 4, { EB_SYM(6, st_name), EB_STR_SIZE }),
		BAD(name_huge, 4, { EB_SYM(6, st_name), UINT32_MAX }),
		BAD(dynsym_ignored, 5, { EB_SH(0, sh_type), SHT_DYNSYM }),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
