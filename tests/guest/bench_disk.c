/* bench_disk: throughput and IOPS on /dev/vda from inside the guest, for make bench.
 * Prints one line: seq_write_mib_s=.. seq_read_mib_s=.. rand_read_iops=.. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif

#define BIG   (1 << 20)
#define SMALL 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double sequential(int fd, char *buf, uint64_t size, int write)
{
	double t0 = now();

	for (uint64_t off = 0; off < size; off += BIG) {
		ssize_t n =
		    write ? pwrite(fd, buf, BIG, (off_t)off) : pread(fd, buf, BIG, (off_t)off);

		if (n != BIG) {
			fprintf(stderr, "bench_disk: %s at %llu failed\n", write ? "write" : "read",
				(unsigned long long)off);
			exit(1);
		}
	}
	if (write && fsync(fd)) {
		fprintf(stderr, "bench_disk: fsync failed\n");
		exit(1);
	}
	return (double)size / BIG / (now() - t0);
}

static double random_reads(int fd, char *buf, uint64_t size, int count)
{
	uint64_t x = 88172645463325252ULL; /* xorshift: the same offsets every run */
	double t0 = now();

	for (int i = 0; i < count; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (pread(fd, buf, SMALL, (off_t)(x % (size / SMALL) * SMALL)) != SMALL) {
			fprintf(stderr, "bench_disk: random read failed\n");
			exit(1);
		}
	}
	return count / (now() - t0);
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 20000;
	int fd = open("/dev/vda", O_RDWR);
	uint64_t size = 0;
	char *buf = aligned_alloc(4096, BIG);
	double w, r, iops;

	if (fd < 0 || !buf || ioctl(fd, BLKGETSIZE64, &size) || size < BIG) {
		fprintf(stderr, "bench_disk: no usable /dev/vda\n");
		return 1;
	}
	memset(buf, 0x5a, BIG);
	size -= size % BIG;
	w = sequential(fd, buf, size, 1);
	r = sequential(fd, buf, size, 0);
	iops = random_reads(fd, buf, size, count);
	printf("seq_write_mib_s=%.1f seq_read_mib_s=%.1f rand_read_iops=%.0f\n", w, r, iops);
	return 0;
}
