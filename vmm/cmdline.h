/* cmdline.h: the guest command line, "OPTIONS -- ARGV0 ARGV1 ...". */
#ifndef VMM_CMDLINE_H
#define VMM_CMDLINE_H

#include <stddef.h>

/*
 * Writes opts (may be empty), "--", then each argument, double-quoted
 * (with \" and \\ inside) when it is empty or holds a blank, a quote or a
 * backslash. Returns the length, or -1 if size is too small.
 */
int cmdline_encode(char *buf, size_t size, const char *opts, int argc, const char *const *argv);

#endif
