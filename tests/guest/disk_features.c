/* disk_features: the block-device system calls, checked against a model of the disk.
 *   disk_features [rw=DEV] [ro=DEV] [serial=DEV:ID] [second=DEV] [eio=DEV] [none]
 * rw: a scratch disk (its contents are destroyed; at most 64 MiB); ro: a read-only
 * disk; serial: the serial DEV reports; second: another scratch disk, written
 * interleaved with rw; eio: a disk whose writes fail; none: no disks at all.
 * Prints one line per failed check and "disk_features: all ok" at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmm_guest.h" /* guest/include: the build passes -Iguest/include */

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s (line %d, errno %s)\n", #cond, __LINE__, strerror(errno)); \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 8) % n;
}

static uint64_t disk_size(int fd)
{
	uint64_t size = 0;

	return ioctl(fd, BLKGETSIZE64, &size) ? 0 : size;
}

/* Sizes, stat forms, seeks, and what a closed or wrong descriptor answers. */
static void check_metadata(const char *dev, int fd)
{
	uint64_t size = disk_size(fd);
	unsigned long sectors = 0;
	struct stat st, st2;
	int ssz = 0;

	CHECK(size > 0 && size % 512 == 0);
	CHECK(ioctl(fd, BLKGETSIZE, &sectors) == 0 && sectors * 512ULL == size);
	CHECK(ioctl(fd, BLKSSZGET, &ssz) == 0 && (ssz == 512 || ssz == 4096));
	CHECK(ioctl(fd, 0x5401 /* TCGETS */, &st) == -1 && errno == ENOTTY);
	CHECK(fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && (uint64_t)st.st_size == size);
	CHECK(stat(dev, &st2) == 0 && S_ISBLK(st2.st_mode) && st2.st_size == st.st_size);
	CHECK(fstatat(fd, "", &st2, AT_EMPTY_PATH) == 0 && st2.st_rdev == st.st_rdev);
	CHECK(fstatat(AT_FDCWD, dev, &st2, 0) == 0 && st2.st_size == st.st_size);
	CHECK(lseek(fd, 0, SEEK_END) == (off_t)size);
	CHECK(lseek(fd, -512, SEEK_END) == (off_t)size - 512);
	CHECK(lseek(fd, 100, SEEK_CUR) == (off_t)size - 412);
	CHECK(lseek(fd, -1, SEEK_SET) == -1 && errno == EINVAL);
	CHECK(lseek(fd, -(off_t)size - 1, SEEK_END) == -1 && errno == EINVAL);
	CHECK(lseek(fd, 0, 42) == -1 && errno == EINVAL);
	CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)size - 412);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
}

/* Random pread/pwrite/readv/writev at any offset and length, against a copy in memory. */
static void check_random_io(int fd, char *model, uint64_t size, int rounds)
{
	size_t cap = 3 << 20;
	char *mem = malloc(cap + 64), *buf;

	if (!mem) {
		CHECK(mem != NULL);
		return;
	}
	for (int r = 0; r < rounds; r++) {
		/* Mostly small and unaligned; sometimes aligned, sometimes over 1 MiB. */
		size_t len = r % 7 == 0	   ? (rnd(6) + 1) * 512
			     : r % 11 == 0 ? rnd((uint32_t)cap)
					   : rnd(5000);
		uint64_t off =
		    r % 5 == 0 ? rnd((uint32_t)(size / 512)) * 512ULL : rnd((uint32_t)size);
		int write = rnd(2);
		ssize_t got, want;

		if (len > size - off)
			len = (size_t)(size - off);
		buf = mem + rnd(64); /* memory alignment never matters */
		want = (ssize_t)len;
		if (write) {
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)rnd(256);
			if (r % 3 == 0 && len > 1) {
				struct iovec iov[2] = { { buf, len / 3 },
							{ buf + len / 3, len - len / 3 } };

				got = pwritev(fd, iov, 2, (off_t)off);
			} else {
				got = pwrite(fd, buf, len, (off_t)off);
			}
			if (got == want)
				memcpy(model + off, buf, len);
		} else if (r % 3 == 0 && len > 1) {
			struct iovec iov[2] = { { buf, len / 2 },
						{ buf + len / 2, len - len / 2 } };

			got = preadv(fd, iov, 2, (off_t)off);
		} else {
			got = pread(fd, buf, len, (off_t)off);
		}
		if (got != want || (!write && memcmp(buf, model + off, len))) {
			printf("FAIL round %d: %s of %zu at %llu: %zd\n", r,
			       write ? "write" : "read", len, (unsigned long long)off, got);
			failures++;
			break;
		}
	}
	free(mem);
}

/* The last bytes: reads come up short, then 0; writes short, then ENOSPC. */
static void check_end(int fd, char *model, uint64_t size)
{
	char buf[1024];

	memset(buf, 0x5c, sizeof(buf));
	CHECK(pwrite(fd, buf, 512, (off_t)size - 100) == 100);
	memcpy(model + size - 100, buf, 100);
	CHECK(pwrite(fd, buf, 512, (off_t)size) == -1 && errno == ENOSPC);
	CHECK(pwrite(fd, buf, 1, (off_t)size + 4096) == -1 && errno == ENOSPC);
	CHECK(pwrite(fd, buf, 0, (off_t)size) == 0);
	CHECK(pread(fd, buf, sizeof(buf), (off_t)size - 300) == 300 &&
	      !memcmp(buf, model + size - 300, 300));
	CHECK(pread(fd, buf, sizeof(buf), (off_t)size) == 0);
	CHECK(pread(fd, buf, sizeof(buf), (off_t)size + 12345) == 0);
	CHECK(pread(fd, buf, 1, -1) == -1 && errno == EINVAL);
	CHECK(lseek(fd, (off_t)size - 10, SEEK_SET) == (off_t)size - 10);
	CHECK(read(fd, buf, sizeof(buf)) == 10 && !memcmp(buf, model + size - 10, 10));
	CHECK(read(fd, buf, sizeof(buf)) == 0);
	CHECK(write(fd, buf, 1) == -1 && errno == ENOSPC);
}

/* The file offset: read/write move it, dup'd descriptors share it, stdio works on top. */
static void check_offsets(const char *dev, int fd, char *model)
{
	char buf[700], out[700];
	int fd2 = dup(fd), fd3;
	FILE *f;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	CHECK(lseek(fd, 1000, SEEK_SET) == 1000);
	CHECK(write(fd, out, sizeof(out)) == (ssize_t)sizeof(out));
	memcpy(model + 1000, out, sizeof(out));
	CHECK(lseek(fd2, 0, SEEK_CUR) == 1700);
	CHECK(lseek(fd2, 1000, SEEK_SET) == 1000 && read(fd, buf, sizeof(buf)) == sizeof(buf) &&
	      !memcmp(buf, out, sizeof(buf)));
	CHECK(fcntl(fd2, F_GETFD) == 0 && fcntl(fd2, F_SETFD, FD_CLOEXEC) == 0 &&
	      fcntl(fd2, F_GETFD) == FD_CLOEXEC);
	fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 40);
	CHECK(fd3 >= 40 && fcntl(fd3, F_GETFD) == FD_CLOEXEC);
	CHECK(dup2(fd, fd3) == fd3 && fcntl(fd3, F_GETFD) == 0);
	CHECK(close(fd2) == 0 && close(fd3) == 0 && close(fd3) == -1 && errno == EBADF);
	CHECK(fsync(fd) == 0 && fdatasync(fd) == 0);
	f = fopen(dev, "r+");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fseek(f, 999, SEEK_SET) == 0 && fread(buf, 1, 300, f) == 300);
	CHECK(!memcmp(buf, model + 999, 300));
	CHECK(fseek(f, 5000, SEEK_SET) == 0 && fwrite("stdio", 1, 5, f) == 5 && fflush(f) == 0);
	memcpy(model + 5000, "stdio", 5);
	CHECK(fclose(f) == 0);
}

/* FNV-1a: the host hashes the image file the same way to see where the bytes landed. */
static uint64_t fnv1a(const char *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint64_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
	return h;
}

static int run_rw(const char *dev)
{
	int fd = open(dev, O_RDWR);
	uint64_t size = fd < 0 ? 0 : disk_size(fd);
	char *model;

	CHECK(fd >= 0 && size > 0 && size <= (64 << 20));
	if (fd < 0 || !size || size > (64 << 20) || !(model = malloc(size)))
		return -1;
	/* The model starts as what the disk holds now. */
	CHECK(pread(fd, model, size, 0) == (ssize_t)size);
	check_metadata(dev, fd);
	check_end(fd, model, size);
	check_offsets(dev, fd, model);
	check_random_io(fd, model, size, 400);
	CHECK(fsync(fd) == 0);
	CHECK(close(fd) == 0);
	printf("disk_features: %s fnv1a64 %016llx\n", dev, (unsigned long long)fnv1a(model, size));
	free(model);
	return 0;
}

/* A read-only disk refuses writers with EROFS, and reads normally. */
static void run_ro(const char *dev)
{
	char buf[4096];
	struct stat st;
	int fd;

	CHECK(open(dev, O_RDWR) == -1 && errno == EROFS);
	CHECK(open(dev, O_WRONLY) == -1 && errno == EROFS);
	fd = open(dev, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(pread(fd, buf, 1000, 333) == 1000);
	CHECK(write(fd, buf, 1) == -1 && errno == EBADF);
	CHECK(fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) && !(st.st_mode & 0222));
	close(fd);
}

static void run_serial(const char *arg)
{
	char dev[64], want[64], got[32];
	const char *colon = strchr(arg, ':');
	int fd;

	if (!colon || colon - arg >= (int)sizeof(dev)) {
		CHECK(colon != NULL);
		return;
	}
	snprintf(dev, sizeof(dev), "%.*s", (int)(colon - arg), arg);
	snprintf(want, sizeof(want), "%s", colon + 1);
	fd = open(dev, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(vmm_blk_serial(fd, got, sizeof(got)) == (int)strlen(want) && !strcmp(got, want));
	printf("disk_features: %s serial \"%s\"\n", dev, got);
	if (strlen(want) > 0)
		CHECK(vmm_blk_serial(fd, got, strlen(want)) == -1 && errno == ERANGE);
	CHECK(vmm_blk_serial(1, got, sizeof(got)) == -1 && errno == ENOTTY);
	CHECK(vmm_blk_serial(99, got, sizeof(got)) == -1 && errno == EBADF);
	close(fd);
}

/* Two disks at once: interleaved writes land on the right one. */
static void run_second(const char *a, const char *b)
{
	int fa = open(a, O_RDWR), fb = open(b, O_RDWR);
	char wa[3000], wb[3000], r[3000];

	CHECK(fa >= 0 && fb >= 0);
	for (int i = 0; i < 20; i++) {
		off_t off = (off_t)i * 4099;

		memset(wa, 'a' + i, sizeof(wa));
		memset(wb, 'A' + i, sizeof(wb));
		CHECK(pwrite(fa, wa, sizeof(wa), off) == sizeof(wa));
		CHECK(pwrite(fb, wb, sizeof(wb), off) == sizeof(wb));
	}
	for (int i = 0; i < 20; i++) {
		off_t off = (off_t)i * 4099;

		memset(wa, 'a' + i, sizeof(wa));
		memset(wb, 'A' + i, sizeof(wb));
		CHECK(pread(fa, r, sizeof(r), off) == sizeof(r) && !memcmp(r, wa, sizeof(r)));
		CHECK(pread(fb, r, sizeof(r), off) == sizeof(r) && !memcmp(r, wb, sizeof(r)));
	}
	CHECK(fsync(fa) == 0 && fsync(fb) == 0);
	close(fa);
	close(fb);
}

/* A device that fails writes: EIO, and the descriptor stays usable. */
static void run_eio(const char *dev)
{
	int fd = open(dev, O_RDWR);
	char buf[4096] = { 1 };

	CHECK(fd >= 0);
	CHECK(pwrite(fd, buf, sizeof(buf), 0) == -1 && errno == EIO);
	CHECK(pwrite(fd, buf, 100, 10) == -1 && errno == EIO);
	CHECK(close(fd) == 0);
}

/* What holds without any disk: names that do not exist, and the console. */
static void check_names(int expect_disks)
{
	struct stat st;
	char c;

	CHECK(open("/dev/vdz", O_RDONLY) == -1 && errno == ENOENT);
	CHECK(stat("/dev/vdz", &st) == -1 && errno == ENOENT);
	CHECK(open("/etc/passwd", O_RDONLY) == -1 && errno == ENOENT);
	CHECK(open("dev/vda", O_RDONLY) == -1 && errno == ENOENT);
	CHECK(open("/dev/vda", O_RDONLY | O_DIRECTORY) == -1 &&
	      errno == (expect_disks ? ENOTDIR : ENOENT));
	if (!expect_disks)
		CHECK(open("/dev/vda", O_RDWR) == -1 && errno == ENOENT);
	CHECK(read(0, &c, 1) == 0 && write(0, &c, 1) == -1 && errno == EBADF);
	CHECK(fstat(1, &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(lseek(1, 0, SEEK_CUR) == -1 && errno == ESPIPE);
	CHECK(fsync(1) == -1 && errno == EINVAL);
	CHECK(read(77, &c, 1) == -1 && errno == EBADF);
}

int main(int argc, char **argv)
{
	const char *rw = NULL;
	int disks = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "rw=", 3))
			run_rw(rw = a + 3), disks = 1;
		else if (!strncmp(a, "ro=", 3))
			run_ro(a + 3), disks = 1;
		else if (!strncmp(a, "serial=", 7))
			run_serial(a + 7), disks = 1;
		else if (!strncmp(a, "second=", 7) && rw)
			run_second(rw, a + 7);
		else if (!strncmp(a, "eio=", 4))
			run_eio(a + 4), disks = 1;
		else if (strcmp(a, "none"))
			printf("FAIL unknown argument %s\n", a), failures++;
	}
	check_names(disks);
	printf(failures ? "disk_features: %d FAILED\n" : "disk_features: all ok\n", failures);
	return failures ? 1 : 0;
}
