/* hello: prints its argv and its memory, exits with the status in argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysinfo.h>

int main(int argc, char **argv)
{
	struct sysinfo si;

	sysinfo(&si);
	printf("hello from the guest: %lu MiB of memory\n", si.totalram >> 20);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	return argc > 1 ? atoi(argv[1]) : 0;
}
