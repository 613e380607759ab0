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

int cmdline_parse(char *line, char **argv, int max_args, const char *default_name)
{
	char *p = line, *tok;
	int argc = 0, in_args = 0;

	while ((tok = next_token(&p)) != NULL) {
		if (!in_args) {
			/* Boot options would be read here; none are defined yet. */
			in_args = !strcmp(tok, "--");
			continue;
		}
		if (argc < max_args)
			argv[argc++] = tok;
	}
	if (argc == 0)
		argv[argc++] = (char *)default_name;
	return argc;
}
