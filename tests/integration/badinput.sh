# badinput.sh: bad images and bad flags: one clear line, a vmm status, no signal.

# bad_image MAKE-FILE STATUS TEXT: the image is built by a shell snippet into $T/img.
bad_image() {
	eval "$1"
	vm run "$T/img"
	want_status "$2" && want_out err "$3" && want_lines err 1 && want_lines out 0
}

bad_flags() {
	local want=$1 text=$2
	shift 2
	vm "$@"
	want_status "$want" && want_out err "$text" && want_lines err 1
}

help_version() {
	vm --help && want_status 0 && want_out out "usage: vmm run IMAGE" &&
		vm --version && want_status 0 && want_out out "vmm "
}

tk "empty file" bad_image ': >"$T/img"' 251 "empty file"
tk "random bytes" bad_image 'head -c 65536 /dev/urandom >"$T/img"' 251 "not an ELF file"
tk "a directory" bad_image 'mkdir "$T/img"' 250 "is a directory"
tk "a missing file" bad_image ':' 250 "No such file or directory"
tk "hello truncated to 100 bytes" bad_image 'head -c 100 "$B/examples/hello.img" >"$T/img"' 251 "truncated"
# One byte short of the last loadable segment's end (debug sections follow it).
load_end() { readelf -lW "$1" | awk '$1 == "LOAD" { o = $2; s = $5 } END { print o, s }'; }
truncate_load() {
	read -r off size < <(load_end "$HELLO")
	head -c $((off + size - 1)) "$HELLO" >"$T/img"
}
tk "hello truncated inside its last segment" bad_image truncate_load 251 "out of bounds"
tk "a host executable" bad_image 'cp /bin/true "$T/img"' 251 "not a static executable"
tk "an image without the vmm note" bad_image \
	'objcopy --remove-section=.note "$B/examples/hello.img" "$T/img"' 251 "no vmm ABI note"
t "no command" bad_flags 250 "no command given"
t "unknown command" bad_flags 250 "unknown command 'frob'" frob
t "run without an image" bad_flags 250 "no image given" run
t "unknown option" bad_flags 250 "unknown option '--frob'" run "$HELLO" --frob
t "--mem without a value" bad_flags 250 "--mem needs a value" run "$HELLO" --mem
t "--mem garbage" bad_flags 250 "bad size 'lots'" run "$HELLO" --mem lots
t "--mem too small" bad_flags 250 "memory size must be" run "$HELLO" --mem 2M
t "--mem too large" bad_flags 250 "memory size must be" run "$HELLO" --mem 8G
t "--timeout garbage" bad_flags 250 "bad number of seconds" run "$HELLO" --timeout -3
t "two images" bad_flags 250 "unexpected argument" run "$HELLO" "$HELLO"
t "--help and --version" help_version

kvm_denied() {
	if setpriv --reuid=65534 --regid=65534 --clear-groups test -w /dev/kvm; then
		echo "SKIP: /dev/kvm is open to everyone here"
		return 0
	fi
	cp "$HELLO" "$T/hello.img"
	chmod 755 "$T"
	timeout -k 5 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$VMM" run "$T/hello.img" >"$T/out" 2>"$T/err"
	ST=$?
	want_status 252 && want_out err "vmm: /dev/kvm: Permission denied" && want_lines err 1
}

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	t "/dev/kvm without permission" kvm_denied
else
	skip "/dev/kvm without permission" "needs root and setpriv to drop privileges"
fi
tk "a FIFO does not hang" bad_image 'mkfifo "$T/img"' 250 "not a regular file"
t "--mem 0" bad_flags 250 "bad size '0'" run "$HELLO" --mem 0
