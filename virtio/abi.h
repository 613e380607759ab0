/* abi.h: the contract between vmm and the guest library OS (both sides). */
#ifndef VMM_ABI_H
#define VMM_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* Bumped on any incompatible change; vmm refuses images with another one. */
#define VMM_ABI_VERSION 1

/*
 * The image carries an ELF note (owner "vmm", type VMM_NOTE_ABI) whose
 * descriptor is struct vmm_abi_note. The addresses are guest-physical
 * (the guest is identity mapped).
 */
#define VMM_NOTE_OWNER "vmm"
#define VMM_NOTE_ABI   1

#ifndef __ASSEMBLER__
struct vmm_abi_note {
	uint32_t version;
	uint32_t flags;		/* zero */
	uint64_t syscall_entry; /* CPL-0 stub, the target of LSTAR */
	uint64_t fault_entry;	/* CPL-0 stubs, VMM_FAULT_STUB_SIZE apart */
	uint64_t boot_record;	/* struct vmm_boot_record, guest-written */
};
#endif

#define VMM_FAULT_STUB_SIZE 16
#define VMM_FAULT_VECTORS   32

/* Written by the guest; read by vmm at exit for --timings. */
#ifndef __ASSEMBLER__
struct vmm_boot_record {
	uint64_t tsc_entry; /* first instruction of the image */
	uint64_t tsc_main;  /* main() entered */
};
#endif

/*
 * Entry under vmm: 64-bit mode, CPL 3, RIP = e_entry, RSP = top of RAM,
 * RDI = guest-physical address of the flattened device tree,
 * RSI = VMM_BOOT_MAGIC. Under a PVH loader the same entry is reached with
 * RDI = hvm_start_info and RSI = its magic (0x336ec578).
 */
#define VMM_BOOT_MAGIC 0x21766d6dU /* "mmv!" */
#define VMM_PVH_MAGIC  0x336ec578U

/*
 * Hypercalls: `out %eax, %dx` with DX = port and EAX = guest-physical
 * address of the argument block (exit takes the status byte in AL).
 */
#define VMM_PORT_FIRST	 0x500
#define VMM_PORT_CONSOLE 0x500 /* struct vmm_hc_console */
#define VMM_PORT_EXIT	 0x501 /* status byte; QEMU's isa-debug-exit too */
#define VMM_PORT_WAIT	 0x502 /* struct vmm_hc_wait */
#define VMM_PORT_FAULT	 0x503 /* from the fault stubs; frame at RSP */
#define VMM_PORT_LAST	 0x51f

#ifndef __ASSEMBLER__
struct vmm_iovec {
	uint64_t base;
	uint64_t len;
};
#endif

/* One call per write(): the whole gather list goes out at once. */
#ifndef __ASSEMBLER__
struct vmm_hc_console {
	uint32_t stream; /* 1: the app's stdout, 2: its stderr */
	uint32_t reserved;
	uint64_t iov;	 /* struct vmm_iovec[iovcnt] */
	uint64_t iovcnt; /* at most VMM_CONSOLE_IOV_MAX */
	int64_t ret;	 /* bytes written, or -errno */
};
#endif

#define VMM_CONSOLE_IOV_MAX 64

/*
 * Sleep until a device has work for the guest or timeout_ns passes. Before
 * waiting on a queue the guest sets its used_event (VIRTIO_F_RING_EVENT_IDX)
 * to the last used index it has seen; vmm returns at once if any queue's
 * used index is already past it, else when one moves past it.
 */
#ifndef __ASSEMBLER__
struct vmm_hc_wait {
	uint64_t timeout_ns;
	uint64_t ret; /* reserved: device work pending, as a bit mask */
};
#endif

/* What a fault stub leaves at RSP before VMM_PORT_FAULT. */
#ifndef __ASSEMBLER__
struct vmm_fault_frame {
	uint64_t rax, rdx; /* saved: the stub needs both for `out` */
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
#endif

/* Guest-physical memory map. Everything is identity mapped. */
#define VMM_PAGE_SIZE	0x1000ULL
#define VMM_GDT_ADDR	0x1000ULL /* GDT, then the TSS and its I/O bitmap */
#define VMM_TSS_ADDR	0x1100ULL
#define VMM_IDT_ADDR	0x4000ULL
#define VMM_XSTACK_ADDR 0x5000ULL /* CPL-0 stack for faults, 2 pages */
#define VMM_XSTACK_TOP	0x7000ULL
#define VMM_PT_ADDR	0x10000ULL /* page tables, never mapped */
#define VMM_PT_END	0x80000ULL
#define VMM_FDT_ADDR	0x80000ULL /* device tree, read-only */
#define VMM_FDT_MAX	0x80000ULL
#define VMM_IMAGE_BASE	0x100000ULL
#define VMM_MMIO_BASE	0xd0000000ULL
#define VMM_MMIO_STRIDE 0x1000ULL
#define VMM_MMIO_SLOTS	8
#define VMM_MEM_MIN	(4ULL << 20)
#define VMM_MEM_MAX	VMM_MMIO_BASE
#define VMM_MEM_DEFAULT (64ULL << 20)

/* The main stack sits at the top of RAM with one unmapped guard page below. */
#ifndef __ASSEMBLER__
static inline uint64_t vmm_stack_size(uint64_t mem)
{
	uint64_t s = mem / 8;
	return s > (8ULL << 20) ? (8ULL << 20) : s & ~(VMM_PAGE_SIZE - 1);
}

#endif

/* GDT selectors; SYSCALL/SYSRET layout (STAR) as on Linux. */
#define VMM_SEL_KCODE	0x08
#define VMM_SEL_KDATA	0x10
#define VMM_SEL_UCODE32 0x1b
#define VMM_SEL_UDATA	0x23
#define VMM_SEL_UCODE	0x2b
#define VMM_SEL_TSS	0x30
#define VMM_GDT_ENTRIES 8 /* the TSS descriptor takes two */

/*
 * Devices: one device-tree node per virtio-mmio device, in the order they
 * were configured: /virtio_mmio@d0000000 { compatible = "virtio,mmio";
 * reg = <0 0xd0000000 0 0x1000>; vmm,virtio-id = <device id>; }. Under QEMU:
 * virtio_mmio.device= tokens, and the id is read from the device.
 */

/* Device tree properties under /chosen beyond bootargs and rng-seed. */
#define VMM_FDT_VIRTIO_ID "vmm,virtio-id" /* u32, on each virtio-mmio node */
/* On a virtio-net node: the guest's addresses (IPv4 as big-endian u32). */
#define VMM_FDT_MAC	      "local-mac-address" /* 6 bytes */
#define VMM_FDT_IPV4	      "vmm,ipv4-address"
#define VMM_FDT_IPV4_PREFIX   "vmm,ipv4-prefix"	     /* u32, 0-32 */
#define VMM_FDT_IPV4_GATEWAY  "vmm,ipv4-gateway"     /* absent: no default route */
#define VMM_FDT_TSC_HZ	      "vmm,tsc-frequency"    /* u64 */
#define VMM_FDT_BOOT_TSC      "vmm,boot-tsc"	     /* u64: TSC at boot-realtime */
#define VMM_FDT_BOOT_REALTIME "vmm,boot-realtime-ns" /* u64 */

#endif
