/* console.c: the console: one vmm hypercall per write, or the 16550. */
#include <stdarg.h>
#include <stdio.h>

#include "libos.h"

static long serial_writev(const struct iovec *iov, int n)
{
	long total = 0;

	for (int i = 0; i < n; i++) {
		const char *p = iov[i].iov_base;

		for (size_t j = 0; j < iov[i].iov_len; j++)
			serial_putc(p[j]);
		total += (long)iov[i].iov_len;
	}
	return total;
}

static long vmm_writev(int fd, const struct iovec *iov, int n)
{
	struct vmm_iovec giov[VMM_CONSOLE_IOV_MAX];
	struct vmm_hc_console hc = { (uint32_t)fd, 0, (uint64_t)(uintptr_t)giov, 0, 0 };
	long total = 0;

	while (n > 0) {
		hc.iovcnt = (uint64_t)(n < VMM_CONSOLE_IOV_MAX ? n : VMM_CONSOLE_IOV_MAX);
		for (uint64_t i = 0; i < hc.iovcnt; i++)
			giov[i] = (struct vmm_iovec){ (uintptr_t)iov[i].iov_base, iov[i].iov_len };
		hypercall(VMM_PORT_CONSOLE, &hc);
		if (hc.ret < 0)
			return total ? total : hc.ret;
		total += hc.ret;
		iov += hc.iovcnt;
		n -= (int)hc.iovcnt;
	}
	return total;
}

long console_writev(int fd, const struct iovec *iov, int n)
{
	return boot.under_vmm ? vmm_writev(fd, iov, n) : serial_writev(iov, n);
}

long console_write(int fd, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return console_writev(fd, &iov, 1);
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);

	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	console_write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The library OS's own messages, on stderr; never through stdio. */
void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("", fmt, ap);
	va_end(ap);
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("guest: panic: ", fmt, ap);
	va_end(ap);
	console_write(2, "\n", 1);
	for (;;)
		__builtin_trap();
}

_Noreturn void hc_exit(int status)
{
	outb(VMM_PORT_EXIT, (uint8_t)status);
	/* Another monitor without isa-debug-exit: nothing left to do. */
	for (;;)
		__asm__ volatile("pause");
}

void hc_wait(uint64_t timeout_ns)
{
	struct vmm_hc_wait hc = { timeout_ns, 0 };

	hypercall(VMM_PORT_WAIT, &hc);
}
