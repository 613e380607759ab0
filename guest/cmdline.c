/* cmdline.c: split the command line "OPTIONS -- ARGV..." in place. */
#include <string.h>

#include "libos.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The next token, unquoted in place ("..." with \" and \\), or NULL. */
static char *next_token(char **pp)
{
	char *p = *pp, *start, *out;
	int quoted = 0;

	while (blank(*p))
		p++;
	if (!*p) {
		*pp = p;
		return NULL;
	}
	start = out = p;
	for (; *p && (quoted || !blank(*p)); p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		*out++ = *p;
	}
	if (*p)
		p++;
	*out = 0;
	*pp = p;
	return start;
}

/* QEMU appends these to the whole line, so they land after our "--". */
static int monitor_option(const char *tok)
{
	static const char qemu[] = "virtio_mmio.device=";

	return !strncmp(tok, qemu, sizeof(qemu) - 1);
}

int cmdline_parse(char *line, char **argv, int max_args, const char *default_name,
		  void (*option)(const char *opt))
{
	char *p = line, *tok;
	int argc = 0, in_args = 0;

	while ((tok = next_token(&p)) != NULL) {
		if (!in_args) {
			in_args = !strcmp(tok, "--");
			if (!in_args && option)
				option(tok);
			continue;
		}
		if (option && monitor_option(tok)) {
			option(tok);
			continue;
		}
		if (argc < max_args)
			argv[argc++] = tok;
	}
	if (argc == 0)
		argv[argc++] = (char *)default_name;
	return argc;
}
