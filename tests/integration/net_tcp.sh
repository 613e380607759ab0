# net_tcp.sh: the guest's TCP/IP stack end to end through vmm's virtio-net: ping, TCP echo,
# many and parallel connections, UDP, 16 MiB each way, loss and reordering (netem, or
# impair.sh's relay where the kernel has no netem), a connection the guest opens, HTTP with
# keep-alive (examples/httpd), and httpd under QEMU.
# Each test has a network namespace of its own with tap0 at 10.77.0.1/24, deleted afterwards;
# no traffic leaves it. Guests: tests/guest/net_echo.c, examples/httpd; host: net_peer.

TCP_IP=10.77.0.2
TCP_ECHO="$B/tests/guest/net_echo.img"
TCP_HTTPD="$B/examples/httpd.img"
TCP_PEER=build/tests/tools/net_peer
TCP_INDEX=examples/httpd/files/index.html
TCP_URL=http://$TCP_IP

# tns CMD...: CMD inside the test's namespace. (Not for background jobs: $! would be a
# subshell, and killing it would leave CMD running; those call ip netns exec, which execs.)
tns() { ip netns exec "$TNS" "$@"; }

# tcp_ns: a fresh namespace $TNS holding tap0 at 10.77.0.1/24, up.
tcp_ns() {
	TNS=vmmtcp-$BASHPID TVM=
	ip netns add "$TNS" || return 1
	tns ip link set lo up && tns ip tuntap add dev tap0 mode tap &&
		tns ip addr add 10.77.0.1/24 dev tap0 && tns ip link set tap0 up
}

# tcp_ready TEXT: waits (10 s at most) for TEXT on the guest's stdout; fails at once if
# the guest exits first.
tcp_ready() {
	for _ in $(seq 200); do
		grep -sqF -- "$1" "$T/out" && return 0
		if ! kill -0 "$TVM" 2>/dev/null; then
			wait "$TVM"
			ST=$? TVM=
			echo "the guest exited with status $ST before printing '$1'"; show; return 1
		fi
		sleep 0.05
	done
	echo "no '$1' from the guest within 10 s"; show; return 1
}

# tcp_boot IMAGE READY ARGS...: IMAGE under vmm in $TNS, in the background ($TVM), with
# argv[1..] ARGS, until it prints READY. Stopped by tcp_down.
tcp_boot() {
	local img=$1 ready=$2
	shift 2
	[ -f "$img" ] || { echo "$img is missing: make all"; return 1; }
	ip netns exec "$TNS" timeout -k 5 "${TCP_LIMIT:-60}" "$VMM" run "$img" \
		--net "tap=tap0,ip=$TCP_IP/24,gw=10.77.0.1" -- "$@" >"$T/out" 2>"$T/err" &
	TVM=$!
	tcp_ready "$ready"
}

# tcp_boot_qemu: as tcp_boot, under QEMU microvm (TCG) with virtio-net-device on tap0.
tcp_boot_qemu() {
	local img=$1 ready=$2 name
	shift 2
	name=$(basename "$img" .img)
	[ -f "$img" ] || { echo "$img is missing: make all"; return 1; }
	ip netns exec "$TNS" timeout -k 5 "${TCP_LIMIT:-60}" qemu-system-x86_64 \
		-M microvm,x-option-roms=off,rtc=on \
		-accel tcg -cpu max -m 64 -nodefaults -no-user-config -nographic -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0x501,iosize=1 \
		-global virtio-mmio.force-legacy=false \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-device,netdev=n0,mac=52:54:00:12:34:56 \
		-kernel "$img" -append "vmm.ip=$TCP_IP/24,gw=10.77.0.1 -- $name $*" \
		>"$T/out" 2>"$T/err" &
	TVM=$!
	tcp_ready "$ready"
}

# tcp_stop: stops the guest, which must still be running; nothing may be left in $TNS.
tcp_stop() {
	local rc=0 left
	if [ -n "$TVM" ] && ! kill "$TVM" 2>/dev/null; then
		wait "$TVM"
		ST=$?
		echo "the guest had exited (status $ST) before the test ended"; show; rc=1
	fi
	[ -n "$TVM" ] && wait "$TVM" 2>/dev/null
	TVM=
	left=$(ip netns pids "$TNS" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "still running in $TNS:"; ps -o pid,args -p "${left//$'\n'/,}"
		# shellcheck disable=SC2086 # one pid per word
		kill -9 $left 2>/dev/null
		rc=1
	fi
	return $rc
}

# tcp_down: tcp_stop, then $TNS is deleted and must be gone.
tcp_down() {
	local rc=0
	tcp_stop || rc=1
	ip netns del "$TNS" 2>/dev/null
	if ip netns list 2>/dev/null | grep -qw "$TNS"; then echo "namespace $TNS left behind"; rc=1; fi
	return $rc
}

# Runs in t's subshell: the namespace goes whether the test passes or fails.
tcp_wrap() {
	local rc=1
	if tcp_ns; then "$1"; rc=$?; else echo "could not set up namespace $TNS"; fi
	tcp_down || rc=1
	return $rc
}

# tpeer ARGS...: net_peer in $TNS, no wait longer than $TCP_WAIT s; output in $T/peer.
tpeer() {
	tns "$TCP_PEER" -t "${TCP_WAIT:-10}" "$@" >"$T/peer" 2>&1 && return 0
	echo "net_peer $* failed:"; cat "$T/peer"; show; return 1
}

tcp_echo_up() { tcp_boot "$TCP_ECHO" "net_echo: up" 7; }
tcp_httpd_up() { tcp_boot "$TCP_HTTPD" "httpd: listening on port 80" -p 80; }

tcp_ping() {
	tcp_echo_up || return 1
	tns ping -n -c 3 -W 2 "$TCP_IP" >"$T/ping" 2>&1 &&
		tns ping -n -q -c 50 -i 0.002 -W 2 "$TCP_IP" >>"$T/ping" 2>&1 &&
		grep -q " 0% packet loss" "$T/ping" || { cat "$T/ping"; show; return 1; }
}

tcp_echo() { tcp_echo_up && tpeer echo "$TCP_IP" 7 4194304; }
tcp_conns() { tcp_echo_up && tpeer conns "$TCP_IP" 7 1000; }
tcp_parallel() { tcp_echo_up && tpeer parallel "$TCP_IP" 7 32 1048576; }
tcp_udp() { tcp_echo_up && tpeer udp "$TCP_IP" 7 1000; }

tcp_bulk() {
	tcp_echo_up && tpeer upload "$TCP_IP" 8 16777216 && tpeer download "$TCP_IP" 9 16777216
}

tcp_lossy_bulk() {
	TCP_WAIT=30 tpeer upload "$TCP_IP" 8 16777216 &&
		TCP_WAIT=30 tpeer download "$TCP_IP" 9 16777216
}

# netem on the host's side of the tap loses, reorders and delays what the host sends the
# guest: data on the way in, acknowledgements on the way out.
tcp_lossy() {
	local TCP_LIMIT=120
	tcp_echo_up || return 1
	tns tc qdisc add dev tap0 root netem loss 5% reorder 25% 50% delay 1ms && tcp_lossy_bulk
}

# Without netem, the same through impair.sh's relay (tests/tools/net_impair), which impairs
# both ways: the guest's tap in $VM_NS, the host's end and net_peer in $HOST_NS.
tcp_lossy_relay() {
	local rc=1 TNS TVM='' TCP_LIMIT=120 # this test's own, for the helpers it calls
	impair_up "vmmtcp-$BASHPID" 5 25 --delay-us 1000 || return 1
	TNS=$VM_NS
	if "${TCP_RELAY_UP:-tcp_echo_up}"; then
		TNS=$HOST_NS
		"${TCP_RELAY_TEST:-tcp_lossy_bulk}" && rc=0
	fi
	TNS=$VM_NS
	tcp_stop || rc=1
	impair_down || rc=1
	return $rc
}

# The guest connects out: net_peer listens on the host and answers cksum's line, which
# the guest prints.
tcp_guest_connect() {
	local lp want
	ip netns exec "$TNS" "$TCP_PEER" -t 20 listen 5555 >"$T/peer" 2>&1 &
	lp=$!
	for _ in $(seq 100); do grep -sq listening "$T/peer" && break; sleep 0.05; done
	tns timeout -k 5 30 "$VMM" run "$TCP_ECHO" --net "tap=tap0,ip=$TCP_IP/24,gw=10.77.0.1" \
		-- connect 10.77.0.1 5555 1048576 >"$T/out" 2>"$T/err"
	ST=$?
	[ "$ST" = 0 ] || kill "$lp" 2>/dev/null # it would wait for nobody
	wait "$lp" || { echo "net_peer listen failed:"; cat "$T/peer"; show; return 1; }
	want=$("$PATTERN" 1 1048576 | cksum)
	want_status 0 && want_out out "net_echo: reply: $want" &&
		want_out out "net_echo: connected $TCP_IP:"
}

# tcp_pattern FILE SEED BYTES: FILE is what `pattern SEED BYTES` writes (/bytes/N?seed=S).
tcp_pattern() {
	cmp "$1" <("$PATTERN" "$2" "$3") && return 0
	echo "$1 is not $3 bytes of the pattern with seed $2"; return 1
}

# tcurl ARGS...: curl in $TNS, 30 s at most; its stderr in $T/curl.
tcurl() {
	tns curl -sS --max-time 30 "$@" 2>"$T/curl" && return 0
	echo "curl $* failed:"; cat "$T/curl"; show; return 1
}

http_files() {
	tcp_httpd_up || return 1
	tcurl -o "$T/index" "$TCP_URL/index.html" &&
		tcurl -o "$T/bytes" "$TCP_URL/bytes/1000003?seed=7" || return 1
	cmp "$T/index" "$TCP_INDEX" && tcp_pattern "$T/bytes" 7 1000003
}

# 16 MiB each way through HTTP: POST /upload answers cksum's line; GET /bytes/N.
http_bulk() {
	local got want
	tcp_httpd_up || return 1
	"$PATTERN" 5 16777216 >"$T/up"
	want=$(cksum <"$T/up")
	got=$(tcurl -H 'Expect:' --data-binary @"$T/up" "$TCP_URL/upload") || { echo "$got"; return 1; }
	[ "$got" = "$want" ] || { echo "POST /upload answered '$got', cksum says '$want'"; return 1; }
	tcurl -o "$T/bytes" "$TCP_URL/bytes/16777216?seed=9" && tcp_pattern "$T/bytes" 9 16777216
}

# Two URLs on one curl command line: the second must reuse the first's connection.
http_keepalive() {
	local n
	tcp_httpd_up || return 1
	n=$(tns curl -sS -v --max-time 10 -o "$T/a" -o "$T/b" -w '%{num_connects} ' \
		"$TCP_URL/index.html" "$TCP_URL/stats" 2>"$T/curl") || { cat "$T/curl"; show; return 1; }
	[ "$n" = "1 0 " ] && grep -q "Re-using existing connection" "$T/curl" && cmp "$T/a" "$TCP_INDEX" &&
		return 0
	echo "connections made per URL: $n (want 1 0)"; cat "$T/curl"; return 1
}

# The same httpd image under QEMU's virtio-net-device: the driver and stack against QEMU.
http_qemu() {
	tcp_boot_qemu "$TCP_HTTPD" "httpd: listening on port 80" -p 80 || return 1
	tns ping -n -c 3 -W 2 "$TCP_IP" >"$T/ping" 2>&1 || { cat "$T/ping"; show; return 1; }
	tcurl -o "$T/index" "$TCP_URL/index.html" && cmp "$T/index" "$TCP_INDEX" &&
		tcurl -o "$T/bytes" "$TCP_URL/bytes/1000003?seed=7" && tcp_pattern "$T/bytes" 7 1000003
}

# Is netem there? Not every kernel has sch_netem.
tcp_have_netem() {
	local ns=vmmtcp-probe-$$ rc=1
	ip netns add "$ns" 2>/dev/null || return 1
	ip netns exec "$ns" ip tuntap add dev tap0 mode tap &&
		ip netns exec "$ns" tc qdisc add dev tap0 root netem delay 1ms 2>/dev/null && rc=0
	ip netns del "$ns"
	return $rc
}

# ttcp NAME FUNCTION [WHY-NOT]: a tk test (or $TCP_RUN's) in a namespace of its own, or
# skipped with WHY-NOT.
# Calls that must fail, and how (tests/guest/net_errors.c): it runs to its end, and
# sends nothing but a broadcast datagram and one SYN the host refuses.
tcp_errors() {
	timeout -k 5 30 ip netns exec "$TNS" "$VMM" run "$B/tests/guest/net_errors.img" \
		--net "tap=tap0,ip=$TCP_IP/24,gw=10.77.0.1" >"$T/out" 2>"$T/err"
	ST=$?
	want_status 0 && want_out out "net_errors: ok" && want_no_out out "FAIL"
}

ttcp() {
	if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
		skip "$1" "needs root and ip netns (iproute2) for a network namespace"
	elif [ -n "${3:-}" ]; then
		skip "$1" "$3"
	else
		"${TCP_RUN:-tk}" "$1" tcp_wrap "$2"
	fi
}

tcp_no_httpd=""
command -v curl >/dev/null || tcp_no_httpd="needs curl (tools/setup installs it)"
tcp_no_ping=""
command -v ping >/dev/null || tcp_no_ping="needs ping (tools/setup installs it)"
# Without netem, impair.sh's relay stands in.
tcp_lossy_how=tcp_lossy tcp_lossy_name="netem" tcp_no_lossy=""
if [ "$(id -u)" = 0 ] && ! tcp_have_netem; then
	# shellcheck source=tests/impair.sh
	. tests/impair.sh
	if [ -x "${IMPAIR:-build/tests/tools/net_impair}" ]; then
		tcp_lossy_how=tcp_lossy_relay tcp_lossy_name="net_impair relay, no netem here"
	else
		tcp_no_lossy="this kernel has no netem qdisc (sch_netem) and net_impair is not there"
	fi
fi

ttcp "tcp/ip: the guest answers ping" tcp_ping "$tcp_no_ping"
ttcp "tcp/ip: 4 MiB echoed byte-exact on one connection" tcp_echo
ttcp "tcp/ip: 1,000 sequential connections" tcp_conns
ttcp "tcp/ip: 32 concurrent clients, 1 MiB each, echoed" tcp_parallel
ttcp "tcp/ip: 1,000 UDP datagrams of 4 to 1472 bytes echoed" tcp_udp
ttcp "tcp/ip: 16 MiB up (cksum) and down (pattern)" tcp_bulk
ttcp "tcp/ip: 16 MiB both ways through 5% loss, 25% reordering ($tcp_lossy_name)" \
	"$tcp_lossy_how" "$tcp_no_lossy"
ttcp "tcp/ip: the guest connects to a host listener" tcp_guest_connect
ttcp "tcp/ip: refusals as on Linux (no loopback, broadcast, multicast, ports in use)" tcp_errors
ttcp "httpd: a bundled file and /bytes/N, byte-exact" http_files "$tcp_no_httpd"
ttcp "httpd: 16 MiB POST /upload (cksum) and GET /bytes/N" http_bulk "$tcp_no_httpd"
ttcp "httpd: keep-alive: two URLs on one connection" http_keepalive "$tcp_no_httpd"
if [ -n "$PREFIX" ]; then
	: # QEMU runs no vmm: nothing for the sanitizer build to add
elif ! command -v qemu-system-x86_64 >/dev/null; then
	skip "httpd under QEMU virtio-net" "qemu-system-x86_64 is not installed"
else
	TCP_RUN=t ttcp "httpd under QEMU microvm (TCG) virtio-net: ping and a byte-exact fetch" http_qemu \
		"${tcp_no_httpd:-$tcp_no_ping}"
fi
