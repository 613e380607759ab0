# fuzz.sh: a short libFuzzer run of every target, seeded with the built images.
# `make fuzz` builds them; FUZZ_SECONDS (default 20) sets each run's length.
# fuzz_frames takes frames, not images: build-fuzz/frames_seeds writes its seeds, and
# tests/fuzz/frames_regress holds inputs that once found bugs (run first, as all seeds).
# A crashing input is kept as build-fuzz/crash/<target>-crash-<hash>.

fuzz_seed() {
	if [ "$1" = fuzz_frames ]; then
		build-fuzz/frames_seeds "$2" && cp tests/fuzz/frames_regress/* "$2/"
	else
		cp "$B"/examples/*.img "$B"/tests/guest/*.img "$2/" 2>/dev/null
	fi
}

fuzz_one() {
	local bin=$1 corpus="$T/corpus"
	mkdir -p "$corpus" build-fuzz/crash
	fuzz_seed "$(basename "$bin")" "$corpus"
	timeout -k 5 $((${FUZZ_SECONDS:-20} + 60)) "$bin" -max_total_time="${FUZZ_SECONDS:-20}" \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="build-fuzz/crash/$(basename "$bin")-" "$corpus" >"$T/log" 2>&1 &&
		return 0
	echo "$bin failed:"
	tail -40 "$T/log"
	return 1
}

for bin in build-fuzz/fuzz_*; do
	[ -x "$bin" ] && t "fuzz $(basename "$bin") for ${FUZZ_SECONDS:-20} s" fuzz_one "$bin"
done
