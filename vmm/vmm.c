/* vmm.c: the life of a VM: create (check, load, set up), destroy. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

void vmm_config_init(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->out_fd = -1;
	cfg->err_fd = -1;
	cfg->report_fd = -1;
}

int vmm_fail(struct vmm_error *err, enum vmm_error_kind kind, const char *fmt, ...)
{
	va_list ap;

	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

double vmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

const char *vmm_outcome_name(enum vmm_outcome outcome)
{
	static const char *const names[] = { "exit", "fault", "timeout", "stopped", "error" };

	return (unsigned)outcome < sizeof(names) / sizeof(names[0]) ? names[outcome] : "?";
}

static int check_config(struct vmm *vm, struct vmm_error *err)
{
	if (!vm->cfg.image)
		return vmm_fail(err, VMM_ERR_CONFIG, "no image given");
	if (!vm->mem.size)
		vm->mem.size = VMM_MEM_DEFAULT;
	if (vm->mem.size % (2ULL << 20) || vm->mem.size < VMM_MEM_MIN || vm->mem.size > VMM_MEM_MAX)
		return vmm_fail(err, VMM_ERR_CONFIG,
				"memory size must be a multiple of 2 MiB from %llu MiB to %llu MiB",
				VMM_MEM_MIN >> 20, VMM_MEM_MAX >> 20);
	if (vm->cfg.argc < 0 || (vm->cfg.argc && !vm->cfg.argv))
		return vmm_fail(err, VMM_ERR_CONFIG, "bad guest argument list");
	if (vm->cfg.out_fd < 0)
		vm->cfg.out_fd = STDOUT_FILENO;
	if (vm->cfg.err_fd < 0)
		vm->cfg.err_fd = STDERR_FILENO;
	if (vm->cfg.report_fd < 0)
		vm->cfg.report_fd = STDERR_FILENO;
	return 0;
}

static int setup(struct vmm *vm, struct vmm_error *err)
{
	uint64_t fdt_size, cr3;

	if (check_config(vm, err) || image_open(vm, err) || devices_open(vm, err) ||
	    kvm_open(vm, err) || kvm_create_vcpu(vm, err) || devices_attach(vm, err))
		return -1;
	vm->timings.vm_created = (vmm_now_ns() - vm->t0_ns) / 1e3;
	image_load(vm);
	if (boot_fdt_write(vm, &fdt_size, err) || layout_map(vm, fdt_size, &cr3, err) ||
	    cpu_setup(vm, cr3, VMM_FDT_ADDR, err))
		return -1;
	vm->timings.image_loaded = (vmm_now_ns() - vm->t0_ns) / 1e3;
	return 0;
}

int vmm_create(const struct vmm_config *cfg, struct vmm **vmp, struct vmm_error *err)
{
	struct vmm *vm = calloc(1, sizeof(*vm));

	memset(err, 0, sizeof(*err));
	*vmp = NULL;
	if (!vm)
		return vmm_fail(err, VMM_ERR_HOST, "out of memory");
	vm->t0_ns = vmm_now_ns();
	vm->cfg = *cfg;
	vm->mem.size = cfg->mem_size;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = vm->sig_fd = -1;
	vm->wake_fd = vm->io_epfd = vm->io_stop.fd = -1;
	if (setup(vm, err)) {
		vmm_destroy(vm);
		return -1;
	}
	*vmp = vm;
	return 0;
}

uint64_t vmm_guest_resident(const struct vmm *vm)
{
	size_t pages = vm->mem.size / VMM_PAGE_SIZE, n = 0;
	unsigned char *vec = malloc(pages);

	if (!vec)
		return 0;
	if (mincore(vm->mem.base, vm->mem.size, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
	free(vec);
	return n * VMM_PAGE_SIZE;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

void vmm_destroy(struct vmm *vm)
{
	if (!vm)
		return;
	iothread_stop(vm);
	devices_destroy(vm);
	close_fd(vm->io_epfd);
	close_fd(vm->io_stop.fd);
	if (vm->run)
		munmap(vm->run, vm->run_size);
	close_fd(vm->vcpu_fd);
	close_fd(vm->vm_fd);
	close_fd(vm->kvm_fd);
	close_fd(vm->sig_fd);
	if (vm->mem.base)
		munmap(vm->mem.base, vm->mem.size);
	if (vm->file)
		munmap((void *)vm->file, vm->file_size);
	symtab_free(&vm->syms);
	line_table_free(&vm->lines);
	free(vm);
}
