/* check.h: the verdict lines of the guest test programs: "ok" or "FAIL" per check. */
#ifndef GUEST_TEST_CHECK_H
#define GUEST_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                     \
	do {                                                            \
		if (cond) {                                             \
			printf("ok   %s\n", #cond);                     \
		} else {                                                \
			printf("FAIL %s (line %d)\n", #cond, __LINE__); \
			failures++;                                     \
		}                                                       \
	} while (0)

#endif
