/* bundle_read: files bundled in the image (tests/guest/bundle_read.files/) read back.
 *   bundle_read              every check below, then "bundle_read: all ok"
 *   bundle_read cat PATH     PATH's bytes to stdout, for the host to compare
 *   bundle_read absent PATH  open and stat of PATH fail with ENOENT (an image without it) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#define HELLO	  "hello from a bundled file\n"
#define NESTED	  "nested two levels down\n"
#define DATA_SIZE 5000 /* byte i is i * 37 + 11, mod 256: every value, NUL and '\n' too */

static int fails_with(int rc, int err)
{
	return rc == -1 && errno == err;
}

static int stat_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -errno : (int)st.st_mode;
}

static void check_text(void)
{
	char buf[64] = { 0 };
	struct stat st;
	int fd = open("/hello.txt", O_RDONLY);

	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf)) == (ssize_t)strlen(HELLO) && !strcmp(buf, HELLO));
	CHECK(read(fd, buf, sizeof(buf)) == 0);
	CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0444);
	CHECK(st.st_size == (off_t)strlen(HELLO) && st.st_nlink == 1);
	CHECK(fails_with((int)write(fd, "x", 1), EBADF));
	CHECK(close(fd) == 0);
	fd = openat(AT_FDCWD, "/hello.txt", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && close(fd) == 0);
}

static void check_seek(void)
{
	char buf[16] = { 0 }, a[5] = { 0 }, b[8] = { 0 };
	struct iovec iov[2] = { { a, 4 }, { b, 7 } };
	int fd = open("/hello.txt", O_RDONLY);

	CHECK(lseek(fd, 6, SEEK_SET) == 6);
	CHECK(read(fd, buf, 4) == 4 && !memcmp(buf, "from", 4));
	CHECK(lseek(fd, 0, SEEK_CUR) == 10);
	CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5));
	CHECK(lseek(fd, 0, SEEK_CUR) == 10); /* pread leaves the offset */
	CHECK(pread(fd, buf, 16, 21) == 5 && !memcmp(buf, "file\n", 5));
	CHECK(lseek(fd, -5, SEEK_END) == (off_t)strlen(HELLO) - 5);
	CHECK(read(fd, buf, 16) == 5 && !memcmp(buf, "file\n", 5));
	CHECK(lseek(fd, 1000, SEEK_SET) == 1000 && read(fd, buf, 16) == 0);
	CHECK(pread(fd, buf, 16, 1000) == 0);
	CHECK(fails_with((int)lseek(fd, -1, SEEK_SET), EINVAL));
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && readv(fd, iov, 2) == 11);
	CHECK(!strcmp(a, "hell") && !strcmp(b, "o from "));
	close(fd);
}

static int data_ok(const unsigned char *p, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)((off + i) * 37 + 11))
			return 0;
	return 1;
}

static void check_binary(void)
{
	static unsigned char buf[DATA_SIZE + 100];
	size_t got = 0;
	ssize_t n = 1;
	struct stat st;
	int fd = open("/data.bin", O_RDONLY);

	/* Odd-sized reads, so chunks straddle every alignment. */
	while (n > 0 && got < sizeof(buf)) {
		n = read(fd, buf + got, got + 333 < sizeof(buf) ? 333 : sizeof(buf) - got);
		got += n > 0 ? (size_t)n : 0;
	}
	CHECK(n >= 0 && got == DATA_SIZE && data_ok(buf, 0, DATA_SIZE));
	CHECK(fstat(fd, &st) == 0 && st.st_size == DATA_SIZE && st.st_blocks == 10);
	CHECK(pread(fd, buf, 100, 4990) == 10 && data_ok(buf, 4990, 10));
	CHECK(pread(fd, buf, 1, 4095) == 1 && data_ok(buf, 4095, 1));
	close(fd);
	CHECK(stat("/data.bin", &st) == 0 && st.st_size == DATA_SIZE);
}

static void check_errors(void)
{
	CHECK(fails_with(open("/hello.txt", O_WRONLY), EROFS));
	CHECK(fails_with(open("/hello.txt", O_RDWR), EROFS));
	CHECK(fails_with(open("/hello.txt", O_RDONLY | O_TRUNC), EROFS));
	CHECK(fails_with(open("/hello.txt", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST));
	CHECK(fails_with(open("/hello.txt", O_RDONLY | O_DIRECTORY), ENOTDIR));
	CHECK(fails_with(open("/hello.txt/", O_RDONLY), ENOTDIR));
	CHECK(fails_with(open("/missing.txt", O_RDONLY), ENOENT));
	CHECK(fails_with(open("/missing.txt", O_WRONLY | O_CREAT, 0644), ENOENT));
	CHECK(fails_with(open("hello.txt", O_RDONLY), ENOENT)); /* absolute paths only */
	CHECK(stat_mode("/missing.txt") == -ENOENT);
	CHECK(stat_mode("/su") == -ENOENT); /* a prefix of "/sub", not a directory */
	CHECK(stat_mode("/sub/dir/nested") == -ENOENT);
	CHECK(access("/hello.txt", R_OK) == 0 && access("/hello.txt", F_OK) == 0);
	CHECK(fails_with(access("/hello.txt", W_OK), EROFS));
	CHECK(fails_with(access("/hello.txt", X_OK), EACCES));
	CHECK(fails_with(access("/missing.txt", F_OK), ENOENT));
}

static void check_dirs(void)
{
	char buf[32] = { 0 };
	int fd = open("/sub/dir/nested.txt", O_RDONLY);

	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)strlen(NESTED));
	CHECK(!strcmp(buf, NESTED));
	close(fd);
	CHECK(S_ISDIR(stat_mode("/")) && S_ISDIR(stat_mode("/sub")));
	CHECK(S_ISDIR(stat_mode("/sub/dir/")) && S_ISDIR(stat_mode("/sub/dir/.")));
	CHECK((stat_mode("/sub") & 07777) == 0555);
	CHECK(access("/sub", R_OK | X_OK) == 0 && fails_with(access("/sub", W_OK), EROFS));
	fd = open("/sub", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0 && fails_with((int)read(fd, buf, 1), EISDIR) && close(fd) == 0);
	CHECK(fails_with(open("/sub", O_WRONLY), EISDIR));
	/* Repeated slashes, "." and ".." are resolved before the lookup. */
	CHECK(S_ISREG(stat_mode("//sub///dir/./nested.txt")));
	CHECK(S_ISREG(stat_mode("/sub/dir/../../hello.txt")));
	CHECK(S_ISREG(stat_mode("/../../hello.txt")));
}

static void check_empty_and_stdio(void)
{
	char line[64] = { 0 }, buf[4];
	struct stat st;
	int fd = open("/empty", O_RDONLY);
	FILE *f = fopen("/hello.txt", "r");

	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0 && read(fd, buf, 4) == 0);
	close(fd);
	CHECK(f && fgets(line, sizeof(line), f) && !strcmp(line, HELLO));
	CHECK(f && fclose(f) == 0);
	CHECK(fopen("/hello.txt", "w") == NULL && errno == EROFS);
}

static int cat(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "bundle_read: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	return n < 0;
}

static int absent(const char *path)
{
	int ok = fails_with(open(path, O_RDONLY), ENOENT) && stat_mode(path) == -ENOENT;

	printf("bundle_read: %s %s\n", path, ok ? "is absent" : "FAIL: exists");
	return !ok;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "cat"))
		return cat(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "absent"))
		return absent(argv[2]);
	check_text();
	check_seek();
	check_binary();
	check_errors();
	check_dirs();
	check_empty_and_stdio();
	printf(failures ? "bundle_read: %d FAILED\n" : "bundle_read: all ok\n", failures);
	return failures ? 1 : 0;
}
