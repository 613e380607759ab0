/* frames_eth.c: guest/eth.c as fuzz_frames needs it. Its ARP cache and tick are static, so
 * they are emptied here before each input; and eth_output is tapped, so every IPv4 packet
 * the stack sends is checked, including those ARP holds back or loses. */
#include <stdint.h>
#include <stddef.h>

#define eth_output eth_output_guest
#include "../../guest/eth.c"
#undef eth_output

#include "frames.h"

int eth_output(uint32_t next_hop, const void *packet, size_t len);

int eth_output(uint32_t next_hop, const void *packet, size_t len)
{
	frames_check_packet(packet, len);
	return eth_output_guest(next_hop, packet, len);
}

void frames_eth_reset(void)
{
	memset(cache, 0, sizeof(cache));
	next_tick = 0;
}
