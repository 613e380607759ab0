/* test_elf.c: elf_parse accepts a minimal vmm image and rejects each way to break it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "elf_builder.h"
#include "elf_load.h"

#define LIMIT (8ULL << 20)

static int parse(struct eb *b, struct elf_image *img, char *why, size_t n)
{
	return elf_parse(b->buf, b->len, LIMIT, img, why, n);
}

static void check_seg(const struct elf_segment *s, uint64_t addr, uint64_t memsz, uint64_t off,
		      uint64_t filesz, uint32_t flags)
{
	assert_int_equal(s->addr, addr);
	assert_int_equal(s->memsz, memsz);
	assert_int_equal(s->offset, off);
	assert_int_equal(s->filesz, filesz);
	assert_int_equal(s->flags, flags);
}

static void test_valid(void **state)
{
	struct eb b = eb_build();
	struct elf_image img;
	char why[160] = "";

	(void)state;
	if (parse(&b, &img, why, sizeof(why)))
		fail_msg("valid image rejected: %s", why);
	assert_int_equal(img.entry, EB_ENTRY);
	assert_int_equal(img.nseg, 2);
	/* memsz comes back rounded up to whole pages: what gets mapped. */
	check_seg(&img.seg[0], EB_TEXT, EB_TEXT_SIZE, EB_TEXT_OFF, EB_TEXT_SIZE, PF_R | PF_X);
	check_seg(&img.seg[1], EB_DATA, 0x2000, EB_DATA_OFF, EB_DATA_FILESZ, PF_R | PF_W);
	assert_int_equal(img.end, EB_DATA + 0x2000);
	assert_int_equal(img.note.version, VMM_ABI_VERSION);
	assert_int_equal(img.note.syscall_entry, EB_SYSCALL);
	assert_int_equal(img.note.fault_entry, EB_FAULT);
	assert_int_equal(img.note.boot_record, EB_BOOTREC);
	eb_free(&b);
}

/* Variants that must still pass: unsorted headers, an empty PT_LOAD, a foreign note first. */
static void test_valid_variants(void **state)
{
	struct eb b = eb_build();
	Elf64_Phdr text = *eb_phdr(&b, 0);
	struct elf_image img;
	char why[160] = "";

	(void)state;
	*eb_phdr(&b, 0) = *eb_phdr(&b, 1);
	*eb_phdr(&b, 1) = text;
	eb_ph(&b, 3, PT_LOAD, PF_R, 0, 0, 0, 0); /* like PT_TLS: nothing to load */
	/* Right before ours in the same PT_NOTE: a note like it but for owner "GNU". */
	memcpy(b.buf + EB_NOTE_OFF - EB_NOTE_SIZE, b.buf + EB_NOTE_OFF, EB_NOTE_SIZE);
	memcpy(b.buf + EB_NOTE_OFF - EB_NOTE_SIZE + sizeof(Elf64_Nhdr), "GNU", 4);
	memset(b.buf + EB_NOTE_OFF - sizeof(struct vmm_abi_note), 0, sizeof(struct vmm_abi_note));
	eb_ph(&b, 2, PT_NOTE, PF_R, EB_NOTE_OFF - EB_NOTE_SIZE, 0, 2 * EB_NOTE_SIZE, 0);
	eb_ehdr(&b)->e_phnum = 4;
	if (parse(&b, &img, why, sizeof(why)))
		fail_msg("rejected: %s", why);
	assert_int_equal(img.nseg, 2);
	assert_int_equal(img.seg[0].addr, EB_DATA);
	assert_int_equal(img.note.fault_entry, EB_FAULT);
	/* A limit right at the (page-rounded) end of the data is enough. */
	assert_int_equal(elf_parse(b.buf, b.len, EB_DATA + 0x2000, &img, why, sizeof(why)), 0);
	assert_int_equal(elf_parse(b.buf, b.len, EB_DATA + 0x1000, &img, why, sizeof(why)), -1);
	eb_free(&b);
}

static void test_in_segment(void **state)
{
	struct eb b = eb_build();
	struct elf_image img;
	char why[160];

	(void)state;
	assert_int_equal(parse(&b, &img, why, sizeof(why)), 0);
	assert_true(elf_in_segment(&img, EB_TEXT, 1, PF_X));
	assert_true(elf_in_segment(&img, EB_TEXT, EB_TEXT_SIZE, PF_R | PF_X));
	assert_false(elf_in_segment(&img, EB_TEXT, EB_TEXT_SIZE + 1, PF_X));
	assert_false(elf_in_segment(&img, EB_TEXT + EB_TEXT_SIZE - 1, 2, PF_X));
	assert_false(elf_in_segment(&img, EB_DATA, 1, PF_X));
	assert_true(elf_in_segment(&img, EB_DATA + 0x1ff0, 16, PF_W));
	assert_false(elf_in_segment(&img, EB_TEXT - 1, 1, 0));
	assert_false(elf_in_segment(&img, UINT64_MAX, 2, 0));
	assert_false(elf_in_segment(&img, EB_TEXT + 8, UINT64_MAX, 0));
	eb_free(&b);
}

static void test_copy(void **state)
{
	struct eb b = eb_build();
	struct elf_image img;
	uint8_t *mem = malloc(LIMIT);
	char why[160];

	(void)state;
	assert_non_null(mem);
	memset(mem, 0xaa, LIMIT);
	assert_int_equal(parse(&b, &img, why, sizeof(why)), 0);
	elf_copy(&img, b.buf, mem);
	assert_memory_equal(mem + EB_TEXT, b.buf + EB_TEXT_OFF, EB_TEXT_SIZE);
	assert_memory_equal(mem + EB_DATA, b.buf + EB_DATA_OFF, EB_DATA_FILESZ);
	/* bss is zeroed up to the page end, and nothing beyond is touched. */
	for (uint64_t a = EB_DATA + EB_DATA_FILESZ; a < EB_DATA + 0x2000; a++)
		assert_int_equal(mem[a], 0);
	assert_int_equal(mem[EB_DATA + 0x2000], 0xaa);
	assert_int_equal(mem[EB_TEXT - 1], 0xaa);
	free(mem);
	eb_free(&b);
}

/* Every prefix fails; each is copied to an exact-size buffer so ASan sees overreads. */
static void test_truncated(void **state)
{
	struct eb b = eb_build();
	size_t phend = EB_PH_OFF + 3 * sizeof(Elf64_Phdr);
	struct elf_image img;
	char why[160];

	(void)state;
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *p = malloc(len ? len : 1);
		const char *want = len < SELFMAG	      ? "not an ELF"
				   : len < sizeof(Elf64_Ehdr) ? "truncated ELF header"
				   : len < phend	      ? "truncated program header"
							      : "";

		assert_non_null(p);
		memcpy(p, b.buf, len);
		why[0] = 0;
		if (elf_parse(p, len, LIMIT, &img, why, sizeof(why)) != -1)
			fail_msg("a %zu-byte prefix was accepted", len);
		if (!why[0] || !strstr(why, want))
			fail_msg("length %zu: reason '%s', want '%s'", len, why, want);
		free(p);
	}
	eb_free(&b);
}

static void test_short_why(void **state)
{
	struct eb b = eb_build();
	struct elf_image img;
	char why[8];

	(void)state;
	memset(why, 'x', sizeof(why));
	eb_ehdr(&b)->e_machine = EM_AARCH64;
	assert_int_equal(parse(&b, &img, why, sizeof(why)), -1);
	assert_string_equal(why, "not an ");
	eb_free(&b);
}

/* ELF_MAX_SEGMENTS loads are fine; one more is rejected. */
static void test_too_many_loads(void **state)
{
	struct eb b = eb_build();
	struct elf_image img;
	char why[160] = "";
	int n = 3 + ELF_MAX_SEGMENTS - 1;

	(void)state;
	for (int i = 3; i < n; i++)
		eb_ph(&b, i, PT_LOAD, PF_R, 0, 0x200000 + 0x1000 * (uint64_t)i, 0, 0x1000);
	eb_ehdr(&b)->e_phnum = (Elf64_Half)(n - 1);
	assert_int_equal(parse(&b, &img, why, sizeof(why)), 0);
	assert_int_equal(img.nseg, ELF_MAX_SEGMENTS);
	eb_ehdr(&b)->e_phnum = (Elf64_Half)n;
	assert_int_equal(parse(&b, &img, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "too many"));
	eb_free(&b);
}

/* One broken variant per case: up to two fields to change, and a word the reason must contain. */
struct bad {
	const char *keyword;
	struct eb_patch p[2];
};

static void run_bad(void **state)
{
	const struct bad *c = *state;
	struct eb b = eb_build();
	struct elf_image img;
	char why[160] = "";

	eb_apply(&b, c->p, 2);
	assert_int_equal(parse(&b, &img, why, sizeof(why)), -1);
	if (!strstr(why, c->keyword))
		fail_msg("reason '%s' lacks '%s'", why, c->keyword);
	eb_free(&b);
}

/* clang-format would take the braces in these macros for blocks. */
/* clang-format off */
#define BAD(name, kw, ...) { #name, run_bad, NULL, NULL, &(struct bad){ kw, { __VA_ARGS__ } } }
/* Moves segment i to a (virtual and physical address). */
#define MOVE(i, a) { EB_PH(i, p_vaddr), a }, { EB_PH(i, p_paddr), a }
/* clang-format on */
#define TOP_PAGE 0xfffffffffffff000ULL

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_valid_variants),
		cmocka_unit_test(test_in_segment),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_short_why),
		cmocka_unit_test(test_too_many_loads),
		BAD(not_elf, "not an ELF", { EB_EH(e_ident[0]), 0 }),
		BAD(wrong_class, "64-bit", { EB_EH(e_ident[EI_CLASS]), ELFCLASS32 }),
		BAD(big_endian, "encoding", { EB_EH(e_ident[EI_DATA]), ELFDATA2MSB }),
		BAD(wrong_machine, "x86-64", { EB_EH(e_machine), EM_386 }),
		BAD(type_dyn, "static executable", { EB_EH(e_type), ET_DYN }),
		BAD(bad_phentsize, "header sizes", { EB_EH(e_phentsize), 32 }),
		BAD(bad_ehsize, "header sizes", { EB_EH(e_ehsize), 52 }),
		BAD(phnum_0, "program header count", { EB_EH(e_phnum), 0 }),
		BAD(phnum_65, "program header count", { EB_EH(e_phnum), 65 }),
		BAD(phoff_past_end, "truncated program header", { EB_EH(e_phoff), EB_LEN }),
		BAD(phoff_wraps, "truncated program header", { EB_EH(e_phoff), UINT64_MAX - 8 }),
		BAD(seg_past_eof, "out of bounds", { EB_PH(1, p_offset), EB_LEN - 0x80 }),
		BAD(seg_off_wraps, "out of bounds", { EB_PH(0, p_offset), UINT64_MAX - 0x100 }),
		BAD(filesz_gt_memsz, "segment at 0x100000", { EB_PH(0, p_memsz), 0x800 }),
		BAD(overlap_same, "overlap", MOVE(1, EB_TEXT)),
		BAD(overlap_rounded, "overlap", { EB_PH(0, p_memsz), EB_TEXT_SIZE + 1 }),
		BAD(beyond_limit, "guest RAM", MOVE(1, LIMIT - 0x1000)),
		BAD(below_base, "guest RAM", MOVE(0, VMM_IMAGE_BASE - 0x1000)),
		BAD(addr_wraps, "guest RAM", MOVE(1, TOP_PAGE)),
		BAD(wx_segment, "writable and executable",
		    { EB_PH(1, p_flags), PF_R | PF_W | PF_X }),
		BAD(unaligned, "page-aligned", MOVE(1, EB_DATA + 0x10)),
		BAD(not_identity, "identity", { EB_PH(1, p_paddr), 0x200000 }),
		BAD(no_loads, "no loadable", { EB_PH(0, p_type), 0 }, { EB_PH(1, p_type), 0 }),
		BAD(no_note, "ABI note", { EB_PH(2, p_type), PT_NULL }),
		BAD(note_cut, "ABI note", { EB_PH(2, p_filesz), EB_NOTE_SIZE - 4 }),
		BAD(note_past_eof, "ABI note", { EB_PH(2, p_offset), EB_LEN - 8 }),
		BAD(note_owner, "ABI note", { EB_NAME, 0x006e6578 }), /* "xen" */
		BAD(note_namesz, "ABI note", { EB_NH(n_namesz), 3 }),
		BAD(note_type, "ABI note", { EB_NH(n_type), 2 }),
		BAD(note_descsz, "ABI note", { EB_NH(n_descsz), 24 }),
		BAD(abi_version, "ABI version", { EB_NOTE(version), VMM_ABI_VERSION + 1 }),
		BAD(syscall_in_data, "entry stubs", { EB_NOTE(syscall_entry), EB_DATA + 0x10 }),
		BAD(syscall_low, "entry stubs", { EB_NOTE(syscall_entry), 0x50000 }),
		BAD(fault_cut, "entry stubs", { EB_NOTE(fault_entry), EB_TEXT + 0xf00 }),
		BAD(bootrec_in_text, "boot record", { EB_NOTE(boot_record), EB_TEXT + 0x100 }),
		BAD(bootrec_cut, "boot record", { EB_NOTE(boot_record), EB_DATA + 0x2000 - 8 }),
		BAD(entry_in_data, "entry point", { EB_EH(e_entry), EB_DATA }),
		BAD(entry_zero, "entry point", { EB_EH(e_entry), 0 }),
		BAD(interp, "dynamic", { EB_PH(3, p_type), PT_INTERP }, { EB_EH(e_phnum), 4 }),
		BAD(dynamic, "dynamic", { EB_PH(3, p_type), PT_DYNAMIC }, { EB_EH(e_phnum), 4 }),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
