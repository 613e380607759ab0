/* control.h: the control service's wire protocol (guest service and vmmctl). */
#ifndef VMM_CONTROL_H
#define VMM_CONTROL_H

/* The vsock port the library OS's control service listens on. */
#define VMM_CONTROL_PORT 1100

/*
 * Every message is a frame: one header line, then a body of exactly the
 * length it gives (decimal, may be 0).
 *
 *   request:   "<verb> <length>\n" <body>    verb: ping status shutdown invoke
 *   response:  "ok <length>\n" <body>  |  "error <length>\n" <message>
 *
 * A connection carries any number of requests, answered in order.
 *   ping      -> "pong"
 *   status    -> a JSON object: {"name":..., "argv":[...], "uptime_ns":N,
 *                "mem_total":N, "mem_used":N, "threads":N, "state":"running"}
 *   shutdown  -> "stopping"; body: optional grace period in milliseconds
 *                (default VMM_CONTROL_GRACE_MS). The app's shutdown handler
 *                runs; if the app has not exited when the period ends, the
 *                VM exits with status VMM_CONTROL_KILLED.
 *   invoke    -> the reply of the handler the app registered, any bytes;
 *                "error" if none is registered or it fails.
 *
 * Why: length-prefixed frames carry any payload (invoke bodies are binary)
 * without escaping, the text header keeps it readable with socat, and both
 * sides parse it in a few lines; status is JSON because agents read it.
 */
#define VMM_CONTROL_HEADER_MAX 64
#define VMM_CONTROL_BODY_MAX   (16u << 20)
#define VMM_CONTROL_GRACE_MS   5000
#define VMM_CONTROL_KILLED     143 /* 128 + SIGTERM, as a shell reports it */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Parses a header line "<word> <length>" (without its newline) into word
 * (at most 15 bytes) and *len. 0, or -1 if it is malformed or too long.
 */
static inline int control_parse_header(const char *line, size_t n, char word[16], uint32_t *len)
{
	size_t i = 0, w;
	uint64_t v = 0;

	while (i < n && i < 15 && line[i] >= 'a' && line[i] <= 'z')
		i++;
	if (i == 0 || i >= n || line[i] != ' ' || i + 1 == n)
		return -1;
	memcpy(word, line, i);
	word[i] = 0;
	for (w = i + 1; w < n; w++) {
		if (line[w] < '0' || line[w] > '9' || w - i > 10)
			return -1;
		v = v * 10 + (uint64_t)(line[w] - '0');
	}
	if (v > VMM_CONTROL_BODY_MAX)
		return -1;
	*len = (uint32_t)v;
	return 0;
}
#endif

#endif
