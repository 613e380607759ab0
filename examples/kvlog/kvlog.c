/* kvlog: an append-only key-value log on /dev/vda that survives restarts.
 *   kvlog set KEY VALUE | get KEY | del KEY | list
 * Each record is a header (magic, key and value lengths, CRC-32) and the
 * bytes; a later record for a key wins, and a delete is a record too. On
 * start the log is scanned up to the first record that does not check out,
 * so a write torn by a crash loses only itself. Every change is fsynced. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC	  0x4b564c31u /* "KVL1" */
#define DELETED	  UINT32_MAX
#define MAX_KEY	  255
#define MAX_VALUE 65536

struct rec {
	uint32_t magic, klen, vlen, crc;
};

struct entry {
	char key[MAX_KEY + 1];
	char *value; /* NULL: deleted */
};

static struct entry table[4096];
static int nentries;

static uint32_t crc32(const void *data, size_t len, uint32_t crc)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static uint32_t record_crc(const struct rec *r, const char *key, const char *value)
{
	uint32_t crc = crc32(&r->klen, 8, 0);

	crc = crc32(key, r->klen, crc);
	return r->vlen == DELETED ? crc : crc32(value, r->vlen, crc);
}

static struct entry *find(const char *key)
{
	for (int i = 0; i < nentries; i++)
		if (!strcmp(table[i].key, key))
			return &table[i];
	return NULL;
}

static void apply(const char *key, const char *value, uint32_t vlen)
{
	struct entry *e = find(key);

	if (!e && nentries < (int)(sizeof(table) / sizeof(table[0]))) {
		e = &table[nentries++];
		strcpy(e->key, key);
	}
	if (!e)
		return;
	free(e->value);
	e->value = NULL;
	if (vlen != DELETED && (e->value = malloc(vlen + 1))) {
		memcpy(e->value, value, vlen);
		e->value[vlen] = 0;
	}
}

/* Replays the log; returns the offset where the next record goes. */
static off_t replay(int fd)
{
	static char key[MAX_KEY + 1], value[MAX_VALUE];
	off_t off = 0;
	struct rec r;

	while (pread(fd, &r, sizeof(r), off) == sizeof(r) && r.magic == MAGIC && r.klen &&
	       r.klen <= MAX_KEY && (r.vlen <= MAX_VALUE || r.vlen == DELETED)) {
		uint32_t vlen = r.vlen == DELETED ? 0 : r.vlen;

		if (pread(fd, key, r.klen, off + (off_t)sizeof(r)) != (ssize_t)r.klen ||
		    pread(fd, value, vlen, off + (off_t)(sizeof(r) + r.klen)) != (ssize_t)vlen)
			break;
		key[r.klen] = 0;
		if (record_crc(&r, key, value) != r.crc)
			break;
		apply(key, value, r.vlen);
		off += (off_t)(sizeof(r) + r.klen + vlen);
	}
	return off;
}

static int append(int fd, off_t off, const char *key, const char *value)
{
	struct rec r = { MAGIC, (uint32_t)strlen(key), value ? (uint32_t)strlen(value) : DELETED,
			 0 };
	uint32_t vlen = value ? r.vlen : 0;
	char buf[sizeof(r) + MAX_KEY + MAX_VALUE];

	if (!r.klen || r.klen > MAX_KEY || vlen > MAX_VALUE) {
		fprintf(stderr, "kvlog: keys are 1-%d bytes, values up to %d\n", MAX_KEY,
			MAX_VALUE);
		return 2;
	}
	r.crc = record_crc(&r, key, value);
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), key, r.klen);
	memcpy(buf + sizeof(r) + r.klen, value ? value : "", vlen);
	/* The zeroed header after it ends the log for the next replay. */
	memset(buf + sizeof(r) + r.klen + vlen, 0, sizeof(r));
	if (pwrite(fd, buf, sizeof(r) * 2 + r.klen + vlen, off) < 0 || fsync(fd)) {
		perror("kvlog: write");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fd = open("/dev/vda", O_RDWR);
	struct entry *e;
	off_t end;

	if (fd < 0) {
		perror("kvlog: /dev/vda");
		return 1;
	}
	end = replay(fd);
	if (argc == 4 && !strcmp(argv[1], "set"))
		return append(fd, end, argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "del"))
		return find(argv[2]) && find(argv[2])->value ? append(fd, end, argv[2], NULL) : 1;
	if (argc == 3 && !strcmp(argv[1], "get")) {
		e = find(argv[2]);
		if (!e || !e->value)
			return 1;
		printf("%s\n", e->value);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (int i = 0; i < nentries; i++)
			if (table[i].value)
				printf("%s=%s\n", table[i].key, table[i].value);
		printf("(%lld bytes of log)\n", (long long)end);
		return 0;
	}
	fprintf(stderr, "usage: kvlog set KEY VALUE | get KEY | del KEY | list\n");
	return 2;
}
