/* dwarf_line.c: DWARF 2-5 line programs of an untrusted ELF image, run into a sorted table. */
#include "dwarf_line.h"

#include <stdlib.h>
#include <string.h>

#include "dwarf_cursor.h"
#include "elf_sections.h"

enum {
	DW_LNS_copy = 1,
	DW_LNS_advance_pc = 2,
	DW_LNS_advance_line = 3,
	DW_LNS_set_file = 4,
	DW_LNS_const_add_pc = 8,
	DW_LNS_fixed_advance_pc = 9,
	DW_LNE_end_sequence = 1,
	DW_LNE_set_address = 2,
	DW_LNE_define_file = 3,
	DW_LNCT_path = 1,
	DW_FORM_string = 0x08,
	DW_FORM_strp = 0x0e,
	DW_FORM_line_strp = 0x1f,
};

/*
 * How to step over the other forms a DWARF 5 entry may use: a byte count, a
 * LEB128, or a block (a length of that many bytes, or a LEB128 if 0, then the
 * data). strx* need the string offsets of a compilation unit, which the line
 * table does not name: those files read as "??".
 */
#define F_LEB	0x40
#define F_BLOCK 0x80
static const uint8_t form_size[] = {
	[0x03] = F_BLOCK | 2, /* block2 */
	[0x04] = F_BLOCK | 4, /* block4 */
	[0x05] = 2,	      /* data2 */
	[0x06] = 4,	      /* data4 */
	[0x07] = 8,	      /* data8 */
	[0x09] = F_BLOCK,     /* block */
	[0x0a] = F_BLOCK | 1, /* block1 */
	[0x0b] = 1,	      /* data1 */
	[0x0d] = F_LEB,	      /* sdata */
	[0x0f] = F_LEB,	      /* udata */
	[0x1a] = F_LEB,	      /* strx */
	[0x1e] = 16,	      /* data16 */
	[0x25] = 1,	      /* strx1 */
	[0x26] = 2,	      /* strx2 */
	[0x27] = 3,	      /* strx3 */
	[0x28] = 4,	      /* strx4 */
};

/* What one load carries between units. */
struct ld {
	struct line_table *lt;
	struct cur line, line_str, str; /* the sections; p is NULL when missing */
	size_t rows_cap, files_cap;
	int full; /* LINE_MAX_ROWS reached: later units are ignored */
};

/* One unit's header, as far as running its program needs it. */
struct unit {
	unsigned version, offsize, min_inst, max_ops, line_range, opcode_base;
	int line_base;
	const uint8_t *std_lens; /* operand counts of opcodes 1 .. opcode_base - 1 */
	struct cur prog;
	size_t file_base; /* where this unit's files start in lt->files */
};

/* A sequence's rows: rows[first] to its LINE_END row. */
struct seq {
	uint64_t lo;
	size_t first, n;
};

/* The state machine's registers that a row needs; seq is the open sequence's first row. */
struct regs {
	uint64_t addr, file;
	uint32_t line, op_index;
	size_t seq;
};

static struct cur section(const uint8_t *elf, const Elf64_Shdr *sh)
{
	return (struct cur){ elf + sh->sh_offset, elf + sh->sh_offset + sh->sh_size, 0 };
}

/* The sections by name; those missing stay empty. */
static void find_sections(struct ld *l, const uint8_t *elf, size_t len)
{
	static const char *const names[] = { ".debug_line", ".debug_line_str", ".debug_str" };
	struct cur *to[] = { &l->line, &l->line_str, &l->str };
	Elf64_Shdr sh;

	for (int i = 0; i < 3; i++)
		if (elf_section_named(elf, len, names[i], &sh))
			*to[i] = section(elf, &sh);
}

/* Reports keep to the last path component; an unnamed file reads as addr2line's "??". */
static int add_file(struct ld *l, const char *path)
{
	struct line_table *lt = l->lt;
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (lt->nfiles == LINE_MAX_ROWS)
		return 0; /* bounded like rows; indexes past the list read as LINE_NOFILE */
	if (lt->nfiles == l->files_cap) {
		size_t cap = l->files_cap ? 2 * l->files_cap : 64;
		const char **f = realloc(lt->files, cap * sizeof(*f));

		if (!f)
			return -1;
		lt->files = f;
		l->files_cap = cap;
	}
	lt->files[lt->nfiles++] = !path || !*path ? "??" : slash && slash[1] ? slash + 1 : path;
	return 0;
}

/* One attribute value of a DWARF 5 entry: the string if the form is a resolvable one. */
static const char *form_value(struct cur *c, const struct ld *l, unsigned offsize, uint64_t form)
{
	unsigned f = form < sizeof(form_size) ? form_size[form] : 0;
	uint64_t off;

	if (form == DW_FORM_string)
		return cstr(c);
	if (form == DW_FORM_strp || form == DW_FORM_line_strp) {
		off = get(c, offsize);
		return c->bad ? NULL : str_at(form == DW_FORM_strp ? &l->str : &l->line_str, off);
	}
	if (f == F_LEB)
		leb(c, 0);
	else if (f & F_BLOCK)
		skip(c, f == F_BLOCK ? leb(c, 0) : get(c, f & 7));
	else if (f)
		skip(c, f);
	else
		fail(c); /* the size of an unknown form is unknown: the rest is unreadable */
	return NULL;
}

/* A DWARF 5 directory or file list: its entry format, then the entries. */
static int entry_list(struct ld *l, const struct unit *u, struct cur *c, int files)
{
	unsigned nfmt = (unsigned)get(c, 1);
	struct cur fmt = *c;
	uint64_t count;

	for (unsigned i = 0; i < nfmt; i++) {
		leb(c, 0);
		leb(c, 0);
	}
	count = leb(c, 0);
	/* Entries of no attribute take no bytes: bound them by the header anyway. */
	if (c->bad || count > (uint64_t)(c->end - c->p)) {
		fail(c);
		return 0;
	}
	for (uint64_t k = 0; k < count && !c->bad; k++) {
		struct cur f = fmt;
		const char *path = NULL;

		for (unsigned i = 0; i < nfmt && !c->bad; i++) {
			uint64_t type = leb(&f, 0);
			const char *s = form_value(c, l, u->offsize, leb(&f, 0));

			if (type == DW_LNCT_path)
				path = s;
		}
		if (files && !c->bad && add_file(l, path))
			return -1;
	}
	return 0;
}

/*
 * DWARF 2-4: include_directories then file_names, each ended by an empty
 * name. Each name consumes a byte at least, or fails the cursor: these end.
 */
static int old_lists(struct ld *l, struct cur *c)
{
	const char *s;

	/* Only base names are reported, so directories are skipped. */
	while ((s = cstr(c)) && *s)
		;
	while ((s = cstr(c)) && *s) {
		leb(c, 0); /* directory index, mtime, length */
		leb(c, 0);
		leb(c, 0);
		if (!c->bad && add_file(l, s))
			return -1;
	}
	return 0;
}

/*
 * Reads a unit's header up to its lists and moves sec to the next unit.
 * 1: ok; 0: skip this unit; -1: the rest of the section cannot be found.
 */
static int unit_header(struct cur *sec, struct unit *u, struct cur *lists)
{
	uint64_t ulen = get(sec, 4), hlen;
	struct cur c;

	u->offsize = 4;
	if (ulen == 0xffffffff) { /* 64-bit DWARF */
		ulen = get(sec, 8);
		u->offsize = 8;
	} else if (ulen >= 0xfffffff0) {
		return -1; /* reserved */
	}
	if (sec->bad || ulen > (uint64_t)(sec->end - sec->p))
		return -1;
	c = (struct cur){ sec->p, sec->p + ulen, 0 };
	sec->p += ulen;
	u->version = (unsigned)get(&c, 2);
	if (u->version < 2 || u->version > 5)
		return 0;
	if (u->version >= 5)
		skip(&c, 2); /* address_size, seg_sel_size: set_address says its own size */
	hlen = get(&c, u->offsize);
	if (c.bad || hlen > (uint64_t)(c.end - c.p))
		return 0;
	u->prog = (struct cur){ c.p + hlen, c.end, 0 };
	c.end = c.p + hlen;
	u->min_inst = (unsigned)get(&c, 1);
	u->max_ops = u->version >= 4 ? (unsigned)get(&c, 1) : 1;
	get(&c, 1); /* default_is_stmt: addr2line reports rows whatever is_stmt says */
	u->line_base = (int8_t)get(&c, 1);
	u->line_range = (unsigned)get(&c, 1);
	u->opcode_base = (unsigned)get(&c, 1);
	u->std_lens = c.p;
	skip(&c, u->opcode_base ? u->opcode_base - 1 : 0);
	/* A line_range of 0 would divide by zero; opcode_base 0 leaves no room for opcode 0. */
	if (c.bad || !u->line_range || !u->opcode_base)
		return 0;
	if (!u->max_ops)
		u->max_ops = 1;
	*lists = c;
	return 1;
}

/*
 * Adds a row to the open sequence. Of rows at one address the last wins, as
 * in addr2line; a row that repeats the previous file and line adds nothing.
 */
static int add_row(struct ld *l, const struct regs *r, uint32_t file, uint32_t line)
{
	struct line_table *lt = l->lt;

	if (lt->n > r->seq && lt->rows[lt->n - 1].addr == r->addr)
		lt->n--;
	if (lt->n > r->seq && lt->rows[lt->n - 1].file == file && lt->rows[lt->n - 1].line == line)
		return 0;
	if (lt->n == LINE_MAX_ROWS) {
		l->full = 1;
		return 0;
	}
	if (lt->n == l->rows_cap) {
		size_t cap = l->rows_cap ? 2 * l->rows_cap : 1024;
		struct line_row *rows = realloc(lt->rows, cap * sizeof(*rows));

		if (!rows)
			return -1;
		lt->rows = rows;
		l->rows_cap = cap;
	}
	lt->rows[lt->n++] = (struct line_row){ r->addr, file, line };
	return 0;
}

/* The row for the registers: file numbers are 1-based before DWARF 5, 0-based since. */
static int emit(struct ld *l, const struct unit *u, const struct regs *r)
{
	uint64_t i = r->file - (u->version < 5); /* file 0 before DWARF 5 wraps: out of range */
	size_t have = l->lt->nfiles - u->file_base;

	if (i >= have)
		return add_row(l, r, LINE_NOFILE, r->line);
	return add_row(l, r, (uint32_t)(u->file_base + i), r->line);
}

static void reset(struct regs *r, size_t seq)
{
	*r = (struct regs){ .file = 1, .line = 1, .seq = seq };
}

static void advance(struct regs *r, const struct unit *u, uint64_t ops)
{
	uint64_t t = r->op_index + ops;

	/* VLIW (max_ops > 1) counts operations within an instruction; x86 never does. */
	r->addr += u->min_inst * (t / u->max_ops);
	r->op_index = (uint32_t)(t % u->max_ops);
}

static int end_sequence(struct ld *l, struct regs *r)
{
	if (add_row(l, r, LINE_END, 0))
		return -1;
	if (l->full)
		return 0; /* run() drops the unterminated sequence */
	if (l->lt->n == r->seq + 1)
		l->lt->n = r->seq; /* no row before the end: nothing to keep */
	reset(r, l->lt->n);
	return 0;
}

static int extended(struct ld *l, const struct unit *u, struct cur *c, struct regs *r)
{
	uint64_t len = leb(c, 0);
	struct cur e;
	const char *name;

	if (c->bad || len > (uint64_t)(c->end - c->p) || !len) {
		fail(c);
		return 0;
	}
	/* Whatever its operands hold, the next opcode is len bytes on. */
	e = (struct cur){ c->p, c->p + len, 0 };
	c->p += len;
	switch (get(&e, 1)) {
	case DW_LNE_end_sequence:
		return end_sequence(l, r);
	case DW_LNE_set_address:
		if (len >= 2 && len - 1 <= 8) {
			r->addr = get(&e, (unsigned)(len - 1));
			r->op_index = 0;
		}
		break;
	case DW_LNE_define_file:
		name = cstr(&e);
		if (name && u->version < 5 && add_file(l, name))
			return -1;
		break;
	}
	return 0;
}

/*
 * The standard opcodes that move the registers a row keeps. The rest (column,
 * is_stmt, basic_block, prologue, epilogue, isa and any newer one) are skipped
 * by the operand count the header gives, as DWARF intends for unknown ones.
 */
static int standard(struct ld *l, const struct unit *u, struct cur *c, struct regs *r, unsigned op)
{
	switch (op) {
	case DW_LNS_copy:
		return emit(l, u, r);
	case DW_LNS_advance_pc:
		advance(r, u, leb(c, 0));
		break;
	case DW_LNS_advance_line:
		r->line += (uint32_t)leb(c, 1);
		break;
	case DW_LNS_set_file:
		r->file = leb(c, 0);
		break;
	case DW_LNS_const_add_pc:
		advance(r, u, (255 - u->opcode_base) / u->line_range);
		break;
	case DW_LNS_fixed_advance_pc: /* its operand is a uhalf, not a LEB128 */
		r->addr += get(c, 2);
		r->op_index = 0;
		break;
	default:
		for (unsigned i = 0; i < u->std_lens[op - 1] && !c->bad; i++)
			leb(c, 0);
	}
	return 0;
}

static int run(struct ld *l, const struct unit *u)
{
	struct cur c = u->prog;
	struct regs r;
	int err = 0;

	reset(&r, l->lt->n);
	/* Every opcode consumes a byte at least, so this ends. */
	while (!err && !c.bad && !l->full && c.p < c.end) {
		unsigned op = *c.p++;

		if (op >= u->opcode_base) {
			unsigned adj = op - u->opcode_base;

			advance(&r, u, adj / u->line_range);
			r.line += (uint32_t)(u->line_base + (int)(adj % u->line_range));
			err = emit(l, u, &r);
		} else if (op == 0) {
			err = extended(l, u, &c, &r);
		} else {
			err = standard(l, u, &c, &r, op);
		}
	}
	/* A sequence without its end would match any address past it. */
	l->lt->n = r.seq;
	return err;
}

static int unit(struct ld *l, struct cur *sec)
{
	struct unit u;
	struct cur lists;
	int err, ok = unit_header(sec, &u, &lists);

	if (ok < 0)
		fail(sec);
	if (ok <= 0)
		return 0;
	u.file_base = l->lt->nfiles;
	if (u.version >= 5)
		err = entry_list(l, &u, &lists, 0) || entry_list(l, &u, &lists, 1) ? -1 : 0;
	else
		err = old_lists(l, &lists);
	if (err)
		return -1;
	if (lists.bad) {
		l->lt->nfiles = u.file_base;
		return 0;
	}
	return run(l, &u);
}

static int by_addr(const void *a, const void *b)
{
	const struct line_row *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At a shared address one sequence's end goes first, so the next one's start is found. */
	return (y->file == LINE_END) - (x->file == LINE_END);
}

static int by_lo(const void *a, const void *b)
{
	const struct seq *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int sorted(const struct line_row *rows, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (by_addr(&rows[i - 1], &rows[i]) > 0)
			return 0;
	return 1;
}

/*
 * Addresses only grow within a sequence, and units come in link order: moving
 * whole sequences is enough, and cheaper than sorting rows. Rows are sorted
 * one by one only if a malformed program made sequences overlap.
 */
static int sort_rows(struct line_table *lt)
{
	struct seq *s;
	struct line_row *rows;
	size_t ns = 0, i, k;

	if (sorted(lt->rows, lt->n))
		return 0;
	for (i = 0; i < lt->n; i++)
		ns += lt->rows[i].file == LINE_END;
	s = malloc(ns * sizeof(*s));
	rows = malloc(lt->n * sizeof(*rows));
	if (!s || !rows) {
		free(s);
		free(rows);
		return -1;
	}
	/* Every sequence kept ends with its LINE_END row, so the inner loop ends. */
	for (i = 0, ns = 0; i < lt->n; i = k) {
		for (k = i; lt->rows[k].file != LINE_END; k++)
			;
		s[ns++] = (struct seq){ lt->rows[i].addr, i, ++k - i };
	}
	qsort(s, ns, sizeof(*s), by_lo);
	for (i = 0, k = 0; i < ns; k += s[i++].n)
		memcpy(rows + k, lt->rows + s[i].first, s[i].n * sizeof(*rows));
	free(s);
	free(lt->rows);
	lt->rows = rows;
	if (!sorted(rows, lt->n))
		qsort(rows, lt->n, sizeof(*rows), by_addr);
	return 0;
}

int line_table_load(struct line_table *lt, const uint8_t *elf, size_t len)
{
	struct ld l = { .lt = lt };
	struct cur sec;

	memset(lt, 0, sizeof(*lt));
	find_sections(&l, elf, len);
	if (!l.line.p)
		return 0;
	sec = l.line;
	/* Each unit consumes its length field at least, so this ends. */
	while (!l.full && sec.p < sec.end) {
		if (unit(&l, &sec)) {
			line_table_free(lt);
			return -1;
		}
	}
	if (sort_rows(lt)) {
		line_table_free(lt);
		return -1;
	}
	return 0;
}

int line_table_lookup(const struct line_table *lt, uint64_t addr, const char **file, unsigned *line)
{
	size_t lo = 0, hi = lt->n;
	const struct line_row *r;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lt->rows[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || lt->rows[lo - 1].file == LINE_END)
		return 0;
	r = &lt->rows[lo - 1];
	*file = r->file < lt->nfiles ? lt->files[r->file] : "??";
	*line = r->line;
	return 1;
}

void line_table_free(struct line_table *lt)
{
	free(lt->rows);
	free(lt->files);
	memset(lt, 0, sizeof(*lt));
}
