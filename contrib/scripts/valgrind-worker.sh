#!/bin/sh
# Run the worker integration test (tests/worker) with polygate-purple under
# valgrind memcheck, then report each worker's memcheck summary.
#
#   contrib/scripts/valgrind-worker.sh [BUILD_DIR]      (default: build-valgrind)
#
# Fails if the test fails or any worker run has a memcheck error or a
# definite leak outside libpurple's own init (tests/worker/valgrind.supp).
# Needs valgrind and ngircd (apt-get install valgrind ngircd).
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-valgrind}
case "$build" in /*) ;; *) build="$src/$build" ;; esac

for tool in valgrind ngircd; do
	if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
		echo "valgrind-worker: $tool is not installed" >&2
		exit 1
	fi
done

# valgrind cannot run an ASan build: configure a plain one if needed
[ -f "$build/build.ninja" ] || meson setup "$build" "$src" >/dev/null
ninja -C "$build" backends/purple/polygate-purple backends/purple/test-worker >/dev/null

logs=$(mktemp -d /tmp/pg-valgrind-XXXXXX)
trap 'rm -rf "$logs"' EXIT

status=0
PG_TEST_WORKER="$build/backends/purple/polygate-purple" \
PG_TEST_WORKER_WRAPPER="valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --suppressions=$src/tests/worker/valgrind.supp \
	--log-file=$logs/worker-%p.log" \
	"$build/backends/purple/test-worker" || status=$?

runs=0
for log in "$logs"/worker-*.log; do
	[ -e "$log" ] || continue
	runs=$((runs + 1))
	summary=$(grep -h "ERROR SUMMARY" "$log" | sed 's/^==[0-9]*== //')
	lost=$(grep -h "definitely lost:" "$log" | sed 's/^==[0-9]*== *//')
	echo "valgrind-worker: $(basename "$log"): $summary; ${lost:-no leaks}"
	if ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
		sed -n '/Invalid\|uninitialised\|definitely lost in/,/^==[0-9]*== $/p' "$log"
		status=1
	fi
done
if [ "$runs" -eq 0 ]; then
	echo "valgrind-worker: no worker ran under valgrind" >&2
	status=1
fi
[ "$status" -eq 0 ] && echo "valgrind-worker: OK ($runs worker runs)"
exit "$status"
