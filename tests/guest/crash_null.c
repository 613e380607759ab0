/* crash_null: a NULL dereference; vmm must report it in deref_null. */
#include <stdio.h>

__attribute__((noinline)) int deref_null(volatile int *p);
__attribute__((noinline)) int deref_null(volatile int *p)
{
	return *p + 1;
}

int main(void)
{
	printf("about to dereference NULL\n");
	fflush(stdout);
	return deref_null(NULL);
}
