/* sys_io.c: reads, writes, seeks, syncs, ioctl, stat and access on files, through their ops. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fd.h"
#include "libos.h"
#include "syscalls.h"

#define IOV_MAX 1024
#define AT_FILE (-1) /* at the file offset: read() and write(), not pread() */

/* at < 0: at the file offset, which moves (read, readv); else at that offset (pread). */
static long do_readv(long fd, const struct iovec *iov, long n, int64_t at)
{
	struct file *f = fd_file(fd);
	int positional = at >= 0;
	long rc;

	if (!f || (f->flags & 3) == O_WRONLY || !f->ops->readv)
		return -EBADF;
	if (n < 0 || n > IOV_MAX)
		return -EINVAL;
	if (positional && !f->ops->seekable)
		return -ESPIPE;
	rc = f->ops->readv(f, iov, (int)n, positional ? (uint64_t)at : f->off);
	if (rc > 0 && f->ops->seekable && !positional)
		f->off += (uint64_t)rc;
	return rc;
}

static uint64_t file_size(struct file *f)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	if (f->ops->stat)
		f->ops->stat(f, &st);
	return (uint64_t)st.st_size;
}

/* As do_readv. O_APPEND writes at the end; O_SYNC and O_DSYNC ones are durable before we return. */
static long do_writev(long fd, const struct iovec *iov, long n, int64_t at)
{
	struct file *f = fd_file(fd);
	int positional = at >= 0;
	uint64_t pos;
	long rc;

	if (!f || (f->flags & 3) == O_RDONLY || !f->ops->writev)
		return -EBADF;
	if (n < 0 || n > IOV_MAX)
		return -EINVAL;
	if (positional && !f->ops->seekable)
		return -ESPIPE;
	if (positional)
		pos = (uint64_t)at;
	else
		pos = f->ops->seekable && f->flags & O_APPEND ? file_size(f) : f->off;
	rc = f->ops->writev(f, iov, (int)n, pos);
	if (rc > 0 && f->ops->seekable && !positional)
		f->off = pos + (uint64_t)rc;
	if (rc > 0 && f->flags & O_DSYNC && f->ops->sync) {
		int err = f->ops->sync(f);

		if (err)
			return err;
	}
	return rc;
}

long sys_read(const long a[6])
{
	struct iovec iov = { (void *)a[1], (size_t)a[2] };

	return do_readv(a[0], &iov, 1, AT_FILE);
}

long sys_readv(const long a[6])
{
	return do_readv(a[0], (const struct iovec *)a[1], a[2], AT_FILE);
}

long sys_pread64(const long a[6])
{
	struct iovec iov = { (void *)a[1], (size_t)a[2] };

	return a[3] < 0 ? -EINVAL : do_readv(a[0], &iov, 1, a[3]);
}

long sys_preadv(const long a[6])
{
	return a[3] < 0 ? -EINVAL : do_readv(a[0], (const struct iovec *)a[1], a[2], a[3]);
}

long sys_write(const long a[6])
{
	struct iovec iov = { (void *)a[1], (size_t)a[2] };

	return do_writev(a[0], &iov, 1, AT_FILE);
}

long sys_writev(const long a[6])
{
	return do_writev(a[0], (const struct iovec *)a[1], a[2], AT_FILE);
}

long sys_pwrite64(const long a[6])
{
	struct iovec iov = { (void *)a[1], (size_t)a[2] };

	return a[3] < 0 ? -EINVAL : do_writev(a[0], &iov, 1, a[3]);
}

long sys_pwritev(const long a[6])
{
	return a[3] < 0 ? -EINVAL : do_writev(a[0], (const struct iovec *)a[1], a[2], a[3]);
}

/* Seeking past the end is allowed, as for files; reads there return 0. */
long sys_lseek(const long a[6])
{
	struct file *f = fd_file(a[0]);
	int64_t base, pos;

	if (!f)
		return -EBADF;
	if (!f->ops->seekable)
		return -ESPIPE;
	switch (a[2]) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->off;
		break;
	case SEEK_END:
		base = (int64_t)file_size(f);
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, (int64_t)a[1], &pos) || pos < 0)
		return -EINVAL;
	f->off = (uint64_t)pos;
	return pos;
}

static long do_sync(long fd)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	return f->ops->sync ? f->ops->sync(f) : -EINVAL;
}

long sys_fsync(const long a[6])
{
	return do_sync(a[0]);
}

/* No metadata to write: the same flush as fsync. */
long sys_fdatasync(const long a[6])
{
	return do_sync(a[0]);
}

long sys_ioctl(const long a[6])
{
	struct file *f = fd_file(a[0]);

	if (!f)
		return -EBADF;
	/* The request is an unsigned int, as in Linux: musl passes it sign-extended. */
	return f->ops->ioctl ? f->ops->ioctl(f, (unsigned int)a[1], (unsigned long)a[2]) : -ENOTTY;
}

static long do_fstat(long fd, struct stat *st)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	memset(st, 0, sizeof(*st));
	if (f->ops->stat)
		f->ops->stat(f, st);
	return 0;
}

long sys_fstat(const long a[6])
{
	return do_fstat(a[0], (struct stat *)a[1]);
}

/* No symbolic links: lstat is stat. */
long sys_stat(const long a[6])
{
	return fd_stat_path(AT_FDCWD, (const char *)a[0], (struct stat *)a[1]);
}

long sys_lstat(const long a[6])
{
	return sys_stat(a);
}

long sys_newfstatat(const long a[6])
{
	const char *path = (const char *)a[1];
	struct stat *st = (struct stat *)a[2];

	if (a[3] & ~(long)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT))
		return -EINVAL;
	if (a[3] & AT_EMPTY_PATH && path && !path[0])
		return a[0] == AT_FDCWD ? -ENOENT : do_fstat(a[0], st);
	return fd_stat_path(a[0], path, st);
}

long sys_access(const long a[6])
{
	return fd_access_path(AT_FDCWD, (const char *)a[0], (int)a[1]);
}

/* The old call without flags; musl uses it when there are none. */
long sys_faccessat(const long a[6])
{
	return fd_access_path(a[0], (const char *)a[1], (int)a[2]);
}
