# cross.sh: the same images boot under QEMU's microvm through the PVH entry.
# QEMU reports a guest status s as (s << 1) | 1 through isa-debug-exit.

qemu() {
	local accel=$1 img=$2
	shift 2
	local cpu=(-cpu max)
	[ "$accel" = kvm ] && cpu=(-cpu host,-arch-capabilities)
	timeout -k 5 120 qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on -accel "$accel" \
		"${cpu[@]}" -m "${QEMU_MEM:-64}" -nodefaults -no-user-config -nographic -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0x501,iosize=1 \
		-kernel "$img" -append "$*" >"$T/out" 2>"$T/err"
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

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "QEMU cross-boot" "qemu-system-x86_64 is not installed (tools/setup installs it)"
else
	t "QEMU microvm (TCG): hello" cross_hello tcg
	t "QEMU microvm (TCG): system calls" cross_syscalls tcg
	t "QEMU microvm (TCG): a fault is reported" cross_fault tcg
	tk "QEMU microvm (KVM): hello" cross_hello kvm
	tk "QEMU microvm (KVM): system calls" cross_syscalls kvm
fi
