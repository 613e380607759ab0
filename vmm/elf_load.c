/* elf_load.c: validate a vmm image's ELF headers; every field is untrusted. */
#include "elf_load.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elf_sections.h"

#define PAGE 4096ULL

static int reject(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_ehdr(const Elf64_Ehdr *eh, size_t len, char *why, size_t n)
{
	if (len < SELFMAG || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return reject(why, n, "not an ELF file");
	if (len < sizeof(*eh))
		return reject(why, n, "truncated ELF header");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return reject(why, n, "not a 64-bit ELF file");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT ||
	    eh->e_version != EV_CURRENT)
		return reject(why, n, "unsupported ELF encoding or version");
	if (eh->e_machine != EM_X86_64)
		return reject(why, n, "not an x86-64 image (machine %u)", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return reject(why, n, "not a static executable (type %u)", eh->e_type);
	if (eh->e_ehsize != sizeof(*eh) || eh->e_phentsize != sizeof(Elf64_Phdr))
		return reject(why, n, "bad ELF header sizes");
	if (eh->e_phnum == 0 || eh->e_phnum > 64)
		return reject(why, n, "bad program header count %u", eh->e_phnum);
	if (!elf_in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
		return reject(why, n, "truncated program header table");
	return 0;
}

static int add_load(struct elf_image *img, const Elf64_Phdr *ph, size_t len, uint64_t limit,
		    char *why, size_t n)
{
	struct elf_segment *s;
	uint64_t end;

	if (ph->p_filesz > ph->p_memsz)
		return reject(why, n, "segment at %#llx: file size exceeds memory size",
			      (unsigned long long)ph->p_vaddr);
	if (!elf_in_file(ph->p_offset, ph->p_filesz, len))
		return reject(why, n, "segment at %#llx: file range out of bounds",
			      (unsigned long long)ph->p_vaddr);
	if (ph->p_vaddr != ph->p_paddr || ph->p_vaddr % PAGE)
		return reject(why, n, "segment at %#llx: not page-aligned or not identity-mapped",
			      (unsigned long long)ph->p_vaddr);
	if (__builtin_add_overflow(ph->p_vaddr, ph->p_memsz, &end) ||
	    ph->p_vaddr < VMM_IMAGE_BASE || end > limit)
		return reject(why, n, "segment at %#llx (%#llx bytes) does not fit in guest RAM",
			      (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz);
	if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
		return reject(why, n, "segment at %#llx is writable and executable",
			      (unsigned long long)ph->p_vaddr);
	if (img->nseg == ELF_MAX_SEGMENTS)
		return reject(why, n, "too many loadable segments");
	end = (end + PAGE - 1) & ~(PAGE - 1);
	for (int i = 0; i < img->nseg; i++)
		if (ph->p_vaddr < img->seg[i].addr + img->seg[i].memsz && img->seg[i].addr < end)
			return reject(why, n, "segments at %#llx and %#llx overlap",
				      (unsigned long long)img->seg[i].addr,
				      (unsigned long long)ph->p_vaddr);
	s = &img->seg[img->nseg++];
	*s = (struct elf_segment){ ph->p_vaddr, end - ph->p_vaddr, ph->p_offset, ph->p_filesz,
				   ph->p_flags };
	if (end > img->end)
		img->end = end;
	return 0;
}

/* Walks a PT_NOTE segment for the vmm ABI note; 1 if found and copied. */
static int find_note(struct elf_image *img, const uint8_t *buf, const Elf64_Phdr *ph)
{
	uint64_t off = 0;

	while (off + sizeof(Elf64_Nhdr) <= ph->p_filesz) {
		Elf64_Nhdr nh;
		uint64_t name, desc, next;

		memcpy(&nh, buf + ph->p_offset + off, sizeof(nh));
		name = off + sizeof(nh);
		desc = name + ((nh.n_namesz + 3ULL) & ~3ULL);
		next = desc + ((nh.n_descsz + 3ULL) & ~3ULL);
		if (next > ph->p_filesz)
			return 0;
		if (nh.n_type == VMM_NOTE_ABI && nh.n_namesz == sizeof(VMM_NOTE_OWNER) &&
		    !memcmp(buf + ph->p_offset + name, VMM_NOTE_OWNER, sizeof(VMM_NOTE_OWNER)) &&
		    nh.n_descsz == sizeof(img->note)) {
			memcpy(&img->note, buf + ph->p_offset + desc, sizeof(img->note));
			return 1;
		}
		off = next;
	}
	return 0;
}

int elf_in_segment(const struct elf_image *img, uint64_t addr, uint64_t len, uint32_t flags)
{
	for (int i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];

		if ((s->flags & flags) == flags && addr >= s->addr && len <= s->memsz &&
		    addr - s->addr <= s->memsz - len)
			return 1;
	}
	return 0;
}

static int check_note(const struct elf_image *img, int found, char *why, size_t n)
{
	const struct vmm_abi_note *note = &img->note;

	if (!found)
		return reject(why, n, "no vmm ABI note (not built for vmm?)");
	if (note->version != VMM_ABI_VERSION)
		return reject(why, n, "ABI version %u, this vmm runs version %u", note->version,
			      VMM_ABI_VERSION);
	if (!elf_in_segment(img, note->syscall_entry, 1, PF_X) ||
	    !elf_in_segment(img, note->fault_entry, VMM_FAULT_STUB_SIZE * VMM_FAULT_VECTORS, PF_X))
		return reject(why, n, "ABI note: entry stubs outside the code");
	if (!elf_in_segment(img, note->boot_record, sizeof(struct vmm_boot_record), PF_W))
		return reject(why, n, "ABI note: boot record outside the data");
	return 0;
}

int elf_parse(const uint8_t *buf, size_t len, uint64_t limit, struct elf_image *img, char *why,
	      size_t whylen)
{
	Elf64_Ehdr eh = { 0 };
	int found = 0;

	memset(img, 0, sizeof(*img));
	memcpy(&eh, buf, len < sizeof(eh) ? len : sizeof(eh));
	if (check_ehdr(&eh, len, why, whylen))
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			return reject(why, whylen, "dynamically linked");
		if (ph.p_type == PT_LOAD && ph.p_memsz &&
		    add_load(img, &ph, len, limit, why, whylen))
			return -1;
		if (ph.p_type == PT_NOTE && elf_in_file(ph.p_offset, ph.p_filesz, len) && !found)
			found = find_note(img, buf, &ph);
	}
	if (!img->nseg)
		return reject(why, whylen, "no loadable segments");
	img->entry = eh.e_entry;
	if (!elf_in_segment(img, img->entry, 1, PF_X))
		return reject(why, whylen, "entry point %#llx is not in executable code",
			      (unsigned long long)img->entry);
	return check_note(img, found, why, whylen);
}

void elf_copy(const struct elf_image *img, const uint8_t *buf, uint8_t *mem)
{
	for (int i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];

		memcpy(mem + s->addr, buf + s->offset, s->filesz);
		memset(mem + s->addr + s->filesz, 0, s->memsz - s->filesz);
	}
}
