# lib.sh: the test harness: one line per test, counts, and helpers to run guests.
# Sourced by tests/run. A test is a function that returns 0 or prints why not.

PASSED=0 FAILED=0 SKIPPED=0
B=${B:-build}
VMM="$B/vmm"
HELLO="$B/examples/hello.img"
PATTERN="build/tests/tools/pattern"

PREFIX=""
pass() { PASSED=$((PASSED + 1)); echo "PASS $PREFIX$1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $PREFIX$1"; sed 's/^/     /' <<<"$2"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "SKIP $PREFIX$1: $2"; }

have_kvm() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# t NAME FUNCTION [ARGS...]: runs one test in a fresh temp dir $T.
t() {
	local name=$1 why
	shift
	T=$(mktemp -d)
	if why=$("$@" 2>&1); then pass "$name"; else fail "$name" "$why"; fi
	rm -rf "$T"
}

# tk: as t, but skipped with a message where /dev/kvm is unusable.
tk() {
	if ! have_kvm; then skip "$1" "/dev/kvm is missing or not accessible"; return; fi
	t "$@"
}

# vm ARGS...: runs vmm under timeout; stdout in $T/out, stderr in $T/err, status in $ST.
vm() {
	timeout -k 5 "${VM_TIMEOUT:-60}" "$VMM" "$@" >"$T/out" 2>"$T/err"
	ST=$?
}

show() { echo "--- stdout:"; head -c 2000 "$T/out"; echo "--- stderr:"; head -c 2000 "$T/err"; }

want_status() {
	[ "$ST" = "$1" ] && return 0
	echo "exit status $ST, want $1"; show; return 1
}

# want_out FILE TEXT: FILE (out or err) contains TEXT literally.
want_out() {
	grep -qF -- "$2" "$T/$1" && return 0
	echo "$1 lacks: $2"; show; return 1
}

want_no_out() {
	! grep -qF -- "$2" "$T/$1" && return 0
	echo "$1 unexpectedly has: $2"; show; return 1
}

want_lines() {
	local n
	n=$(wc -l <"$T/$1")
	[ "$n" = "$2" ] && return 0
	echo "$1 has $n lines, want $2"; show; return 1
}

summary() {
	echo
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" = 0 ]
}
