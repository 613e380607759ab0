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

#ifdef __cplusplus
}
#endif

#endif
