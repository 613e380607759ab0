# disk.sh: virtio-blk through real microVMs: data, durability, hostile guests.

disk_hostile() {
	truncate -s 1M "$T/disk.img"
	vm run "$B/tests/guest/disk_hostile.img" --disk "$T/disk.img"
	want_status 0 && want_out out "all ok"
}

disk_bad_flags() {
	truncate -s 1M "$T/disk.img"
	vm run "$HELLO" --disk "$T/missing.img"
	want_status 250 && want_out err "missing.img: No such file or directory" && want_lines err 1 &&
		vm run "$HELLO" --disk "$T/disk.img,rw" && want_status 250 &&
		want_out err "bad option 'rw'" &&
		vm run "$HELLO" --disk "$T/disk.img" --disk "$T/disk.img" && want_status 250 &&
		want_out err "in use by another VM" &&
		vm run "$HELLO" --disk "$T" && want_status 250 && want_out err "Is a directory"
}

tk "a hostile driver: broken rings fail the device, bad requests get errors" disk_hostile
tk "disk options: missing file, bad option, a disk used twice, a directory" disk_bad_flags

# The guest writes 64 MiB in large writes, fsyncs and reads back; the host checks every byte.
disk_pattern_guest_to_host() {
	truncate -s 64M "$T/disk.img"
	vm run "$B/tests/guest/disk_pattern.img" --mem 128M --disk "$T/disk.img" -- /dev/vda 7
	want_status 0 && want_out out "disk_pattern: ok" || return 1
	cmp <("$PATTERN" 7 67108864) "$T/disk.img" || { echo "the host file differs from the pattern"; return 1; }
}

disk_pattern_host_to_guest() {
	"$PATTERN" 11 16777216 >"$T/disk.img"
	vm run "$B/tests/guest/disk_pattern.img" --disk "$T/disk.img,ro" -- /dev/vda 11 1048576 65536 verify
	want_status 0 && want_out out "disk_pattern: ok"
}

disk_features() {
	truncate -s 8M "$T/a.img"
	"$PATTERN" 3 1048576 >"$T/ro.img"
	truncate -s 4M "$T/b.img"
	vm run "$B/tests/guest/disk_features.img" --disk "$T/a.img" --disk "$T/ro.img,ro,serial=RO-SERIAL-1" \
		--disk "$T/b.img" -- rw=/dev/vda ro=/dev/vdb serial=/dev/vdb:RO-SERIAL-1 second=/dev/vdc
	want_status 0 && want_out out "disk_features: all ok" &&
		cmp <("$PATTERN" 3 1048576) "$T/ro.img" || { echo "the read-only disk changed"; return 1; }
}

disk_default_serial() {
	truncate -s 1M "$T/data.img"
	vm run "$B/tests/guest/disk_features.img" --disk "$T/data.img" -- serial=/dev/vda:data.img
	want_status 0 && want_out out "disk_features: all ok"
}

disk_no_disks() {
	vm run "$B/tests/guest/disk_features.img" -- none
	want_status 0 && want_out out "disk_features: all ok"
}

# 1000 bytes: two sectors; past the file's end reads as zeros; writing the
# last sector extends the file to 1024 bytes (documented in the README).
disk_odd_size() {
	"$PATTERN" 9 1000 >"$T/odd.img"
	vm run "$B/tests/guest/disk_odd.img" --disk "$T/odd.img"
	want_status 0 && want_out out "disk_odd: ok" || return 1
	[ "$(stat -c %s "$T/odd.img")" = 1024 ] || { echo "file size $(stat -c %s "$T/odd.img")"; return 1; }
	cmp <("$PATTERN" 9 512) <(head -c 512 "$T/odd.img") &&
		cmp <(head -c 512 /dev/zero | tr '\0' '\253') <(tail -c 512 "$T/odd.img") ||
		{ echo "the file's contents are wrong"; return 1; }
}

disk_sigkill() {
	truncate -s 16M "$T/disk.img"
	timeout -k 5 60 "$VMM" run "$B/tests/guest/disk_sync.img" --disk "$T/disk.img" -- 5 8388608 \
		>"$T/out" 2>"$T/err" &
	local pid=$!
	for _ in $(seq 300); do grep -q synced "$T/out" && break; sleep 0.1; done
	want_out out "synced" || { kill -9 $pid; return 1; }
	pkill -9 -P $pid vmm 2>/dev/null || kill -9 $pid
	wait $pid
	cmp <("$PATTERN" 5 8388608) <(head -c 8388608 "$T/disk.img") ||
		{ echo "data written before fsync was lost"; return 1; }
}

tk "64 MiB written by the guest, every byte checked on the host" disk_pattern_guest_to_host
tk "a host-written pattern read by the guest from a read-only disk" disk_pattern_host_to_guest
tk "three disks: read-write, read-only with a serial, a second scratch disk" disk_features
tk "the default serial is the file name" disk_default_serial
tk "no disks: /dev/vda does not exist" disk_no_disks
tk "a disk of 1000 bytes (not a multiple of 512)" disk_odd_size
tk "SIGKILL after fsync loses nothing" disk_sigkill

kv() { vm run "$B/examples/kvlog.img" --disk "$T/kv.img" -- "$@"; }

# examples/kvlog: state survives restarts; a torn last record is dropped alone.
disk_kvlog() {
	truncate -s 1M "$T/kv.img"
	kv set color blue && want_status 0 && kv set size 42 && kv set color red &&
		kv get color && want_status 0 && want_out out "red" &&
		kv del size && want_status 0 && kv get size && want_status 1 || return 1
	kv set note "written last" && want_status 0 || return 1
	# Tear the last record: one flipped byte in its value fails its CRC.
	local end
	kv list && end=$(sed -n 's/^(\([0-9]*\) bytes of log)$/\1/p' "$T/out")
	printf 'X' | dd of="$T/kv.img" bs=1 seek=$((end - 1)) conv=notrunc status=none
	kv list && want_status 0 && want_out out "color=red" && want_no_out out "note=" || return 1
	kv set after crash && kv get after && want_out out "crash"
}

tk "examples/kvlog keeps its data across restarts and survives a torn record" disk_kvlog
