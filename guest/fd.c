/* fd.c: the descriptor table, the open files behind it, path lookup, open/close/dup/fcntl. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "libos.h"
#include "syscalls.h"

#define FD_MAX	 1024 /* the RLIMIT_NOFILE sys_prlimit64 reports */
#define FILE_MAX 256  /* open files; dup'd descriptors share one */
#define DEV_MAX	 32
/* What F_SETFL may change; the access mode and creation flags stay. */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_ASYNC)

/* stdin reads as end-of-file; stdout and stderr are the console (priv: its stream). */
static long stdin_readv(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	(void)f, (void)iov, (void)n, (void)off;
	return 0;
}

static long console_file_writev(struct file *f, const struct iovec *iov, int n, uint64_t off)
{
	(void)off;
	return console_writev((int)(uintptr_t)f->priv, iov, n);
}

/* Not a terminal (no ioctl): stdio buffers stdout fully, as into a pipe. */
static void console_stat(struct file *f, struct stat *st)
{
	(void)f;
	st->st_mode = S_IFCHR | 0620;
	st->st_blksize = 4096;
	st->st_nlink = 1;
}

static const struct file_ops stdin_ops = { .readv = stdin_readv, .stat = console_stat };
static const struct file_ops console_ops = { .writev = console_file_writev, .stat = console_stat };

/* Both tables start zeroed (.bss, not image bytes); fd_init fills in 0-2. */
static struct file files[FILE_MAX];
static struct fdent {
	struct file *file;
	int cloexec; /* kept for F_GETFD; there is no exec */
} fds[FD_MAX];

static struct dev {
	char name[16];
	dev_open_fn *open;
	void *priv;
} devs[DEV_MAX];
static int ndevs;

static struct {
	const char *prefix;
	void (*probe)(void);
} lazy;

void fd_init(void)
{
	files[0] = (struct file){ &stdin_ops, NULL, 0, O_RDONLY, 1 };
	files[1] = (struct file){ &console_ops, (void *)1, 0, O_WRONLY, 1 };
	files[2] = (struct file){ &console_ops, (void *)2, 0, O_WRONLY, 1 };
	for (int fd = 0; fd < 3; fd++)
		fds[fd].file = &files[fd];
}

int fd_register_dev(const char *name, dev_open_fn *open, void *priv)
{
	if (ndevs == DEV_MAX || strlen(name) >= sizeof(devs[0].name))
		return -ENOSPC;
	strcpy(devs[ndevs].name, name);
	devs[ndevs].open = open;
	devs[ndevs].priv = priv;
	ndevs++;
	return 0;
}

void fd_lazy_devs(const char *prefix, void (*probe)(void))
{
	lazy.prefix = prefix;
	lazy.probe = probe;
}

/* What a path names: a device, or a file or directory bundled in the image. */
struct node {
	dev_open_fn *open;
	void *priv;
	int dir; /* O_DIRECTORY applies */
};

static int find_dev(const char *name, struct node *n)
{
	void (*probe)(void) = lazy.probe;

	if (probe && !strncmp(name, lazy.prefix, strlen(lazy.prefix))) {
		lazy.probe = NULL;
		probe();
	}
	for (int i = 0; i < ndevs; i++)
		if (!strcmp(devs[i].name, name)) {
			*n = (struct node){ devs[i].open, devs[i].priv, 0 };
			return 0;
		}
	return -ENOENT;
}

/* Absolute paths only: there is no working directory but "/". Devices first, then the bundle. */
static int lookup(long dirfd, const char *path, struct node *n)
{
	if (!path)
		return -EFAULT;
	if (path[0] != '/')
		return dirfd == AT_FDCWD ? -ENOENT : fd_file(dirfd) ? -ENOTDIR : -EBADF;
	if (!strncmp(path, "/dev/", 5) && !find_dev(path + 5, n))
		return 0;
	return bundle_lookup(path, &n->open, &n->priv, &n->dir);
}

static int open_node(const struct node *n, struct file *f, int flags)
{
	if (flags & O_DIRECTORY && !n->dir)
		return -ENOTDIR;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	if ((flags & 3) == 3)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->flags = flags & (3 | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | O_NOATIME |
			    O_ASYNC | O_LARGEFILE);
	return n->open(n->priv, f, flags);
}

int fd_stat_path(long dirfd, const char *path, struct stat *st)
{
	struct node n;
	struct file f;
	int rc = lookup(dirfd, path, &n);

	if (rc || (rc = open_node(&n, &f, O_RDONLY)))
		return rc;
	memset(st, 0, sizeof(*st));
	if (f.ops->stat)
		f.ops->stat(&f, st);
	if (f.ops->close)
		f.ops->close(&f);
	return 0;
}

/* W_OK asks the file itself: opening it for writing is what a read-only disk refuses. */
int fd_access_path(long dirfd, const char *path, int mode)
{
	struct stat st;
	struct node n;
	struct file f;
	int rc;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if ((rc = fd_stat_path(dirfd, path, &st)))
		return rc;
	if (mode & X_OK && !(st.st_mode & 0111))
		return -EACCES;
	if (!(mode & W_OK))
		return 0;
	if (S_ISDIR(st.st_mode))
		return -EROFS; /* the only directories are the bundle's */
	if ((rc = lookup(dirfd, path, &n)) || (rc = open_node(&n, &f, O_WRONLY)))
		return rc;
	if (f.ops->close)
		f.ops->close(&f);
	return 0;
}

struct file *fd_file(long fd)
{
	return fd >= 0 && fd < FD_MAX ? fds[fd].file : NULL;
}

static long lowest_free(long min)
{
	for (long fd = min; fd < FD_MAX; fd++)
		if (!fds[fd].file)
			return fd;
	return -EMFILE;
}

static void put(struct file *f)
{
	if (--f->refs == 0 && f->ops->close)
		f->ops->close(f);
}

static long install(long fd, struct file *f, int cloexec)
{
	if (fds[fd].file)
		put(fds[fd].file);
	fds[fd] = (struct fdent){ f, cloexec };
	f->refs++;
	return fd;
}

static struct file *free_file(void)
{
	for (int i = 0; i < FILE_MAX; i++)
		if (!files[i].refs)
			return &files[i];
	return NULL;
}

static long do_open(long dirfd, const char *path, long flags)
{
	struct file *f = free_file();
	struct node n;
	long fd = lowest_free(0);
	int rc;

	if (fd < 0)
		return fd;
	if (!f)
		return -ENFILE;
	if ((rc = lookup(dirfd, path, &n)) || (rc = open_node(&n, f, (int)flags)))
		return rc;
	return install(fd, f, !!(flags & O_CLOEXEC));
}

long fd_new(const struct file_ops *ops, void *priv, int flags)
{
	struct file *f = free_file();
	long fd = lowest_free(0);

	if (fd < 0)
		return fd;
	if (!f)
		return -ENFILE;
	*f = (struct file){ ops, priv, 0, flags & ~O_CLOEXEC, 0 };
	return install(fd, f, !!(flags & O_CLOEXEC));
}

long sys_open(const long a[6])
{
	return do_open(AT_FDCWD, (const char *)a[0], a[1]);
}

long sys_openat(const long a[6])
{
	return do_open(a[0], (const char *)a[1], a[2]);
}

long sys_close(const long a[6])
{
	struct file *f = fd_file(a[0]);

	if (!f)
		return -EBADF;
	fds[a[0]].file = NULL;
	put(f);
	return 0;
}

static long dup_from(long old, long min, int cloexec)
{
	struct file *f = fd_file(old);
	long fd;

	if (!f)
		return -EBADF;
	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	fd = lowest_free(min);
	return fd < 0 ? fd : install(fd, f, cloexec);
}

long sys_dup(const long a[6])
{
	return dup_from(a[0], 0, 0);
}

static long dup_to(long old, long fd, int cloexec)
{
	struct file *f = fd_file(old);

	if (!f || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	f->refs++; /* so that closing fd cannot free f when both are the same file */
	install(fd, f, cloexec);
	put(f);
	return fd;
}

long sys_dup2(const long a[6])
{
	if (a[0] == a[1])
		return fd_file(a[0]) ? a[1] : -EBADF;
	return dup_to(a[0], a[1], 0);
}

long sys_dup3(const long a[6])
{
	if (a[0] == a[1] || (a[2] & ~(long)O_CLOEXEC))
		return -EINVAL;
	return dup_to(a[0], a[1], !!(a[2] & O_CLOEXEC));
}

long sys_fcntl(const long a[6])
{
	struct file *f = fd_file(a[0]);

	if (!f)
		return -EBADF;
	switch (a[1]) {
	case F_DUPFD:
		return dup_from(a[0], a[2], 0);
	case F_DUPFD_CLOEXEC:
		return dup_from(a[0], a[2], 1);
	case F_GETFD:
		return fds[a[0]].cloexec ? FD_CLOEXEC : 0;
	case F_SETFD:
		fds[a[0]].cloexec = !!(a[2] & FD_CLOEXEC);
		return 0;
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		f->flags = (f->flags & ~SETFL_MASK) | ((int)a[2] & SETFL_MASK);
		return 0;
	default:
		return -EINVAL;
	}
}
