/* cmdline.c: encode the guest's argv into its command line. */
#include "cmdline.h"

#include <string.h>

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static int needs_quotes(const char *s)
{
	return !*s || strpbrk(s, " \t\n\r\"\\") != NULL;
}

static void put_arg(struct out *o, const char *s)
{
	int quote = needs_quotes(s);

	put(o, ' ');
	if (quote)
		put(o, '"');
	for (; *s; s++) {
		if (quote && (*s == '"' || *s == '\\'))
			put(o, '\\');
		put(o, *s);
	}
	if (quote)
		put(o, '"');
}

int cmdline_encode(char *buf, size_t size, const char *opts, int argc, const char *const *argv)
{
	struct out o = { buf, size, 0 };

	for (const char *p = opts; *p; p++)
		put(&o, *p);
	if (*opts)
		put(&o, ' ');
	put(&o, '-');
	put(&o, '-');
	for (int i = 0; i < argc; i++)
		put_arg(&o, argv[i]);
	if (size == 0 || o.len >= size)
		return -1;
	buf[o.len] = 0;
	return (int)o.len;
}
