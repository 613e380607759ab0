/* bundle.c: the read-only files tools/mkbundle links into the image, under "/". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "fd.h"

/* Images built without files get this empty table; mkbundle's strong one replaces it. */
__attribute__((weak)) const struct bundle vmm_bundle = { 0, NULL };

static long file_readv(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	const struct bundle_file *b = f->priv;
	long done = 0;

	for (int i = 0; i < n && off < b->size; i++) {
		size_t len = iov[i].iov_len;

		if (len > b->size - off)
			len = (size_t)(b->size - off);
		memcpy(iov[i].iov_base, b->data + off, len);
		off += len;
		done += (long)len;
	}
	return done;
}

/* The inode number is the table index + 2 (1 is "/"), so each file has its own. */
static void file_stat(struct file *f, struct stat *st)
{
	const struct bundle_file *b = f->priv;

	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_ino = (ino_t)(b - vmm_bundle.files) + 2;
	st->st_size = (off_t)b->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((b->size + 511) / 512);
}

static long dir_readv(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	(void)f, (void)iov, (void)n, (void)off;
	return -EISDIR;
}

static void dir_stat(struct file *f, struct stat *st)
{
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	st->st_ino = f->priv ? 0 : 1;
	st->st_blksize = 4096;
}

static const struct file_ops file_ops = { .readv = file_readv, .stat = file_stat, .seekable = 1 };
static const struct file_ops dir_ops = { .readv = dir_readv, .stat = dir_stat };

/* Nothing here can be written; O_TRUNC would write too. */
static int open_file(void *priv, struct file *f, int flags)
{
	if ((flags & 3) != O_RDONLY || flags & O_TRUNC)
		return -EROFS;
	f->ops = &file_ops;
	f->priv = priv;
	return 0;
}

/* priv: NULL for "/", &not_root for the others. Listing is not supported. */
static const char not_root;

static int open_dir(void *priv, struct file *f, int flags)
{
	if ((flags & 3) != O_RDONLY || flags & O_CREAT)
		return -EISDIR;
	f->ops = &dir_ops;
	f->priv = priv;
	return 0;
}

/*
 * "//a/./b/" -> "/a/b": repeated slashes and "." go; ".." drops the previous
 * name (lexically: there are no symbolic links). *dir: the path ended in a
 * slash, ".", or "..", so it must name a directory.
 */
static int normalise(const char *path, char *out, int *dir)
{
	size_t len = 0;

	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		int dot = n == 1 && p[0] == '.', dotdot = n == 2 && p[0] == '.' && p[1] == '.';

		*dir = *end || dot || dotdot; /* the last name decides */
		if (dotdot) {
			while (len > 0 && out[--len] != '/')
				;
		} else if (n && !dot) {
			if (len + 1 + n + 2 > PATH_MAX) /* room for bundle_lookup's '/' and a NUL */
				return -ENAMETOOLONG;
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = *end ? end + 1 : end;
	}
	out[len] = 0;
	return 0;
}

/* The first entry whose path is >= key: the table is sorted by strcmp. */
static uint64_t lower_bound(const char *key)
{
	uint64_t lo = 0, hi = vmm_bundle.count;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (strcmp(vmm_bundle.files[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A directory is any prefix of a file's path; "/" always exists. */
int bundle_lookup(const char *path, dev_open_fn **open, void **priv, int *dir)
{
	char norm[PATH_MAX];
	int want_dir = 0, rc = normalise(path, norm, &want_dir);
	uint64_t i;
	size_t len;

	if (rc)
		return rc;
	len = strlen(norm);
	i = lower_bound(norm);
	if (i < vmm_bundle.count && !strcmp(vmm_bundle.files[i].path, norm)) {
		*open = open_file, *priv = (void *)&vmm_bundle.files[i], *dir = 0;
		return want_dir ? -ENOTDIR : 0;
	}
	*open = open_dir, *dir = 1;
	if (!len) {
		*priv = NULL;
		return 0;
	}
	norm[len] = '/', norm[len + 1] = 0; /* normalise left room */
	i = lower_bound(norm);
	*priv = (void *)&not_root;
	if (i < vmm_bundle.count && !strncmp(vmm_bundle.files[i].path, norm, len + 1))
		return 0;
	return -ENOENT;
}
