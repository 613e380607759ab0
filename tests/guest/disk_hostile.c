/* disk_hostile: programs the first virtio-blk device by hand with broken
 * rings and requests; vmm must fail the device or the request, and live on. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "virtio.h"

#define BASE  0xd0000000UL
#define QSIZE 8

static struct virtq_desc desc[QSIZE] __attribute__((aligned(4096)));
static struct {
	uint16_t flags, idx, ring[QSIZE], used_event;
} avail __attribute__((aligned(4096)));
static struct {
	uint16_t flags, idx;
	struct virtq_used_elem ring[QSIZE];
	uint16_t avail_event;
} used __attribute__((aligned(4096)));
static struct virtio_blk_req_hdr hdr;
static uint8_t data[4096], status;
static int failures;

static volatile uint32_t *reg(uint32_t off)
{
	return (volatile uint32_t *)(BASE + off);
}

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reset, negotiate VERSION_1 (+ indirect), and set up queue 0 as given. */
static void setup(uint32_t num, uint64_t d, uint64_t a, uint64_t u)
{
	*reg(VIRTIO_MMIO_STATUS) = 0;
	memset(&avail, 0, sizeof(avail));
	memset(&used, 0, sizeof(used));
	*reg(VIRTIO_MMIO_STATUS) = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	*reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 1;
	*reg(VIRTIO_MMIO_DRIVER_FEATURES) = 1; /* VERSION_1 */
	*reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 0;
	*reg(VIRTIO_MMIO_DRIVER_FEATURES) = 1u << VIRTIO_F_RING_INDIRECT_DESC;
	*reg(VIRTIO_MMIO_STATUS) = 1 | 2 | VIRTIO_STATUS_FEATURES_OK;
	*reg(VIRTIO_MMIO_QUEUE_SEL) = 0;
	*reg(VIRTIO_MMIO_QUEUE_NUM) = num;
	*reg(VIRTIO_MMIO_QUEUE_DESC_LOW) = (uint32_t)d;
	*reg(VIRTIO_MMIO_QUEUE_DESC_HIGH) = (uint32_t)(d >> 32);
	*reg(VIRTIO_MMIO_QUEUE_AVAIL_LOW) = (uint32_t)a;
	*reg(VIRTIO_MMIO_QUEUE_AVAIL_HIGH) = (uint32_t)(a >> 32);
	*reg(VIRTIO_MMIO_QUEUE_USED_LOW) = (uint32_t)u;
	*reg(VIRTIO_MMIO_QUEUE_USED_HIGH) = (uint32_t)(u >> 32);
	*reg(VIRTIO_MMIO_QUEUE_READY) = 1;
	*reg(VIRTIO_MMIO_STATUS) = 1 | 2 | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
}

static void setup_ok(void)
{
	setup(QSIZE, (uintptr_t)desc, (uintptr_t)&avail, (uintptr_t)&used);
}

static int needs_reset(void)
{
	return *reg(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

static void publish(uint16_t head, uint16_t idx)
{
	avail.ring[(idx - 1) % QSIZE] = head;
	__atomic_store_n(&avail.idx, idx, __ATOMIC_RELEASE);
	*reg(VIRTIO_MMIO_QUEUE_NOTIFY) = 0;
}

/* Waits up to a second for the used ring to reach idx or the device to fail. */
static int settle(uint16_t idx)
{
	double end = now() + 1;

	while (now() < end)
		if (__atomic_load_n(&used.idx, __ATOMIC_ACQUIRE) == idx || needs_reset())
			return 1;
	return 0;
}

/* A request: header, data (device-writable for IN), status. */
static void request(uint32_t type, uint64_t sector, uint32_t hdr_len)
{
	hdr = (struct virtio_blk_req_hdr){ type, 0, sector };
	status = 0xee;
	desc[0] = (struct virtq_desc){ (uintptr_t)&hdr, hdr_len, VIRTQ_DESC_F_NEXT, 1 };
	desc[1] = (struct virtq_desc){ (uintptr_t)data, sizeof(data),
				       VIRTQ_DESC_F_NEXT |
					   (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0),
				       2 };
	desc[2] = (struct virtq_desc){ (uintptr_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
}

static void ring_faults(void)
{
	setup(3, (uintptr_t)desc, (uintptr_t)&avail, (uintptr_t)&used);
	check(needs_reset(), "queue size 3 fails the device");
	setup(QSIZE, 0xfffffffff000ULL, (uintptr_t)&avail, (uintptr_t)&used);
	check(needs_reset(), "descriptor table outside RAM fails the device");
	setup(QSIZE, (uintptr_t)desc + 8, (uintptr_t)&avail, (uintptr_t)&used);
	check(needs_reset(), "misaligned descriptor table fails the device");
	setup_ok();
	check(!needs_reset(), "a good queue is accepted");
	desc[0] = (struct virtq_desc){ (uintptr_t)&hdr, 16, VIRTQ_DESC_F_NEXT, 0 };
	publish(0, 1);
	check(settle(1) && needs_reset(), "a looping chain fails the device");
	setup_ok();
	desc[0] = (struct virtq_desc){ 0x100000000000ULL, 16, 0, 0 };
	publish(0, 1);
	check(settle(1) && needs_reset(), "a descriptor outside RAM fails the device");
	setup_ok();
	desc[0] = (struct virtq_desc){ (uintptr_t)&hdr, 0xffffffff, 0, 0 };
	publish(0, 1);
	check(settle(1) && needs_reset(), "a descriptor running off RAM fails the device");
	setup_ok();
	avail.idx = 1000;
	*reg(VIRTIO_MMIO_QUEUE_NOTIFY) = 0;
	check(settle(0xffff) && needs_reset(), "avail idx far ahead fails the device");
	setup_ok();
	(void)*(volatile uint16_t *)(BASE + VIRTIO_MMIO_STATUS);
	check(needs_reset(), "a 16-bit register read fails the device");
}

static void request_faults(void)
{
	setup_ok();
	request(VIRTIO_BLK_T_IN, 1ULL << 40, 16);
	publish(0, 1);
	check(settle(1) && !needs_reset() && status == VIRTIO_BLK_S_IOERR,
	      "a read past the end gets IOERR");
	request(VIRTIO_BLK_T_IN, 0, 8);
	publish(0, 2);
	check(settle(2) && !needs_reset() && status == VIRTIO_BLK_S_IOERR,
	      "a short header gets IOERR");
	request(77, 0, 16);
	publish(0, 3);
	check(settle(3) && !needs_reset() && status == VIRTIO_BLK_S_UNSUPP,
	      "an unknown request type gets UNSUPP");
	request(VIRTIO_BLK_T_IN, 0, 16);
	publish(0, 4);
	check(settle(4) && !needs_reset() && status == VIRTIO_BLK_S_OK &&
		  used.ring[3].len == sizeof(data) + 1,
	      "the device still serves a good read");
}

int main(void)
{
	check(*reg(VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC &&
		  *reg(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_BLOCK,
	      "a virtio-blk device at slot 0");
	ring_faults();
	request_faults();
	printf(failures ? "%d FAILED\n" : "all ok\n", failures);
	return failures ? 1 : 0;
}
