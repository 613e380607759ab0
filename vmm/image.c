/* image.c: map the image file, validate it, and copy it into guest RAM. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

/* One line for what is wrong with the file, or 0 if it is a usable image file. */
static int check_file(int fd, const char *path, off_t *size, struct vmm_error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: is a directory", path);
	if (!S_ISREG(st.st_mode))
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: not a regular file", path);
	if (st.st_size == 0)
		return vmm_fail(err, VMM_ERR_IMAGE, "%s: empty file", path);
	*size = st.st_size;
	return 0;
}

static int map_file(struct vmm *vm, struct vmm_error *err)
{
	const char *path = vm->cfg.image;
	/* O_NONBLOCK: opening a FIFO must not hang before it is refused. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	off_t size = 0;

	if (fd < 0)
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: %s", path, strerror(errno));
	if (check_file(fd, path, &size, err)) {
		close(fd);
		return -1;
	}
	vm->file = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (vm->file == MAP_FAILED) {
		vm->file = NULL;
		return vmm_fail(err, VMM_ERR_HOST, "%s: mmap: %s", path, strerror(errno));
	}
	vm->file_size = (size_t)size;
	return 0;
}

/* Everything about the image that can be checked before KVM is touched. */
int image_open(struct vmm *vm, struct vmm_error *err)
{
	uint64_t limit = vm->mem.size - vmm_stack_size(vm->mem.size) - VMM_PAGE_SIZE;
	char why[160];

	if (map_file(vm, err))
		return -1;
	if (elf_parse(vm->file, vm->file_size, limit, &vm->img, why, sizeof(why)))
		return vmm_fail(err, VMM_ERR_IMAGE, "%s: %s", vm->cfg.image, why);
	if (symtab_load(&vm->syms, vm->file, vm->file_size))
		return vmm_fail(err, VMM_ERR_HOST, "out of memory");
	return 0;
}

void image_load(struct vmm *vm)
{
	elf_copy(&vm->img, vm->file, vm->mem.base);
}
