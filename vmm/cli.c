/* cli.c: parse `vmm run IMAGE [options] [-- ARGS...]`. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char cli_usage[] =
    "usage: vmm run IMAGE [--mem SIZE] [--timeout SECONDS] [--timings] [-- ARGS...]\n"
    "       vmm --help | --version\n"
    "\n"
    "  --mem SIZE         guest RAM: 64M (default), 1G, or a number of MiB\n"
    "  --timeout SECONDS  stop the guest after this long (exit status 254)\n"
    "  --timings          print a boot time breakdown to stderr at exit\n"
    "  -- ARGS...         the guest program's argv[1..]\n"
    "\n"
    "exit status: the guest's own (0-249), or 250 usage, 251 bad image,\n"
    "252 host/KVM error, 253 guest crash, 254 timeout, 255 stopped by signal\n";

static int usage_err(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

int cli_parse_size(const char *s, unsigned long long *bytes)
{
	static const struct {
		const char *suffix;
		int shift;
	} units[] = { { "", 20 },    { "k", 10 }, { "kib", 10 }, { "m", 20 },
		      { "mib", 20 }, { "g", 30 }, { "gib", 30 } };
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix))
			continue;
		if (v > (~0ULL >> units[i].shift))
			return -1;
		*bytes = v << units[i].shift;
		return 0;
	}
	return -1;
}

static int parse_timeout(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e9)
		return -1;
	*ms = (uint64_t)(v * 1000 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

/* Takes the value of option argv[*i]; NULL if it is missing. */
static const char *value(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static int run_option(struct cli *cli, int argc, char **argv, int *i, char *err, size_t n)
{
	const char *opt = argv[*i], *v;
	unsigned long long bytes;

	if (!strcmp(opt, "--timings")) {
		cli->timings = true;
		return 0;
	}
	if (strcmp(opt, "--mem") && strcmp(opt, "--timeout"))
		return usage_err(err, n, "unknown option '%s'", opt);
	v = value(argc, argv, i);
	if (!v)
		return usage_err(err, n, "%s needs a value", opt);
	if (!strcmp(opt, "--mem")) {
		if (cli_parse_size(v, &bytes) || bytes == 0)
			return usage_err(err, n, "--mem: bad size '%s'", v);
		cli->cfg.mem_size = bytes;
	} else if (parse_timeout(v, &cli->cfg.timeout_ms)) {
		return usage_err(err, n, "--timeout: bad number of seconds '%s'", v);
	}
	return 0;
}

static int parse_run(int argc, char **argv, struct cli *cli, char *err, size_t n)
{
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			cli->cfg.argc = argc - i - 1;
			cli->cfg.argv = argv + i + 1;
			break;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			if (run_option(cli, argc, argv, &i, err, n))
				return -1;
		} else if (cli->cfg.image) {
			return usage_err(err, n,
					 "unexpected argument '%s' (guest arguments go after --)",
					 argv[i]);
		} else {
			cli->cfg.image = argv[i];
		}
	}
	if (!cli->cfg.image)
		return usage_err(err, n, "run: no image given");
	return 0;
}

int cli_parse(int argc, char **argv, struct cli *cli, char *err, size_t n)
{
	memset(cli, 0, sizeof(*cli));
	vmm_config_init(&cli->cfg);
	if (argc < 2)
		return usage_err(err, n, "no command given (try 'vmm --help')");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		cli->cmd = CLI_HELP;
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		cli->cmd = CLI_VERSION;
		return 0;
	}
	if (strcmp(argv[1], "run"))
		return usage_err(err, n, "unknown command '%s' (try 'vmm --help')", argv[1]);
	cli->cmd = CLI_RUN;
	return parse_run(argc, argv, cli, err, n);
}
