# boot.sh: examples/hello and the system calls, through real microVMs.

GUESTS="$B/tests/guest"

boot_hello() {
	vm run "$HELLO" && want_status 0 &&
		want_out out "hello from the guest: 64 MiB of memory" &&
		want_out out "argv[0] = hello"
}

boot_status() {
	vm run "$HELLO" -- "$1"
	want_status "$1" && want_out out "argv[1] = $1"
}

boot_argv() {
	vm run "$HELLO" -- 0 "two words" "" 'q"uote' 'back\slash' "tab	here"
	want_status 0 && want_out out "argv[2] = two words" && want_out out "argv[3] = " &&
		want_out out 'argv[4] = q"uote' && want_out out 'argv[5] = back\slash' &&
		want_out out "argv[6] = tab	here" && want_no_out out "argv[7]"
}

boot_mem() {
	vm run --mem 256M "$HELLO" && want_status 0 && want_out out "256 MiB of memory" &&
		vm run "$HELLO" --mem 1G && want_status 0 && want_out out "1024 MiB of memory"
}

boot_exit_reserved() {
	vm run "$HELLO" -- 251
	want_status 249 && want_out err "guest exit status 251 reported as 249"
}

boot_timings() {
	vm run "$HELLO" --timings
	want_status 0 || return 1
	for row in "vm created" "image loaded" "first instruction" "main entered" "exit"; do
		grep -Eq "^  $row +[0-9]+\.[0-9]$" "$T/err" || { echo "no timing row '$row'"; show; return 1; }
	done
	awk '/first instruction/ {f = $3} /main entered/ {m = $3} /  exit/ {e = $2}
	     END {exit !(f > 0 && m > f && e > m)}' "$T/err" ||
		{ echo "timings out of order"; show; return 1; }
}

boot_syscalls() {
	vm run "$GUESTS/sysfeatures.img"
	want_status 0 && want_out out "all ok" && want_out err "stderr works"
}

tk "hello prints and exits 0" boot_hello
tk "exit status 1" boot_status 1
tk "exit status 42" boot_status 42
tk "argv passthrough with blanks, quotes and empty args" boot_argv
tk "--mem sizes reach the guest" boot_mem
tk "guest status in vmm's range is folded to 249" boot_exit_reserved
tk "--timings breakdown" boot_timings
tk "system calls: time, memory, random, TLS, stdio" boot_syscalls

boot_many_args() {
	# shellcheck disable=SC2046
	vm run "$HELLO" -- 0 $(seq 1 2000)
	want_status 0 && want_out out "argv[2000] = 1999" && want_out out "argv[2001] = 2000"
}

tk "2000 guest arguments" boot_many_args

boot_mkimage() {
	cat >"$T/app.c" <<'C'
#include <stdio.h>
#include <string.h>
static __thread char greeting[32] = "built by mkimage";
int main(int argc, char **argv) { printf("%s: %s\n", greeting, argv[1]); return (int)strlen(argv[1]); }
C
	tools/mkimage -o "$T/app.img" "$T/app.c" >"$T/build.log" 2>&1 || { cat "$T/build.log"; return 1; }
	vm run "$T/app.img" -- seven
	want_status 5 && want_out out "built by mkimage: seven"
}

tk "tools/mkimage builds a user's program into an image" boot_mkimage
