/* kvm.c: open /dev/kvm, check what we use, create the VM, its RAM and vCPU. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

static const struct {
	int cap;
	const char *name;
} needed_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
};

static int check_caps(struct vmm *vm, struct vmm_error *err)
{
	int v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);

	if (v != KVM_API_VERSION)
		return vmm_fail(err, VMM_ERR_HOST, "/dev/kvm: API version %d, need %d", v,
				KVM_API_VERSION);
	for (size_t i = 0; i < sizeof(needed_caps) / sizeof(needed_caps[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed_caps[i].cap) <= 0)
			return vmm_fail(err, VMM_ERR_HOST, "/dev/kvm: missing %s",
					needed_caps[i].name);
	return 0;
}

static int map_ram(struct vmm *vm, struct vmm_error *err)
{
	struct kvm_userspace_memory_region region;
	void *p;

	p = mmap(NULL, vm->mem.size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return vmm_fail(err, VMM_ERR_HOST, "guest RAM (%llu MiB): %s",
				(unsigned long long)(vm->mem.size >> 20), strerror(errno));
	vm->mem.base = p;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem.size,
		.userspace_addr = (uintptr_t)p,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_SET_USER_MEMORY_REGION: %s",
				strerror(errno));
	return 0;
}

int kvm_open(struct vmm *vm, struct vmm_error *err)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return vmm_fail(err, VMM_ERR_HOST, "/dev/kvm: %s", strerror(errno));
	if (check_caps(vm, err))
		return -1;
	/* No in-kernel irqchip: the guest polls, and creating one costs ~10 ms here. */
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_CREATE_VM: %s", strerror(errno));
	return map_ram(vm, err);
}

int kvm_create_vcpu(struct vmm *vm, struct vmm_error *err)
{
	int size, khz;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_CREATE_VCPU: %s", strerror(errno));
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return vmm_fail(err, VMM_ERR_HOST, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return vmm_fail(err, VMM_ERR_HOST, "mmap(kvm_run): %s", strerror(errno));
	}
	vm->run_size = (size_t)size;
	khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_GET_TSC_KHZ: %s", strerror(errno));
	vm->tsc_khz = (uint32_t)khz;
	return 0;
}
