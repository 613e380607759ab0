/* sys_mem.c: brk and anonymous mmap over the page allocator. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "libos.h"
#include "syscalls.h"

long sys_brk(const long a[6])
{
	return (long)pages_brk((uint64_t)a[0]);
}

long sys_mmap(const long a[6])
{
	void *addr = (void *)a[0], *p;
	size_t len = (size_t)a[1];
	long flags = a[3];

	if (len == 0)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return -ENODEV; /* no files to map yet */
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		return pages_claim(addr, len) ? -ENOMEM : (long)addr;
	p = pages_alloc(len);
	return p ? (long)p : -ENOMEM;
}

long sys_munmap(const long a[6])
{
	return pages_free((void *)a[0], (size_t)a[1]) ? -EINVAL : 0;
}

/* Heap pages are read-write and never executable (W^X); only that is honoured. */
long sys_mprotect(const long a[6])
{
	return a[2] & PROT_EXEC ? -EACCES : 0;
}

long sys_madvise(const long a[6])
{
	(void)a;
	return 0;
}

long sys_mremap(const long a[6])
{
	void *old = (void *)a[0], *p;
	size_t old_len = (size_t)a[1], new_len = (size_t)a[2];

	if (new_len == 0 || (uint64_t)old % 4096)
		return -EINVAL;
	if (new_len <= old_len) {
		size_t keep = (new_len + 4095) & ~4095UL;

		if (keep < old_len)
			pages_free((char *)old + keep, old_len - keep);
		return (long)old;
	}
	if (pages_extend(old, old_len, new_len) == 0)
		return (long)old;
	if (!(a[3] & MREMAP_MAYMOVE))
		return -ENOMEM;
	p = pages_alloc(new_len);
	if (!p)
		return -ENOMEM;
	memcpy(p, old, old_len);
	pages_free(old, old_len);
	return (long)p;
}
