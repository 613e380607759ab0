# cross.sh: the same images boot under QEMU's microvm through the PVH entry.
# QEMU reports a guest status s as (s << 1) | 1 through isa-debug-exit.

# qemu ACCEL IMAGE CMDLINE [QEMU ARGS...]
qemu() {
	local accel=$1 img=$2 append=$3
	shift 3
	local cpu=(-cpu max)
	[ "$accel" = kvm ] && cpu=(-cpu host,-arch-capabilities)
	timeout -k 5 120 qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on -accel "$accel" \
		"${cpu[@]}" -m "${QEMU_MEM:-64}" -nodefaults -no-user-config -nographic -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0x501,iosize=1 \
		-global virtio-mmio.force-legacy=false "$@" \
		-kernel "$img" -append "$append" >"$T/out" 2>"$T/err"
	ST=$?
}

cross_hello() {
	qemu "$1" "$B/examples/hello.img" '-- hello 42 "two words"'
	want_status 85 && want_out out "hello from the guest: 64 MiB of memory" &&
		want_out out "argv[1] = 42" && want_out out "argv[2] = two words"
}

cross_syscalls() {
	qemu "$1" "$B/tests/guest/sysfeatures.img" '-- sysfeatures'
	want_status 1 && want_out out "all ok"
}

cross_fault() {
	qemu "$1" "$B/tests/guest/crash_null.img" '-- crash_null'
	want_status $((((253 << 1) | 1) & 255)) && want_out out "guest fault: vector 0x000000000000000e"
}

# qemu_disk FILE[,ro] SERIAL: the QEMU arguments of one virtio-blk disk.
qemu_disk() {
	local file=${1%,ro} ro=""
	[ "$file" != "$1" ] && ro=",readonly=on"
	QDISK+=(-drive "id=d${#QDISK[@]},file=$file,format=raw,if=none$ro"
		-device "virtio-blk-device,drive=d${#QDISK[@]},serial=$2")
}

cross_disk() {
	QDISK=()
	truncate -s 16M "$T/a.img"
	"$PATTERN" 3 1048576 >"$T/ro.img"
	qemu_disk "$T/a.img" A-SERIAL
	qemu_disk "$T/ro.img,ro" RO-SERIAL
	QEMU_MEM=128 qemu "$1" "$B/tests/guest/disk_features.img" \
		"-- disk_features rw=/dev/vda ro=/dev/vdb serial=/dev/vdb:RO-SERIAL" "${QDISK[@]}"
	want_status 1 && want_out out "disk_features: all ok" || return 1
	QEMU_MEM=128 qemu "$1" "$B/tests/guest/disk_pattern.img" "-- disk_pattern /dev/vda 7" \
		"${QDISK[@]}"
	want_status 1 && want_out out "disk_pattern: ok" || return 1
	cmp <("$PATTERN" 7 16777216) "$T/a.img" || { echo "the host file differs"; return 1; }
}

cross_threads() {
	qemu "$1" "$B/tests/guest/thread_basic.img" '-- thread_basic'
	want_status 1 && want_out out "all ok"
}

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "QEMU cross-boot" "qemu-system-x86_64 is not installed (tools/setup installs it)"
else
	t "QEMU microvm (TCG): hello" cross_hello tcg
	t "QEMU microvm (TCG): system calls" cross_syscalls tcg
	t "QEMU microvm (TCG): a fault is reported" cross_fault tcg
	tk "QEMU microvm (KVM): hello" cross_hello kvm
	tk "QEMU microvm (KVM): system calls" cross_syscalls kvm
	t "QEMU microvm (TCG): the blk driver against virtio-blk-device" cross_disk tcg
	t "QEMU microvm (TCG): pthreads" cross_threads tcg
	tk "QEMU microvm (KVM): the blk driver against virtio-blk-device" cross_disk kvm
fi
