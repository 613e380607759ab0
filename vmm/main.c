/* main.c: the vmm command, a thin client of libvmm. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "abi.h"
#include "vmm.h"

static struct vmm *volatile running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		vmm_stop(running);
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Each vsock connection holds a descriptor: allow the device's limit, not just 1024. */
static void more_files(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max && r.rlim_cur < 4096) {
		r.rlim_cur = r.rlim_max < 4096 ? r.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int error_status(enum vmm_error_kind kind)
{
	return kind == VMM_ERR_CONFIG ? EXIT_USAGE : kind == VMM_ERR_IMAGE ? EXIT_IMAGE : EXIT_HOST;
}

static void print_timings(const struct vmm_timings *t, uint64_t resident)
{
	fprintf(stderr,
		"vmm: timings (us since start)\n"
		"  vm created         %9.1f\n"
		"  image loaded       %9.1f\n"
		"  first instruction  %9.1f\n"
		"  main entered       %9.1f\n"
		"  exit               %9.1f\n"
		"vmm: guest RAM backed by the host: %llu KiB\n",
		t->vm_created, t->image_loaded, t->first_instruction, t->main_entered, t->exited,
		(unsigned long long)(resident >> 10));
}

static int result_status(const struct vmm_result *res)
{
	switch (res->outcome) {
	case VMM_OUT_EXIT:
		if (res->status > EXIT_GUEST_MAX) {
			fprintf(stderr,
				"vmm: guest exit status %d reported as %d (%d-255 are vmm's)\n",
				res->status, EXIT_GUEST_MAX, EXIT_GUEST_MAX + 1);
			return EXIT_GUEST_MAX;
		}
		return res->status;
	case VMM_OUT_FAULT:
		return EXIT_FAULT;
	case VMM_OUT_TIMEOUT:
		fprintf(stderr, "vmm: guest timed out\n");
		return EXIT_TIMEOUT;
	case VMM_OUT_STOPPED:
		fprintf(stderr, "vmm: guest stopped\n");
		return EXIT_SIGNAL;
	case VMM_OUT_ERROR:
	default:
		fprintf(stderr, "vmm: %s\n", res->error.msg);
		return error_status(res->error.kind);
	}
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct vmm_error err;
	struct vmm_result res;
	struct vmm *vm;
	char why[256];
	int status;

	if (cli_parse(argc, argv, &cli, why, sizeof(why))) {
		fprintf(stderr, "vmm: %s\n", why);
		cli_free(&cli);
		return EXIT_USAGE;
	}
	if (cli.cmd == CLI_HELP) {
		fputs(cli_usage, stdout);
		return 0;
	}
	if (cli.cmd == CLI_VERSION) {
		printf("vmm %s (guest ABI %d)\n", VMM_VERSION, VMM_ABI_VERSION);
		return 0;
	}
	catch_signals();
	if (cli.cfg.vsock_path)
		more_files();
	if (vmm_create(&cli.cfg, &vm, &err)) {
		fprintf(stderr, "vmm: %s\n", err.msg);
		cli_free(&cli);
		return error_status(err.kind);
	}
	running = vm;
	vmm_run(vm, &res);
	status = result_status(&res);
	if (cli.timings)
		print_timings(&res.timings, vmm_guest_resident(vm));
	running = NULL; /* before the free: a late signal must not see it */
	vmm_destroy(vm);
	cli_free(&cli);
	return status;
}
