/* net_ping: stays up for N seconds (argv[1], default 10) while the stack answers pings. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10;

	/* The driver's poller answers while this thread sleeps: nothing to do here. */
	printf("net_ping: up for %d s\n", secs);
	fflush(stdout);
	for (int i = 0; i < secs; i++)
		sleep(1);
	printf("net_ping: done\n");
	return 0;
}
