/* vm.h: libvmm internals shared by its files; not installed. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "abi.h"
#include "dwarf_line.h"
#include "elf_load.h"
#include "guest_mem.h"
#include "iothread.h"
#include "symtab.h"
#include "virtio_mmio.h"
#include "vmm.h"

struct vmm {
	struct vmm_config cfg;
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	struct guest_mem mem;
	const uint8_t *file; /* the image, mapped read-only */
	size_t file_size;
	struct elf_image img;
	struct symtab syms;
	struct line_table lines; /* loaded at the first fault report */
	bool lines_loaded;
	uint32_t tsc_khz;
	uint64_t boot_tsc; /* guest TSC at boot_ns */
	double boot_ns;	   /* CLOCK_MONOTONIC at boot_tsc */
	double t0_ns;	   /* vmm_create() entered */
	struct vmm_timings timings;
	int sig_fd;	     /* signalfd for VMM_KICK_SIGNAL */
	atomic_int stop;     /* set by vmm_stop() */
	atomic_int vcpu_tid; /* thread in vmm_run(), 0 outside it */
	bool ran;

	struct virtio_dev *devs[VMM_MMIO_SLOTS]; /* slot i at VMM_MMIO_BASE + i pages */
	int ndevs;
	int wake_fd; /* eventfd: device work for a guest in the wait hypercall */
	pthread_t io_thread;
	bool io_running;
	int io_epfd;
	struct io_watch io_stop;
};

int vmm_fail(struct vmm_error *err, enum vmm_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
double vmm_now_ns(void);

/* kvm.c */
int kvm_open(struct vmm *vm, struct vmm_error *err);
int kvm_create_vcpu(struct vmm *vm, struct vmm_error *err);

/* image.c */
int image_open(struct vmm *vm, struct vmm_error *err);
void image_load(struct vmm *vm);

/* cpu.c: descriptor tables in guest memory and the vCPU's first state. */
int cpu_setup(struct vmm *vm, uint64_t cr3, uint64_t fdt_gpa, struct vmm_error *err);

/* layout.c: page tables for the image, heap, stack and boot data. */
int layout_map(struct vmm *vm, uint64_t fdt_size, uint64_t *cr3, struct vmm_error *err);

/* boot_fdt.c: the device tree and command line the guest boots with. */
int boot_fdt_write(struct vmm *vm, uint64_t *fdt_size, struct vmm_error *err);

/* hypercall.c */
enum hc_action { HC_CONTINUE, HC_EXIT, HC_FAULT, HC_STOP };
enum hc_action hc_dispatch(struct vmm *vm, uint16_t port, uint32_t value, int *status);

/* fault.c: the crash report. */
void fault_report(struct vmm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fault_report_frame(struct vmm *vm);

/* devices.c */
int devices_open(struct vmm *vm, struct vmm_error *err);
int devices_attach(struct vmm *vm, struct vmm_error *err);
struct virtio_dev *devices_at(struct vmm *vm, uint64_t addr, uint64_t *off);
bool devices_wait_ready(struct vmm *vm);
void devices_destroy(struct vmm *vm);

/* run.c */
int run_loop(struct vmm *vm, struct vmm_result *res);

#endif
