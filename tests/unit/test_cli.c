/* test_cli.c: the vmm command line: commands, options, sizes, timeouts, guest argv. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])))

static struct cli cli;
static char err[256];

/* Parses a literal argv, handed over as a char *[] the way main() gets it. */
#define PARSE(...) parse(ARGC(((const char *[]){ __VA_ARGS__ })), (const char *[]){ __VA_ARGS__ })

static char *argv_store[16];

static int parse(int argc, const char **argv)
{
	assert_true(argc < 16);
	for (int i = 0; i < argc; i++)
		argv_store[i] = (char *)argv[i];
	argv_store[argc] = NULL;
	memset(err, 0, sizeof(err));
	return cli_parse(argc, argv_store, &cli, err, sizeof(err));
}

static void expect_error(int rc, const char *word)
{
	assert_int_equal(rc, -1);
	if (!err[0] || !strstr(err, word))
		fail_msg("error '%s' lacks '%s'", err, word);
}

static void test_run_defaults(void **state)
{
	(void)state;
	assert_int_equal(PARSE("vmm", "run", "x.img"), 0);
	assert_int_equal(cli.cmd, CLI_RUN);
	assert_string_equal(cli.cfg.image, "x.img");
	assert_int_equal(cli.cfg.mem_size, 0); /* 0: vmm's default */
	assert_int_equal(cli.cfg.timeout_ms, 0);
	assert_false(cli.timings);
	assert_int_equal(cli.cfg.argc, 0);
	assert_int_equal(cli.cfg.report_fd, -1);
}

static void test_mem(void **state)
{
	(void)state;
	assert_int_equal(PARSE("vmm", "run", "--mem", "128M", "x.img"), 0);
	assert_int_equal(cli.cfg.mem_size, 128ULL << 20);
	assert_string_equal(cli.cfg.image, "x.img");
	assert_int_equal(PARSE("vmm", "run", "x.img", "--mem", "1G"), 0);
	assert_int_equal(cli.cfg.mem_size, 1ULL << 30);
	assert_int_equal(PARSE("vmm", "run", "x.img", "--mem", "256"), 0);
	assert_int_equal(cli.cfg.mem_size, 256ULL << 20);
	assert_int_equal(PARSE("vmm", "run", "x.img", "--mem", "512MiB"), 0);
	assert_int_equal(cli.cfg.mem_size, 512ULL << 20);
	expect_error(PARSE("vmm", "run", "x.img", "--mem", "12Q"), "12Q");
	expect_error(PARSE("vmm", "run", "x.img", "--mem", "--timings"), "--mem");
}

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		unsigned long long bytes;
	} good[] = {
		{ "128M", 128ULL << 20 },
		{ "1G", 1ULL << 30 },
		{ "256", 256ULL << 20 },
		{ "512MiB", 512ULL << 20 },
		{ "64m", 64ULL << 20 },
		{ "2gib", 2ULL << 30 },
		{ "4096k", 4ULL << 20 },
		{ "4096KiB", 4ULL << 20 },
		{ "17179869183G", 17179869183ULL << 30 }, /* the largest that fits */
	};
	static const char *const bad[] = {
		"",
		"abc",
		"12Q",
		"-5",
		"+5",
		" 5",
		"5 ",
		"1.5G",
		"5MB",
		"M",
		"0x10",
		"99999999999999999999G",
		"17179869184G",
		"17592186044416",
		"18446744073709551616",
	};
	unsigned long long bytes;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bytes = 0;
		if (cli_parse_size(good[i].s, &bytes) || bytes != good[i].bytes)
			fail_msg("'%s': %llu, want %llu", good[i].s, bytes, good[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cli_parse_size(bad[i], &bytes) != -1)
			fail_msg("'%s' accepted as %llu", bad[i], bytes);
}

static void test_timeout(void **state)
{
	static const char *const bad[] = { "0", "-1", "x", "", "1.5s", "nan", "inf", "1e10", "-0" };

	(void)state;
	assert_int_equal(PARSE("vmm", "run", "x.img", "--timeout", "1.5"), 0);
	assert_int_equal(cli.cfg.timeout_ms, 1500);
	assert_int_equal(PARSE("vmm", "run", "x.img", "--timeout", "2"), 0);
	assert_int_equal(cli.cfg.timeout_ms, 2000);
	assert_int_equal(PARSE("vmm", "run", "x.img", "--timeout", "0.0001"), 0);
	assert_int_equal(cli.cfg.timeout_ms, 1); /* rounds up rather than to "no timeout" */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(PARSE("vmm", "run", "x.img", "--timeout", bad[i]), "--timeout");
}

static void test_timings(void **state)
{
	(void)state;
	assert_int_equal(PARSE("vmm", "run", "--timings", "x.img"), 0);
	assert_true(cli.timings);
	assert_string_equal(cli.cfg.image, "x.img");
}

static void test_guest_args(void **state)
{
	(void)state;
	assert_int_equal(PARSE("vmm", "run", "x.img", "--mem", "64M", "--", "a", "b"), 0);
	assert_int_equal(cli.cfg.argc, 2);
	assert_ptr_equal(cli.cfg.argv, &argv_store[6]); /* not copied */
	assert_string_equal(cli.cfg.argv[0], "a");
	assert_string_equal(cli.cfg.argv[1], "b");
	/* After "--" everything is the guest's, options and "--" included. */
	assert_int_equal(PARSE("vmm", "run", "x.img", "--", "--mem", "--", "-x"), 0);
	assert_int_equal(cli.cfg.argc, 3);
	assert_string_equal(cli.cfg.argv[0], "--mem");
	assert_int_equal(cli.cfg.mem_size, 0);
	assert_int_equal(PARSE("vmm", "run", "x.img", "--"), 0);
	assert_int_equal(cli.cfg.argc, 0);
}

static void test_usage_errors(void **state)
{
	(void)state;
	expect_error(PARSE("vmm", "run"), "no image");
	expect_error(PARSE("vmm", "run", "--timings"), "no image");
	expect_error(PARSE("vmm", "run", "--", "x.img"), "no image");
	expect_error(PARSE("vmm", "run", "x.img", "y.img"), "y.img");
	expect_error(PARSE("vmm", "run", "x.img", "--frobnicate"), "--frobnicate");
	expect_error(PARSE("vmm", "run", "x.img", "--mem"), "needs a value");
	expect_error(PARSE("vmm", "run", "x.img", "--timeout"), "needs a value");
	expect_error(PARSE("vmm", "start", "x.img"), "start");
	expect_error(PARSE("vmm"), "no command");
	expect_error(parse(0, NULL), "no command");
}

static void test_help_version(void **state)
{
	(void)state;
	assert_int_equal(PARSE("vmm", "--help"), 0);
	assert_int_equal(cli.cmd, CLI_HELP);
	assert_int_equal(PARSE("vmm", "-h"), 0);
	assert_int_equal(cli.cmd, CLI_HELP);
	assert_int_equal(PARSE("vmm", "--version"), 0);
	assert_int_equal(cli.cmd, CLI_VERSION);
	assert_non_null(strstr(cli_usage, "--mem"));
}

/* --vsock PATH[,cid=N]: the value as the cli parses it, freed before the next parse. */
static int vsock_opt(const char *v)
{
	cli_free(&cli);
	return PARSE("vmm", "run", "x.img", "--vsock", v);
}

static void test_vsock(void **state)
{
	static const char *const bad_cid[] = {
		"0", "1",  "2",	   "4294967295", "18446744073709551616", "-3", "+3",
		"",  "5x", "0x10", " 5",
	};
	char v[64];

	(void)state;
	assert_int_equal(vsock_opt("/run/app.sock"), 0);
	assert_string_equal(cli.cfg.vsock_path, "/run/app.sock");
	assert_int_equal(cli.cfg.vsock_cid, 0); /* 0: the default, 3 */
	assert_int_equal(vsock_opt("v.sock,cid=42"), 0);
	assert_string_equal(cli.cfg.vsock_path, "v.sock");
	assert_int_equal(cli.cfg.vsock_cid, 42);
	assert_int_equal(vsock_opt("v.sock,cid=3"), 0);
	assert_int_equal(cli.cfg.vsock_cid, 3);
	assert_int_equal(vsock_opt("v.sock,cid=4294967294"), 0);
	assert_int_equal(cli.cfg.vsock_cid, 4294967294ULL);
	for (size_t i = 0; i < sizeof(bad_cid) / sizeof(bad_cid[0]); i++) {
		snprintf(v, sizeof(v), "v.sock,cid=%s", bad_cid[i]);
		expect_error(vsock_opt(v), "CID");
	}
	expect_error(vsock_opt(",cid=5"), "no socket path");
	expect_error(vsock_opt(""), "no socket path");
	expect_error(vsock_opt("v.sock,port=5"), "bad option 'port=5'");
	expect_error(vsock_opt("v.sock,cid=5,cid=6"), "CID");
	cli_free(&cli);
	expect_error(PARSE("vmm", "run", "x.img", "--vsock", "a", "--vsock", "b"), "at most one");
	cli_free(&cli);
	expect_error(PARSE("vmm", "run", "x.img", "--vsock"), "needs a value");
	assert_non_null(strstr(cli_usage, "--vsock PATH[,cid=N]"));
	cli_free(&cli);
}

/* A short error buffer gets a truncated, terminated message. */
static void test_short_err(void **state)
{
	char small[6];
	char *argv[] = { (char *)"vmm", (char *)"bogus" };

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_int_equal(cli_parse(2, argv, &cli, small, sizeof(small)), -1);
	assert_string_equal(small, "unkno");
}

static int net_opt(const char *v)
{
	cli_free(&cli);
	return PARSE("vmm", "run", "x.img", "--net", v);
}

/* --net tap=NAME[,mac=MAC][,ip=ADDR/PREFIX][,gw=ADDR] */
static void test_net(void **state)
{
	const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0xab };

	(void)state;
	assert_int_equal(net_opt("tap=vmmtap0"), 0);
	assert_string_equal(cli.cfg.net.tap, "vmmtap0");
	assert_false(cli.cfg.net.mac_set);
	assert_int_equal(cli.cfg.net.ipv4, 0);
	assert_int_equal(net_opt("tap=t0,mac=52:54:00:12:34:AB,ip=10.77.0.2/24,gw=10.77.0.1"), 0);
	assert_true(cli.cfg.net.mac_set);
	assert_memory_equal(cli.cfg.net.mac, mac, 6);
	assert_int_equal(cli.cfg.net.ipv4, 0x0a4d0002);
	assert_int_equal(cli.cfg.net.prefix, 24);
	assert_int_equal(cli.cfg.net.gateway, 0x0a4d0001);
	expect_error(net_opt("mac=52:54:00:12:34:ab"), "tap=");
	expect_error(net_opt("tap="), "tap=");
	expect_error(net_opt("tap=a-name-of-16-byt"), "tap=");
	expect_error(net_opt("tap=t,mac=01:00:5e:00:00:01"), "mac="); /* multicast */
	expect_error(net_opt("tap=t,mac=00:00:00:00:00:00"), "mac=");
	expect_error(net_opt("tap=t,mac=52:54:00:12:34"), "mac=");
	expect_error(net_opt("tap=t,mac=52:54:00:12:34:abc"), "mac=");
	expect_error(net_opt("tap=t,ip=10.0.0.1"), "ip=");
	expect_error(net_opt("tap=t,ip=10.0.0.1/33"), "ip=");
	expect_error(net_opt("tap=t,ip=10.0.0/24"), "ip=");
	expect_error(net_opt("tap=t,ip=10.0.0.1/"), "ip=");
	expect_error(net_opt("tap=t,gw=10.0.0.1"), "gw=");
	expect_error(net_opt("tap=t,speed=10"), "speed");
	cli_free(&cli);
	expect_error(PARSE("vmm", "run", "x.img", "--net", "tap=a", "--net", "tap=b"), "one");
	cli_free(&cli);
	expect_error(PARSE("vmm", "run", "x.img", "--net"), "--net");
	cli_free(&cli);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_defaults), cmocka_unit_test(test_mem),
		cmocka_unit_test(test_sizes),	     cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_timings),	     cmocka_unit_test(test_guest_args),
		cmocka_unit_test(test_usage_errors), cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_short_err),    cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_net),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
