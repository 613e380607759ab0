/* fdt_build.c: build the guest's flattened device tree with libfdt. */
#include "fdt_build.h"

#include <libfdt.h>
#include <stdio.h>

#include "abi.h"
#include "virtio.h"

/* Every libfdt call goes through here so a failure names its expression. */
#define FDT_CHECK(expr)                \
	do {                           \
		int rc_ = (expr);      \
		if (rc_ < 0) {         \
			*what = #expr; \
			return rc_;    \
		}                      \
	} while (0)

static int root_props(void *fdt, const char **what)
{
	FDT_CHECK(fdt_property_string(fdt, "compatible", "vmm,microvm"));
	FDT_CHECK(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_CHECK(fdt_property_u32(fdt, "#size-cells", 2));
	return 0;
}

static int memory_node(void *fdt, const struct fdt_params *p, const char **what)
{
	fdt64_t reg[2] = { cpu_to_fdt64(0), cpu_to_fdt64(p->mem_size) };

	FDT_CHECK(fdt_begin_node(fdt, "memory@0"));
	FDT_CHECK(fdt_property_string(fdt, "device_type", "memory"));
	FDT_CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	FDT_CHECK(fdt_end_node(fdt));
	return 0;
}

static int chosen_node(void *fdt, const struct fdt_params *p, const char **what)
{
	FDT_CHECK(fdt_begin_node(fdt, "chosen"));
	FDT_CHECK(fdt_property_string(fdt, "bootargs", p->bootargs));
	FDT_CHECK(fdt_property(fdt, "rng-seed", p->seed, sizeof(p->seed)));
	FDT_CHECK(fdt_property_u64(fdt, VMM_FDT_TSC_HZ, p->tsc_hz));
	FDT_CHECK(fdt_property_u64(fdt, VMM_FDT_BOOT_TSC, p->boot_tsc));
	FDT_CHECK(fdt_property_u64(fdt, VMM_FDT_BOOT_REALTIME, p->boot_realtime_ns));
	FDT_CHECK(fdt_end_node(fdt));
	return 0;
}

/* What the guest's network stack starts with; no MMIO config read needed for the MAC. */
static int net_props(void *fdt, const struct fdt_params *p, const char **what)
{
	FDT_CHECK(fdt_property(fdt, VMM_FDT_MAC, p->mac, 6));
	if (!p->ipv4)
		return 0;
	FDT_CHECK(fdt_property_u32(fdt, VMM_FDT_IPV4, p->ipv4));
	FDT_CHECK(fdt_property_u32(fdt, VMM_FDT_IPV4_PREFIX, p->prefix));
	if (p->gateway)
		FDT_CHECK(fdt_property_u32(fdt, VMM_FDT_IPV4_GATEWAY, p->gateway));
	return 0;
}

static int mmio_node(void *fdt, const struct fdt_params *p, int i, const char **what)
{
	uint64_t base = p->mmio[i];
	uint32_t id = p->mmio_id[i];
	int rc;

	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(VMM_MMIO_STRIDE) };
	char name[32];

	snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
	FDT_CHECK(fdt_begin_node(fdt, name));
	FDT_CHECK(fdt_property_string(fdt, "compatible", "virtio,mmio"));
	FDT_CHECK(fdt_property(fdt, "reg", reg, sizeof(reg)));
	/* The guest learns what each device is without a register read (an exit). */
	FDT_CHECK(fdt_property_u32(fdt, VMM_FDT_VIRTIO_ID, id));
	if (id == VIRTIO_ID_NET && (rc = net_props(fdt, p, what)))
		return rc;
	FDT_CHECK(fdt_end_node(fdt));
	return 0;
}

int fdt_build(void *buf, size_t size, const struct fdt_params *p, const char **what)
{
	int rc;

	FDT_CHECK(fdt_create(buf, (int)size));
	FDT_CHECK(fdt_finish_reservemap(buf));
	FDT_CHECK(fdt_begin_node(buf, ""));
	if ((rc = root_props(buf, what)) || (rc = memory_node(buf, p, what)) ||
	    (rc = chosen_node(buf, p, what)))
		return rc;
	for (int i = 0; i < p->nmmio && i < 8; i++)
		if ((rc = mmio_node(buf, p, i, what)))
			return rc;
	FDT_CHECK(fdt_end_node(buf));
	FDT_CHECK(fdt_finish(buf));
	return 0;
}
