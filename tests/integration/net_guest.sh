# net_guest.sh: the guest's virtio-net driver and IPv4 stack answer ping, under QEMU's
# virtio-net-device on a tap inside a network namespace of our own (no traffic leaves it).

NET_IMG="$B/tests/guest/net_ping.img"
GUEST_IP=10.77.0.2

# net_up: a namespace with tap0 at 10.77.0.1/24, and net_ping in QEMU behind it.
net_up() {
	NS=vmmnet-$$-$RANDOM
	ip netns add "$NS" || return 1
	ip netns exec "$NS" ip tuntap add dev tap0 mode tap &&
		ip netns exec "$NS" ip addr add 10.77.0.1/24 dev tap0 &&
		ip netns exec "$NS" ip link set tap0 up || return 1
	ip netns exec "$NS" timeout -k 5 60 qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on \
		-accel tcg -cpu max -m 64 -nodefaults -no-user-config -nographic -no-reboot \
		-serial stdio -device isa-debug-exit,iobase=0x501,iosize=1 \
		-global virtio-mmio.force-legacy=false \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-device,netdev=n0,mac=52:54:00:12:34:56 \
		-kernel "$NET_IMG" -append "vmm.ip=$GUEST_IP/24 -- net_ping $1" >"$T/out" 2>"$T/err" &
	QPID=$!
	for _ in $(seq 200); do grep -q "net_ping: up" "$T/out" && return 0; sleep 0.05; done
	echo "the guest did not come up"; show; return 1
}

net_down() {
	kill "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	ip netns del "$NS"
}

nping() { ip netns exec "$NS" ping -n "$@" "$GUEST_IP" >>"$T/ping" 2>&1; }

# The host asks by ARP, then pings: small, full-MTU (DF), a burst; the guest exits 0.
net_ping_answers() {
	net_up 8 || { net_down; return 1; }
	nping -c 3 -W 2 && nping -q -c 100 -i 0.002 -W 2 && nping -q -c 2 -M do -s 1472 -W 2
	local rc=$?
	wait "$QPID"
	ST=$?
	ip netns del "$NS"
	[ $rc = 0 ] || { cat "$T/ping"; show; return 1; }
	want_status 1 && want_out out "guest: net 52:54:00:12:34:56 $GUEST_IP/24" &&
		want_out out "net_ping: done" && grep -q " 0% packet loss" "$T/ping"
}

# A static neighbour entry: the host never asks, so the guest's reply must resolve us by ARP.
# A fragmented echo (2000 bytes) is dropped, not reassembled.
net_guest_resolves() {
	net_up 6 || { net_down; return 1; }
	ip netns exec "$NS" ip neigh add "$GUEST_IP" lladdr 52:54:00:12:34:56 dev tap0 nud permanent
	nping -c 2 -W 2
	local rc=$?
	! nping -c 1 -s 2000 -W 1
	local frag=$?
	net_down
	[ $rc = 0 ] && [ $frag = 0 ] || { echo "ping $rc, fragment $frag"; cat "$T/ping"; show; return 1; }
	ip netns exec "$NS" true 2>/dev/null && { echo "namespace $NS left behind"; return 1; }
	return 0
}

if [ -n "$PREFIX" ]; then
	: # QEMU runs no vmm: nothing for the sanitizer build to add
elif ! command -v qemu-system-x86_64 >/dev/null || ! command -v ping >/dev/null ||
	! ip netns list >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	skip "guest IPv4 under QEMU virtio-net" "needs root, ip netns, ping and qemu-system-x86_64"
else
	t "guest IPv4 under QEMU virtio-net: ping answered (ARP, small, burst, 1500 bytes DF)" net_ping_answers
	t "guest IPv4 under QEMU virtio-net: the guest resolves by ARP; fragments are dropped" net_guest_resolves
fi

# The same through vmm's own virtio-net: addresses from the device tree, not a boot option.
net_vmm_ping() {
	NS=vmmnet-$$-$RANDOM
	ip netns add "$NS" || return 1
	ip netns exec "$NS" ip tuntap add dev tap0 mode tap &&
		ip netns exec "$NS" ip addr add 10.77.0.1/24 dev tap0 &&
		ip netns exec "$NS" ip link set tap0 up || { ip netns del "$NS"; return 1; }
	ip netns exec "$NS" timeout -k 5 60 "$VMM" run "$NET_IMG" \
		--net tap=tap0,mac=52:54:00:ab:cd:ef,ip=$GUEST_IP/24,gw=10.77.0.1 -- 6 \
		>"$T/out" 2>"$T/err" &
	local vpid=$!
	for _ in $(seq 200); do grep -q "net_ping: up" "$T/out" && break; sleep 0.05; done
	nping -c 3 -W 2 && nping -q -c 100 -i 0.002 -W 2
	local rc=$?
	wait $vpid
	ST=$?
	ip netns del "$NS"
	[ $rc = 0 ] || { cat "$T/ping"; show; return 1; }
	want_status 0 && want_out err "guest: net 52:54:00:ab:cd:ef $GUEST_IP/24" &&
		grep -q " 0% packet loss" "$T/ping"
}

if ! command -v ping >/dev/null || ! ip netns list >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	skip "guest IPv4 under vmm's virtio-net" "needs root, ip netns and ping"
else
	tk "guest IPv4 under vmm's virtio-net: ping answered, addresses from the device tree" net_vmm_ping
fi
