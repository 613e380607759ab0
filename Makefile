# Makefile: vmm, libvmm, the guest library OS, example images, tests, benchmarks.
# `make run` boots examples/hello; `make test` runs the whole suite.

B ?= build
Q ?= @
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

.PHONY: all setup run test unit sanitize san-build fuzz bench format check-format clean image
all: $(B)/vmm $(B)/vmmctl $(B)/libvmm.a $(IMAGES)

setup:
	@tools/setup

$(B)/obj/vmm/%.o: vmm/%.c $(wildcard vmm/*.h virtio/*.h) | setup
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/libvmm.a: $(VMM_LIB_OBJ)
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

# Static: it saves the dynamic loader's ~0.5 ms at every start.
$(B)/vmm: $(B)/obj/vmm/main.o $(B)/obj/vmm/cli.o $(B)/libvmm.a
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) $(if $(SAN),,-static) $^ $(FDT_LIB) -o $@

# The control client: a plain host program.
$(B)/vmmctl: tools/vmmctl.c virtio/control.h | setup
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< $(HOST_LDFLAGS) -o $@

# The library OS.
MUSL_SYSCALLS := /usr/include/x86_64-linux-musl/bits/syscall.h
$(B)/gen/syscall_names.h: | setup
	@mkdir -p $(@D)
	$(Q)sed -n 's/^\#define __NR_\([a-z0-9_]*\)[[:space:]]*\([0-9]*\)$$/[\2] = "\1",/p' $(MUSL_SYSCALLS) > $@
$(B)/obj/guest/syscall.o: $(B)/gen/syscall_names.h
# musl-gcc hides /usr/include; expose just libfdt's headers to the guest.
FDT_HEADERS := libfdt.h libfdt_env.h fdt.h
$(B)/gen/fdt/libfdt.h: | setup
	@mkdir -p $(@D)
	$(Q)for h in $(FDT_HEADERS); do ln -sf /usr/include/$$h $(@D)/$$h; done
$(GUEST_OBJ): $(B)/gen/fdt/libfdt.h
$(B)/obj/guest/%.o: guest/%.c $(wildcard guest/*.h guest/include/*.h virtio/*.h) | setup
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -I$(B)/gen -I$(B)/gen/fdt -c $< -o $@
$(B)/obj/guest/pvh_cpu.o: guest/pvh_cpu.c $(wildcard guest/*.h virtio/*.h) | setup
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(GUEST_CC) $(GUEST_R0_CFLAGS) -c $< -o $@
$(B)/obj/guest/%.o: guest/%.S virtio/abi.h | setup
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/libguest.a: $(GUEST_OBJ)
	@echo "  AR      $@"
	$(Q)ar rcs $@ $^

# Read-only files in an image, under / (guest/bundle.c): tools/mkbundle turns a
# directory into assembly that .incbin's each file, with a table named vmm_bundle.
# Bundled: examples/NAME/files/, tests/guest/NAME.files/, and mkimage -f DIR.
MKBUNDLE := $(B)/tools/mkbundle
$(MKBUNDLE): tools/mkbundle.c | setup
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< $(HOST_LDFLAGS) -o $@
# The generated assembly for image $(1), and beside it (.d) what the image depends on.
bundle_s = $(B)/gen/bundle/$(subst /,_,$(1)).s
-include $(wildcard $(B)/gen/bundle/*.d)

# An app: its .c files + the library OS + musl + libfdt -> one bootable image.
# link_image SOURCES, OUTPUT, EXTRA-CFLAGS[, DIRECTORY TO BUNDLE]
link_image = @echo "  IMAGE   $(2)"; mkdir -p $(dir $(2)) $(B)/gen/bundle; \
	$(if $(4),$(MKBUNDLE) -d $(call bundle_s,$(2)).d -t $(2) $(4) $(call bundle_s,$(2)), \
		rm -f $(call bundle_s,$(2)) $(call bundle_s,$(2)).d) && \
	$(GUEST_CC) $(GUEST_APP_CFLAGS) -I$(CURDIR)/guest/include $(3) $(GUEST_LDFLAGS) $(1) \
		$(if $(4),$(call bundle_s,$(2))) $(B)/libguest.a $(FDT_LIB) -o $(2)

.SECONDEXPANSION:
$(B)/tests/guest/%.img: tests/guest/%.c $(B)/libguest.a configs/guest.ld \
		$$(wildcard tests/guest/$$*.files) $$(if $$(wildcard tests/guest/$$*.files),$(MKBUNDLE))
	$(call link_image,$<,$@,$(WARN) -Ivirtio,$(wildcard tests/guest/$*.files))
$(B)/examples/%.img: $(B)/libguest.a configs/guest.ld $$(wildcard examples/$$*/*.c) \
		$$(wildcard examples/$$*/files) $$(if $$(wildcard examples/$$*/files),$(MKBUNDLE))
	$(call link_image,$(wildcard examples/$*/*.c),$@,$(WARN),$(wildcard examples/$*/files))

# tools/mkimage's entry: make image SRCS="a.c b.c" OUT=app.img [APP_CFLAGS=...] [BUNDLE_DIR=...]
image: $(B)/libguest.a $(if $(BUNDLE_DIR),$(MKBUNDLE))
	$(call link_image,$(SRCS),$(OUT),$(APP_CFLAGS),$(BUNDLE_DIR))
	$(Q)rm -f $(call bundle_s,$(OUT)) $(call bundle_s,$(OUT)).d

# Unit tests (cmocka) link libvmm; test_cmdline also takes the guest's parser.
$(B)/tests/unit/%: tests/unit/%.c $(B)/libvmm.a $(wildcard tests/unit/*.h) | setup
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itests/unit $< $(UNIT_EXTRA) $(B)/libvmm.a $(FDT_LIB) \
		-lcmocka $(HOST_LDFLAGS) -o $@
$(B)/tests/unit/test_cmdline: UNIT_EXTRA := guest/cmdline.c -Iguest
$(B)/tests/unit/test_cmdline: guest/cmdline.c
$(B)/tests/unit/test_cli: UNIT_EXTRA := vmm/cli.c
$(B)/tests/unit/test_cli: vmm/cli.c

# Host helpers the integration tests use (the disk pattern).
TEST_TOOLS := $(patsubst tests/tools/%.c,$(B)/tests/tools/%,$(wildcard tests/tools/*.c))

unit: $(UNIT_TESTS) $(TEST_TOOLS)

# libFuzzer targets, built with clang into their own tree.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ivirtio -Ivmm
build-fuzz/%: tests/fuzz/%.c $(VMM_LIB_SRC) $(wildcard vmm/*.h tests/unit/*.h) | setup
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_FLAGS) $< $(FUZZ_LINK) -o $@
build-fuzz/fuzz_elf: FUZZ_LINK := vmm/elf_load.c vmm/symtab.c vmm/elf_sections.c
build-fuzz/fuzz_dwarf: FUZZ_LINK := vmm/dwarf_line.c vmm/elf_sections.c
build-fuzz/fuzz_virtq: FUZZ_LINK := vmm/virtq.c
build-fuzz/fuzz_blk: FUZZ_LINK := vmm/virtq.c vmm/virtio_mmio.c vmm/virtio_blk.c -lpthread
build-fuzz/fuzz_net: FUZZ_LINK := vmm/virtq.c vmm/virtio_mmio.c vmm/virtio_net.c vmm/iothread.c \
	-lpthread
build-fuzz/fuzz_vsock: FUZZ_LINK := vmm/virtq.c vmm/virtio_mmio.c vmm/virtio_vsock.c \
	vmm/vsock_conn.c vmm/vsock_host.c vmm/iothread.c -lpthread
# The guest's network stack on the host: eth.c and tcp_sock.c come in through wrappers
# (tests/fuzz/frames_eth.c, frames_tcp_sock.c); the library OS under it is stubbed.
FRAMES_GUEST := guest/ip.c guest/udp.c guest/inet.c guest/tcp_in.c guest/tcp_out.c \
	guest/tcp_timer.c guest/tcp_conn.c
FRAMES_HELPERS := $(filter-out tests/fuzz/frames_seeds.c,$(wildcard tests/fuzz/frames_*.c))
build-fuzz/fuzz_frames: FUZZ_LINK := $(FRAMES_GUEST) $(FRAMES_HELPERS) -Iguest -Iguest/include \
	-std=gnu11 $(WARN) -fno-sanitize-recover=undefined
build-fuzz/fuzz_frames: $(FRAMES_GUEST) $(FRAMES_HELPERS) tests/fuzz/frames.h guest/eth.c \
	guest/tcp_sock.c $(wildcard guest/*.h virtio/*.h)
# Its seed corpus, which tests/fuzz.sh writes: handshakes, closes, bulk data, ARP, ping, UDP.
build-fuzz/frames_seeds: tests/fuzz/frames_seeds.c | setup
	@mkdir -p $(@D)
	$(Q)clang -std=gnu11 -g $(WARN) $< -o $@

fuzz: $(FUZZ_BIN) build-fuzz/frames_seeds

# The whole suite: units and microVMs (plain, then vmm under ASan and UBSan),
# QEMU cross-boots, and short fuzz runs. One summary line at the end.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
san-build:
	$(MAKE) --no-print-directory B=build-san SAN="$(SAN_FLAGS)" all unit

test: check-format all unit fuzz san-build
	B=$(B) SAN_B=build-san tests/run

# The suite for the sanitized build alone.
sanitize: san-build
	B=build-san tests/run

$(B)/tests/tools/%: tests/tools/%.c | setup
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< $(HOST_LDFLAGS) -o $@
# The network tests' two ends share their wire format.
$(B)/tests/guest/net_echo.img $(B)/tests/tools/net_peer: tests/guest/net_wire.h

$(B)/tools/%: tools/bench/%.c | setup
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< $(HOST_LDFLAGS) -o $@

bench: all $(B)/tools/runstat $(B)/tools/vsockbench $(B)/tests/tools/net_peer
	B=$(B) tools/bench/boot
	B=$(B) tools/bench/disk
	B=$(B) tools/bench/vsock
	B=$(B) tools/bench/net

FORMATTED := $(wildcard vmm/*.[ch] guest/*.[ch] virtio/*.h tests/unit/*.[ch] tests/fuzz/*.c \
	tests/guest/*.c examples/*/*.c tools/*.c tools/bench/*.c tests/tools/*.c)
format: | setup
	clang-format -i $(FORMATTED)
check-format: | setup
	@clang-format --dry-run --Werror $(FORMATTED) && echo "format: ok"

run: all
	$(B)/vmm run $(B)/examples/hello.img -- 0 hello from the guest

clean:
	rm -rf build build-san build-fuzz
