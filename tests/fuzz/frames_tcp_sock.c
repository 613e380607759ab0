/* frames_tcp_sock.c: guest/tcp_sock.c for the host. glibc's <netinet/tcp.h>, unlike musl's,
 * defines TCP_MSS (512), which guest/tcp.h then redefines: remove glibc's first. The
 * header's include guard keeps tcp_sock.c's own #include from bringing it back. */
#include <netinet/tcp.h>
#undef TCP_MSS

#include "../../guest/tcp_sock.c"
