/* devices.c: the VM's virtio-mmio devices: backing files, slots, ioeventfds,
 * MMIO dispatch, and what the guest's wait hypercall needs to know. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_vsock.h"
#include "vm.h"

static int open_disk(const struct vmm_disk *disk, struct vmm_error *err, uint64_t *size)
{
	int fd = open(disk->path, (disk->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: %s", disk->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: not a regular file", disk->path);
	}
	/* Two VMs writing one disk corrupt it: refuse, as QEMU does. */
	if (flock(fd, (disk->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		close(fd);
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: in use by another VM", disk->path);
	}
	/* Blocking from here on: I/O runs on the I/O thread. */
	fcntl(fd, F_SETFL, 0);
	*size = (uint64_t)st.st_size;
	return fd;
}

static void default_serial(const char *path, char *buf, size_t size)
{
	char *copy = strdup(path);

	snprintf(buf, size, "%s", copy ? basename(copy) : "disk");
	free(copy);
}

static int add_disk(struct vmm *vm, const struct vmm_disk *disk, struct vmm_error *err)
{
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	uint64_t size = 0;
	int fd = open_disk(disk, err, &size);
	struct blk *b;

	if (fd < 0)
		return -1;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->chain = malloc(sizeof(*b->chain)))) {
		free(b);
		close(fd);
		return vmm_fail(err, VMM_ERR_HOST, "out of memory");
	}
	if (disk->serial)
		snprintf(serial, sizeof(serial), "%s", disk->serial);
	else
		default_serial(disk->path, serial, sizeof(serial));
	blk_init(b, fd, size, disk->read_only, serial);
	vm->devs[vm->ndevs++] = &b->dev;
	return 0;
}

/* The vsock device comes after the disks; its socket is bound before the VM starts. */
static int add_vsock(struct vmm *vm, struct vmm_error *err)
{
	const char *path = vm->cfg.vsock_path;
	uint64_t cid = vm->cfg.vsock_cid ? vm->cfg.vsock_cid : VMM_VSOCK_CID_DEFAULT;
	enum vmm_error_kind kind;
	struct vsock *vs;
	int rc;

	if (cid < VMM_VSOCK_CID_DEFAULT || cid > VMM_VSOCK_CID_MAX)
		return vmm_fail(err, VMM_ERR_CONFIG, "vsock: the guest CID must be 3 to %llu",
				VMM_VSOCK_CID_MAX);
	vs = calloc(1, sizeof(*vs));
	if (!vs || vsock_init(vs, cid)) {
		free(vs);
		return vmm_fail(err, VMM_ERR_HOST, "out of memory");
	}
	vm->devs[vm->ndevs++] = &vs->dev; /* devices_destroy undoes what follows */
	rc = vsock_host_open(vs, path);
	if (rc == -EADDRINUSE)
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: in use (a program listens on it)", path);
	if (rc == -ENAMETOOLONG)
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: socket path empty or too long", path);
	/* The path is the user's to fix; running out of descriptors or memory is not. */
	kind = rc == -EMFILE || rc == -ENFILE || rc == -ENOMEM ? VMM_ERR_HOST : VMM_ERR_CONFIG;
	return rc ? vmm_fail(err, kind, "%s: %s", path, strerror(-rc)) : 0;
}

/* The net device comes last; its tap must exist, and is opened before the VM starts. */
static int add_net(struct vmm *vm, struct vmm_error *err)
{
	const struct vmm_net *cfg = &vm->cfg.net;
	uint8_t mac[6];
	struct net *n;
	int fd = net_tap_open(cfg->tap);

	if (fd == -ENODEV)
		return vmm_fail(err, VMM_ERR_CONFIG, "%s: no such network device", cfg->tap);
	if (fd < 0)
		return vmm_fail(err, fd == -ENOMEM || fd == -EMFILE ? VMM_ERR_HOST : VMM_ERR_CONFIG,
				"%s: %s", cfg->tap, strerror(-fd));
	n = calloc(1, sizeof(*n));
	if (!n) {
		close(fd);
		return vmm_fail(err, VMM_ERR_HOST, "out of memory");
	}
	if (cfg->mac_set)
		memcpy(mac, cfg->mac, 6);
	else
		net_default_mac(cfg->tap, mac);
	net_init(n, fd, mac);
	vm->devs[vm->ndevs++] = &n->dev;
	return 0;
}

int devices_open(struct vmm *vm, struct vmm_error *err)
{
	int n = vm->cfg.ndisks + (vm->cfg.vsock_path != NULL) + (vm->cfg.net.tap != NULL);

	if (vm->cfg.ndisks < 0 || n > VMM_MMIO_SLOTS)
		return vmm_fail(err, VMM_ERR_CONFIG, "at most %d devices", VMM_MMIO_SLOTS);
	for (int i = 0; i < vm->cfg.ndisks; i++)
		if (add_disk(vm, &vm->cfg.disks[i], err))
			return -1;
	if (vm->cfg.vsock_path && add_vsock(vm, err))
		return -1;
	if (vm->cfg.net.tap && add_net(vm, err))
		return -1;
	for (int i = 0; i < vm->ndevs; i++) {
		vm->devs[i]->base = VMM_MMIO_BASE + (uint64_t)i * VMM_MMIO_STRIDE;
		vm->devs[i]->mem = &vm->mem;
	}
	return 0;
}

/* QueueNotify writes of queue q go to an eventfd, not to us: no exit to user space. */
static int add_ioeventfd(struct vmm *vm, struct virtio_dev *d, int q, struct vmm_error *err)
{
	struct kvm_ioeventfd io = {
		.datamatch = (uint64_t)q,
		.addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	int rc;

	d->kick[q].w.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->kick[q].w.fd < 0)
		return vmm_fail(err, VMM_ERR_HOST, "eventfd: %s", strerror(errno));
	io.fd = d->kick[q].w.fd;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return vmm_fail(err, VMM_ERR_HOST, "KVM_IOEVENTFD: %s", strerror(errno));
	rc = iothread_watch(vm, &d->kick[q].w, EPOLLIN);
	return rc ? vmm_fail(err, VMM_ERR_HOST, "epoll_ctl: %s", strerror(-rc)) : 0;
}

int devices_attach(struct vmm *vm, struct vmm_error *err)
{
	int rc;

	if (!vm->ndevs)
		return 0;
	if (iothread_init(vm))
		return vmm_fail(err, VMM_ERR_HOST, "I/O thread: %s", strerror(errno));
	vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->wake_fd < 0)
		return vmm_fail(err, VMM_ERR_HOST, "eventfd: %s", strerror(errno));
	for (int i = 0; i < vm->ndevs; i++) {
		vm->devs[i]->wake_fd = vm->wake_fd;
		for (int q = 0; q < vm->devs[i]->nqueues; q++)
			if (add_ioeventfd(vm, vm->devs[i], q, err))
				return -1;
		if (vm->devs[i]->device_id == VIRTIO_ID_VSOCK &&
		    (rc = vsock_attach((struct vsock *)vm->devs[i], vm)))
			return vmm_fail(err, VMM_ERR_HOST, "epoll_ctl: %s", strerror(-rc));
		if (vm->devs[i]->device_id == VIRTIO_ID_NET &&
		    (rc = net_attach((struct net *)vm->devs[i], vm)))
			return vmm_fail(err, VMM_ERR_HOST, "epoll_ctl: %s", strerror(-rc));
	}
	return 0;
}

struct virtio_dev *devices_at(struct vmm *vm, uint64_t addr, uint64_t *off)
{
	uint64_t slot;

	if (addr < VMM_MMIO_BASE)
		return NULL;
	slot = (addr - VMM_MMIO_BASE) / VMM_MMIO_STRIDE;
	if (slot >= (uint64_t)vm->ndevs)
		return NULL;
	*off = (addr - VMM_MMIO_BASE) % VMM_MMIO_STRIDE;
	return vm->devs[slot];
}

/*
 * Before the wait hypercall sleeps. With EVENT_IDX everywhere a stale wake-up
 * can be dropped, because whatever the guest has not seen shows as pending;
 * without it, keep the wake-up (at worst one spurious return).
 */
bool devices_wait_ready(struct vmm *vm)
{
	bool all_event_idx = true, pending = false;
	uint64_t n;

	for (int i = 0; i < vm->ndevs; i++)
		all_event_idx &= virtio_dev_has(vm->devs[i], VIRTIO_F_RING_EVENT_IDX);
	if (all_event_idx && vm->wake_fd >= 0 && read(vm->wake_fd, &n, 8) < 0)
		n = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (int i = 0; i < vm->ndevs && !pending; i++)
		pending = virtio_dev_pending(vm->devs[i]);
	return pending;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The model's own resources; the transport's go in devices_destroy. */
static void destroy_model(struct virtio_dev *d)
{
	struct blk *b = (struct blk *)d;

	if (d->device_id == VIRTIO_ID_VSOCK) {
		vsock_destroy((struct vsock *)d);
		return;
	}
	if (d->device_id == VIRTIO_ID_NET) {
		net_destroy((struct net *)d);
		return;
	}
	close_fd(b->fd);
	free(b->chain);
}

void devices_destroy(struct vmm *vm)
{
	for (int i = 0; i < vm->ndevs; i++) {
		struct virtio_dev *d = vm->devs[i];

		for (int q = 0; q < d->nqueues; q++)
			close_fd(d->kick[q].w.fd);
		destroy_model(d);
		pthread_mutex_destroy(&d->lock);
		free(d); /* the transport is the first member of every model */
	}
	vm->ndevs = 0;
	close_fd(vm->wake_fd);
	vm->wake_fd = -1;
}
