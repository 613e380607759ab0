/* test_fdt.c: the device tree fdt_build writes, read back with libfdt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>

#include "abi.h"
#include "fdt_build.h"

static struct fdt_params params(const char *bootargs)
{
	struct fdt_params p = {
		.mem_size = 0x123456000ULL, /* above 4 GiB, so both halves of reg matter */
		.bootargs = bootargs,
		.tsc_hz = 0x0102030405060708ULL,
		.boot_tsc = 0xfedcba9876543210ULL,
		.boot_realtime_ns = 1700000000123456789ULL,
	};

	for (int i = 0; i < 32; i++)
		p.seed[i] = (uint8_t)(i * 37 + 11);
	return p;
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	const void *v;

	if (node < 0)
		fail_msg("%s: %s", path, fdt_strerror(node));
	v = fdt_getprop(fdt, node, name, len);
	if (!v)
		fail_msg("%s %s: %s", path, name, fdt_strerror(*len));
	return v;
}

/* Big-endian on the wire, and only 4-byte aligned: read byte by byte. */
static uint64_t be64(const uint8_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 8; i++)
		x = x << 8 | v[i];
	return x;
}

static uint64_t prop_u64(const void *fdt, const char *path, const char *name)
{
	int len;
	const void *v = prop(fdt, path, name, &len);

	assert_int_equal(len, 8);
	return be64(v);
}

/* Builds p into a fresh buffer of size bytes and checks the result is a valid tree. */
static void *build(const struct fdt_params *p, size_t size)
{
	const char *what = NULL;
	void *fdt = calloc(1, size);
	int rc;

	assert_non_null(fdt);
	rc = fdt_build(fdt, size, p, &what);
	if (rc)
		fail_msg("fdt_build: %s: %s", what ? what : "?", fdt_strerror(rc));
	assert_int_equal(fdt_check_header(fdt), 0);
	assert_true(fdt_totalsize(fdt) <= size);
	return fdt;
}

static void test_properties(void **state)
{
	struct fdt_params p = params("-- hello \"a b\"");
	void *fdt = build(&p, 4096);
	const uint8_t *v;
	int len;

	(void)state;
	assert_string_equal(prop(fdt, "/", "compatible", &len), "vmm,microvm");
	assert_int_equal(fdt32_to_cpu(*(const fdt32_t *)prop(fdt, "/", "#address-cells", &len)), 2);
	assert_int_equal(fdt32_to_cpu(*(const fdt32_t *)prop(fdt, "/", "#size-cells", &len)), 2);
	assert_string_equal(prop(fdt, "/memory@0", "device_type", &len), "memory");
	v = prop(fdt, "/memory@0", "reg", &len);
	assert_int_equal(len, 16);
	assert_memory_equal(v, "\0\0\0\0\0\0\0\0\0\0\0\x01\x23\x45\x60\0", 16);
	v = prop(fdt, "/chosen", "bootargs", &len);
	assert_int_equal(len, (int)strlen(p.bootargs) + 1);
	assert_string_equal(v, p.bootargs);
	v = prop(fdt, "/chosen", "rng-seed", &len);
	assert_int_equal(len, 32);
	assert_memory_equal(v, p.seed, 32);
	assert_int_equal(prop_u64(fdt, "/chosen", VMM_FDT_TSC_HZ), p.tsc_hz);
	assert_int_equal(prop_u64(fdt, "/chosen", VMM_FDT_BOOT_TSC), p.boot_tsc);
	assert_int_equal(prop_u64(fdt, "/chosen", VMM_FDT_BOOT_REALTIME), p.boot_realtime_ns);
	free(fdt);
}

/* reg holds the RAM size exactly, both cells, from the minimum to the maximum. */
static void test_memory_sizes(void **state)
{
	static const uint64_t sizes[] = { VMM_MEM_MIN, VMM_MEM_DEFAULT, VMM_MEM_MAX, 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct fdt_params p = params("");
		const uint8_t *reg;
		void *fdt;
		int len;

		p.mem_size = sizes[i];
		fdt = build(&p, 4096);
		reg = prop(fdt, "/memory@0", "reg", &len);
		assert_int_equal(len, 16);
		assert_int_equal(be64(reg), 0);
		assert_int_equal(be64(reg + 8), sizes[i]);
		free(fdt);
	}
}

static void test_empty_bootargs(void **state)
{
	struct fdt_params p = params("");
	void *fdt = build(&p, 4096);
	int len;

	(void)state;
	assert_string_equal(prop(fdt, "/chosen", "bootargs", &len), "");
	assert_int_equal(len, 1);
	free(fdt);
}

static void test_long_bootargs(void **state)
{
	char *args = malloc(20001);
	struct fdt_params p;
	void *fdt;
	int len;

	(void)state;
	assert_non_null(args);
	for (int i = 0; i < 20000; i++)
		args[i] = (char)(' ' + i % 95);
	args[20000] = 0;
	p = params(args);
	fdt = build(&p, 32768);
	assert_string_equal(prop(fdt, "/chosen", "bootargs", &len), args);
	assert_int_equal(len, 20001);
	free(fdt);
	free(args);
}

/* Every size short of the tree fails with NOSPACE and names the call; the exact size works. */
static void test_too_small(void **state)
{
	struct fdt_params p = params("-- prog arg");
	void *fdt = build(&p, 4096);
	size_t need = fdt_totalsize(fdt);

	(void)state;
	free(fdt);
	for (size_t size = 0; size < need; size++) {
		void *buf = malloc(size ? size : 1);
		const char *what = NULL;
		int rc;

		assert_non_null(buf);
		rc = fdt_build(buf, size, &p, &what);
		if (rc != -FDT_ERR_NOSPACE)
			fail_msg("size %zu of %zu: %d (%s)", size, need, rc, fdt_strerror(rc));
		assert_non_null(what);
		assert_true(what[0] != 0);
		free(buf);
	}
	free(build(&p, need));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_properties),     cmocka_unit_test(test_memory_sizes),
		cmocka_unit_test(test_empty_bootargs), cmocka_unit_test(test_long_bootargs),
		cmocka_unit_test(test_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
