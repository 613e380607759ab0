/* boot.c: from the entry to main(): boot info, memory, clocks, devices, libc. */
#include <elf.h>
#include <string.h>

#include "fd.h"
#include "libos.h"
#include "net.h"
#include "virtio_mmio.h"

struct vmm_boot_record vmm_boot_record;
struct boot_info boot;

extern const Elf64_Ehdr __ehdr_start;
extern char _end[];
int main(int argc, char **argv, char **envp);
int __libc_start_main(int (*main_fn)(int, char **, char **), int argc, char **argv,
		      void (*init)(void), void (*fini)(void), void (*ldso)(void));
_Noreturn void guest_boot(uint64_t info, uint64_t magic);

/* libc is up: the control channel starts beside the app, then main. */
static int main_entry(int argc, char **argv, char **envp)
{
	virtio_mmio_start_boot();
	control_start(argc, argv);
	vmm_boot_record.tsc_main = rdtsc();
	return main(argc, argv, envp);
}

/* vmm's device tree lists the devices and addresses; other monitors pass options. */
static void boot_option(const char *opt)
{
	if (!boot.under_vmm)
		virtio_mmio_option(opt);
	net_option(opt);
}

/*
 * argv, an empty envp, then the auxiliary vector musl reads (TLS, canary).
 * A line of len bytes holds at most len / 2 + 1 arguments.
 */
static char **initial_vector(char *line, size_t len, int *argc)
{
	static uint8_t at_random[16];
	int max = (int)(len / 2 + 1);
	char **vec = pages_alloc(((size_t)max + 1 + 2 + 12) * sizeof(char *));
	unsigned long *aux;
	int n;

	if (!vec)
		panic("no memory for %zu bytes of arguments", len);
	n = cmdline_parse(line, vec, max, "app", boot_option);
	aux = (unsigned long *)&vec[n + 2];

	random_fill(at_random, sizeof(at_random));
	vec[n] = NULL;
	vec[n + 1] = NULL;
	aux[0] = AT_PHDR;
	aux[1] = (unsigned long)&__ehdr_start + __ehdr_start.e_phoff;
	aux[2] = AT_PHENT;
	aux[3] = sizeof(Elf64_Phdr);
	aux[4] = AT_PHNUM;
	aux[5] = __ehdr_start.e_phnum;
	aux[6] = AT_PAGESZ;
	aux[7] = 4096;
	aux[8] = AT_RANDOM;
	aux[9] = (unsigned long)at_random;
	aux[10] = AT_NULL;
	aux[11] = 0;
	*argc = n;
	return vec;
}

/* The command line lives in read-only boot data; argv needs a writable copy. */
static char *copy_cmdline(const char *src, size_t *len)
{
	char *dst;

	*len = src ? strlen(src) : 0;
	dst = pages_alloc(*len + 1);
	if (!dst)
		panic("no memory for the command line");
	if (*len)
		memcpy(dst, src, *len);
	return dst;
}

_Noreturn void guest_boot(uint64_t info, uint64_t magic)
{
	uint64_t stack_bottom;
	char **argv, *line;
	size_t len;
	int argc;

	if (magic == VMM_BOOT_MAGIC) {
		boot.under_vmm = 1;
		if (bootinfo_from_fdt(&boot, (const void *)(uintptr_t)info))
			panic("unreadable device tree at %#lx", (unsigned long)info);
	} else {
		bootinfo_from_pvh(&boot, (const struct hvm_start_info *)(uintptr_t)info);
	}
	stack_bottom = boot.mem_size - vmm_stack_size(boot.mem_size) - VMM_PAGE_SIZE;
	pages_init((uint64_t)_end, stack_bottom);
	clock_init(&boot);
	random_init(boot.seed);
	fd_init();
	line = copy_cmdline(boot.cmdline, &len);
	argv = initial_vector(line, len, &argc);
	virtio_mmio_collect(boot.under_vmm ? (const void *)(uintptr_t)info : NULL);
	__libc_start_main(main_entry, argc, argv, NULL, NULL, NULL);
	panic("__libc_start_main returned");
}
