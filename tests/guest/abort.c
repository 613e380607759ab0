/* abort: abort() ends the VM as a shell reports SIGABRT, status 134. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("aborting\n");
	fflush(stdout);
	abort();
}
