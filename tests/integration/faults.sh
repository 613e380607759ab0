# faults.sh: crashes, runaways and signals end the VM with a report, never vmm.

fault_null() {
	vm run "$B/tests/guest/crash_null.img"
	want_status 253 && want_out out "about to dereference NULL" &&
		want_out err "NULL pointer dereference" && want_out err "in deref_null+0 (crash_null.c:" &&
		want_out err "backtrace:" && want_out err "cr2 0000000000000000" &&
		want_out err "rip 0000"
}

fault_stack() {
	vm run "$B/tests/guest/stack_overflow.img"
	want_status 253 && want_out err "stack overflow" && want_out err "in recurse+" && want_out err "(stack_overflow.c:" &&
		want_out err "the same frame"
}

fault_timeout() {
	local t0=$SECONDS
	vm run "$B/tests/guest/spin.img" --timeout 1
	want_status 254 && want_out out "spinning" && want_out err "timed out" || return 1
	[ $((SECONDS - t0)) -lt 10 ] || { echo "took $((SECONDS - t0)) s"; return 1; }
}

fault_signal() {
	timeout -k 5 30 "$VMM" run "$B/tests/guest/spin.img" >"$T/out" 2>"$T/err" &
	local pid=$!
	for _ in $(seq 100); do grep -q spinning "$T/out" && break; sleep 0.05; done
	kill -"$1" "$(pgrep -P $pid vmm || echo $pid)" 2>/dev/null
	wait $pid
	ST=$?
	want_status 255 && want_out err "guest stopped"
}

fault_enosys() {
	vm run "$B/tests/guest/enosys.img"
	want_status 0 && want_out out "ENOSYS three times" &&
		[ "$(grep -c 'syscall 163 (acct) is not implemented' "$T/err")" = 1 ] ||
		{ echo "want exactly one log line for acct"; show; return 1; }
}

fault_abort() {
	vm run "$B/tests/guest/abort.img"
	want_status 134 && want_out err "killed by signal 6"
}

tk "NULL dereference is reported in its function" fault_null
tk "unbounded recursion hits the guard page" fault_stack
tk "--timeout stops an endless loop" fault_timeout
tk "SIGTERM stops the VM cleanly" fault_signal TERM
tk "SIGINT stops the VM cleanly" fault_signal INT
tk "unimplemented syscall: ENOSYS, logged once" fault_enosys
tk "abort() exits 134" fault_abort
