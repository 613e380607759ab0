/* wordcount: a function-style app: each `vmmctl SOCKET invoke TEXT` is
 * counted (lines, words, bytes) and answered as JSON; `vmmctl SOCKET
 * shutdown` ends it cleanly. Run with `vmm run wordcount.img --vsock SOCKET`. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vmm_guest.h"

static int served;

static int count(const void *req, size_t len, void **reply, size_t *reply_len, void *ctx)
{
	const unsigned char *p = req;
	size_t lines = 0, words = 0;
	int in_word = 0;
	char *out = malloc(96);

	(void)ctx;
	if (!out)
		return -1;
	for (size_t i = 0; i < len; i++) {
		lines += p[i] == '\n';
		if (isspace(p[i]))
			in_word = 0;
		else if (!in_word)
			in_word = 1, words++;
	}
	*reply_len = (size_t)snprintf(out, 96, "{\"lines\":%zu,\"words\":%zu,\"bytes\":%zu}\n",
				      lines, words, len);
	*reply = out;
	served++;
	return 0;
}

static void stop(void *ctx)
{
	(void)ctx;
	printf("wordcount: shutdown requested\n");
}

int main(void)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	vmm_control_on_invoke(count, NULL);
	vmm_control_on_shutdown(stop, NULL);
	printf("wordcount: ready\n");
	fflush(stdout);
	while (!vmm_shutdown_requested())
		nanosleep(&tick, NULL);
	printf("wordcount: served %d requests, bye\n", served);
	return 0;
}
