/* disk_odd: a 1000-byte disk file is two sectors; past the file's end reads as
 * zeros, and writing the last sector works. The host checks the file after. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	uint64_t key = 9 * 0x9e3779b97f4a7c15ULL;
	uint8_t buf[1024], sector[512];
	int fd = open("/dev/vda", O_RDWR), bad = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || st.st_size != 1024 || pread(fd, buf, 1024, 0) != 1024) {
		printf("disk_odd: want a 1024-byte /dev/vda\n");
		return 1;
	}
	for (int i = 0; i < 1000; i += 8) {
		uint64_t w = (uint64_t)i ^ key;

		bad |= memcmp(buf + i, &w, i + 8 <= 1000 ? 8 : 1000 - i);
	}
	for (int i = 1000; i < 1024; i++)
		bad |= buf[i];
	memset(sector, 0xab, sizeof(sector));
	if (bad || pwrite(fd, sector, 512, 512) != 512 || fsync(fd)) {
		printf("disk_odd: FAIL (contents %s)\n", bad ? "wrong" : "right");
		return 1;
	}
	printf("disk_odd: ok\n");
	return 0;
}
