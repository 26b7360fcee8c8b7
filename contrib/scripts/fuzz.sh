#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan) and fuzz each one for a
# while, starting from the seed corpus in tests/fuzz/corpus.  Not a test:
# run it by hand after touching a parser.
#
#     contrib/scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PG_REPO_ROOT"

seconds="${1:-60}"
build=build-fuzz
if [[ ! -f "$build/build.ninja" ]]; then
	CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized
fi
ninja -C "$build" tests/fuzz/fuzz-ipc-decode tests/fuzz/fuzz-jid tests/fuzz/fuzz-stanza
for target in ipc-decode:ipc jid:jid stanza:stanza; do
	name="${target%%:*}"
	corpus="${target##*:}"
	work="$build/fuzz-corpus-$corpus"
	mkdir -p "$work"
	pg_log "fuzzing $name for ${seconds}s"
	"$build/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -print_final_stats=1 \
		"$work" "tests/fuzz/corpus/$corpus"
done
