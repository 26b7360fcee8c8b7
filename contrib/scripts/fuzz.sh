#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan, every library
# instrumented for coverage) and fuzz each one for a while, on top of its
# seed corpus in tests/fuzz/corpus.  test.sh runs every target for 30 s; run
# it by hand for longer after touching a parser.
#
#     contrib/scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]  (60 s, every target)
#     contrib/scripts/fuzz.sh --list
#
# Prints one line per target, "fuzz-NAME: ok, N runs" or "fuzz-NAME: FAILED
# ...", and exits 1 if any target failed.  A crashing input is kept under
# build-fuzz/fuzz-artifacts/NAME/ (add it to the corpus once fixed); what the
# fuzzer found new goes to build-fuzz/fuzz-corpus-NAME/, never into the tree.
set -uo pipefail
# shellcheck source=contrib/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PG_REPO_ROOT" || exit 1

# target:corpus directory
TARGETS=(ipc-decode:ipc jid:jid stanza:stanza handlers:handlers ipc-channel:ipc-channel
	http-query:http-query kannel-reply:kannel-reply import-irssi:import-irssi
	import-weechat:import-weechat import-znc:import-znc identd-query:identd-query)

if [[ "${1:-}" == "--list" ]]; then
	for target in "${TARGETS[@]}"; do
		echo "${target%%:*}"
	done
	exit 0
fi

seconds="${1:-60}"
shift || true
wanted=("$@")
build="${PG_FUZZ_BUILD_DIR:-build-fuzz}"
if [[ ! -f "$build/build.ninja" ]]; then
	CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null || pg_die "meson setup failed"
fi
names=()
for target in "${TARGETS[@]}"; do
	name="${target%%:*}"
	if ((${#wanted[@]} == 0)) || [[ " ${wanted[*]} " == *" $name "* ]]; then
		names+=("$name")
	fi
done
((${#names[@]} > 0)) || pg_die "no such target: ${wanted[*]} (see --list)"
pg_log "building ${names[*]} in $build (clang, libFuzzer, ASan + UBSan)"
ninja -C "$build" "${names[@]/#/tests/fuzz/fuzz-}" || pg_die "build failed"

# test.sh asks for exact malloc stacks (fast_unwind_on_malloc=0): right for
# its tests, but it slows a fuzzer down several times; the last one wins
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=1"
# third-party leaks only (glibc's resolver threads, libpurple): the same
# list as the integration tests, also when this script runs by hand
if [[ "${LSAN_OPTIONS:-}" != *suppressions=* ]]; then
	export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PG_REPO_ROOT/tests/integration/lsan.supp:print_suppressions=0"
fi

# One target per job, PG_FUZZ_JOBS (the CPU count) at a time: the targets
# are independent, and a run of 30 s each would otherwise add up.
jobs="${PG_FUZZ_JOBS:-$(nproc)}"
fuzz_one() {
	local name="$1" corpus="$2"
	local work="$build/fuzz-corpus-$name"
	local artifacts="$build/fuzz-artifacts/$name"
	local log="$build/fuzz-$name.log"
	rm -rf "$artifacts"
	mkdir -p "$work" "$artifacts"
	# -timeout: one input taking 25 s is a hang; the RSS limit catches a
	# runaway allocation long before the machine feels it
	if "$build/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -timeout=25 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts/" \
		"$work" "tests/fuzz/corpus/$corpus" >"$log" 2>&1; then
		local runs
		runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
		echo "fuzz-$name: ok, ${runs:-?} runs" >"$build/fuzz-$name.result"
	else
		echo "fuzz-$name: FAILED (log: $log, input: $(find "$artifacts" -type f | head -1))" \
			>"$build/fuzz-$name.result"
		grep -E 'ERROR|SUMMARY|assertion|Bail out' "$log" | head -5 >&2
	fi
}

running=0
for target in "${TARGETS[@]}"; do
	name="${target%%:*}"
	[[ " ${names[*]} " == *" $name "* ]] || continue
	rm -f "$build/fuzz-$name.result"
	pg_log "fuzzing $name for ${seconds}s"
	fuzz_one "$name" "${target##*:}" &
	running=$((running + 1))
	if ((running >= jobs)); then
		wait -n
		running=$((running - 1))
	fi
done
wait

failed=0
for name in "${names[@]}"; do
	if [[ -f "$build/fuzz-$name.result" ]]; then
		cat "$build/fuzz-$name.result"
		grep -q ': ok,' "$build/fuzz-$name.result" || failed=1
	else
		echo "fuzz-$name: FAILED (no result: the job died)"
		failed=1
	fi
done
exit "$failed"
