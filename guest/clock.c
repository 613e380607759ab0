/* clock.c: time from the TSC, scaled with the frequency vmm measured. */
#include "libos.h"

static uint64_t tsc0, mult, realtime0; /* ns = (tsc - tsc0) * mult >> 32 */
static int under_vmm;

void clock_init(const struct boot_info *bi)
{
	tsc0 = bi->boot_tsc;
	mult = (uint64_t)(((unsigned __int128)1000000000 << 32) / bi->tsc_hz);
	realtime0 = bi->boot_realtime_ns;
	under_vmm = bi->under_vmm;
}

uint64_t clock_monotonic_ns(void)
{
	uint64_t now = rdtsc();

	return now < tsc0 ? 0 : (uint64_t)((unsigned __int128)(now - tsc0) * mult >> 32);
}

uint64_t clock_realtime_ns(void)
{
	return realtime0 + clock_monotonic_ns();
}

/* Sleeps in the VMM (no CPU burnt); other monitors get a pause loop. */
void clock_sleep_until(uint64_t deadline)
{
	uint64_t now;

	while ((now = clock_monotonic_ns()) < deadline) {
		if (under_vmm)
			hc_wait(deadline - now);
		else
			__asm__ volatile("pause");
	}
}
