/* linux/vm_sockets.h: AF_VSOCK addresses, as Linux defines their ABI; musl has no
 * copy of this kernel header, so the library OS provides it for apps. */
#ifndef VMM_GUEST_VM_SOCKETS_H
#define VMM_GUEST_VM_SOCKETS_H

#include <sys/socket.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define VMADDR_CID_ANY ((unsigned int)-1)
#define VMADDR_PORT_ANY ((unsigned int)-1)
#define VMADDR_CID_HYPERVISOR 0
#define VMADDR_CID_LOCAL 1
#define VMADDR_CID_HOST 2

struct sockaddr_vm {
	sa_family_t svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_zero[sizeof(struct sockaddr) - sizeof(sa_family_t) -
			       sizeof(unsigned short) - 2 * sizeof(unsigned int)];
};

#endif
