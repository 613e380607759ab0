/* bootinfo.c: read the boot facts from vmm's device tree or PVH start info. */
#include <libfdt.h>
#include <string.h>

#include "libos.h"

static uint64_t prop_u64(const void *fdt, int node, const char *name)
{
	int len;
	const fdt64_t *p = fdt_getprop(fdt, node, name, &len);

	return p && len == 8 ? fdt64_to_cpu(*p) : 0;
}

static uint64_t memory_size(const void *fdt)
{
	int node = fdt_path_offset(fdt, "/memory@0"), len;
	const fdt64_t *reg = node < 0 ? NULL : fdt_getprop(fdt, node, "reg", &len);

	return reg && len == 16 ? fdt64_to_cpu(reg[1]) : 0;
}

int bootinfo_from_fdt(struct boot_info *bi, const void *fdt)
{
	int chosen, len;
	const void *seed;

	if (fdt_check_header(fdt))
		return -1;
	bi->mem_size = memory_size(fdt);
	chosen = fdt_path_offset(fdt, "/chosen");
	if (!bi->mem_size || chosen < 0)
		return -1;
	bi->cmdline = fdt_getprop(fdt, chosen, "bootargs", &len);
	bi->tsc_hz = prop_u64(fdt, chosen, VMM_FDT_TSC_HZ);
	bi->boot_tsc = prop_u64(fdt, chosen, VMM_FDT_BOOT_TSC);
	bi->boot_realtime_ns = prop_u64(fdt, chosen, VMM_FDT_BOOT_REALTIME);
	seed = fdt_getprop(fdt, chosen, "rng-seed", &len);
	if (seed && len >= (int)sizeof(bi->seed)) {
		memcpy(bi->seed, seed, sizeof(bi->seed));
		bi->have_seed = 1;
	}
	return bi->tsc_hz ? 0 : -1;
}

/* Counts TSC ticks across 5 ms of the PIT's channel 2 (1.193182 MHz). */
static uint64_t pit_calibrate_tsc(void)
{
	const uint16_t ticks = 5966;
	uint64_t t0, t1;

	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, ticks & 0xff);
	outb(0x42, ticks >> 8);
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	t1 = rdtsc();
	return (t1 - t0) * 200;
}

void bootinfo_from_pvh(struct boot_info *bi, const struct hvm_start_info *si)
{
	bi->under_vmm = 0;
	bi->mem_size = pvh_mem_top(si);
	bi->cmdline = si->cmdline_paddr ? (const char *)(uintptr_t)si->cmdline_paddr : "";
	bi->boot_tsc = rdtsc();
	bi->tsc_hz = pit_calibrate_tsc();
	/* No seed from this monitor: TSC jitter is all there is. Documented as weak. */
	for (size_t i = 0; i < sizeof(bi->seed); i++)
		bi->seed[i] = (uint8_t)(rdtsc() * 2654435761U >> 13);
}
