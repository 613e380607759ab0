/* runstat: run a command N times and print its wall time and peak RSS statistics on one line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_RUNS 20
#define MAX_RUNS     100000

struct opts {
	int runs;
	bool verbose; /* let the child's stdout and stderr through */
	char **argv;  /* the command */
};

/*
 * rss_kib is wait4's ru_maxrss, which also counts what the child had before
 * execve (pages of this program, about 0.6 MiB): a figure near that is only
 * an upper bound on the command's own peak.
 */
struct run {
	double ms;
	long rss_kib;
	int status; /* exit status, or -1 if killed by a signal */
	int signo;
};

static const char usage[] =
    "usage: runstat [-n N] [-q | -v] -- COMMAND ARGS...\n"
    "  -n N  run COMMAND N times (default 20)\n"
    "  -q    discard the command's stdout and stderr (the default)\n"
    "  -v    let the command's stdout and stderr through\n"
    "prints: runs=N median_ms= min_ms= max_ms= rss_median_kib= rss_max_kib= status=S\n";

static void die(const char *fmt, const char *arg)
{
	fputs("runstat: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static int parse_runs(const char *s)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > MAX_RUNS)
		die("bad run count '%s' (want 1 to 100000)", s);
	return (int)n;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;
	o->runs = DEFAULT_RUNS;
	o->verbose = false;
	while ((c = getopt(argc, argv, "+n:qvh")) != -1) {
		switch (c) {
		case 'n':
			o->runs = parse_runs(optarg);
			break;
		case 'q':
			o->verbose = false;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			exit(1);
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		exit(1);
	}
	o->argv = argv + optind;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* In the child: quiet the output, exec, and report an exec failure's errno on fd. */
static void child(const struct opts *o, int fd)
{
	if (!o->verbose) {
		int null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
			_exit(127);
		close(null);
	}
	execvp(o->argv[0], o->argv);
	int err = errno;
	if (write(fd, &err, sizeof err) < 0)
		_exit(127);
	_exit(127);
}

/* After fork: 0 if the child exec'd (the pipe closed empty), else its errno. */
static int exec_error(int fd)
{
	int err = 0;
	ssize_t n;
	do
		n = read(fd, &err, sizeof err);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof err ? err : 0;
}

static void run_once(const struct opts *o, struct run *r)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		child(o, pfd[1]);
	close(pfd[1]);
	int err = exec_error(pfd[0]);
	close(pfd[0]);
	int ws;
	struct rusage ru;
	while (wait4(pid, &ws, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	r->ms = now_ms() - t0;
	if (err) {
		fprintf(stderr, "runstat: cannot execute %s: %s\n", o->argv[0], strerror(err));
		exit(1);
	}
	r->rss_kib = ru.ru_maxrss;
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	r->signo = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
}

/* Exit 1 with a reason if run i (0-based) was killed or differs from run 0. */
static void check_run(const struct opts *o, const struct run *runs, int i)
{
	const struct run *r = &runs[i];
	if (r->status < 0) {
		fprintf(stderr, "runstat: run %d of %s killed by signal %d (%s)\n", i + 1,
			o->argv[0], r->signo, strsignal(r->signo));
		exit(1);
	}
	if (r->status != runs[0].status) {
		fprintf(stderr, "runstat: run %d of %s exited with status %d, run 1 with %d\n",
			i + 1, o->argv[0], r->status, runs[0].status);
		exit(1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of n sorted values: the middle one, or the mean of the middle two. */
static double median(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const struct run *runs, int n)
{
	double *ms = calloc((size_t)n, sizeof *ms);
	double *rss = calloc((size_t)n, sizeof *rss);
	if (!ms || !rss)
		die("%s", "out of memory");
	for (int i = 0; i < n; i++) {
		ms[i] = runs[i].ms;
		rss[i] = (double)runs[i].rss_kib;
	}
	qsort(ms, (size_t)n, sizeof *ms, cmp_double);
	qsort(rss, (size_t)n, sizeof *rss, cmp_double);
	printf("runs=%d median_ms=%.3f min_ms=%.3f max_ms=%.3f rss_median_kib=%.0f "
	       "rss_max_kib=%.0f status=%d\n",
	       n, median(ms, n), ms[0], ms[n - 1], median(rss, n), rss[n - 1], runs[n - 1].status);
	free(ms);
	free(rss);
}

int main(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	struct run *runs = calloc((size_t)o.runs, sizeof *runs);
	if (!runs)
		die("%s", "out of memory");
	for (int i = 0; i < o.runs; i++) {
		run_once(&o, &runs[i]);
		check_run(&o, runs, i);
	}
	report(runs, o.runs);
	free(runs);
	return 0;
}
