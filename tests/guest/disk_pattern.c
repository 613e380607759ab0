/* disk_pattern: fill a disk with a known pattern in large writes, fsync, read it back.
 *   disk_pattern DEV SEED [WRITE_CHUNK [READ_CHUNK [verify|fill]]]
 * The 64-bit little-endian word at byte offset o is o ^ (SEED * 0x9e3779b97f4a7c15),
 * so the host can check the image file afterwards. "verify" only reads (a disk the
 * host filled, or a read-only one); "fill" only writes. Prints the throughput of
 * the I/O calls alone, and "disk_pattern: ok" on success. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

static uint64_t key;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(char *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = (off + i) ^ key;

		memcpy(buf + i, &w, 8);
	}
}

static int check(const char *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w;

		memcpy(&w, buf + i, 8);
		if (w != ((off + i) ^ key)) {
			printf("disk_pattern: mismatch at %llu: %016llx, want %016llx\n",
			       (unsigned long long)(off + i), (unsigned long long)w,
			       (unsigned long long)((off + i) ^ key));
			return -1;
		}
	}
	return 0;
}

/* The buffer starts one byte into a page: no memory alignment is needed for zero copy. */
static int pass(int fd, int write, uint64_t size, size_t chunk, char *buf)
{
	double t = 0;

	for (uint64_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		ssize_t got;
		double t0;

		if (write)
			fill(buf, off, n);
		t0 = now();
		got = write ? pwrite(fd, buf, n, (off_t)off) : pread(fd, buf, n, (off_t)off);
		t += now() - t0;
		if (got != (ssize_t)n) {
			printf("disk_pattern: %s of %zu at %llu returned %zd (%s)\n",
			       write ? "pwrite" : "pread", n, (unsigned long long)off, got,
			       strerror(errno));
			return -1;
		}
		if (!write && check(buf, off, n))
			return -1;
	}
	if (write) {
		double t0 = now();

		if (fsync(fd)) {
			printf("disk_pattern: fsync: %s\n", strerror(errno));
			return -1;
		}
		t += now() - t0;
	}
	printf("disk_pattern: %s %llu MiB in %zu-byte calls: %.3f s, %.1f MiB/s\n",
	       write ? "wrote" : "read", (unsigned long long)(size >> 20), chunk, t,
	       (double)size / (1 << 20) / t);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/vda";
	size_t wchunk = argc > 3 ? strtoul(argv[3], NULL, 0) : 3 << 20;
	size_t rchunk = argc > 4 ? strtoul(argv[4], NULL, 0) : 1 << 20;
	const char *mode = argc > 5 ? argv[5] : "both";
	int ro = !strcmp(mode, "verify");
	uint64_t size = 0;
	char *mem, *buf;
	int fd;

	key = (argc > 2 ? strtoull(argv[2], NULL, 0) : 1) * 0x9e3779b97f4a7c15ULL;
	fd = open(dev, ro ? O_RDONLY : O_RDWR);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || size % 8 || !wchunk || !rchunk ||
	    wchunk % 8 || rchunk % 8) {
		printf("disk_pattern: %s: cannot use it (%s), or bad chunk sizes\n", dev,
		       strerror(errno));
		return 1;
	}
	mem = malloc((wchunk > rchunk ? wchunk : rchunk) + 4096);
	if (!mem)
		return 1;
	buf = (char *)(((uintptr_t)mem + 4095) & ~(uintptr_t)4095) + 1;
	if (!ro && pass(fd, 1, size, wchunk, buf))
		return 1;
	if (strcmp(mode, "fill") && pass(fd, 0, size, rchunk, buf))
		return 1;
	if (close(fd)) {
		printf("disk_pattern: close: %s\n", strerror(errno));
		return 1;
	}
	printf("disk_pattern: ok, %llu bytes\n", (unsigned long long)size);
	return 0;
}
