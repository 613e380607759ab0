/* test_vsock_parse.c: the "CONNECT <port>\n" handshake, byte for byte as Firecracker's muxer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "virtio_vsock.h"

/* How much of s a reader following vsock_host_line_need takes before parsing. */
static size_t taken(const char *s, size_t len)
{
	size_t got = 0, need;

	while ((need = vsock_host_line_need((const uint8_t *)s, got)) && got + need <= len)
		got += need;
	return got;
}

static int parse(const char *s, uint32_t *port)
{
	size_t len = strlen(s);

	return vsock_host_parse((const uint8_t *)s, taken(s, len), port);
}

static void test_accepted(void **state)
{
	static const struct {
		const char *line;
		uint32_t port;
	} good[] = {
		{ "CONNECT 52\n", 52 },
		{ "connect 52\n", 52 }, /* Firecracker lower-cases the word */
		{ "CoNnEcT 1100\n", 1100 },
		{ "connect 0\n", 0 },
		{ "CONNECT 4294967295\n", 4294967295u },
		{ "CONNECT 007\n", 7 },
		{ "CONNECT +5\n", 5 }, /* Rust's u32 parse takes a '+' */
		{ "  CONNECT\t 9 \r\n", 9 },
		{ "CONNECT 5 and more words\n", 5 },
		{ "\vCONNECT\f5\n", 5 },
		{ "CONNECT\xc2\xa0"
		  "5\n",
		  5 }, /* U+00A0 is White_Space to Rust */
		{ "CONNECT 5 \xc3\xa9t\xc3\xa9\n", 5 },
		{ "CONNECT 123                  \n", 123 },
		/* 32 bytes without a newline: parsed as it is. */
		{ "CONNECT 77                      ", 77 },
	};
	uint32_t port;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		port = 0xdeadbeef;
		if (parse(good[i].line, &port) || port != good[i].port)
			fail_msg("'%s': rejected or port %u", good[i].line, port);
	}
}

static void test_rejected(void **state)
{
	static const char *const bad[] = {
		"CONNECT 4294967296\n",
		"CONNECT 99999999999999999999\n",
		"CONNECT -1\n",
		"CONNECT -0\n",
		"CONNECT +\n",
		"CONNECT ++5\n",
		"CONNECT 0x10\n",
		"CONNECT 1_000\n",
		"CONNECT 5x\n",
		"CONNECT\n",
		"CONNECT   \n",
		"CONNECTS 5\n",
		"CONNEC 5\n",
		"CONNECT5\n",
		"OK 5\n",
		"        \n",
		"GET / HTTP/1.1\r\n",
		"CONNECT \xff\xfe\n",
		"CONNECT 5 \xc0\xaf\n",	    /* an overlong '/' */
		"CONNECT 5 \xed\xa0\x80\n", /* a surrogate */
		"CONNECT 5\x01\n",
		"CONNECT 1234567890123456789012345678901234567890\n",
		"\xef\xbc\xa3ONNECT 5\n", /* a full-width C */
	};
	uint32_t port;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!parse(bad[i], &port))
			fail_msg("'%s' accepted as port %u", bad[i], port);
	/* NUL bytes are not whitespace: "5\0" is no number. */
	assert_int_equal(vsock_host_parse((const uint8_t *)"CONNECT 5\0\n", 11, &port), -1);
}

/* What is read: 10 bytes first, then one at a time to a newline, at most 32. */
static void test_line_need(void **state)
{
	const uint8_t *s = (const uint8_t *)"CONNECT 1\nXYZ";

	(void)state;
	assert_int_equal(vsock_host_line_need(s, 0), VSOCK_LINE_MIN);
	assert_int_equal(vsock_host_line_need(s, 3), VSOCK_LINE_MIN - 3);
	assert_int_equal(vsock_host_line_need(s, 9), 1);
	assert_int_equal(vsock_host_line_need(s, 10), 0); /* "CONNECT 1\n": XYZ stays unread */
	assert_int_equal(vsock_host_line_need((const uint8_t *)"CONNECT 12", 10), 1);
	assert_int_equal(vsock_host_line_need((const uint8_t *)"CONNECT 12\n", 11), 0);
	assert_int_equal(vsock_host_line_need((const uint8_t *)"X\nCONNECT 5", 10), 1);
	assert_int_equal(taken("CONNECT 52\nDATA", 15), 11);
	assert_int_equal(taken("A\nB\nC\nD\nE\nF\n", 12), 10); /* byte 10 is a newline */
	assert_int_equal(taken("0123456789012345678901234567890123456789", 40), VSOCK_LINE_MAX);
}

/* Firecracker reads 10 bytes before it looks: a newline inside them does not end the line. */
static void test_short_lines(void **state)
{
	uint32_t port;

	(void)state;
	assert_int_equal(parse("CONNECT\n5\n", &port), 0);
	assert_int_equal(port, 5);
	assert_int_equal(taken("X\n", 2), 0); /* waits for more: never parses 2 bytes */
	assert_int_equal(parse("X\nCONNECT 5\n", &port), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_line_need),
		cmocka_unit_test(test_short_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
