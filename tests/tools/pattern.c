/* pattern: the disk tests' pattern on the host side.
 *   pattern SEED BYTES          write it to stdout
 * The 64-bit little-endian word at byte offset o is o ^ (SEED * 0x9e3779b97f4a7c15),
 * as tests/guest/disk_pattern.c and disk_sync.c write it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	uint64_t key, size, off = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: pattern SEED BYTES\n");
		return 2;
	}
	key = strtoull(argv[1], NULL, 0) * 0x9e3779b97f4a7c15ULL;
	size = strtoull(argv[2], NULL, 0);
	while (off < size) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		for (size_t i = 0; i < sizeof(buf); i += 8) {
			uint64_t w = (off + i) ^ key;

			memcpy(buf + i, &w, 8);
		}
		if (fwrite(buf, 1, n, stdout) != n)
			return 1;
		off += n;
	}
	return 0;
}
