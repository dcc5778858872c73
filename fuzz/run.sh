#!/bin/bash
# fuzz/run.sh [SECONDS] [HARNESS...] - time-boxed fuzzing (make fuzz).
# Each harness runs SECONDS (default 60) on a working corpus in
# $FUZZ_BUILD/corpus/<h>, seeded from fuzz/corpus/<h>. New crashes land in
# $FUZZ_BUILD/crashes/<h>/; copy a fixed one into fuzz/corpus/<h>/ as a
# regression. Prints executions and crashes per harness; exits 1 on a crash.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_BUILD:-$SRC/build-fuzz}
SECS=${1:-60}
shift || true
HARNESSES=${*:-"fuzz_sb fuzz_log_hdr fuzz_log_entry fuzz_replay fuzz_fmap fuzz_path fuzz_alloccfg"}
"$SRC/fuzz/build.sh" >/dev/null || { echo "FAIL: fuzz build"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
for h in $HARNESSES; do
	mkdir -p "$OUT/corpus/$h" "$OUT/crashes/$h"
	"$OUT/$h" -max_total_time="$SECS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$OUT/crashes/$h/" "$OUT/corpus/$h" "$SRC/fuzz/corpus/$h" \
		>"$OUT/$h.run.log" 2>&1
	hrc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$h.run.log" | tail -1)
	ncrash=$(find "$OUT/crashes/$h" -type f | wc -l)
	echo "$h: ${execs:-?} executions in ${SECS}s, exit $hrc, crash files $ncrash"
	[ $hrc -eq 0 ] || rc=1
done
exit $rc
