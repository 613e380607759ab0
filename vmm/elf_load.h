/* elf_load.h: validating parser for vmm images (ELF64 x86-64 executables). */
#ifndef VMM_ELF_LOAD_H
#define VMM_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t addr, memsz; /* page-aligned start; guest-physical = virtual */
	uint64_t offset, filesz;
	uint32_t flags; /* PF_R, PF_W, PF_X */
};

struct elf_image {
	uint64_t entry;
	uint64_t end; /* first byte past the highest segment */
	struct vmm_abi_note note;
	int nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * Checks every header field of the image in buf and fills *img. Segments
 * must lie in [VMM_IMAGE_BASE, limit). Returns 0, or -1 with a reason
 * ("truncated program header table") in why.
 */
int elf_parse(const uint8_t *buf, size_t len, uint64_t limit, struct elf_image *img, char *why,
	      size_t whylen);

/* Copies the segments into guest RAM (mem, mem_size) and zeroes the rest. */
void elf_copy(const struct elf_image *img, const uint8_t *buf, uint8_t *mem);

/* Is [addr, addr + len) inside one segment whose flags include all of flags? */
int elf_in_segment(const struct elf_image *img, uint64_t addr, uint64_t len, uint32_t flags);

#endif
