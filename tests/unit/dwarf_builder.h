/* dwarf_builder.h: .debug_line units assembled by hand, in a minimal ELF, for tests to break. */
#ifndef TESTS_DWARF_BUILDER_H
#define TESTS_DWARF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	DW_LNS_copy = 1,
	DW_LNS_advance_pc,
	DW_LNS_advance_line,
	DW_LNS_set_file,
	DW_LNS_set_column,
	DW_LNS_negate_stmt,
	DW_LNS_set_basic_block,
	DW_LNS_const_add_pc,
	DW_LNS_fixed_advance_pc,
	DW_LNS_set_prologue_end,
	DW_LNS_set_epilogue_begin,
	DW_LNS_set_isa,
	DW_LNE_end_sequence = 1,
	DW_LNE_set_address,
	DW_LNE_define_file,
	DW_LNE_set_discriminator,
	DW_LNCT_path = 1,
	DW_LNCT_directory_index,
	DW_LNCT_timestamp,
	DW_LNCT_size,
	DW_LNCT_MD5,
	DW_FORM_addr = 0x01,
	DW_FORM_block = 0x09,
	DW_FORM_data1 = 0x0b,
	DW_FORM_data2 = 0x05,
	DW_FORM_data4 = 0x06,
	DW_FORM_data8 = 0x07,
	DW_FORM_data16 = 0x1e,
	DW_FORM_string = 0x08,
	DW_FORM_strp = 0x0e,
	DW_FORM_udata = 0x0f,
	DW_FORM_line_strp = 0x1f,
	DW_FORM_strx1 = 0x25,
};

/* A growing byte buffer. Out of memory aborts: tests and fuzzers have no better answer. */
struct db {
	uint8_t *p;
	size_t n, cap;
};

static inline void db_bytes(struct db *b, const void *src, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = 2 * (b->n + n) + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p + b->n, src, n);
	b->n += n;
}

/* Little-endian, like the images vmm runs. */
static inline void db_int(struct db *b, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++) {
		uint8_t byte = (uint8_t)(v >> (8 * i));

		db_bytes(b, &byte, 1);
	}
}

static inline void db_put(struct db *b, size_t off, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		b->p[off + i] = (uint8_t)(v >> (8 * i));
}

static inline void db_uleb(struct db *b, uint64_t v)
{
	do {
		db_int(b, (v & 0x7f) | (v > 0x7f ? 0x80 : 0), 1);
		v >>= 7;
	} while (v);
}

static inline void db_sleb(struct db *b, int64_t v)
{
	int more;

	do {
		uint8_t byte = v & 0x7f;

		v >>= 7; /* arithmetic on gcc and clang */
		more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
		db_int(b, byte | (more ? 0x80 : 0), 1);
	} while (more);
}

/* A standard opcode and its operand, for those that take one. */
static inline void db_op(struct db *b, uint8_t op, int64_t arg)
{
	db_int(b, op, 1);
	if (op == DW_LNS_advance_line)
		db_sleb(b, arg);
	else if (op == DW_LNS_fixed_advance_pc)
		db_int(b, (uint64_t)arg, 2);
	else if (op == DW_LNS_advance_pc || op == DW_LNS_set_file || op == DW_LNS_set_column ||
		 op == DW_LNS_set_isa)
		db_uleb(b, (uint64_t)arg);
}

/* Appends s with its NUL; returns its offset, for string tables. */
static inline uint32_t db_str(struct db *b, const char *s)
{
	size_t off = b->n;

	db_bytes(b, s, strlen(s) + 1);
	return (uint32_t)off;
}

static inline void db_free(struct db *b)
{
	free(b->p);
	*b = (struct db){ 0 };
}

/* Header fields a test may vary; db_unit() gives what GCC writes for x86-64. */
struct db_unit {
	unsigned version, offsize; /* offsize 8: 64-bit DWARF */
	uint8_t min_inst, max_ops;
	int8_t line_base;
	uint8_t line_range, opcode_base;
	size_t start, hlen_at; /* where unit_length and header_length go */
};

static inline struct db_unit db_unit(unsigned version)
{
	return (struct db_unit){ version, 4, 1, 1, -5, 14, 13, 0, 0 };
}

/* The header up to standard_opcode_lengths; the directory and file lists follow. */
static inline void db_begin(struct db *b, struct db_unit *u)
{
	static const uint8_t lens[12] = { 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 };

	u->start = b->n;
	if (u->offsize == 8)
		db_int(b, 0xffffffff, 4);
	db_int(b, 0, u->offsize); /* unit_length: db_end */
	db_int(b, u->version, 2);
	if (u->version >= 5) {
		db_int(b, 8, 1); /* address_size */
		db_int(b, 0, 1); /* seg_sel_size */
	}
	u->hlen_at = b->n;
	db_int(b, 0, u->offsize); /* header_length: db_program */
	db_int(b, u->min_inst, 1);
	if (u->version >= 4)
		db_int(b, u->max_ops, 1);
	db_int(b, 1, 1); /* default_is_stmt */
	db_int(b, (uint8_t)u->line_base, 1);
	db_int(b, u->line_range, 1);
	db_int(b, u->opcode_base, 1);
	for (unsigned op = 1; op < u->opcode_base; op++)
		db_int(b, op <= 12 ? lens[op - 1] : 1, 1);
}

/* DWARF 2-4 lists: directory names, then file names of directory 0; NULL ends each. */
static inline void db_v4_lists(struct db *b, const char *const *dirs, const char *const *files)
{
	for (; *dirs; dirs++)
		db_str(b, *dirs);
	db_int(b, 0, 1);
	for (; *files; files++) {
		db_str(b, *files);
		db_uleb(b, 0); /* directory, mtime, length */
		db_uleb(b, 0);
		db_uleb(b, 0);
	}
	db_int(b, 0, 1);
}

/* A DWARF 5 entry format: n pairs of content type and form. */
static inline void db_format(struct db *b, unsigned n, const uint16_t *pairs)
{
	db_int(b, n, 1);
	for (unsigned i = 0; i < 2 * n; i++)
		db_uleb(b, pairs[i]);
}

/* DWARF 5 lists as GCC writes them: .debug_line_str offsets, a directory index and MD5. */
static inline void db_v5_lists(struct db *b, const uint32_t *dirs, int ndirs, const uint32_t *files,
			       int nfiles)
{
	static const uint8_t md5[16];
	static const uint16_t dir_format[] = { DW_LNCT_path, DW_FORM_line_strp };
	static const uint16_t file_format[] = {
		DW_LNCT_path,  DW_FORM_line_strp, DW_LNCT_directory_index,
		DW_FORM_udata, DW_LNCT_MD5,	  DW_FORM_data16
	};

	db_format(b, 1, dir_format);
	db_uleb(b, (uint64_t)ndirs);
	for (int i = 0; i < ndirs; i++)
		db_int(b, dirs[i], 4);
	db_format(b, 3, file_format);
	db_uleb(b, (uint64_t)nfiles);
	for (int i = 0; i < nfiles; i++) {
		db_int(b, files[i], 4);
		db_uleb(b, 0);
		db_bytes(b, md5, sizeof(md5));
	}
}

/* The lists end here: the line number program starts. */
static inline void db_program(struct db *b, const struct db_unit *u)
{
	db_put(b, u->hlen_at, b->n - u->hlen_at - u->offsize, u->offsize);
}

static inline void db_end(struct db *b, const struct db_unit *u)
{
	size_t at = u->start + (u->offsize == 8 ? 4 : 0);

	db_put(b, at, b->n - at - u->offsize, u->offsize);
}

/* A special opcode advancing addr and line; aborts if none encodes them. */
static inline void db_special(struct db *b, const struct db_unit *u, unsigned addr, int line)
{
	int op = line - u->line_base + u->line_range * (int)addr + u->opcode_base;

	if (line < u->line_base || line >= u->line_base + u->line_range || op > 255)
		abort();
	db_int(b, (uint64_t)op, 1);
}

static inline void db_ext(struct db *b, uint8_t op, uint64_t len)
{
	db_int(b, 0, 1);
	db_uleb(b, len);
	db_int(b, op, 1);
}

static inline void db_set_address(struct db *b, uint64_t addr)
{
	db_ext(b, DW_LNE_set_address, 9);
	db_int(b, addr, 8);
}

static inline void db_end_sequence(struct db *b)
{
	db_ext(b, DW_LNE_end_sequence, 1);
}

/* Sections for db_elf(): name and contents. */
struct db_sect {
	const char *name;
	const void *data;
	size_t size;
};

#define DB_MAX_SECT 8

/*
 * An ELF file of .shstrtab and the sections: the header, the section headers,
 * .shstrtab, then the contents in order, so the last section ends the file.
 * The buffer is malloc'd at the exact size, so ASan sees reads past its end.
 */
static inline uint8_t *db_elf(const struct db_sect *s, int n, size_t *len)
{
	Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT };
	Elf64_Shdr sh[DB_MAX_SECT + 2] = { { 0 } };
	struct db names = { 0 }, out = { 0 };
	size_t off = sizeof(eh) + (size_t)(n + 2) * sizeof(Elf64_Shdr);
	uint8_t *img;

	if (n > DB_MAX_SECT)
		abort();
	db_int(&names, 0, 1);
	for (int i = 0; i < n; i++)
		sh[i + 1].sh_name = db_str(&names, s[i].name);
	sh[n + 1].sh_name = db_str(&names, ".shstrtab");
	sh[n + 1] = (Elf64_Shdr){ .sh_name = sh[n + 1].sh_name,
				  .sh_type = SHT_STRTAB,
				  .sh_offset = off,
				  .sh_size = names.n };
	off += names.n;
	for (int i = 0; i < n; i++) {
		sh[i + 1].sh_type = SHT_PROGBITS;
		sh[i + 1].sh_offset = off;
		sh[i + 1].sh_size = s[i].size;
		off += s[i].size;
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = sizeof(eh);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = (uint16_t)(n + 2);
	eh.e_shstrndx = (uint16_t)(n + 1);
	db_bytes(&out, &eh, sizeof(eh));
	db_bytes(&out, sh, (size_t)(n + 2) * sizeof(Elf64_Shdr));
	db_bytes(&out, names.p, names.n);
	for (int i = 0; i < n; i++)
		db_bytes(&out, s[i].data, s[i].size);
	*len = out.n;
	img = malloc(out.n);
	if (!img)
		abort();
	memcpy(img, out.p, out.n);
	db_free(&out);
	db_free(&names);
	return img;
}

/* The usual image: .debug_str, .debug_line_str, then .debug_line last. */
static inline uint8_t *db_image(const struct db *line, const struct db *line_str,
				const struct db *str, size_t *len)
{
	struct db_sect s[3] = { { ".debug_str", str ? str->p : NULL, str ? str->n : 0 },
				{ ".debug_line_str", line_str ? line_str->p : NULL,
				  line_str ? line_str->n : 0 },
				{ ".debug_line", line->p, line->n } };

	return db_elf(s, 3, len);
}

#endif
