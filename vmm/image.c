/* image.c: map the image file, validate it, and copy it into guest RAM. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm.h"

static int map_file(struct vmm *vm, struct vmm_error *err)
{
	const char *path = vm->cfg.image;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		int e = errno;

		close(fd);
		if (S_ISDIR(st.st_mode))
			return vmm_fail(err, VMM_ERR_CONFIG, "%s: is a directory", path);
		if (st.st_size == 0 && S_ISREG(st.st_mode))
			return vmm_fail(err, VMM_ERR_IMAGE, "%s: empty file", path);
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: %s", path,
				e ? strerror(e) : "not a regular file");
	}
	vm->file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (vm->file == MAP_FAILED) {
		vm->file = NULL;
		return vmm_fail(err, VMM_ERR_HOST, "%s: mmap: %s", path, strerror(errno));
	}
	vm->file_size = (size_t)st.st_size;
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
