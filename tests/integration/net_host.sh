# net_host.sh: virtio-net on a tap, host side, each test in a network namespace of its own
# (no traffic leaves it): the --net option, its errors, and the device the guest sees.

NET_N=0

# net_up: a namespace $NS holding the tap vmmtap0 (10.77.0.1/24, up); removed by net_down.
net_up() {
	NET_N=$((NET_N + 1))
	NS=vmmtest-$$-$NET_N
	ip netns add "$NS" || return 1
	ip netns exec "$NS" ip tuntap add dev vmmtap0 mode tap &&
		ip netns exec "$NS" ip addr add 10.77.0.1/24 dev vmmtap0 &&
		ip netns exec "$NS" ip link set vmmtap0 up
}

net_down() { ip netns del "$NS" 2>/dev/null; }

# nvm ARGS...: as vm, inside $NS.
nvm() {
	timeout -k 5 "${VM_TIMEOUT:-60}" ip netns exec "$NS" "$VMM" "$@" >"$T/out" 2>"$T/err"
	ST=$?
}

# tn NAME FUNCTION: a tk test wrapped in its own namespace, removed even when it fails.
tn() {
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
		skip "$1" "needs root and iproute2 for a network namespace"
		return
	fi
	tk "$1" net_wrap "$2"
}

# Runs in t's subshell: the namespace goes whether the test passes or fails.
net_wrap() {
	local rc=1
	if net_up; then "$1"; rc=$?; else echo "could not set up namespace $NS"; fi
	net_down
	return $rc
}

net_missing_tap() {
	nvm run "$HELLO" --net tap=nosuchtap0
	want_status 250 && want_out err "nosuchtap0: no such network device" && want_lines err 1
}

net_bad_options() {
	local opt
	for opt in tap=vmmtap0,mac=01:00:00:00:00:01 tap=vmmtap0,mac=zz tap=vmmtap0,ip=10.77.0.2 \
		tap=vmmtap0,ip=10.77.0.2/40 tap=vmmtap0,gw=10.77.0.1 ip=10.77.0.2/24; do
		nvm run "$HELLO" --net "$opt"
		want_status 250 && want_out err "--net" || { echo "for --net $opt"; return 1; }
	done
}

net_hello() {
	nvm run "$HELLO" --net tap=vmmtap0,ip=10.77.0.2/24,gw=10.77.0.1
	want_status 0 && want_out out "hello from the guest"
}

net_probe_mac() {
	nvm run "$B/tests/guest/net_probe.img" --net tap=vmmtap0,mac=52:54:00:12:34:56
	want_status 0 && want_out out "net_probe: id 1 mac 52:54:00:12:34:56 status 1"
}

net_probe_default_mac() {
	local first
	nvm run "$B/tests/guest/net_probe.img" --net tap=vmmtap0
	want_status 0 || return 1
	first=$(grep -o 'mac [0-9a-f:]*' "$T/out")
	[ -n "$first" ] || { echo "no MAC"; show; return 1; }
	nvm run "$B/tests/guest/net_probe.img" --net tap=vmmtap0
	want_out out "$first" # stable across runs
}

tn "net: a missing tap is one line, status 250" net_missing_tap
tn "net: bad --net options are usage errors" net_bad_options
tn "net: hello boots with a net device" net_hello
tn "net: the guest reads the MAC from config space" net_probe_mac
tn "net: the default MAC is stable" net_probe_default_mac
