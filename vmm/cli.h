/* cli.h: the vmm command line, parsed apart from running so it can be tested. */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm.h"

/*
 * Exit statuses. 0-249 are the guest's own; a guest that exits with
 * 250-255 is reported as 249 (with a note on stderr) so that these stay
 * vmm's alone.
 */
#define EXIT_GUEST_MAX 249
#define EXIT_USAGE     250 /* bad command line or configuration, missing file */
#define EXIT_IMAGE     251 /* the image is not a valid vmm image */
#define EXIT_HOST      252 /* KVM or the host failed */
#define EXIT_FAULT     253 /* the guest crashed */
#define EXIT_TIMEOUT   254 /* --timeout expired */
#define EXIT_SIGNAL    255 /* stopped by SIGINT or SIGTERM */

enum cli_cmd { CLI_RUN, CLI_HELP, CLI_VERSION };

struct cli {
	enum cli_cmd cmd;
	struct vmm_config cfg;
	bool timings;
	char *specs[VMM_DISKS_MAX]; /* copies the disk fields point into */
	char *vsock_spec;	    /* the copy cfg.vsock_path points into */
	char *net_spec;		    /* the copy cfg.net.tap points into */
};

/* 0, or -1 with a one-line reason in err. argv is not copied. */
int cli_parse(int argc, char **argv, struct cli *cli, char *err, size_t errlen);

/* Frees what cli_parse allocated. */
void cli_free(struct cli *cli);

/* "64M", "1G", "512MiB", or a plain number of MiB, to bytes; -1 if malformed. */
int cli_parse_size(const char *s, unsigned long long *bytes);

extern const char cli_usage[];

#endif
