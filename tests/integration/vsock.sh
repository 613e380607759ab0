# vsock.sh: the control channel end to end: vmm's vsock device, the guest's
# AF_VSOCK sockets and control service, vmmctl, and host programs.

PEER="build/tests/tools/vsock_peer"
CTL="$B/vmmctl"

# start_vm IMAGE [ARGS...]: runs a VM with a vsock socket in $T/v.sock, in the background.
start_vm() {
	local img=$1
	shift
	timeout -k 5 "${VM_TIMEOUT:-120}" "$VMM" run "$img" --vsock "$T/v.sock" "$@" >"$T/out" 2>"$T/err" &
	VMPID=$!
	for _ in $(seq 200); do [ -S "$T/v.sock" ] && grep -q "${READY:-.}" "$T/out" 2>/dev/null && return 0; sleep 0.05; done
	echo "the VM did not come up"; show; return 1
}

stop_vm() {
	kill "$VMPID" 2>/dev/null
	wait "$VMPID" 2>/dev/null
}

vsock_vmmctl() {
	READY="ready" start_vm "$B/examples/wordcount.img" || return 1
	"$CTL" "$T/v.sock" ping >"$T/ctl" && grep -q "^pong" "$T/ctl" &&
		"$CTL" "$T/v.sock" status >"$T/ctl" && grep -q "^name: *wordcount" "$T/ctl" &&
		grep -q "^threads: " "$T/ctl" &&
		"$CTL" --json "$T/v.sock" status >"$T/ctl" && grep -q '"ok":true,"command":"status"' "$T/ctl" &&
		grep -q '"state":"running"' "$T/ctl" &&
		printf 'one two\nthree\n' | "$CTL" "$T/v.sock" invoke - >"$T/ctl" &&
		grep -q '{"lines":2,"words":3,"bytes":14}' "$T/ctl" ||
		{ echo "vmmctl output:"; cat "$T/ctl"; stop_vm; return 1; }
	"$CTL" "$T/v.sock" shutdown >"$T/ctl" && grep -q stopping "$T/ctl" || { stop_vm; return 1; }
	wait "$VMPID"
	ST=$?
	want_status 0 && want_out out "shutdown requested" && want_out out "served 1 requests, bye"
}

# against_echo WANT MODE ARGS...: vsock_peer MODE against the guest echo server
# on port 5000; its output must contain WANT.
against_echo() {
	local want=$1 mode=$2
	shift 2
	READY="listening" start_vm "$B/tests/guest/vsock_echo.img" -- serve 5000 || return 1
	timeout 120 "$PEER" "$mode" "$T/v.sock" 5000 "$@" >"$T/peer" 2>&1
	local rc=$?
	stop_vm
	[ $rc = 0 ] || { cat "$T/peer"; show; return 1; }
	grep -q "$want" "$T/peer"
}

vsock_guest_connects() {
	"$PEER" listen "$T/v.sock_7000" "hello guest" >"$T/peer" 2>&1 &
	local lpid=$!
	for _ in $(seq 100); do grep -q listening "$T/peer" && break; sleep 0.05; done
	vm run "$B/tests/guest/vsock_echo.img" --vsock "$T/v.sock" -- connect 7000 "hi host"
	wait $lpid
	want_status 0 && want_out out "the host said: hello guest" &&
		grep -q "got: hi host" "$T/peer" || { cat "$T/peer"; return 1; }
}

# No shutdown handler, a transfer going on: after the grace period the VM exits 143.
vsock_shutdown_mid_transfer() {
	READY="listening" start_vm "$B/tests/guest/vsock_echo.img" -- serve 5000 || return 1
	timeout 60 "$PEER" echo "$T/v.sock" 5000 4294967296 1 >"$T/peer" 2>&1 &
	local ppid=$!
	sleep 0.5
	"$CTL" "$T/v.sock" shutdown 300 >"$T/ctl" || { cat "$T/ctl"; stop_vm; return 1; }
	wait "$VMPID"
	ST=$?
	wait $ppid
	local prc=$?
	want_status 143 && want_out err "did not exit within 300 ms" || return 1
	[ $prc != 0 ] && [ $prc != 124 ] || { echo "the host client: status $prc"; cat "$T/peer"; return 1; }
}

vsock_vmmctl_errors() {
	"$CTL" "$T/none.sock" ping 2>"$T/ctl"
	[ $? = 3 ] && grep -q "No such file" "$T/ctl" || { cat "$T/ctl"; return 1; }
	READY="listening" start_vm "$B/tests/guest/vsock_echo.img" -- serve 5000 || return 1
	"$CTL" "$T/v.sock" invoke x 2>"$T/ctl"
	local rc=$?
	"$CTL" --json "$T/v.sock" frob >"$T/ctl2" 2>&1
	local rc2=$?
	stop_vm
	[ $rc = 1 ] && grep -q "no invoke handler" "$T/ctl" && [ $rc2 = 2 ] ||
		{ echo "statuses $rc $rc2"; cat "$T/ctl" "$T/ctl2"; return 1; }
}

# A guest that never yields cannot answer: vmmctl times out, vmm is fine.
vsock_vmmctl_timeout() {
	READY="spinning" start_vm "$B/tests/guest/spin.img" || return 1
	timeout 20 "$CTL" --timeout 1 "$T/v.sock" ping 2>"$T/ctl"
	local rc=$?
	stop_vm
	[ $rc = 5 ] && grep -q "within 1 s" "$T/ctl" || { echo "status $rc"; cat "$T/ctl"; return 1; }
}

tk "vmmctl ping, status, invoke and shutdown against examples/wordcount" vsock_vmmctl
tk "64 MiB echoed host to guest and back, every byte checked" \
	against_echo "all back intact" echo 67108864 1
tk "50 concurrent connections" against_echo "50 connection(s)" echo 262144 50
tk "a host reader that stops reading does not stall another connection" \
	against_echo "all back intact" stall
tk "a guest connection to CID 2 reaches the host listener at SOCKET_P" vsock_guest_connects
tk "shutdown in the middle of a transfer: the grace period ends the VM" vsock_shutdown_mid_transfer
tk "vmmctl errors: no socket, no invoke handler, bad command" vsock_vmmctl_errors
tk "vmmctl times out on a guest that does not answer" vsock_vmmctl_timeout
