/* boot_fdt.c: gather the boot facts (argv, clocks, seed) into the device tree. */
#include <errno.h>
#include <libgen.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>

#include "cmdline.h"
#include "fdt_build.h"
#include <libfdt.h>

#include "virtio_net.h"
#include "vm.h"

#define MSR_IA32_TSC 0x10
#define CMDLINE_MAX  65536

/* The guest TSC and both host clocks at one instant, for the guest's clocks. */
static int read_clocks(struct vmm *vm, struct fdt_params *p, struct vmm_error *err)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };
	struct timespec ts;

	if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &m) != 1)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_GET_MSRS(TSC): %s", strerror(errno));
	vm->boot_ns = vmm_now_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	vm->boot_tsc = m.e.data;
	p->boot_tsc = m.e.data;
	p->boot_realtime_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	p->tsc_hz = (uint64_t)vm->tsc_khz * 1000;
	return 0;
}

static const char *guest_name(const struct vmm *vm, char *tmp, size_t size)
{
	char *dot;

	if (vm->cfg.name)
		return vm->cfg.name;
	strncpy(tmp, vm->cfg.image, size - 1);
	tmp[size - 1] = 0;
	memmove(tmp, basename(tmp), strlen(basename(tmp)) + 1);
	dot = strrchr(tmp, '.');
	if (dot && dot != tmp && !strcmp(dot, ".img"))
		*dot = 0;
	return tmp;
}

static char *make_cmdline(const struct vmm *vm, struct vmm_error *err)
{
	const char **argv = calloc((size_t)vm->cfg.argc + 1, sizeof(*argv));
	char *line = malloc(CMDLINE_MAX), name[256];

	if (!argv || !line) {
		free(argv);
		free(line);
		vmm_fail(err, VMM_ERR_HOST, "out of memory");
		return NULL;
	}
	argv[0] = guest_name(vm, name, sizeof(name));
	for (int i = 0; i < vm->cfg.argc; i++)
		argv[i + 1] = vm->cfg.argv[i];
	if (cmdline_encode(line, CMDLINE_MAX, "", vm->cfg.argc + 1, argv) < 0) {
		free(line);
		line = NULL;
		vmm_fail(err, VMM_ERR_CONFIG, "guest arguments longer than %d bytes", CMDLINE_MAX);
	}
	free(argv);
	return line;
}

/*
 * Built in a small host buffer, then copied: fdt_create() zeroes its whole
 * buffer, and faulting in VMM_FDT_MAX of guest RAM would cost ~250 us.
 */
static int build(struct vmm *vm, const struct fdt_params *p, uint64_t *fdt_size,
		 struct vmm_error *err)
{
	size_t size = 4096 + strlen(p->bootargs);
	const char *what = "";
	void *buf;
	int rc;

	for (;; size *= 2) {
		if (size > VMM_FDT_MAX)
			return vmm_fail(err, VMM_ERR_CONFIG, "device tree larger than %llu bytes",
					VMM_FDT_MAX);
		buf = malloc(size);
		if (!buf)
			return vmm_fail(err, VMM_ERR_HOST, "out of memory");
		rc = fdt_build(buf, size, p, &what);
		if (rc != -FDT_ERR_NOSPACE)
			break;
		free(buf);
	}
	if (rc == 0) {
		*fdt_size = fdt_totalsize(buf);
		memcpy(gpa_ptr(&vm->mem, VMM_FDT_ADDR, *fdt_size), buf, *fdt_size);
	}
	free(buf);
	if (rc < 0)
		return vmm_fail(err, VMM_ERR_HOST, "device tree: %s: %s", what, fdt_strerror(rc));
	return 0;
}

int boot_fdt_write(struct vmm *vm, uint64_t *fdt_size, struct vmm_error *err)
{
	struct fdt_params p = { .mem_size = vm->mem.size, .nmmio = vm->ndevs };
	int rc;

	for (int i = 0; i < vm->ndevs; i++) {
		p.mmio[i] = vm->devs[i]->base;
		p.mmio_id[i] = vm->devs[i]->device_id;
		if (p.mmio_id[i] == VIRTIO_ID_NET)
			memcpy(p.mac, ((struct net *)vm->devs[i])->mac, 6);
	}
	p.ipv4 = vm->cfg.net.ipv4;
	p.prefix = vm->cfg.net.prefix;
	p.gateway = vm->cfg.net.gateway;
	if (getrandom(p.seed, sizeof(p.seed), 0) != sizeof(p.seed))
		return vmm_fail(err, VMM_ERR_HOST, "getrandom: %s", strerror(errno));
	if (read_clocks(vm, &p, err))
		return -1;
	p.bootargs = make_cmdline(vm, err);
	if (!p.bootargs)
		return -1;
	rc = build(vm, &p, fdt_size, err);
	free((void *)p.bootargs);
	return rc;
}
