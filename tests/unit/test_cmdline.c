/* test_cmdline.c: vmm's cmdline_encode against the guest's cmdline_parse, round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"
#include "libos.h"

#define MAXV 16
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Encodes argv, parses it back as the guest would, and wants the same strings. */
static void round_trip(const char *opts, int argc, const char *const *argv)
{
	char line[4096], *out[MAXV];
	int len = cmdline_encode(line, sizeof(line), opts, argc, argv), n;

	assert_true(len > 0);
	assert_int_equal(strlen(line), len);
	n = cmdline_parse(line, out, MAXV, "dflt", NULL);
	if (argc == 0) {
		assert_int_equal(n, 1);
		assert_string_equal(out[0], "dflt");
		return;
	}
	assert_int_equal(n, argc);
	for (int i = 0; i < argc; i++)
		if (strcmp(out[i], argv[i]))
			fail_msg("argv[%d]: got '%s', want '%s'", i, out[i], argv[i]);
}

static void test_round_trip(void **state)
{
	static const char *const plain[] = { "prog", "a", "b-c", "x=y" };
	static const char *const blanks[] = { "a b",  " lead", "trail ", "  ",
					      "a\tb", "\t",    "x\ny",	 "\r\n" };
	static const char *const empty[] = { "", "", "x", "" };
	static const char *const quotes[] = { "\"", "a\"b", "\"\"", "say \"hi\"", "'single'" };
	static const char *const slashes[] = { "\\", "a\\b", "\\\\", "end\\", "\\\"", "\"\\" };
	static const char *const utf8[] = { "h\xc3\xa9llo", "\xe6\x97\xa5\xe6\x9c\xac",
					    "\xff\xfe\x80", "emoji \xf0\x9f\x98\x80" };
	static const char *const dashes[] = { "--", "-- x", "--x", "-" };

	(void)state;
	round_trip("", N(plain), plain);
	round_trip("", N(blanks), blanks);
	round_trip("", N(empty), empty);
	round_trip("", N(quotes), quotes);
	round_trip("", N(slashes), slashes);
	round_trip("", N(utf8), utf8);
	round_trip("", N(dashes), dashes);
	round_trip("quiet debug=1", N(plain), plain); /* options are skipped */
	round_trip("", 0, NULL);
}

/* Random argument lists over the characters that matter to the syntax. */
static void test_round_trip_random(void **state)
{
	static const char alphabet[] = "a -\t\"\\\n\r\xc3\xff";
	uint32_t x = 1;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		char words[6][8];
		const char *argv[6];
		int argc = 1 + round % 6;

		for (int i = 0; i < argc; i++) {
			int len = (int)((x = x * 1103515245 + 12345) >> 16) % 8;

			for (int k = 0; k < len; k++) {
				x = x * 1103515245 + 12345;
				words[i][k] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
			}
			words[i][len] = 0;
			argv[i] = words[i];
		}
		round_trip(round % 3 ? "" : "o=1", argc, argv);
	}
}

static void expect_encoding(const char *opts, int argc, const char *const *argv, const char *want)
{
	char line[256];

	assert_int_equal(cmdline_encode(line, sizeof(line), opts, argc, argv), strlen(want));
	assert_string_equal(line, want);
}

static void test_encoding(void **state)
{
	static const char *const v1[] = { "prog", "a b" };
	static const char *const v2[] = { "x", "", "a\"b", "a\\b", "t\tt" };

	(void)state;
	expect_encoding("", 0, NULL, "--");
	expect_encoding("", 2, v1, "-- prog \"a b\"");
	expect_encoding("q", 1, v1, "q -- prog");
	expect_encoding("", 5, v2, "-- x \"\" \"a\\\"b\" \"a\\\\b\" \"t\tt\"");
}

static int parse(const char *line, char **out, int max)
{
	static char copy[256];

	strcpy(copy, line);
	return cmdline_parse(copy, out, max, "dflt", NULL);
}

static void test_parse_options(void **state)
{
	char *out[MAXV];

	(void)state;
	assert_int_equal(parse("quiet debug=1 -- prog x", out, MAXV), 2);
	assert_string_equal(out[0], "prog");
	assert_string_equal(out[1], "x");
	/* A "--" inside a quoted option is not the separator. */
	assert_int_equal(parse("a \"b -- c\" -- d", out, MAXV), 1);
	assert_string_equal(out[0], "d");
	/* Only the first "--" separates. */
	assert_int_equal(parse("-- -- x", out, MAXV), 2);
	assert_string_equal(out[0], "--");
	assert_int_equal(parse("  \t--\t\targ\t", out, MAXV), 1);
	assert_string_equal(out[0], "arg");
}

static char seen[8][64];
static int nseen;

static void record(const char *opt)
{
	if (nseen < 8)
		strcpy(seen[nseen++], opt);
}

/* Options go to the callback; so do QEMU's virtio_mmio tokens appended after "--". */
static void test_option_callback(void **state)
{
	static char line[] = "quiet \"a b\" -- prog x virtio_mmio.device=512@0xfeb00e00:12 y "
			     "virtio_mmio.device=4K@0xfeb00c00:11";
	char *out[MAXV];

	(void)state;
	nseen = 0;
	assert_int_equal(cmdline_parse(line, out, MAXV, "dflt", record), 3);
	assert_string_equal(out[0], "prog");
	assert_string_equal(out[1], "x");
	assert_string_equal(out[2], "y");
	assert_int_equal(nseen, 4);
	assert_string_equal(seen[0], "quiet");
	assert_string_equal(seen[1], "a b");
	assert_string_equal(seen[2], "virtio_mmio.device=512@0xfeb00e00:12");
	assert_string_equal(seen[3], "virtio_mmio.device=4K@0xfeb00c00:11");
	/* Without a callback the same tokens are ordinary arguments. */
	assert_int_equal(parse("-- virtio_mmio.device=1@2:3", out, MAXV), 1);
	assert_string_equal(out[0], "virtio_mmio.device=1@2:3");
}

static void test_default_name(void **state)
{
	static const char *const lines[] = { "",    "   ", "quiet loglevel=3", "--", "opt --  ",
					     "---", "x--" };
	char *out[MAXV];

	(void)state;
	for (int i = 0; i < N(lines); i++) {
		out[0] = NULL;
		assert_int_equal(parse(lines[i], out, MAXV), 1);
		assert_string_equal(out[0], "dflt");
	}
}

static void test_max_args(void **state)
{
	char *out[MAXV];

	(void)state;
	for (int max = 1; max <= 7; max++) {
		char last[2] = { 0 };
		int n;

		for (int i = 0; i < MAXV; i++)
			out[i] = (char *)"untouched";
		n = parse("-- a b c d e", out, max);
		assert_int_equal(n, max < 5 ? max : 5);
		assert_string_equal(out[0], "a");
		last[0] = (char)('a' + n - 1);
		assert_string_equal(out[n - 1], last);
		assert_string_equal(out[n], "untouched");
	}
}

/* Every buffer size short of the line fails, and nothing is written past it. */
static void test_too_small(void **state)
{
	static const char *const argv[] = { "prog", "a b", "\"q\"", "" };
	char full[256];
	int len = cmdline_encode(full, sizeof(full), "opt", N(argv), argv);

	(void)state;
	assert_true(len > 0);
	for (size_t size = 0; size <= (size_t)len + 1; size++) {
		char *buf = malloc(size + 16);
		int rc;

		assert_non_null(buf);
		memset(buf, 0x7e, size + 16);
		rc = cmdline_encode(buf, size, "opt", N(argv), argv);
		if (size <= (size_t)len) {
			if (rc != -1)
				fail_msg("size %zu of %d: returned %d", size, len + 1, rc);
		} else {
			assert_int_equal(rc, len);
			assert_string_equal(buf, full);
		}
		for (size_t i = size; i < size + 16; i++)
			assert_int_equal(buf[i], 0x7e);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_encoding),     cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_default_name), cmocka_unit_test(test_max_args),
		cmocka_unit_test(test_too_small),    cmocka_unit_test(test_option_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
