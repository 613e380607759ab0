/* disk_sync: writes the disk pattern over the first BYTES of /dev/vda, fsyncs,
 * says "synced", then idles until vmm is killed: what was synced must survive.
 *   disk_sync SEED BYTES */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 20)

int main(int argc, char **argv)
{
	uint64_t key = argc > 2 ? strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ULL : 0;
	uint64_t size = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
	char *buf = malloc(CHUNK);
	int fd = open("/dev/vda", O_RDWR);

	if (fd < 0 || !buf || size % 8) {
		printf("disk_sync: usage: disk_sync SEED BYTES, with /dev/vda\n");
		return 1;
	}
	for (uint64_t off = 0; off < size; off += CHUNK) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;

		for (size_t i = 0; i < n; i += 8) {
			uint64_t w = (off + i) ^ key;

			memcpy(buf + i, &w, 8);
		}
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n) {
			printf("disk_sync: write failed\n");
			return 1;
		}
	}
	if (fsync(fd)) {
		printf("disk_sync: fsync failed\n");
		return 1;
	}
	printf("synced\n");
	fflush(stdout);
	for (;;)
		sleep(60);
}
