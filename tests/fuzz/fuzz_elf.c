/* fuzz_elf.c: libFuzzer target for the parsers of untrusted images: elf_parse, symtab_load. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_load.h"
#include "symtab.h"
#include "../unit/elf_builder.h"

/* What vmm passes for a 64 MiB guest: RAM less the 8 MiB stack. */
#define LIMIT ((64ULL << 20) - (8ULL << 20))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_ram(const struct elf_segment *s)
{
	return s->addr >= VMM_IMAGE_BASE && s->memsz && s->addr + s->memsz > s->addr &&
	       s->addr + s->memsz <= LIMIT;
}

/* An accepted image must hold everything vmm goes on to assume about it. */
static void check_image(const uint8_t *buf, size_t len)
{
	struct elf_image img;
	char why[160] = "";

	if (elf_parse(buf, len, LIMIT, &img, why, sizeof(why))) {
		if (!why[0])
			abort(); /* a rejection without a reason */
		return;
	}
	if (img.nseg < 1 || img.nseg > ELF_MAX_SEGMENTS)
		abort();
	for (int i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];

		if (!in_ram(s) || s->addr % 4096 || s->filesz > s->memsz || s->offset > len ||
		    s->filesz > len - s->offset || ((s->flags & PF_W) && (s->flags & PF_X)))
			abort();
	}
	if (!elf_in_segment(&img, img.entry, 1, PF_X) ||
	    !elf_in_segment(&img, img.note.syscall_entry, 1, PF_X) ||
	    !elf_in_segment(&img, img.note.fault_entry, VMM_FAULT_STUB_SIZE * VMM_FAULT_VECTORS,
			    PF_X) ||
	    !elf_in_segment(&img, img.note.boot_record, sizeof(struct vmm_boot_record), PF_W))
		abort();
}

/* Names must point into the buffer and end inside it; lookups must be consistent. */
static void check_symbols(const uint8_t *buf, size_t len)
{
	const char *end = (const char *)buf + len;
	struct symtab st;

	if (symtab_load(&st, buf, len))
		return; /* out of memory */
	for (size_t i = 0; i < st.n; i++) {
		const struct sym *s = &st.syms[i], *hit;

		if (s->name < (const char *)buf || s->name >= end ||
		    !memchr(s->name, 0, (size_t)(end - s->name)) ||
		    (s->file && (s->file < (const char *)buf || s->file >= end)) ||
		    (i && st.syms[i - 1].addr > s->addr))
			abort();
		hit = symtab_lookup(&st, s->addr);
		if (!hit || hit->addr != s->addr)
			abort();
		hit = symtab_lookup(&st, s->addr - 1);
		if (hit && hit->addr > s->addr - 1)
			abort();
	}
	symtab_free(&st);
}

/*
 * The input XORed over a valid image: most of a random input dies at the
 * magic number, while this way the fuzzer reaches segments, notes and symbols.
 */
static void check_patched(const uint8_t *data, size_t size)
{
	struct eb b = eb_build();
	uint8_t *img = malloc(b.len); /* exact size, so ASan sees overreads */

	if (!img)
		abort();
	memcpy(img, b.buf, b.len);
	for (size_t i = 0; i < size && i < b.len; i++)
		img[i] ^= data[i];
	check_image(img, b.len);
	check_symbols(img, b.len);
	free(img);
	eb_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_image(data, size);
	check_symbols(data, size);
	check_patched(data, size);
	return 0;
}
