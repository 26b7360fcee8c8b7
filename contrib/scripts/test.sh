#!/usr/bin/env bash
# Build Polygate with ASan + UBSan and run every test suite: the GTest unit
# tests (meson test --suite unit), each libFuzzer target for 30 s (a clang
# build in build-fuzz, contrib/scripts/fuzz.sh), the worker's suite under
# valgrind (a plain build in build-valgrind) and the integration tests
# (pytest against real servers on 127.0.0.1).  Run as root on Debian 12, from a clone:
#
#     contrib/scripts/test.sh
#
# The last line of output is always the one summary over all suites:
#     N passed, N failed[, N skipped]
# GTest subtests are counted one by one (from their TAP output).  The exit
# status is non-zero if anything failed, including a build failure or a
# pytest run that collected no tests.
set -uo pipefail

# shellcheck source=contrib/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PG_REPO_ROOT"

BUILD_DIR="${PG_TEST_BUILD_DIR:-build-test}"
PYTHON=/usr/bin/python3
RESULTS="$BUILD_DIR/test-results"

passed=0
failed=0
skipped=0

summary_and_exit() {
	local line="$passed passed, $failed failed"
	((skipped > 0)) && line+=", $skipped skipped"
	echo "$line"
	((failed == 0))
	exit $?
}

# Count "P F S" (three integers printed by a helper) into the totals.
add_counts() {
	local p f s
	read -r p f s <<<"$1"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

"$(dirname "${BASH_SOURCE[0]}")/install-deps.sh" || {
	echo "install-deps.sh failed" >&2
	failed=$((failed + 1))
	summary_and_exit
}

# -- build ----------------------------------------------------------------------
setup_args=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
if [[ -f "$BUILD_DIR/build.ninja" ]]; then
	meson setup --reconfigure "${setup_args[@]}" "$BUILD_DIR" >/dev/null
else
	meson setup "${setup_args[@]}" "$BUILD_DIR"
fi || {
	echo "meson setup failed" >&2
	failed=$((failed + 1))
	summary_and_exit
}
pg_log "building in $BUILD_DIR (ASan + UBSan)"
ninja -C "$BUILD_DIR" || {
	echo "build failed" >&2
	failed=$((failed + 1))
	summary_and_exit
}
mkdir -p "$RESULTS"

# -- sanitizer settings for every process started below --------------------------
asan_options="detect_leaks=1:abort_on_error=0:halt_on_error=1:print_summary=1"
export ASAN_OPTIONS="$asan_options:fast_unwind_on_malloc=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:print_summary=1"
LSAN_SUPPRESSIONS="$PG_REPO_ROOT/tests/integration/lsan.supp"
if [[ -f "$LSAN_SUPPRESSIONS" ]]; then
	export LSAN_OPTIONS="suppressions=$LSAN_SUPPRESSIONS:print_suppressions=0"
fi

# -- unit tests ---------------------------------------------------------------------
pg_log "unit tests"
meson test -C "$BUILD_DIR" --suite unit --print-errorlogs
unit_rc=$?
unit_counts="$("$PYTHON" - "$BUILD_DIR/meson-logs/testlog.json" <<'EOF'
# Count GTest subtests from the TAP output meson recorded for each binary.  A
# binary that failed without any "not ok" line (crash, timeout, sanitizer
# abort after the last test) counts as one failure of its own.
import json, re, sys
passed = failed = skipped = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    if not line.strip():
        continue
    test = json.loads(line)
    ok = notok = skip = 0
    for tap in (test.get("stdout") or "").splitlines():
        if re.match(r"^not ok\b", tap):
            if re.search(r"#\s*TODO", tap, re.I):
                skip += 1
            else:
                notok += 1
        elif re.match(r"^ok\b", tap):
            if re.search(r"#\s*SKIP", tap, re.I):
                skip += 1
            else:
                ok += 1
    result = test.get("result", "")
    if result not in ("OK", "SKIP", "EXPECTEDFAIL") and notok == 0:
        notok += 1
    if ok + notok + skip == 0 and result == "OK":
        ok = 1
    passed += ok
    failed += notok
    skipped += skip
if not lines:
    failed += 1
print(passed, failed, skipped)
EOF
)"
add_counts "$unit_counts"
read -r _ unit_failed _ <<<"$unit_counts"
if ((unit_rc != 0 && unit_failed == 0)); then
	echo "meson test exited $unit_rc with no failure counted: counting one" >&2
	failed=$((failed + 1))
fi

# -- fuzzing and the worker under valgrind, beside the integration tests ---------
# Every libFuzzer target (tests/fuzz: the stanza handlers, the IPC framing, the
# HTTP and Kannel parsers, ...) for PG_FUZZ_SECONDS (30) on top of its
# committed corpus, in a clang build of its own (build-fuzz); one pass or
# fail per target.  The unit suite above already replayed each corpus.
# The worker's own suite (tests/worker: login, rooms, a wrong password, five
# accounts in one worker, against ngircd) with every polygate-purple under
# memcheck: 0 errors and no definite leak outside libpurple's own init.  A
# plain build of its own (valgrind cannot run an ASan binary); ~1 min.
#
# Neither uses what the integration tests use (their own build dirs, their
# own free ports), and the integration tests mostly wait (servers starting,
# answers, bounded timeouts: the 2 CPUs were 30-45 % idle during them), so
# both run in the background while pytest runs, and are printed and counted
# after it: the whole run is shorter by their time (~5 min on 2 CPUs).  The
# worker suite first, at the normal priority (its waits are of 20 s); then
# the fuzzers, which run for a fixed time, at nice 10, so that the
# integration tests keep the CPU they ask for.
side_dir="$RESULTS/side"
rm -rf "$side_dir"
mkdir -p "$side_dir"
pg_log "fuzz targets (${PG_FUZZ_SECONDS:-30} s each) and the worker suite under valgrind: in the background"
# its own session, so that an interrupted run stops all of it (the trap)
setsid bash -c '
	scripts="$1" side="$2"
	"$scripts/valgrind-worker.sh" "$3" >"$side/valgrind.out" 2>&1
	echo $? >"$side/valgrind.rc"
	nice -n 10 "$scripts/fuzz.sh" "$4" >"$side/fuzz.out" 2>"$side/fuzz.err"
	echo $? >"$side/fuzz.rc"
' side "$(dirname "${BASH_SOURCE[0]}")" "$side_dir" "${PG_VALGRIND_BUILD_DIR:-build-valgrind}" \
	"${PG_FUZZ_SECONDS:-30}" </dev/null &
side_pid=$!
trap 'kill -TERM -- "-$side_pid" 2>/dev/null' EXIT

# -- integration tests --------------------------------------------------------------
pg_log "integration tests"
# Exact malloc stacks (fast_unwind_on_malloc=0) only where LeakSanitizer must
# see into libpurple: polygate-purple asks for them itself
# (backends/purple/main.c), and 12 frames of them, not 30 (lsan.supp's
# libraries are within the first 6).  The exact unwinder costs some ten
# times the CPU per malloc, and CPU is what a loaded box lacks: polygate
# --check-config (the daemon and its plugin probe worker) took 3.4 s of CPU
# with 30 exact frames in both, 2.0 s so.
export ASAN_OPTIONS="$asan_options:malloc_context_size=12"
export POLYGATE_BIN="$PG_REPO_ROOT/$BUILD_DIR/src/polygate"
junit="$RESULTS/integration.xml"
# the fault suite (tests/integration/test_faults.py) writes its table here
fault_table="$PG_REPO_ROOT/$BUILD_DIR/fault-table.txt"
rm -f "$junit" "$fault_table"
# Test modules run PG_TEST_JOBS (the CPU count) at a time (pytest-xdist):
# most of a module's time is its servers starting and answering, not CPU.
# --dist loadfile keeps a module in one process, so its module-scoped
# servers are started once; every server takes its own free ports
# (harness/util.py), so two modules never collide.
jobs="${PG_TEST_JOBS:-$(nproc)}"
xdist=()
if ((jobs > 1)) && "$PYTHON" -c 'import xdist' 2>/dev/null; then
	xdist=(-n "$jobs" --dist loadfile)
fi
"$PYTHON" -m pytest tests/integration -p no:cacheprovider -ra "${xdist[@]}" --junitxml="$junit"
pytest_rc=$?
[[ -f "$fault_table" ]] && { pg_log "fault table"; cat "$fault_table"; }
# where the time went: each module's tests, fixtures included (the first
# test of a module carries its servers' start), slowest first; all of them
# in $RESULTS/module-seconds.txt, the format of
# tests/integration/module-seconds.txt (the order modules start in: copy
# it there when the slow ones have changed)
"$PYTHON" - "$junit" "$RESULTS/module-seconds.txt" <<'EOF' >&2
import collections, sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
seconds, tests = collections.Counter(), collections.Counter()
for case in root.iter("testcase"):
    module = (case.get("classname") or "?").split(".")[-1]
    seconds[module] += float(case.get("time") or 0)
    tests[module] += 1
print(f"==> integration tests: {sum(seconds.values()):.0f} s in {len(seconds)} modules; "
      "the slowest:")
for module, spent in seconds.most_common(15):
    print(f"    {spent:6.1f} s  {tests[module]:3d} tests  {module}")
with open(sys.argv[2], "w") as out:
    out.write("# seconds module (contrib/scripts/test.sh wrote it from a full run)\n")
    out.writelines(f"{spent:.0f} {module}\n" for module, spent in seconds.most_common())
EOF
integration_counts="$("$PYTHON" - "$junit" "$pytest_rc" <<'EOF'
import sys
import xml.etree.ElementTree as ET
path, rc = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0
try:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += tests - bad - skip
        failed += bad
        skipped += skip
except (OSError, ET.ParseError):
    pass
# pytest exit codes: 0 ok, 1 failures, 2 interrupted, 3 internal error,
# 4 usage error, 5 no tests collected.  Only 0 and 1 are accounted for by
# the report; anything else is a failure of its own.
if rc == 5:
    print("pytest collected no tests", file=sys.stderr)
if rc not in (0, 1) or (rc == 1 and failed == 0):
    failed += 1
print(passed, failed, skipped)
EOF
)"
add_counts "$integration_counts"

# -- the background suites' results ---------------------------------------------------
pg_log "waiting for the worker suite under valgrind and the fuzz targets"
wait "$side_pid"
trap - EXIT
pg_log "worker suite under valgrind memcheck"
cat "$side_dir/valgrind.out"
if [[ "$(cat "$side_dir/valgrind.rc" 2>/dev/null)" == 0 ]]; then
	add_counts "1 0 0"
else
	echo "valgrind-worker.sh failed" >&2
	add_counts "0 1 0"
fi
pg_log "fuzz targets"
cat "$side_dir/fuzz.err" >&2
fuzz_out="$(cat "$side_dir/fuzz.out" 2>/dev/null)"
fuzz_rc="$(cat "$side_dir/fuzz.rc" 2>/dev/null || echo 1)"
echo "$fuzz_out"
fuzz_passed="$(grep -c '^fuzz-.*: ok' <<<"$fuzz_out")"
fuzz_failed="$(grep -c '^fuzz-.*: FAILED' <<<"$fuzz_out")"
if [[ "$fuzz_rc" != 0 ]] && ((fuzz_failed == 0)); then
	echo "fuzz.sh exited ${fuzz_rc:-?} with no target failed: counting one" >&2
	fuzz_failed=1
fi
add_counts "$fuzz_passed $fuzz_failed 0"

summary_and_exit
