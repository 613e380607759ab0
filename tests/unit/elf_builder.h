/* elf_builder.h: a minimal valid vmm image built in memory, for tests to break. */
#ifndef TESTS_ELF_BUILDER_H
#define TESTS_ELF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"

/*
 * File layout. The program header table has room for EB_PH_MAX entries so
 * tests can add segments; the base image uses three (text, data, note).
 */
#define EB_PH_OFF      0x40
#define EB_PH_MAX      20
#define EB_NOTE_OFF    0x500 /* one Elf64_Nhdr, "vmm\0", struct vmm_abi_note */
#define EB_NOTE_SIZE   (sizeof(Elf64_Nhdr) + 4 + sizeof(struct vmm_abi_note))
#define EB_SYM_OFF     0x540
#define EB_NSYMS       9
#define EB_STR_OFF     0x620
#define EB_STR_SIZE    0x60
#define EB_SH_OFF      0x700 /* null, .symtab, .strtab */
#define EB_NSH	       3
#define EB_TEXT_OFF    0x1000
#define EB_DATA_OFF    0x2000
#define EB_DATA_FILESZ 0x100
#define EB_LEN	       (EB_DATA_OFF + EB_DATA_FILESZ)
#define EB_CAP	       0x3000 /* bytes allocated: room to grow the file */

/* Guest addresses. The data segment's memsz is not page-sized on purpose. */
#define EB_TEXT	      0x100000ULL
#define EB_TEXT_SIZE  0x1000ULL
#define EB_DATA	      0x101000ULL
#define EB_DATA_MEMSZ 0x1800ULL
#define EB_ENTRY      EB_TEXT
#define EB_SYSCALL    (EB_TEXT + 0x800)
#define EB_FAULT      (EB_TEXT + 0xa00) /* 32 stubs of 16 bytes end at 0xc00 */
#define EB_BOOTREC    EB_DATA

/* The image is heap-allocated: the structs below may then alias its bytes. */
struct eb {
	uint8_t *buf;
	size_t len;
};

static inline Elf64_Ehdr *eb_ehdr(struct eb *b)
{
	return (Elf64_Ehdr *)b->buf;
}

static inline Elf64_Phdr *eb_phdr(struct eb *b, int i)
{
	return (Elf64_Phdr *)(b->buf + EB_PH_OFF) + i;
}

static inline Elf64_Nhdr *eb_nhdr(struct eb *b)
{
	return (Elf64_Nhdr *)(b->buf + EB_NOTE_OFF);
}

static inline char *eb_note_name(struct eb *b)
{
	return (char *)b->buf + EB_NOTE_OFF + sizeof(Elf64_Nhdr);
}

static inline struct vmm_abi_note *eb_note(struct eb *b)
{
	return (struct vmm_abi_note *)(b->buf + EB_NOTE_OFF + sizeof(Elf64_Nhdr) + 4);
}

static inline Elf64_Shdr *eb_shdr(struct eb *b, int i)
{
	return (Elf64_Shdr *)(b->buf + EB_SH_OFF) + i;
}

static inline Elf64_Sym *eb_sym(struct eb *b, int i)
{
	return (Elf64_Sym *)(b->buf + EB_SYM_OFF) + i;
}

static inline void eb_ph(struct eb *b, int i, uint32_t type, uint32_t flags, uint64_t off,
			 uint64_t addr, uint64_t filesz, uint64_t memsz)
{
	*eb_phdr(b, i) = (Elf64_Phdr){ .p_type = type,
				       .p_flags = flags,
				       .p_offset = off,
				       .p_vaddr = addr,
				       .p_paddr = addr,
				       .p_filesz = filesz,
				       .p_memsz = memsz,
				       .p_align = 0x1000 };
}

static inline void eb_header(struct eb *b)
{
	Elf64_Ehdr *eh = eb_ehdr(b);

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = EB_ENTRY;
	eh->e_phoff = EB_PH_OFF;
	eh->e_shoff = EB_SH_OFF;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = EB_NSH;
}

static inline void eb_abi_note(struct eb *b)
{
	*eb_nhdr(b) = (Elf64_Nhdr){ .n_namesz = 4,
				    .n_descsz = sizeof(struct vmm_abi_note),
				    .n_type = VMM_NOTE_ABI };
	memcpy(eb_note_name(b), "vmm", 4);
	*eb_note(b) = (struct vmm_abi_note){ .version = VMM_ABI_VERSION,
					     .syscall_entry = EB_SYSCALL,
					     .fault_entry = EB_FAULT,
					     .boot_record = EB_BOOTREC };
}

static inline void eb_sym_set(struct eb *b, int i, uint32_t name, int bind, int type,
			      uint64_t value, uint64_t size)
{
	*eb_sym(b, i) = (Elf64_Sym){ .st_name = name,
				     .st_info = ELF64_ST_INFO(bind, type),
				     .st_shndx = type == STT_FILE ? SHN_ABS : 1,
				     .st_value = value,
				     .st_size = size };
}

/*
 * .symtab: two object files, each with a local function, plus globals, an
 * unsized assembly label and a data object (which must be ignored).
 */
enum {
	EB_S_START_C = 1,
	EB_S_LOCAL_A = 9,
	EB_S_START = 17,
	EB_S_MAIN = 24,
	EB_S_STUB = 29,
	EB_S_DATA = 34,
	EB_S_OTHER_C = 39,
	EB_S_LOCAL_B = 47
};

static inline void eb_symbols(struct eb *b)
{
	static const char strtab[EB_STR_SIZE] =
	    "\0start.c\0local_a\0_start\0main\0stub\0data\0other.c\0local_b";

	eb_sym_set(b, 1, EB_S_START_C, STB_LOCAL, STT_FILE, 0, 0);
	eb_sym_set(b, 2, EB_S_LOCAL_A, STB_LOCAL, STT_FUNC, EB_TEXT + 0x100, 0x20);
	eb_sym_set(b, 3, EB_S_OTHER_C, STB_LOCAL, STT_FILE, 0, 0);
	eb_sym_set(b, 4, EB_S_LOCAL_B, STB_LOCAL, STT_FUNC, EB_TEXT + 0x500, 0x10);
	eb_sym_set(b, 5, EB_S_START, STB_GLOBAL, STT_FUNC, EB_TEXT, 0x40);
	eb_sym_set(b, 6, EB_S_MAIN, STB_GLOBAL, STT_FUNC, EB_TEXT + 0x200, 0x100);
	eb_sym_set(b, 7, EB_S_STUB, STB_GLOBAL, STT_FUNC, EB_TEXT + 0x400, 0);
	eb_sym_set(b, 8, EB_S_DATA, STB_GLOBAL, STT_OBJECT, EB_DATA, 8);
	memcpy(b->buf + EB_STR_OFF, strtab, EB_STR_SIZE);
	*eb_shdr(b, 1) = (Elf64_Shdr){ .sh_type = SHT_SYMTAB,
				       .sh_offset = EB_SYM_OFF,
				       .sh_size = EB_NSYMS * sizeof(Elf64_Sym),
				       .sh_link = 2,
				       .sh_info = 5,
				       .sh_entsize = sizeof(Elf64_Sym) };
	*eb_shdr(b, 2) =
	    (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = EB_STR_OFF, .sh_size = EB_STR_SIZE };
}

/* A valid image: R+X text, R+W data with bss, the ABI note, a symbol table. */
static inline struct eb eb_build(void)
{
	struct eb b = { calloc(1, EB_CAP), EB_LEN };

	if (!b.buf)
		abort();
	eb_header(&b);
	eb_ph(&b, 0, PT_LOAD, PF_R | PF_X, EB_TEXT_OFF, EB_TEXT, EB_TEXT_SIZE, EB_TEXT_SIZE);
	eb_ph(&b, 1, PT_LOAD, PF_R | PF_W, EB_DATA_OFF, EB_DATA, EB_DATA_FILESZ, EB_DATA_MEMSZ);
	eb_ph(&b, 2, PT_NOTE, PF_R, EB_NOTE_OFF, 0, EB_NOTE_SIZE, EB_NOTE_SIZE);
	eb_abi_note(&b);
	eb_symbols(&b);
	/* Recognisable contents, so a copy can be checked byte for byte. */
	for (size_t i = EB_TEXT_OFF; i < EB_LEN; i++)
		b.buf[i] = (uint8_t)(i * 7 + 1);
	return b;
}

/*
 * A field to overwrite, as (file offset, size): the broken variants in the
 * tests are tables of these rather than one function each.
 */
struct eb_patch {
	size_t off, size;
	uint64_t value;
};

#define EB_FIELD(type, base, f) (base) + offsetof(type, f), sizeof(((type *)0)->f)
#define EB_EH(f)		EB_FIELD(Elf64_Ehdr, 0, f)
#define EB_PH(i, f)		EB_FIELD(Elf64_Phdr, EB_PH_OFF + (i) * sizeof(Elf64_Phdr), f)
#define EB_SH(i, f)		EB_FIELD(Elf64_Shdr, EB_SH_OFF + (i) * sizeof(Elf64_Shdr), f)
#define EB_SYM(i, f)		EB_FIELD(Elf64_Sym, EB_SYM_OFF + (i) * sizeof(Elf64_Sym), f)
#define EB_NH(f)		EB_FIELD(Elf64_Nhdr, EB_NOTE_OFF, f)
#define EB_NAME			EB_NOTE_OFF + sizeof(Elf64_Nhdr), 4
#define EB_NOTE(f)		EB_FIELD(struct vmm_abi_note, EB_NOTE_OFF + sizeof(Elf64_Nhdr) + 4, f)

/* Applies patches up to the first of size 0; values are stored little-endian. */
static inline void eb_apply(struct eb *b, const struct eb_patch *p, int n)
{
	for (int i = 0; i < n && p[i].size; i++)
		for (size_t k = 0; k < p[i].size; k++)
			b->buf[p[i].off + k] = (uint8_t)(p[i].value >> (8 * k));
}

static inline void eb_free(struct eb *b)
{
	free(b->buf);
	b->buf = NULL;
}

#endif
