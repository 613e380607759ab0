# impair.sh: a lossy, reordering link between a guest and the host, for tests that source it
# (it defines functions only).
#   impair_up PREFIX LOSS REORDER [NET_IMPAIR_ARGS...]
#       namespace PREFIX-vm: tap0, up, no address (for vmm); namespace PREFIX-host: tapH at
#       10.77.0.1/24 (for clients); between them build/tests/tools/net_impair dropping LOSS %
#       and reordering REORDER % of frames each way. Sets VM_NS, HOST_NS and IMPAIR_PID.
#   impair_down
#       stops the relay (its counts land in IMPAIR_SUMMARY) and deletes both namespaces.
# Then: ip netns exec $VM_NS vmm run IMG --net tap=tap0,ip=10.77.0.2/24,gw=10.77.0.1,
# and clients: ip netns exec $HOST_NS ...

IMPAIR=${IMPAIR:-build/tests/tools/net_impair}

# impair_ns NS: a fresh namespace with lo up and no IPv6 (whose chatter would cross the link).
impair_ns() {
	ip netns add "$1" && ip netns exec "$1" ip link set lo up || return 1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	return 0
}

# impair_has NS: NS is in ip netns list.
impair_has() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF -- "$1"; }

impair_up() {
	local prefix=$1 loss=$2 reorder=$3
	shift 3
	VM_NS=$prefix-vm HOST_NS=$prefix-host IMPAIR_PID='' IMPAIR_SUMMARY=''
	[ -x "$IMPAIR" ] || { echo "$IMPAIR is missing: make unit"; return 1; }
	IMPAIR_DIR=$(mktemp -d) || return 1
	if ! impair_ns "$VM_NS" || ! impair_ns "$HOST_NS" ||
		! ip netns exec "$VM_NS" ip tuntap add dev tap0 mode tap ||
		! ip netns exec "$VM_NS" ip link set tap0 up ||
		! ip netns exec "$HOST_NS" ip tuntap add dev tapH mode tap ||
		! ip netns exec "$HOST_NS" ip addr add 10.77.0.1/24 dev tapH ||
		! ip netns exec "$HOST_NS" ip link set tapH up; then
		echo "impair_up: could not set up namespaces $VM_NS and $HOST_NS"
		impair_down
		return 1
	fi
	"$IMPAIR" --vm-ns "$VM_NS" --vm-if tap0 --host-ns "$HOST_NS" --host-tap tapH \
		--loss "$loss" --reorder "$reorder" "$@" >"$IMPAIR_DIR/out" 2>"$IMPAIR_DIR/err" &
	IMPAIR_PID=$!
	impair_ready && return 0
	impair_down
	return 1
}

# impair_ready: waits (5 s at most) for the relay's "ready"; fails at once if it exits.
impair_ready() {
	for _ in $(seq 100); do
		grep -qx "net_impair: ready" "$IMPAIR_DIR/out" && return 0
		if ! kill -0 "$IMPAIR_PID" 2>/dev/null; then
			echo "net_impair exited before it was ready:"
			cat "$IMPAIR_DIR/err"
			return 1
		fi
		sleep 0.05
	done
	echo "net_impair not ready within 5 s"
	return 1
}

impair_down() {
	local rc=0 ns
	if [ -n "${IMPAIR_PID:-}" ]; then
		kill "$IMPAIR_PID" 2>/dev/null
		wait "$IMPAIR_PID" 2>/dev/null
		IMPAIR_PID=
	fi
	# shellcheck disable=SC2034 # for the caller
	[ -n "${IMPAIR_DIR:-}" ] && IMPAIR_SUMMARY=$(cat "$IMPAIR_DIR/err")
	[ -n "${IMPAIR_DIR:-}" ] && rm -rf "$IMPAIR_DIR"
	IMPAIR_DIR=
	for ns in "${VM_NS:-}" "${HOST_NS:-}"; do
		[ -n "$ns" ] || continue
		ip netns del "$ns" 2>/dev/null
		if impair_has "$ns"; then
			echo "impair_down: namespace $ns is still there"
			rc=1
		fi
	done
	return $rc
}
