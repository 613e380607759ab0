/* virtio_blk.c: virtio-blk on a raw file. A request is a byte stream: a
 * 16-byte header in the readable part, data, and a status byte at the end of
 * the writable part, however the driver splits it into descriptors. */
#include "virtio_blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define SECTOR	    VIRTIO_BLK_SECTOR
#define BLK_POLL_NS 50000

static const struct virtio_dev_ops blk_ops;

static struct blk *to_blk(struct virtio_dev *d)
{
	return (struct blk *)d;
}

/* Full transfers or an error: short reads past the end of the file read as zeros. */
static int transfer(struct blk *b, struct iovec *iov, int n, uint64_t off, bool out)
{
	while (n > 0) {
		ssize_t r =
		    out ? pwritev(b->fd, iov, n, (off_t)off) : preadv(b->fd, iov, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == 0 && out))
			return -1;
		if (r == 0) {
			for (int i = 0; i < n; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)r;
		for (; n > 0 && (size_t)r >= iov->iov_len; iov++, n--)
			r -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static uint8_t rw(struct blk *b, const struct virtq_chain *c, const struct virtio_blk_req_hdr *h,
		  uint32_t *written)
{
	bool out = h->type == VIRTIO_BLK_T_OUT;
	uint64_t len = out ? c->out_bytes - sizeof(*h) : c->in_bytes - 1, off, end;
	struct iovec iov[VIRTQ_NUM_MAX];
	int n;

	if (out && b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (len % SECTOR || __builtin_mul_overflow(h->sector, SECTOR, &off) ||
	    __builtin_add_overflow(off, len, &end) || end > b->capacity * SECTOR)
		return VIRTIO_BLK_S_IOERR;
	n = out ? virtq_iov(c, false, sizeof(*h), len, iov) : virtq_iov(c, true, 0, len, iov);
	if (transfer(b, iov, n, off, out))
		return VIRTIO_BLK_S_IOERR;
	if (!out)
		*written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t get_id(struct blk *b, const struct virtq_chain *c, uint32_t *written)
{
	uint64_t len = c->in_bytes - 1;

	if (len > VIRTIO_BLK_ID_BYTES)
		len = VIRTIO_BLK_ID_BYTES;
	virtq_copy(c, true, b->serial, len);
	*written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

/* The status is the last device-writable byte of the chain. */
static void put_status(const struct virtq_chain *c, uint8_t status)
{
	struct iovec last;

	if (virtq_iov(c, true, c->in_bytes - 1, 1, &last) == 1)
		*(uint8_t *)last.iov_base = status;
}

/* Handles one request; returns the bytes written into the chain. */
uint32_t blk_request(struct blk *b, const struct virtq_chain *c)
{
	struct virtio_blk_req_hdr h;
	uint32_t written = 0;
	uint8_t status;

	if (c->in_bytes < 1)
		return 0; /* nowhere to put a status: nothing to do but give it back */
	if (c->out_bytes < sizeof(h)) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		virtq_copy(c, false, &h, sizeof(h));
		if (h.type == VIRTIO_BLK_T_IN || h.type == VIRTIO_BLK_T_OUT)
			status = rw(b, c, &h, &written);
		else if (h.type == VIRTIO_BLK_T_FLUSH)
			status = fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		else if (h.type == VIRTIO_BLK_T_GET_ID)
			status = get_id(b, c, &written);
		else
			status = VIRTIO_BLK_S_UNSUPP;
	}
	put_status(c, status);
	return written + 1;
}

static void blk_notify(struct virtio_dev *d, int q)
{
	struct blk *b = to_blk(d);
	struct virtq *vq = &d->vq[q];
	int rc;

	for (;;) {
		while ((rc = virtq_pop(vq, d->mem, b->chain)) == 1) {
			virtq_push(vq, d->mem, b->chain->head, blk_request(b, b->chain));
			virtio_dev_signal(d, q);
		}
		if (rc < 0) {
			virtio_dev_fail(d);
			return;
		}
		/*
		 * A synchronous guest sends its next request right after this
		 * one: poll for it a while, kicks still off (avail_event stays
		 * behind), instead of sleeping and being woken.
		 */
		if (virtq_poll(vq, d->mem, BLK_POLL_NS))
			continue;
		/* Re-check after publishing avail_event, or a kick could slip past. */
		virtq_update_avail_event(vq, d->mem);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!virtq_has_avail(vq, d->mem))
			return;
	}
}

static void blk_config(struct virtio_dev *d, uint32_t off, void *data, uint32_t len, bool write)
{
	struct blk *b = to_blk(d);
	struct virtio_blk_config cfg = {
		.capacity = b->capacity,
		.seg_max = VIRTQ_NUM_MAX - 2,
		.blk_size = SECTOR,
	};

	if (!write)
		memcpy(data, (uint8_t *)&cfg + off, len);
}

static void blk_reset(struct virtio_dev *d)
{
	(void)d; /* requests complete synchronously: nothing is in flight */
}

static const struct virtio_dev_ops blk_ops = { blk_config, blk_notify, blk_reset };

void blk_init(struct blk *b, int fd, uint64_t size, bool read_only, const char *serial)
{
	uint64_t features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_RING_INDIRECT_DESC |
			    1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
			    1ULL << VIRTIO_BLK_F_SEG_MAX;

	if (read_only)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	virtio_dev_init(&b->dev, &blk_ops, VIRTIO_ID_BLOCK, features,
			sizeof(struct virtio_blk_config), 1);
	b->fd = fd;
	b->read_only = read_only;
	/* An odd-sized file: the last sector reads as zeros past its end. */
	b->capacity = (size + SECTOR - 1) / SECTOR;
	/* GET_ID: up to 20 bytes, NUL-padded, not necessarily NUL-terminated. */
	memset(b->serial, 0, sizeof(b->serial));
	memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
}
