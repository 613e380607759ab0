/* stack_overflow: unbounded recursion runs into the guard page under the stack. */
#include <stdio.h>

static volatile int forever = 1;

__attribute__((noinline)) int recurse(int n);
__attribute__((noinline)) int recurse(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	return forever ? recurse(n + 1) + pad[0] : 0;
}

int main(void)
{
	printf("recursing\n");
	fflush(stdout);
	return recurse(0);
}
