/* virtio_blk.c: virtio-blk disks as /dev/vda, /dev/vdb...: synchronous, zero-copy when aligned. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "fd.h"
#include "include/vmm_guest.h"
#include "libos.h"
#include "virtio_mmio.h"

#define BLK_MAX	      26	 /* vda..vdz */
#define REQ_MAX	      (1U << 20) /* data bytes per request: larger transfers are split */
#define SEG_MAX	      3		 /* data buffers per request: bounce, the caller's, bounce */
#define SECTOR	      VIRTIO_BLK_SECTOR
#define BLOCK_MAX     4096 /* largest blk_size we follow; also each bounce buffer's size */
#define VIRTBLK_MAJOR 254  /* Linux's usual major for vd*: st_rdev looks familiar */
#define WANTED                                                        \
	(1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_BLK_F_RO |  \
	 1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH | \
	 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX)

/* What a request needs besides the caller's data; one per disk, one request in flight. */
struct blk_req {
	struct virtio_blk_req_hdr hdr;
	uint8_t status;
	char id[VIRTIO_BLK_ID_BYTES];
};

struct blk {
	struct virtio_mmio_dev *dev;
	struct virtq vq;
	struct blk_req *req;
	char *bounce;	/* two blocks: a transfer's partial first and last */
	uint64_t bytes; /* capacity */
	uint32_t block; /* what I/O is aligned to: 512, or the device's blk_size */
	uint32_t seg_max, seg_bytes;
	int index, ro, flush;
	int state; /* 0: not started; 1: up; -EIO: failed to start */
	char name[4];
};

static struct blk disks[BLK_MAX];
static int ndisks;

static int status_errno(uint8_t status)
{
	return status == VIRTIO_BLK_S_OK ? 0 : status == VIRTIO_BLK_S_UNSUPP ? -ENOTSUP : -EIO;
}

/* One request start to finish: header, n data buffers, status; one kick at most. */
static int request(struct blk *b, uint32_t type, uint64_t sector, const struct virtq_buf *data,
		   int n)
{
	struct virtq_buf bufs[2 + SEG_MAX];
	int out = type == VIRTIO_BLK_T_OUT ? 1 + n : 1, head, id;
	uint32_t len;

	if (b->dev->broken)
		return -EIO;
	b->req->hdr = (struct virtio_blk_req_hdr){ type, 0, sector };
	b->req->status = 0xff; /* stays an error if the device never writes it */
	bufs[0] = (struct virtq_buf){ (uintptr_t)&b->req->hdr, sizeof(b->req->hdr) };
	for (int i = 0; i < n; i++)
		bufs[1 + i] = data[i];
	bufs[1 + n] = (struct virtq_buf){ (uintptr_t)&b->req->status, 1 };
	head = virtq_add(&b->vq, bufs, out, 2 + n - out);
	if (head < 0)
		return -EIO;
	virtq_kick(&b->vq);
	do {
		if (virtio_mmio_wait(b->dev, &b->vq))
			return -EIO;
		id = virtq_pop(&b->vq, &len);
	} while (id >= 0 && id != head);
	if (id < 0) {
		virtio_mmio_fail(b->dev); /* it returned a buffer we never gave it */
		return -EIO;
	}
	return status_errno(*(volatile uint8_t *)&b->req->status);
}

/* Sectors from sector on, into or out of segs (whole blocks), cut to the device's limits. */
static int transfer(struct blk *b, uint32_t type, uint64_t sector, const struct virtq_buf *segs,
		    int n)
{
	struct virtq_buf req[SEG_MAX];
	uint64_t bytes = 0;
	int k = 0, rc;

	for (int i = 0; i < n; i++) {
		uint64_t addr = segs[i].addr;
		uint32_t left = segs[i].len;

		while (left) {
			uint32_t take = left < b->seg_bytes ? left : b->seg_bytes;

			req[k++] = (struct virtq_buf){ addr, take };
			addr += take;
			left -= take;
			bytes += take;
			if (k < (int)b->seg_max && (left || i + 1 < n))
				continue;
			if ((rc = request(b, type, sector, req, k)))
				return rc;
			sector += bytes / SECTOR;
			bytes = 0;
			k = 0;
		}
	}
	return 0;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * [off, off + len), within REQ_MAX bytes of whole blocks. Partial first and last
 * blocks go through the bounce buffers (read-modify-write for writes); the rest
 * goes straight to or from the caller's memory, wherever that is aligned.
 */
static int rw_chunk(struct blk *b, int write, char *buf, uint64_t off, uint32_t len)
{
	uint64_t g = b->block, first = off / g * g, end = off + len, last = (end + g - 1) / g * g;
	int head = off != first || end - first < g, tail = end != last && last - first > g;
	uint64_t mid0 = first + (head ? g : 0), mid1 = last - (tail ? g : 0);
	char *hbuf = b->bounce, *tbuf = b->bounce + BLOCK_MAX;
	struct virtq_buf segs[SEG_MAX];
	int n = 0, rc;

	if (head)
		segs[n++] = (struct virtq_buf){ (uintptr_t)hbuf, (uint32_t)g };
	if (mid1 > mid0)
		segs[n++] =
		    (struct virtq_buf){ (uintptr_t)(buf + (mid0 - off)), (uint32_t)(mid1 - mid0) };
	if (tail)
		segs[n++] = (struct virtq_buf){ (uintptr_t)tbuf, (uint32_t)g };
	if (!write) {
		if ((rc = transfer(b, VIRTIO_BLK_T_IN, first / SECTOR, segs, n)))
			return rc;
		if (head)
			memcpy(buf, hbuf + (off - first), min64(end, first + g) - off);
		if (tail)
			memcpy(buf + (last - g - off), tbuf, end - (last - g));
		return 0;
	}
	if (head && (rc = transfer(b, VIRTIO_BLK_T_IN, first / SECTOR, &segs[0], 1)))
		return rc;
	if (tail && (rc = transfer(b, VIRTIO_BLK_T_IN, (last - g) / SECTOR, &segs[n - 1], 1)))
		return rc;
	if (head)
		memcpy(hbuf + (off - first), buf, min64(end, first + g) - off);
	if (tail)
		memcpy(tbuf, buf + (last - g - off), end - (last - g));
	return transfer(b, VIRTIO_BLK_T_OUT, first / SECTOR, segs, n);
}

/* The device would write anywhere in RAM for us: refuse what is not the caller's RAM. */
static int user_ok(const void *p, size_t len)
{
	uint64_t a = (uintptr_t)p;

	return a >= VMM_PAGE_SIZE && a <= boot.mem_size && len <= boot.mem_size - a;
}

/* Like a Linux block device: reads stop at the end (0 there); writes there get ENOSPC. */
static long rw(struct blk *b, int write, char *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	if (len == 0)
		return 0;
	if (off >= b->bytes)
		return write ? -ENOSPC : 0;
	len = (size_t)min64(len, b->bytes - off);
	if (!user_ok(buf, len))
		return -EFAULT;
	while (done < len) {
		uint64_t pos = off + done, n = min64(len - done, REQ_MAX - pos % b->block);

		if (rw_chunk(b, write, buf + done, pos, (uint32_t)n))
			return done ? (long)done : -EIO;
		done += n;
	}
	return (long)done;
}

static long rw_iov(struct file *f, int write, const struct iovec *iov, int n, uint64_t off)
{
	long total = 0;

	for (int i = 0; i < n; i++) {
		long rc =
		    rw(f->priv, write, iov[i].iov_base, iov[i].iov_len, off + (uint64_t)total);

		if (rc < 0)
			return total ? total : rc;
		total += rc;
		if ((size_t)rc < iov[i].iov_len)
			break;
	}
	return total;
}

static long blk_readv(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	return rw_iov(f, 0, iov, n, off);
}

static long blk_writev(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	return rw_iov(f, 1, iov, n, off);
}

/* Writes completed before write() returned; FLUSH makes them durable (fdatasync on the host). */
static int blk_sync(struct file *f)
{
	struct blk *b = f->priv;

	if (!b->flush)
		return 0; /* no volatile cache to flush */
	return request(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0) ? -EIO : 0;
}

static void blk_stat(struct file *f, struct stat *st)
{
	struct blk *b = f->priv;

	st->st_dev = 5;
	st->st_ino = 1000 + (ino_t)b->index;
	st->st_mode = S_IFBLK | (b->ro ? 0440 : 0660);
	st->st_nlink = 1;
	st->st_rdev = makedev(VIRTBLK_MAJOR, 16 * b->index);
	st->st_size = (off_t)b->bytes;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)(b->bytes / 512);
}

static long blk_ioctl(struct file *f, unsigned int req, unsigned long arg)
{
	struct blk *b = f->priv;

	switch (req) {
	case BLKGETSIZE64:
		*(uint64_t *)arg = b->bytes;
		return 0;
	case BLKGETSIZE:
		*(unsigned long *)arg = b->bytes / 512;
		return 0;
	case BLKSSZGET:
		*(int *)arg = (int)b->block;
		return 0;
	case BLKBSZGET:
		*(int *)arg = 4096;
		return 0;
	case BLKROGET:
		*(int *)arg = b->ro;
		return 0;
	case BLKFLSBUF:
		return blk_sync(f);
	default:
		return -ENOTTY;
	}
}

static const struct file_ops blk_ops = {
	.readv = blk_readv,
	.writev = blk_writev,
	.sync = blk_sync,
	.stat = blk_stat,
	.ioctl = blk_ioctl,
	.seekable = 1,
};

/* blk_size sets our alignment only if it is sane and divides the disk. */
static void read_config(struct blk *b)
{
	struct virtio_mmio_dev *d = b->dev;
	uint64_t f = d->features, sectors;
	uint32_t v;

	sectors = virtio_mmio_config64(d, offsetof(struct virtio_blk_config, capacity));
	b->bytes = min64(sectors, (INT64_MAX >> 9)) * SECTOR;
	b->ro = f >> VIRTIO_BLK_F_RO & 1;
	b->flush = f >> VIRTIO_BLK_F_FLUSH & 1;
	b->block = SECTOR;
	v = f >> VIRTIO_BLK_F_BLK_SIZE & 1
		? virtio_mmio_config32(d, offsetof(struct virtio_blk_config, blk_size))
		: 0;
	if (v > SECTOR && v <= BLOCK_MAX && !(v & (v - 1)) && b->bytes % v == 0)
		b->block = v;
	b->seg_max = SEG_MAX;
	v = f >> VIRTIO_BLK_F_SEG_MAX & 1
		? virtio_mmio_config32(d, offsetof(struct virtio_blk_config, seg_max))
		: 0;
	if (v && v < SEG_MAX)
		b->seg_max = v;
	b->seg_bytes = REQ_MAX;
	v = f >> VIRTIO_BLK_F_SIZE_MAX & 1
		? virtio_mmio_config32(d, offsetof(struct virtio_blk_config, size_max))
		: 0;
	if (v && v < REQ_MAX)
		b->seg_bytes = v < b->block ? b->block : v / b->block * b->block;
}

/* The first open: features, the one request queue, config, DRIVER_OK. */
static int start(struct blk *b)
{
	char *mem;

	if (virtio_mmio_start(b->dev, WANTED))
		return -EIO;
	if (virtio_mmio_queue(b->dev, 0, &b->vq) || b->vq.size < 2 + SEG_MAX ||
	    !(mem = pages_alloc(3 * BLOCK_MAX))) {
		console_printf("guest: /dev/%s: no usable request queue\n", b->name);
		virtio_mmio_fail(b->dev);
		return -EIO;
	}
	b->req = (struct blk_req *)mem;
	b->bounce = mem + BLOCK_MAX;
	read_config(b);
	virtio_mmio_ready(b->dev);
	return 0;
}

/* A read-only disk (the device offers VIRTIO_BLK_F_RO) cannot be opened for writing:
 * EROFS, as Linux answers for a read-only block device. */
static int blk_open(void *priv, struct file *f, int flags)
{
	struct blk *b = priv;

	if (b->state == 0)
		b->state = start(b) ? -EIO : 1;
	if (b->state < 0)
		return b->state;
	if ((flags & 3) != O_RDONLY && b->ro)
		return -EROFS;
	f->ops = &blk_ops;
	f->priv = b;
	return 0;
}

/* Named in probe order, which is configuration order; started on first open. */
int virtio_blk_attach(struct virtio_mmio_dev *d)
{
	struct blk *b;

	if (ndisks == BLK_MAX) {
		console_printf("guest: more than %d disks, device at %#lx skipped\n", BLK_MAX,
			       d->base);
		return -ENOSPC;
	}
	b = &disks[ndisks];
	*b = (struct blk){ .dev = d, .index = ndisks, .name = { 'v', 'd', (char)('a' + ndisks) } };
	ndisks++;
	return fd_register_dev(b->name, blk_open, b);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

int vmm_blk_serial(int fd, char *buf, size_t len)
{
	struct file *f = fd_file(fd);
	struct blk *b;
	size_t n;
	int rc;

	if (!f)
		return fail(EBADF);
	if (f->ops != &blk_ops)
		return fail(ENOTTY);
	b = f->priv;
	memset(b->req->id, 0, sizeof(b->req->id));
	rc = request(b, VIRTIO_BLK_T_GET_ID, 0,
		     &(struct virtq_buf){ (uintptr_t)b->req->id, VIRTIO_BLK_ID_BYTES }, 1);
	if (rc)
		return fail(-rc);
	n = strnlen(b->req->id, VIRTIO_BLK_ID_BYTES);
	if (len <= n)
		return fail(ERANGE);
	memcpy(buf, b->req->id, n);
	buf[n] = 0;
	return (int)n;
}
