/* net_probe: the device id and MAC of the virtio-mmio device in slot argv[1] (default 0). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "virtio.h"

#define BASE 0xd0000000UL

int main(int argc, char **argv)
{
	unsigned long slot = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	volatile uint8_t *win = (volatile uint8_t *)(BASE + slot * 0x1000);
	uint32_t id = *(volatile uint32_t *)(win + VIRTIO_MMIO_DEVICE_ID);
	volatile uint8_t *mac = win + VIRTIO_MMIO_CONFIG;
	uint16_t status = *(volatile uint16_t *)(mac + 6);

	printf("net_probe: id %u mac %02x:%02x:%02x:%02x:%02x:%02x status %u\n", id, mac[0], mac[1],
	       mac[2], mac[3], mac[4], mac[5], status);
	return id == VIRTIO_ID_NET ? 0 : 1;
}
