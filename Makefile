# Makefile: vmm, libvmm, the guest library OS, example images, tests, benchmarks.
# `make run` boots examples/hello; `make test` runs the whole suite.

B ?= build
include configs/flags.mk

VMM_LIB_SRC := $(filter-out vmm/main.c vmm/cli.c,$(wildcard vmm/*.c))
VMM_LIB_OBJ := $(VMM_LIB_SRC:%.c=$(B)/obj/%.o)
GUEST_C := $(filter-out guest/pvh_cpu.c,$(wildcard guest/*.c))
GUEST_OBJ := $(GUEST_C:%.c=$(B)/obj/%.o) $(B)/obj/guest/pvh_cpu.o \
	$(patsubst %.S,$(B)/obj/%.o,$(wildcard guest/*.S))
EXAMPLES := $(notdir $(wildcard examples/*))
TEST_GUESTS := $(basename $(notdir $(wildcard tests/guest/*.c)))
IMAGES := $(EXAMPLES:%=$(B)/examples/%.img) $(TEST_GUESTS:%=$(B)/tests/guest/%.img)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/test_*.c))
FDT_LIB := /usr/lib/x86_64-linux-gnu/libfdt.a

.PHONY: all setup run test unit sanitize fuzz bench format check-format clean
all: $(B)/vmm $(B)/libvmm.a $(IMAGES)

setup:
	@tools/setup

$(B)/obj/vmm/%.o: vmm/%.c $(wildcard vmm/*.h virtio/*.h) | setup
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/libvmm.a: $(VMM_LIB_OBJ)
	ar rcs $@ $^

# Static: it saves the dynamic loader's ~0.5 ms at every start.
$(B)/vmm: $(B)/obj/vmm/main.o $(B)/obj/vmm/cli.o $(B)/libvmm.a
	$(HOST_CC) $(HOST_LDFLAGS) $(if $(SAN),,-static) $^ $(FDT_LIB) -o $@

# The library OS.
MUSL_SYSCALLS := /usr/include/x86_64-linux-musl/bits/syscall.h
$(B)/gen/syscall_names.h: | setup
	@mkdir -p $(@D)
	sed -n 's/^\#define __NR_\([a-z0-9_]*\)[[:space:]]*\([0-9]*\)$$/[\2] = "\1",/p' $(MUSL_SYSCALLS) > $@
$(B)/obj/guest/syscall.o: $(B)/gen/syscall_names.h
# musl-gcc hides /usr/include; expose just libfdt's headers to the guest.
FDT_HEADERS := libfdt.h libfdt_env.h fdt.h
$(B)/gen/fdt/libfdt.h: | setup
	@mkdir -p $(@D)
	for h in $(FDT_HEADERS); do ln -sf /usr/include/$$h $(@D)/$$h; done
$(GUEST_OBJ): $(B)/gen/fdt/libfdt.h
$(B)/obj/guest/%.o: guest/%.c $(wildcard guest/*.h virtio/*.h) | setup
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -I$(B)/gen -I$(B)/gen/fdt -c $< -o $@
$(B)/obj/guest/pvh_cpu.o: guest/pvh_cpu.c $(wildcard guest/*.h virtio/*.h) | setup
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_R0_CFLAGS) -c $< -o $@
$(B)/obj/guest/%.o: guest/%.S virtio/abi.h | setup
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/libguest.a: $(GUEST_OBJ)
	ar rcs $@ $^

# An app: its .c files + the library OS + musl + libfdt -> one bootable image.
# tools/mkimage does the same for code outside this tree.
define image_rule
$(B)/$(1)/%.img: $(1)/%.c $(B)/libguest.a configs/guest.ld
	@mkdir -p $$(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $$< $(B)/libguest.a $(FDT_LIB) -o $$@
endef
$(eval $(call image_rule,tests/guest))
.SECONDEXPANSION:
$(B)/examples/%.img: $(B)/libguest.a configs/guest.ld $$(wildcard examples/$$*/*.c)
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $(wildcard examples/$*/*.c) \
		$(B)/libguest.a $(FDT_LIB) -o $@

run: all
	$(B)/vmm run $(B)/examples/hello.img -- 0 hello from the guest

clean:
	rm -rf build build-san build-fuzz
