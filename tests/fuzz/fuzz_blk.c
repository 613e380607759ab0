/* fuzz_blk.c: libFuzzer target for virtio-blk behind its mmio transport, kicked as in the vmm. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "virtio_blk.h"

#define RAM	 0x10000 /* 64 KiB */
#define DISK_MAX 0x4000	 /* 16 KiB: up to 511 bytes less, for a short last sector */
#define MAX_OPS	 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The header; after it, register writes (struct op), then RAM from address 0. */
struct setup {
	uint8_t flags, size_log2, nops, pad;
	uint16_t disk_cut;
};

/* A guest register access between kicks. */
struct op {
	uint16_t off;
	uint8_t len, write;
	uint32_t val;
};

#define F_EVENT_IDX 1
#define F_INDIRECT  2
#define F_RO	    4
#define F_NO_INTR   8

static struct blk b;
static struct virtq_chain *chain;
static int disk_fd = -1, wake_fd = -1;

/* Once: the disk file (on tmpfs if there is one, so FLUSH stays cheap), the wake eventfd. */
static void init_once(void)
{
	char shm[] = "/dev/shm/fuzz_blk.XXXXXX", tmp[] = "/tmp/fuzz_blk.XXXXXX";
	char *path = shm;

	disk_fd = mkstemp(shm);
	if (disk_fd < 0) {
		path = tmp;
		disk_fd = mkstemp(tmp);
	}
	chain = malloc(sizeof(*chain));
	wake_fd = eventfd(0, EFD_NONBLOCK);
	if (disk_fd < 0 || !chain || wake_fd < 0)
		abort();
	unlink(path); /* the open descriptor keeps it */
}

static void reg(uint64_t off, uint32_t v)
{
	virtio_mmio_access(&b.dev, off, (uint8_t *)&v, 4, true);
}

/* Rings packed from address 0: avail, desc, used; short inputs still reach all three. */
static void bring_up(uint8_t flags, uint16_t qsize)
{
	uint64_t avail = 0, desc = (6 + 2ULL * qsize + 15) & ~15ULL;
	uint64_t used = desc + 16ULL * qsize;
	uint32_t features = (flags & F_EVENT_IDX ? 1u << VIRTIO_F_RING_EVENT_IDX : 0) |
			    (flags & F_INDIRECT ? 1u << VIRTIO_F_RING_INDIRECT_DESC : 0);
	uint32_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	reg(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	reg(VIRTIO_MMIO_STATUS, s);
	reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg(VIRTIO_MMIO_DRIVER_FEATURES, features);
	reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	reg(VIRTIO_MMIO_STATUS, s |= VIRTIO_STATUS_FEATURES_OK);
	reg(VIRTIO_MMIO_QUEUE_SEL, 0);
	reg(VIRTIO_MMIO_QUEUE_NUM, qsize);
	reg(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	reg(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	reg(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	reg(VIRTIO_MMIO_QUEUE_READY, 1);
	reg(VIRTIO_MMIO_STATUS, s | VIRTIO_STATUS_DRIVER_OK);
	if (b.dev.status != (s | VIRTIO_STATUS_DRIVER_OK))
		abort(); /* a by-the-book bring-up must succeed */
}

static void first_sector(uint8_t *sector)
{
	for (int i = 0; i < VIRTIO_BLK_SECTOR; i++)
		sector[i] = (uint8_t)(i * 7 + 1);
}

/* A fresh disk of the chosen size: a pattern, zeros, then a short or full last sector. */
static uint64_t reset_disk(uint16_t cut)
{
	uint64_t size = DISK_MAX - cut % VIRTIO_BLK_SECTOR;
	uint8_t sector[VIRTIO_BLK_SECTOR];

	first_sector(sector);
	if (ftruncate(disk_fd, 0) || ftruncate(disk_fd, (off_t)size) ||
	    pwrite(disk_fd, sector, sizeof(sector), 0) != (ssize_t)sizeof(sector))
		abort();
	return size;
}

/* The disk never grows past its last whole sector; a read-only one does not change. */
static void check_disk(uint64_t size, bool ro)
{
	uint64_t cap = (size + VIRTIO_BLK_SECTOR - 1) / VIRTIO_BLK_SECTOR * VIRTIO_BLK_SECTOR;
	uint8_t want[VIRTIO_BLK_SECTOR], now[VIRTIO_BLK_SECTOR];
	struct stat st;

	if (fstat(disk_fd, &st) || (uint64_t)st.st_size > cap)
		abort();
	first_sector(want);
	if (ro && ((uint64_t)st.st_size != size ||
		   pread(disk_fd, now, sizeof(now), 0) != (ssize_t)sizeof(now) ||
		   memcmp(now, want, sizeof(now))))
		abort();
}

static void run_op(const struct op *o)
{
	uint8_t buf[8];
	uint32_t len = 1u << (o->len % 4); /* 1, 2, 4, 8 */

	memcpy(buf, &o->val, 4);
	memcpy(buf + 4, &o->val, 4);
	/* QueueNotify with a queue's index is an ioeventfd: the I/O thread kicks that queue. */
	if ((o->write & 1) && (o->off & 0xfff) == VIRTIO_MMIO_QUEUE_NOTIFY && len == 4 && !o->val)
		virtio_dev_kick(&b.dev, 0);
	else
		virtio_mmio_access(&b.dev, o->off & 0xfff, buf, len, o->write & 1);
}

/* Splits the input: header, register writes, the rest is RAM's content. */
static int parse(const uint8_t **data, size_t *size, struct setup *s, struct op *ops)
{
	size_t n;

	if (*size < sizeof(*s))
		return -1;
	memcpy(s, *data, sizeof(*s));
	n = s->nops % (MAX_OPS + 1);
	if (n > (*size - sizeof(*s)) / sizeof(*ops))
		n = (*size - sizeof(*s)) / sizeof(*ops);
	memcpy(ops, *data + sizeof(*s), n * sizeof(*ops));
	*data += sizeof(*s) + n * sizeof(*ops);
	*size -= sizeof(*s) + n * sizeof(*ops);
	return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem mem = { NULL, RAM };
	struct op ops[MAX_OPS];
	uint64_t disk_size;
	struct setup s;
	int nops;

	if (disk_fd < 0)
		init_once();
	nops = parse(&data, &size, &s, ops);
	mem.base = nops < 0 ? NULL : calloc(1, RAM); /* exactly RAM: ASan guards both ends */
	if (!mem.base)
		return 0;
	memcpy(mem.base, data, size < RAM ? size : RAM);

	disk_size = reset_disk(s.disk_cut);
	blk_init(&b, disk_fd, disk_size, s.flags & F_RO, "fuzz-serial");
	b.chain = chain;
	b.dev.mem = &mem;
	b.dev.wake_fd = wake_fd;
	bring_up(s.flags, (uint16_t)(1u << (s.size_log2 % 9)));
	if (s.flags & F_NO_INTR)
		mem.base[0] |= VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtio_dev_kick(&b.dev, 0);
	for (int i = 0; i < nops; i++)
		run_op(&ops[i]);
	virtio_dev_kick(&b.dev, 0);
	(void)virtio_dev_pending(&b.dev);

	check_disk(disk_size, s.flags & F_RO);
	pthread_mutex_destroy(&b.dev.lock);
	memset(&b.dev, 0, sizeof(b.dev)); /* the next input starts from power-on */
	free(mem.base);
	return 0;
}
