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

/* The PIT's channel 0 count, latched, and the TSC halfway through the latch command. */
static uint16_t pit_count(uint64_t *tsc)
{
	uint64_t a = rdtsc(), b;
	uint8_t lo, hi;

	outb(0x43, 0x00);
	b = rdtsc();
	lo = inb(0x40);
	hi = inb(0x40);
	*tsc = a + (b - a) / 2;
	return (uint16_t)(hi << 8 | lo);
}

/*
 * TSC ticks across 5 ms of the PIT (1.193182 MHz). Channel 0, read back with
 * latch commands: QEMU's microvm has no port 0x61 (no PC speaker), so channel
 * 2's gate is stuck low there and its OUT bit reads as set at once. Without a
 * PIT the count never moves: then a guess, rather than a hang.
 */
static uint64_t pit_calibrate_tsc(void)
{
	const uint16_t span = 5966;
	uint64_t t0, t1;
	uint16_t c0, c1;
	int reads = 0;

	outb(0x43, 0x34); /* channel 0, low then high byte, mode 2: counts down, reloads */
	outb(0x40, 0);
	outb(0x40, 0); /* 65536: differences wrap as uint16_t does */
	c0 = pit_count(&t0);
	do {
		c1 = pit_count(&t1);
		if (++reads == 1000 && c1 == c0)
			return 2000000000;
	} while ((uint16_t)(c0 - c1) < span);
	return (t1 - t0) * 1193182 / (uint16_t)(c0 - c1);
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static uint64_t from_bcd(uint8_t v, int binary)
{
	return binary ? v : (uint64_t)(v & 15) + (uint64_t)(v >> 4) * 10;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, uint64_t m, uint64_t d)
{
	int64_t era;
	uint64_t yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (uint64_t)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Wall-clock time from the CMOS RTC (UTC, as QEMU sets it); 0 without one. */
static uint64_t rtc_realtime_ns(void)
{
	int binary;
	uint64_t sec, min, hour, day, mon, year;
	int64_t days;

	uint8_t status = cmos(0x0a);

	/* No RTC reads as all ones. An update takes under 2 ms; each read is an exit. */
	for (int i = 0; i < 200 && status != 0xff && status & 0x80; i++)
		status = cmos(0x0a);
	if (status == 0xff || status & 0x80)
		return 0;
	binary = cmos(0x0b) & 4;
	sec = from_bcd(cmos(0x00), binary);
	min = from_bcd(cmos(0x02), binary);
	hour = from_bcd(cmos(0x04), binary);
	day = from_bcd(cmos(0x07), binary);
	mon = from_bcd(cmos(0x08), binary);
	year = 2000 + from_bcd(cmos(0x09), binary);
	if (sec > 59 || min > 59 || hour > 23 || !day || day > 31 || !mon || mon > 12)
		return 0;
	days = days_from_civil((int64_t)year, mon, day);
	return ((uint64_t)days * 86400 + hour * 3600 + min * 60 + sec) * 1000000000ULL;
}

void bootinfo_from_pvh(struct boot_info *bi, const struct hvm_start_info *si)
{
	bi->under_vmm = 0;
	bi->mem_size = pvh_mem_top(si);
	bi->cmdline = si->cmdline_paddr ? (const char *)(uintptr_t)si->cmdline_paddr : "";
	bi->boot_tsc = rdtsc();
	bi->tsc_hz = pit_calibrate_tsc();
	bi->boot_realtime_ns = rtc_realtime_ns();
	/* No seed from this monitor: TSC jitter is all there is. Documented as weak. */
	for (size_t i = 0; i < sizeof(bi->seed); i++)
		bi->seed[i] = (uint8_t)(rdtsc() * 2654435761U >> 13);
}
