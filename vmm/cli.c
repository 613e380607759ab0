/* cli.c: parse `vmm run IMAGE [options] [-- ARGS...]`. */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char cli_usage[] =
    "usage: vmm run IMAGE [--mem SIZE] [--disk FILE[,ro][,serial=ID]]...\n"
    "               [--vsock PATH[,cid=N]] [--net tap=NAME[,mac=MAC][,ip=ADDR/PREFIX][,gw=ADDR]]\n"
    "               [--timeout SECONDS] [--timings] [-- ARGS...]\n"
    "       vmm --help | --version\n"
    "\n"
    "  --mem SIZE         guest RAM: 64M (default), 1G, or a number of MiB\n"
    "  --disk FILE[,ro][,serial=ID]\n"
    "                     a raw disk image; /dev/vda, /dev/vdb, ... in order\n"
    "  --vsock PATH[,cid=N]\n"
    "                     virtio-vsock, guest CID N (3 by default); host programs\n"
    "                     connect to the Unix socket PATH and send \"CONNECT <port>\\n\",\n"
    "                     guest connections to host port P go to PATH_P\n"
    "  --net tap=NAME[,mac=MAC][,ip=ADDR/PREFIX][,gw=ADDR]\n"
    "                     virtio-net on the existing tap device NAME; the guest's\n"
    "                     MAC (default: derived from NAME), IPv4 address and gateway\n"
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

/* FILE[,ro][,serial=ID]: the fields point into a copy the cli owns. */
static int parse_disk(struct cli *cli, const char *v, char *err, size_t n)
{
	struct vmm_disk *d = &cli->cfg.disks[cli->cfg.ndisks];
	char *spec, *opt, *save = NULL;

	if (cli->cfg.ndisks == VMM_DISKS_MAX)
		return usage_err(err, n, "--disk: at most %d disks", VMM_DISKS_MAX);
	spec = cli->specs[cli->cfg.ndisks] = strdup(v);
	if (!spec)
		return usage_err(err, n, "out of memory");
	d->path = strtok_r(spec, ",", &save);
	if (!d->path || *v == ',')
		return usage_err(err, n, "--disk: no file in '%s'", v);
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		if (!strcmp(opt, "ro"))
			d->read_only = true;
		else if (!strncmp(opt, "serial=", 7) && strlen(opt + 7) <= 20)
			d->serial = opt + 7;
		else
			return usage_err(
			    err, n, "--disk: bad option '%s' (ro, serial=ID of up to 20 bytes)",
			    opt);
	}
	cli->cfg.ndisks++;
	return 0;
}

/* PATH[,cid=N], once: the path points into a copy the cli owns. */
static int parse_vsock(struct cli *cli, const char *v, char *err, size_t n)
{
	unsigned long long cid;
	char *opt, *end;

	if (cli->vsock_spec)
		return usage_err(err, n, "--vsock: at most one vsock device");
	cli->vsock_spec = strdup(v);
	if (!cli->vsock_spec)
		return usage_err(err, n, "out of memory");
	opt = strchr(cli->vsock_spec, ',');
	if (opt)
		*opt++ = 0;
	if (!*cli->vsock_spec)
		return usage_err(err, n, "--vsock: no socket path in '%s'", v);
	cli->cfg.vsock_path = cli->vsock_spec;
	if (!opt)
		return 0;
	if (strncmp(opt, "cid=", 4))
		return usage_err(err, n, "--vsock: bad option '%s' (cid=N)", opt);
	errno = 0;
	cid = strtoull(opt + 4, &end, 10);
	if (opt[4] < '0' || opt[4] > '9' || errno || *end || cid < VMM_VSOCK_CID_DEFAULT ||
	    cid > VMM_VSOCK_CID_MAX)
		return usage_err(err, n, "--vsock: bad CID '%s' (3 to %llu)", opt + 4,
				 VMM_VSOCK_CID_MAX);
	cli->cfg.vsock_cid = cid;
	return 0;
}

/* aa:bb:cc:dd:ee:ff, unicast and not all zeros. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return (mac[0] & 1) || !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) ? -1 : 0;
}

static int parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1 || !a.s_addr)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

/* ADDR/PREFIX, written over in place. */
static int parse_cidr(char *s, struct vmm_net *net)
{
	char *slash = strchr(s, '/'), *end;
	unsigned long prefix;

	if (!slash || slash[1] < '0' || slash[1] > '9')
		return -1;
	*slash = 0;
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno || *end || prefix > 32 || parse_ipv4(s, &net->ipv4))
		return -1;
	net->prefix = (uint32_t)prefix;
	return 0;
}

static int net_option(struct vmm_net *net, char *opt, char *err, size_t n)
{
	if (!strncmp(opt, "tap=", 4) && opt[4] && strlen(opt + 4) < 16)
		net->tap = opt + 4;
	else if (!strncmp(opt, "mac=", 4) && !parse_mac(opt + 4, net->mac))
		net->mac_set = true;
	else if (!strncmp(opt, "ip=", 3) && !parse_cidr(opt + 3, net))
		return 0;
	else if (!strncmp(opt, "gw=", 3) && !parse_ipv4(opt + 3, &net->gateway))
		return 0;
	else
		return usage_err(err, n,
				 "--net: bad option '%s' (tap=NAME of up to 15 bytes, "
				 "mac=xx:xx:xx:xx:xx:xx unicast, ip=ADDR/PREFIX, gw=ADDR)",
				 opt);
	return 0;
}

/* tap=NAME[,mac=MAC][,ip=ADDR/PREFIX][,gw=ADDR], once. */
static int parse_net(struct cli *cli, const char *v, char *err, size_t n)
{
	struct vmm_net *net = &cli->cfg.net;
	char *opt, *save = NULL;

	if (cli->net_spec)
		return usage_err(err, n, "--net: at most one network device");
	cli->net_spec = strdup(v);
	if (!cli->net_spec)
		return usage_err(err, n, "out of memory");
	for (opt = strtok_r(cli->net_spec, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
		if (net_option(net, opt, err, n))
			return -1;
	if (!net->tap)
		return usage_err(err, n, "--net: no tap=NAME in '%s'", v);
	if (net->gateway && !net->ipv4)
		return usage_err(err, n, "--net: gw= needs ip=");
	return 0;
}

void cli_free(struct cli *cli)
{
	for (int i = 0; i < VMM_DISKS_MAX; i++)
		free(cli->specs[i]);
	memset(cli->specs, 0, sizeof(cli->specs));
	free(cli->vsock_spec);
	cli->vsock_spec = NULL;
	free(cli->net_spec);
	cli->net_spec = NULL;
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
	if (strcmp(opt, "--mem") && strcmp(opt, "--timeout") && strcmp(opt, "--disk") &&
	    strcmp(opt, "--vsock") && strcmp(opt, "--net"))
		return usage_err(err, n, "unknown option '%s'", opt);
	v = value(argc, argv, i);
	if (!v)
		return usage_err(err, n, "%s needs a value", opt);
	if (!strcmp(opt, "--disk"))
		return parse_disk(cli, v, err, n);
	if (!strcmp(opt, "--vsock"))
		return parse_vsock(cli, v, err, n);
	if (!strcmp(opt, "--net"))
		return parse_net(cli, v, err, n);
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
