/* virtio_mmio.c: the virtio-mmio transport: devices listed at boot, probed and started on use. */
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "fd.h"
#include "libos.h"
#include "net.h"
#include "virtio_mmio.h"

#define DEV_MAX	 24 /* vmm has 8 slots; QEMU's microvm up to 24 transports */
#define QEMU_OPT "virtio_mmio.device="
/* QEMU microvm's transports, for when it did not list them: it does not with ACPI on. */
#define QEMU_MMIO_BASE	0xfeb00000ULL
#define QEMU_MMIO_SIZE	0x200ULL
#define QEMU_MMIO_SLOTS 24
#define WAIT_CHECK_NS	1000000000ULL /* how often a stuck request looks at Status */

static struct virtio_mmio_dev devs[DEV_MAX];
static int ndevs;

static const struct {
	uint32_t id;
	int (*attach)(struct virtio_mmio_dev *d);
} drivers[] = {
	{ VIRTIO_ID_BLOCK, virtio_blk_attach },
	{ VIRTIO_ID_VSOCK, virtio_vsock_attach },
	{ VIRTIO_ID_NET, virtio_net_attach },
};

/* Every register access is an exit to the VMM (~25 us): none on the fast path. */
static uint32_t rd(const struct virtio_mmio_dev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static void wr(const struct virtio_mmio_dev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static struct virtio_mmio_dev *add(uint64_t base, uint64_t size, int guessed)
{
	/* Room for the registers and config space; below 4 GiB, which is identity mapped. */
	if (size < VIRTIO_MMIO_REGION_SIZE || size > 1ULL << 32 || base > (1ULL << 32) - size ||
	    base % 4) {
		console_printf("guest: virtio-mmio region %#llx+%#llx unusable, skipped\n",
			       (unsigned long long)base, (unsigned long long)size);
		return NULL;
	}
	for (int i = 0; i < ndevs; i++)
		if (devs[i].base == base)
			return NULL; /* listed twice (by hand and by QEMU): one device */
	if (ndevs == DEV_MAX) {
		console_printf("guest: more than %d virtio-mmio devices, %#llx skipped\n", DEV_MAX,
			       (unsigned long long)base);
		return NULL;
	}
	devs[ndevs] = (struct virtio_mmio_dev){ .base = base, .size = size, .guessed = guessed };
	return &devs[ndevs++];
}

/* Linux's syntax, which QEMU uses: <size>[KMG]@<addr>:<irq>[:<id>]. The irq is unused. */
void virtio_mmio_option(const char *opt)
{
	const char *p = opt + strlen(QEMU_OPT);
	char *end;
	uint64_t size, base;

	if (strncmp(opt, QEMU_OPT, strlen(QEMU_OPT)))
		return;
	size = strtoull(p, &end, 0);
	if (*end == 'K' || *end == 'k')
		size <<= 10, end++;
	else if (*end == 'M')
		size <<= 20, end++;
	else if (*end == 'G')
		size <<= 30, end++;
	if (*end != '@') {
		console_printf("guest: bad boot option %s, ignored\n", opt);
		return;
	}
	base = strtoull(end + 1, &end, 0);
	if (*end != ':' && *end)
		console_printf("guest: bad boot option %s, ignored\n", opt);
	else
		add(base, size, 0);
}

/* vmm: /virtio_mmio@... { compatible = "virtio,mmio"; reg = <addr size>; }, in order. */
static void from_fdt(const void *fdt)
{
	int node = -1, reg_len, id_len;

	while ((node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) >= 0) {
		const fdt64_t *reg = fdt_getprop(fdt, node, "reg", &reg_len);
		const fdt32_t *id = fdt_getprop(fdt, node, VMM_FDT_VIRTIO_ID, &id_len);
		struct virtio_mmio_dev *d;

		if (reg && reg_len == 16 &&
		    (d = add(fdt64_to_cpu(reg[0]), fdt64_to_cpu(reg[1]), 0))) {
			d->listed_id = id && id_len == 4 ? fdt32_to_cpu(*id) : 0;
			/* The net node's addresses, for the driver: the tree is not kept. */
			if (d->listed_id == VIRTIO_ID_NET)
				net_fdt(fdt, node);
		} else if (!reg || reg_len != 16)
			console_printf("guest: virtio,mmio node without a 64-bit reg, skipped\n");
	}
}

static void probe_all(void);
static void probe(struct virtio_mmio_dev *d, uint32_t only_id);

void virtio_mmio_collect(const void *fdt)
{
	if (fdt)
		from_fdt(fdt);
	/* QEMU fills its transports from the top: scan down for configuration order. */
	if (!boot.under_vmm && ndevs == 0)
		for (int i = QEMU_MMIO_SLOTS; i-- > 0;)
			add(QEMU_MMIO_BASE + (uint64_t)i * QEMU_MMIO_SIZE, QEMU_MMIO_SIZE, 1);
	/* No MMIO until a program opens a disk: boot stays free of exits. */
	if (ndevs)
		fd_lazy_devs("vd", probe_all);
}

/*
 * The control channel and the network answer from the start: vsock and net
 * devices start at boot. QEMU lists no ids: given an address (vmm.ip=), every
 * transport is looked at for a net device; the others wait to be opened.
 */
void virtio_mmio_start_boot(void)
{
	for (int i = 0; i < ndevs; i++) {
		uint32_t id = devs[i].listed_id;

		if (id == VIRTIO_ID_VSOCK || id == VIRTIO_ID_NET)
			probe(&devs[i], id);
		else if (!id && !boot.under_vmm && net_configured())
			probe(&devs[i], VIRTIO_ID_NET);
	}
}

/* only_id: attach only a device of this id (0: any); others stay unprobed. */
static void probe(struct virtio_mmio_dev *d, uint32_t only_id)
{
	uint32_t version, id;

	if (rd(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC) {
		if (!d->guessed)
			console_printf("guest: no virtio-mmio device at %#lx, skipped\n", d->base);
		return;
	}
	id = rd(d, VIRTIO_MMIO_DEVICE_ID);
	if (id == 0) { /* a transport with nothing plugged in: one read saved per empty slot */
		if (!d->guessed)
			console_printf("guest: virtio-mmio transport at %#lx is empty\n", d->base);
		return;
	}
	if (only_id && id != only_id)
		return;
	version = rd(d, VIRTIO_MMIO_VERSION);
	if (version != 2) {
		console_printf("guest: virtio-mmio device at %#lx: version %u (legacy), skipped\n",
			       d->base, version);
		return;
	}
	d->id = id;
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i].id == id) {
			drivers[i].attach(d);
			return;
		}
	console_printf("guest: virtio-mmio device at %#lx: no driver for device id %u, skipped\n",
		       d->base, id);
}

static void probe_all(void)
{
	for (int i = 0; i < ndevs; i++)
		if (!devs[i].id) /* not probed already (vsock, net, at boot) */
			probe(&devs[i], 0);
}

static void set_status(struct virtio_mmio_dev *d, uint8_t bits)
{
	d->status |= bits;
	wr(d, VIRTIO_MMIO_STATUS, d->status);
}

void virtio_mmio_fail(struct virtio_mmio_dev *d)
{
	set_status(d, VIRTIO_STATUS_FAILED);
	d->broken = 1;
}

static uint64_t device_features(struct virtio_mmio_dev *d)
{
	uint64_t lo, hi;

	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	return hi << 32 | lo;
}

/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (steps 1-6 of 3.1.1). */
int virtio_mmio_start(struct virtio_mmio_dev *d, uint64_t wanted)
{
	uint64_t offered;
	int tries = 0;

	d->status = 0;
	wr(d, VIRTIO_MMIO_STATUS, 0);
	while (rd(d, VIRTIO_MMIO_STATUS) != 0)
		if (++tries == 100)
			goto fail;
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);
	offered = device_features(d);
	if (!(offered >> VIRTIO_F_VERSION_1 & 1))
		goto fail;
	d->features = offered & (wanted | 1ULL << VIRTIO_F_VERSION_1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	set_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		goto fail;
	return 0;
fail:
	console_printf("guest: virtio-mmio device at %#lx refused to start\n", d->base);
	virtio_mmio_fail(d);
	return -EIO;
}

static void wr64(struct virtio_mmio_dev *d, uint32_t off, const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	wr(d, off, (uint32_t)v);
	wr(d, off + 4, (uint32_t)(v >> 32));
}

/* The largest power of two up to min(QueueNumMax, VIRTQ_GUEST_MAX); zeroed rings. */
int virtio_mmio_queue(struct virtio_mmio_dev *d, uint32_t index, struct virtq *q)
{
	uint32_t max, size = VIRTQ_GUEST_MAX;
	void *mem;

	wr(d, VIRTIO_MMIO_QUEUE_SEL, index);
	max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	while (size > max)
		size >>= 1;
	if (size == 0)
		return -ENODEV;
	mem = pages_alloc(virtq_mem_bytes((uint16_t)size));
	if (!mem)
		return -ENOMEM;
	virtq_init(q, mem, (uint16_t)size, (int)(d->features >> VIRTIO_F_RING_EVENT_IDX & 1));
	q->notify = (volatile uint32_t *)(d->base + VIRTIO_MMIO_QUEUE_NOTIFY);
	q->index = index;
	wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
	wr64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, q->desc);
	wr64(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, q->avail);
	wr64(d, VIRTIO_MMIO_QUEUE_USED_LOW, q->used);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

uint32_t virtio_mmio_config32(struct virtio_mmio_dev *d, uint32_t off)
{
	return rd(d, VIRTIO_MMIO_CONFIG + off);
}

/* Two 32-bit halves, retried until the config generation says they belong together. */
uint64_t virtio_mmio_config64(struct virtio_mmio_dev *d, uint32_t off)
{
	uint32_t gen, lo, hi;

	do {
		gen = rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = rd(d, VIRTIO_MMIO_CONFIG + off);
		hi = rd(d, VIRTIO_MMIO_CONFIG + off + 4);
	} while (gen != rd(d, VIRTIO_MMIO_CONFIG_GENERATION));
	return (uint64_t)hi << 32 | lo;
}

void virtio_mmio_ready(struct virtio_mmio_dev *d)
{
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
}

/* Status is read only when a wait came back empty: the slow path. */
static int broken(struct virtio_mmio_dev *d)
{
	if (!d->broken &&
	    rd(d, VIRTIO_MMIO_STATUS) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) {
		console_printf(
		    "guest: virtio-mmio device at %#lx needs a reset; its requests fail\n",
		    d->base);
		d->broken = 1;
	}
	return d->broken;
}

int virtio_mmio_wait(struct virtio_mmio_dev *d, struct virtq *q)
{
	if (d->broken)
		return -EIO;
	while (virtq_wait(q, WAIT_CHECK_NS) == -ETIMEDOUT)
		if (broken(d))
			return -EIO;
	return 0;
}
