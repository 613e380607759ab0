/* vmm.h: the libvmm API. Create, run and destroy a microVM; nothing else needed. */
#ifndef VMM_H
#define VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_VERSION "0.1.0"

struct vmm;

#define VMM_DISKS_MAX	      8
#define VMM_VSOCK_CID_DEFAULT 3
#define VMM_VSOCK_CID_MAX     0xfffffffeULL /* 2^32 - 1 is VMADDR_CID_ANY */

struct vmm_disk {
	const char *path; /* a raw image file */
	bool read_only;
	const char *serial; /* GET_ID, up to 20 bytes; NULL: the file's base name */
};

/* virtio-net on a tap; IPv4 addresses in host order (10.0.0.1 is 0x0a000001). */
struct vmm_net {
	const char *tap; /* an existing tap device; NULL: no net device */
	bool mac_set;	 /* false: one derived from the tap's name */
	uint8_t mac[6];
	uint32_t ipv4;	  /* 0: the guest gets no address */
	uint32_t prefix;  /* 0-32, with ipv4 */
	uint32_t gateway; /* 0: no default route */
};

struct vmm_config {
	const char *image;   /* path of app.img */
	uint64_t mem_size;   /* bytes, a multiple of 2 MiB; 0: 64 MiB */
	uint64_t timeout_ms; /* 0: none */
	const char *name;    /* the guest's argv[0]; NULL: the image's base name */
	int argc;	     /* the guest's argv[1..] */
	char *const *argv;
	int out_fd;    /* the guest's stdout; -1: ours */
	int err_fd;    /* the guest's stderr; -1: ours */
	int report_fd; /* fault reports; -1: stderr */
	int ndisks;    /* /dev/vda, /dev/vdb, ... in this order */
	struct vmm_disk disks[VMM_DISKS_MAX];
	/* virtio-vsock: its host end, a Unix socket in Firecracker's protocol. */
	const char *vsock_path; /* NULL: no vsock device */
	uint64_t vsock_cid;	/* the guest's CID, 3 to 2^32 - 2; 0: 3 */
	struct vmm_net net;
};

enum vmm_error_kind {
	VMM_ERR_NONE,
	VMM_ERR_CONFIG, /* a bad option or a missing file */
	VMM_ERR_IMAGE,	/* the image is not a valid vmm image */
	VMM_ERR_HOST,	/* KVM or the host failed */
};

struct vmm_error {
	enum vmm_error_kind kind;
	char msg[256]; /* one line, no trailing newline, no "vmm: " prefix */
};

enum vmm_outcome {
	VMM_OUT_EXIT,	 /* the guest exited; status holds its byte */
	VMM_OUT_FAULT,	 /* the guest crashed; a report went to report_fd */
	VMM_OUT_TIMEOUT, /* timeout_ms passed */
	VMM_OUT_STOPPED, /* vmm_stop() was called */
	VMM_OUT_ERROR,	 /* the host failed while running; see vmm_error */
};

/* Boot breakdown, in microseconds since vmm_create() was entered. */
struct vmm_timings {
	double vm_created;
	double image_loaded;
	double first_instruction;
	double main_entered; /* 0 if the guest never got there */
	double exited;
};

struct vmm_result {
	enum vmm_outcome outcome;
	int status; /* the guest's exit byte, for VMM_OUT_EXIT */
	struct vmm_timings timings;
	struct vmm_error error; /* for VMM_OUT_ERROR */
};

/* Fills *cfg with the defaults above. */
void vmm_config_init(struct vmm_config *cfg);

/* Opens /dev/kvm, loads the image and prepares the vCPU. 0 or -1 with *err. */
int vmm_create(const struct vmm_config *cfg, struct vmm **vmp, struct vmm_error *err);

/*
 * Runs the guest to its end on the calling thread. While it runs, the thread
 * blocks VMM_KICK_SIGNAL and uses it to leave KVM_RUN; a process that embeds
 * libvmm must not rely on that signal for anything else. A VM runs once.
 */
int vmm_run(struct vmm *vm, struct vmm_result *res);

/* Asks a running VM to stop. Safe from any thread and from signal handlers. */
void vmm_stop(struct vmm *vm);

void vmm_destroy(struct vmm *vm);

const char *vmm_outcome_name(enum vmm_outcome outcome);

/* Bytes of guest RAM the host has backed so far (pages the guest or vmm touched). */
uint64_t vmm_guest_resident(const struct vmm *vm);

#define VMM_KICK_SIGNAL (SIGRTMIN + 1)

#endif
