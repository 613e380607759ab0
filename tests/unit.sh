# unit.sh: runs every cmocka binary; each of its cases counts as one test.

run_unit() {
	local bin=$1 out line
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$bin" 2>&1)
	local rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "*) pass "$(basename "$bin"): ${line#ok * - }" ;;
		"not ok "*) fail "$(basename "$bin"): ${line#not ok * - }" "$out" ;;
		esac
	done <<<"$out"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$out"; then
		fail "$(basename "$bin")" "exited with status $rc: $out"
	fi
}

for bin in "$B"/tests/unit/test_*; do
	[ -x "$bin" ] && run_unit "$bin"
done
