/* hypercall.c: the guest's `out` requests; every argument block is hostile. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>

#include "vm.h"

/* Copies a guest argument block in; 0 if it is not wholly in RAM. */
static int copy_in(struct vmm *vm, uint64_t gpa, void *dst, size_t len)
{
	const void *src = gpa_ptr(&vm->mem, gpa, len);

	if (!src)
		return 0;
	memcpy(dst, src, len);
	return 1;
}

static void copy_out(struct vmm *vm, uint64_t gpa, const void *src, size_t len)
{
	void *dst = gpa_ptr(&vm->mem, gpa, len);

	if (dst)
		memcpy(dst, src, len);
}

static int64_t write_all(int fd, struct iovec *iov, int n)
{
	int64_t total = 0;

	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return total ? total : -errno;
		total += w;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return total;
}

static void console(struct vmm *vm, uint64_t gpa)
{
	struct vmm_hc_console hc;
	struct vmm_iovec giov[VMM_CONSOLE_IOV_MAX];
	struct iovec iov[VMM_CONSOLE_IOV_MAX];

	if (!copy_in(vm, gpa, &hc, sizeof(hc)))
		return;
	if (hc.iovcnt > VMM_CONSOLE_IOV_MAX ||
	    !copy_in(vm, hc.iov, giov, hc.iovcnt * sizeof(giov[0]))) {
		hc.ret = -EINVAL;
		goto out;
	}
	for (uint64_t i = 0; i < hc.iovcnt; i++) {
		iov[i].iov_base = gpa_ptr(&vm->mem, giov[i].base, giov[i].len);
		iov[i].iov_len = giov[i].len;
		if (!iov[i].iov_base) {
			hc.ret = -EFAULT;
			goto out;
		}
	}
	hc.ret = write_all(hc.stream == 2 ? vm->cfg.err_fd : vm->cfg.out_fd, iov, (int)hc.iovcnt);
out:
	copy_out(vm, gpa, &hc, sizeof(hc));
}

/* Sleeps until the deadline or a kick (stop, timeout); 1 if kicked. */
static int wait_hc(struct vmm *vm, uint64_t gpa)
{
	struct vmm_hc_wait hc;
	struct pollfd pfd[2] = { { .fd = vm->sig_fd, .events = POLLIN },
				 { .fd = vm->wake_fd, .events = POLLIN } };
	struct timespec ts;
	int rc = 0;

	if (!copy_in(vm, gpa, &hc, sizeof(hc)))
		return 0;
	ts.tv_sec = (time_t)(hc.timeout_ns / 1000000000ULL);
	ts.tv_nsec = (long)(hc.timeout_ns % 1000000000ULL);
	if (!devices_wait_ready(vm))
		rc = ppoll(pfd, vm->wake_fd >= 0 ? 2 : 1, &ts, NULL);
	hc.ret = 0;
	copy_out(vm, gpa, &hc, sizeof(hc));
	return rc > 0 && (pfd[0].revents & POLLIN);
}

enum hc_action hc_dispatch(struct vmm *vm, uint16_t port, uint32_t value, int *status)
{
	switch (port) {
	case VMM_PORT_CONSOLE:
		console(vm, value);
		return HC_CONTINUE;
	case VMM_PORT_EXIT:
		*status = (int)(value & 0xff);
		return HC_EXIT;
	case VMM_PORT_WAIT:
		return wait_hc(vm, value) ? HC_STOP : HC_CONTINUE;
	case VMM_PORT_FAULT:
		fault_report_frame(vm);
		return HC_FAULT;
	default:
		fault_report(vm, "unknown hypercall port %#x", port);
		return HC_FAULT;
	}
}
