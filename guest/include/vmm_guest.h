/* vmm_guest.h: what the vmm library OS offers applications beyond POSIX.
 * The one public header of the guest: build with -I<vmm>/guest/include. */
#ifndef VMM_GUEST_H
#define VMM_GUEST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The serial of the virtio-blk disk open on fd (`vmm run --disk FILE,serial=ID`),
 * as a NUL-terminated string in buf: at most 20 bytes and the NUL. Returns its
 * length (0: the disk has an empty serial), or -1 with errno set: EBADF (fd is
 * not open), ENOTTY (not a disk), ERANGE (len is too small for the serial and
 * its NUL), ENOTSUP (the device does not report serials), EIO.
 */
int vmm_blk_serial(int fd, char *buf, size_t len);

/*
 * The control service (`vmmctl SOCKET invoke PAYLOAD`, with `vmm run --vsock
 * SOCKET`). fn gets each request's bytes and answers with a malloc'd reply
 * in *reply (freed by the library) of *reply_len bytes; it returns 0, or -1
 * to send the reply as an error message. It runs on the control service's
 * thread, one request at a time per connection. Returns 0.
 */
typedef int (*vmm_invoke_fn)(const void *req, size_t len, void **reply, size_t *reply_len,
			     void *ctx);
int vmm_control_on_invoke(vmm_invoke_fn fn, void *ctx);

/*
 * `vmmctl SOCKET shutdown`: fn runs once on the control thread; the app
 * should finish its work and exit. If it has not exited within the grace
 * period (5 s unless the request says otherwise), the VM exits with 143.
 */
int vmm_control_on_shutdown(void (*fn)(void *ctx), void *ctx);

/* Nonzero once the host asked for a shutdown: for apps that poll. */
int vmm_shutdown_requested(void);

#ifdef __cplusplus
}
#endif

#endif
