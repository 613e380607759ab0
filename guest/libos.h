/* libos.h: the library OS's internal interfaces. Not for applications. */
#ifndef LIBOS_H
#define LIBOS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "abi.h"

/* What the monitor told us at boot (device tree, or PVH start info). */
struct boot_info {
	int under_vmm; /* 0: another monitor, PVH entry, 16550 console */
	uint64_t mem_size;
	const char *cmdline;
	uint64_t tsc_hz;
	uint64_t boot_tsc, boot_realtime_ns;
	uint8_t seed[32];
	int have_seed;
};

/* PVH start info (xen/arch-x86/hvm/start_info.h), version 1. */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

extern struct vmm_boot_record vmm_boot_record;
extern struct boot_info boot;

/* bootinfo.c */
int bootinfo_from_fdt(struct boot_info *bi, const void *fdt);
void bootinfo_from_pvh(struct boot_info *bi, const struct hvm_start_info *si);
uint64_t pvh_mem_top(const struct hvm_start_info *si);

/*
 * cmdline.c: split "OPTIONS -- ARGV..." in place; returns argc (>= 1). With an
 * option callback, each boot option goes to it, and so do the
 * virtio_mmio.device= tokens QEMU appends after the app's arguments.
 */
int cmdline_parse(char *line, char **argv, int max_args, const char *default_name,
		  void (*option)(const char *opt));

/* console.c */
/* fd 1 or 2: vmm keeps the app's stdout and stderr apart; a 16550 cannot. */
long console_writev(int fd, const struct iovec *iov, int n);
long console_write(int fd, const void *buf, size_t len);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A library OS bug: the message, then a trap the VMM reports with a backtrace. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Port I/O for the 16550 under other monitors; no SSE, usable at CPL 0. */
#define COM1 0x3f8
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %b0, %w1" ::"a"(v), "Nd"(port));
}

static inline void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

/* hypercall.c */
static inline void hypercall(uint16_t port, const void *arg)
{
	__asm__ volatile("outl %0, %w1" ::"a"((uint32_t)(uintptr_t)arg), "Nd"(port) : "memory");
}
_Noreturn void hc_exit(int status);
void hc_wait(uint64_t timeout_ns);

/* pages.c: the heap between the image and the stack, page by page. */
void pages_init(uint64_t start, uint64_t end);
void *pages_alloc(size_t len); /* zeroed; NULL when full */
int pages_free(void *p, size_t len);
int pages_claim(void *p, size_t len);			   /* a fixed range; zeroed */
int pages_extend(void *p, size_t old_len, size_t new_len); /* grow in place */
uint64_t pages_brk(uint64_t want);
uint64_t pages_in_use(void);

/* clock.c */
void clock_init(const struct boot_info *bi);
uint64_t clock_monotonic_ns(void);
uint64_t clock_realtime_ns(void);
void clock_sleep_until(uint64_t monotonic_ns);
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* random.c */
void random_init(const uint8_t seed[32]);
void random_fill(void *buf, size_t len);

/* control.c: the control service, if there is a vsock device. */
void control_start(int argc, char **argv);

/* syscall.c */
long guest_syscall(long a1, long a2, long a3, long a4, long a5, long a6, long nr);

#endif
