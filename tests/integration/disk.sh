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
