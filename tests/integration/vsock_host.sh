# vsock_host.sh: the host side of vsock (Firecracker's hybrid protocol) with real clients
# (socat) against a VM whose guest never drives the device (spin.img): the handshake
# parser, the deadlines, and a vmm that outlives every client. No OK can come: a
# CONNECT the parser accepts becomes a REQUEST nobody answers, closed after 2 s.

VS_REQUEST_MS=2000   # VSOCK_REQUEST_MS: CONNECT accepted, no RESPONSE
VS_HANDSHAKE_MS=5000 # VSOCK_HANDSHAKE_MS: no complete line

# Boots spin.img with --vsock in the background; $VS_PID, the socket at $T/v.sock.
vs_start() {
	timeout -k 5 90 "$VMM" run "$B/tests/guest/spin.img" --timeout 60 --vsock "$T/v.sock${1:+,$1}" \
		>"$T/out" 2>"$T/err" &
	VS_PID=$!
	for _ in $(seq 200); do [ -S "$T/v.sock" ] && grep -q spinning "$T/out" && return 0; sleep 0.02; done
	echo "no socket at $T/v.sock"; show; return 1
}

# Stops it: it must still be running, stop on SIGTERM, and take its socket file away.
vs_stop() {
	local pid
	pid=$(pgrep -P "$VS_PID" vmm || echo "$VS_PID")
	kill -0 "$pid" 2>/dev/null || { echo "vmm is gone"; show; return 1; }
	kill -TERM "$pid"
	wait "$VS_PID"
	ST=$?
	want_status 255 || return 1
	[ ! -e "$T/v.sock" ] || { echo "the socket file is still there"; return 1; }
}

# vs_talk NAME SNIPPET [LINGER]: a socat client whose stdin is SNIPPET's output; it stays
# until vmm closes the socket (then LINGER s more, 0.1 by default: socat's -t), or until
# SNIPPET ends and LINGER passes. What it got is in $T/NAME.out; how long it took, in ms,
# in $T/NAME.ms.
vs_talk() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 20 socat -t "${3:-0.1}" - UNIX-CONNECT:"$T/v.sock" < <(exec 2>/dev/null; eval "$2") >"$T/$1.out" 2>"$T/$1.err"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >"$T/$1.ms"
}

# vs_bg NAME SNIPPET: vs_talk in the background; vs_wait waits for all of them (not the VM).
vs_bg() {
	vs_talk "$@" &
	VS_BG="${VS_BG:-} $!"
}

vs_wait() {
	# shellcheck disable=SC2086
	wait $VS_BG
	VS_BG=""
}

# vs_want NAME MIN MAX: closed with no reply after MIN to MAX ms.
vs_want() {
	local ms
	ms=$(cat "$T/$1.ms")
	if [ -s "$T/$1.out" ]; then
		echo "$1: got a reply: $(head -c 100 "$T/$1.out")"; return 1
	fi
	if [ "$ms" -lt "$2" ] || [ "$ms" -gt "$3" ]; then
		echo "$1: closed after $ms ms, want $2-$3 ms"; cat "$T/$1.err"; return 1
	fi
}

# Accepted lines, Firecracker's way (any case, extra words, a '+'): REQUEST, then closed at 2 s.
vsock_accepted() {
	vs_start || return 1
	vs_bg upper "printf 'CONNECT 52\n'; sleep 6"
	vs_bg lower "printf 'connect 52\n'; sleep 6"
	vs_bg mixed "printf 'CoNnEcT 1100 extra\n'; sleep 6"
	vs_bg plus "printf '  CONNECT\t+7\r\n'; sleep 6"
	vs_bg data "printf 'CONNECT 52\nhello, are you there?\n'; sleep 6"
	vs_bg eof "printf 'CONNECT 4294967295\n'" 15 # half-closed after the line: still waits
	vs_wait
	for c in upper lower mixed plus data eof; do
		vs_want $c $((VS_REQUEST_MS - 300)) $((VS_REQUEST_MS + 2500)) || return 1
	done
	vs_stop
}

# Malformed lines and bad ports: closed at once, vmm unharmed.
vsock_rejected() {
	vs_start || return 1
	vs_bg garbage "printf 'garbage garbage\n'; sleep 6"
	vs_bg negative "printf 'CONNECT -1\n'; sleep 6"
	vs_bg range "printf 'CONNECT 4294967296\n'; sleep 6"
	vs_bg hex "printf 'CONNECT 0x10\n'; sleep 6"
	vs_bg word "printf 'CONNECTX 5\n'; sleep 6"
	vs_bg long "printf 'CONNECT 1234567890123456789012345678901234567890\n'; sleep 6"
	vs_bg binary "head -c 64 /dev/urandom | tr -d '\n'; sleep 6"
	vs_bg utf8 "printf 'CONNECT 5 \377\n'; sleep 6"
	vs_wait
	for c in garbage negative range hex word long binary utf8; do
		vs_want $c 0 1000 || return 1
	done
	vs_talk after "printf 'CONNECT 52\n'; sleep 6"
	vs_want after $((VS_REQUEST_MS - 300)) $((VS_REQUEST_MS + 2500)) && vs_stop
}

# Silent, or a line that never ends: closed at the handshake deadline. As Firecracker,
# the first 10 bytes are read before looking for a newline: "CONNECT\n" waits for more.
vsock_silent() {
	vs_start || return 1
	vs_bg silent "sleep 9"
	vs_bg nonewline "printf 'CONNECT 52'; sleep 9"
	vs_bg short "printf 'CONN'; sleep 9"
	vs_bg noport "printf 'CONNECT\n'; sleep 9"
	vs_wait
	for c in silent nonewline short noport; do
		vs_want $c $((VS_HANDSHAKE_MS - 300)) $((VS_HANDSHAKE_MS + 2500)) || return 1
	done
	vs_stop
}

# Clients that go away mid-handshake, or before the guest could answer.
vsock_hangups() {
	vs_start || return 1
	for _ in $(seq 20); do
		socat -u /dev/null UNIX-CONNECT:"$T/v.sock" 2>/dev/null
		printf 'CONN' | socat -u - UNIX-CONNECT:"$T/v.sock" 2>/dev/null
		printf 'CONNECT 52\n' | socat -u - UNIX-CONNECT:"$T/v.sock" 2>/dev/null
	done
	vs_talk after "printf 'CONNECT 52\n'; sleep 6"
	vs_want after $((VS_REQUEST_MS - 300)) $((VS_REQUEST_MS + 2500)) && vs_stop
}

# Many clients at once: each one closed on time, none lost.
vsock_many() {
	vs_start cid=42 || return 1
	for i in $(seq 100); do
		vs_bg "c$i" "printf 'CONNECT $((1000 + i))\n'; sleep 6"
	done
	vs_wait
	for i in $(seq 100); do
		vs_want "c$i" $((VS_REQUEST_MS - 300)) $((VS_REQUEST_MS + 3000)) || return 1
	done
	vs_stop
}

# Options and the socket file: checked before the VM starts, a stale file replaced.
vsock_options() {
	vm run "$HELLO" --vsock "$T/v.sock,cid=2"
	want_status 250 && want_out err "bad CID '2'" || return 1
	vm run "$HELLO" --vsock "$T/a.sock" --vsock "$T/b.sock"
	want_status 250 && want_out err "at most one vsock device" || return 1
	vm run "$HELLO" --vsock "$T/missing/v.sock"
	want_status 250 && want_out err "v.sock: No such file or directory" && want_lines err 1 || return 1
	vm run "$HELLO" --vsock "$T/$(printf 'x%.0s' $(seq 120))"
	want_status 250 && want_out err "too long" || return 1
	touch "$T/file.sock"
	vm run "$HELLO" --vsock "$T/file.sock"
	want_status 250 && want_out err "file.sock: File exists" && [ -f "$T/file.sock" ] || return 1
	vs_start || return 1
	cp "$T/out" "$T/first.out"
	vm run "$HELLO" --vsock "$T/v.sock"
	want_status 250 && want_out err "v.sock: in use" || return 1
	kill -9 "$(pgrep -P "$VS_PID" vmm || echo "$VS_PID")"
	wait "$VS_PID"
	[ -S "$T/v.sock" ] || { echo "no stale socket left by kill -9"; return 1; }
	vm run "$HELLO" --vsock "$T/v.sock"
	want_status 0 && [ ! -e "$T/v.sock" ] || { echo "stale socket not replaced or not removed"; show; return 1; }
}

if command -v socat >/dev/null; then
	tk "vsock: CONNECT lines Firecracker accepts get a REQUEST, closed after 2 s unanswered" vsock_accepted
	tk "vsock: malformed lines and bad ports are closed at once" vsock_rejected
	tk "vsock: a silent client or an unfinished line is closed after 5 s" vsock_silent
	tk "vsock: clients hanging up mid-handshake leave vmm running" vsock_hangups
	tk "vsock: 100 concurrent clients" vsock_many
	tk "vsock: --vsock options, a socket in use, a stale socket, removal at exit" vsock_options
else
	skip "vsock host protocol" "socat is missing (tools/setup installs it)"
fi
