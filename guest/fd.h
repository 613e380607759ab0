/* fd.h: open files behind file descriptors, and the devices open() can name. */
#ifndef FD_H
#define FD_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

struct file;

/*
 * What one kind of file does. A NULL hook means the operation does not
 * apply (read, write: EBADF; sync: EINVAL; ioctl: ENOTTY). The offset is
 * the fd layer's; files that are not seekable ignore it.
 */
struct file_ops {
	long (*readv)(struct file *f, const struct iovec *iov, int n, uint64_t off);
	long (*writev)(struct file *f, const struct iovec *iov, int n, uint64_t off);
	int (*sync)(struct file *f);
	void (*stat)(struct file *f, struct stat *st); /* st arrives zeroed */
	long (*ioctl)(struct file *f, unsigned int req, unsigned long arg);
	void (*close)(struct file *f);
	short (*poll)(struct file *f); /* POLLIN, POLLOUT, ... now; NULL: always ready */
	int seekable;		       /* lseek, pread and pwrite apply; else ESPIPE */
};

struct file {
	const struct file_ops *ops;
	void *priv;
	uint64_t off; /* shared by dup'd descriptors, as on Linux */
	int flags;    /* the open() flags F_GETFL reports */
	int refs;     /* descriptors pointing here; 0: a free slot */
};

/* open() of /dev/NAME: fills f->ops and f->priv, or returns -errno. */
typedef int dev_open_fn(void *priv, struct file *f, int flags);

void fd_init(void); /* fds 0-2: stdin at end-of-file, stdout and stderr the console */
int fd_register_dev(const char *name, dev_open_fn *open, void *priv);
/* probe runs once, before /dev/PREFIX... is first looked up: devices get named lazily. */
void fd_lazy_devs(const char *prefix, void (*probe)(void));

struct file *fd_file(long fd); /* NULL if fd is not open */
/* A new descriptor for a new file (a socket): the fd, or -errno. */
long fd_new(const struct file_ops *ops, void *priv, int flags);
/* stat() of a path: the device opened for reading, stat'ed, closed; no fd used. */
int fd_stat_path(long dirfd, const char *path, struct stat *st);
/* access(): 0 or -errno (ENOENT, EROFS for W_OK on a read-only file, EACCES for X_OK). */
int fd_access_path(long dirfd, const char *path, int mode);

/*
 * bundle.c: read-only files linked into the image by tools/mkbundle. The
 * image's table is vmm_bundle (an empty one stands in when it has none).
 */
struct bundle_file {
	const char *path; /* "/a/b.txt" */
	const unsigned char *data;
	uint64_t size;
};

struct bundle {
	uint64_t count;
	const struct bundle_file *files; /* sorted by path, as strcmp orders them */
};

extern const struct bundle vmm_bundle;

/* An absolute path that names a bundled file or directory: how open() opens it. */
int bundle_lookup(const char *path, dev_open_fn **open, void **priv, int *dir);

#endif
