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
#define VMM_CONTROL_BODY_MAX (16u << 20)
#define VMM_CONTROL_GRACE_MS 5000
#define VMM_CONTROL_KILLED 143 /* 128 + SIGTERM, as a shell reports it */

#endif
