# flags.mk: compiler flags for the host side (vmm, tools, tests) and the guest.

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wwrite-strings \
	-Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral

HOST_CC ?= gcc
HOST_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE $(WARN) -Ivirtio -Ivmm $(SAN)
HOST_LDFLAGS := $(SAN)

# The guest runs in ring 3 on musl. Frame pointers feed the VMM's backtraces.
GUEST_CC := musl-gcc
# Apps get the same code generation; warnings are theirs to choose.
GUEST_APP_CFLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -g -fno-omit-frame-pointer -fno-pie \
	-fno-stack-protector
GUEST_CFLAGS := $(GUEST_APP_CFLAGS) $(WARN) -Ivirtio -Iguest -Iguest/include
# Ring-0 code (the PVH boot path) must not touch SSE state.
GUEST_R0_CFLAGS := $(GUEST_CFLAGS) -mgeneral-regs-only
GUEST_LDFLAGS := -static -no-pie -nostartfiles -T configs/guest.ld \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none \
	-Wl,-z,norelro -Wl,--no-warn-rwx-segments
