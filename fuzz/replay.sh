#!/bin/bash
# fuzz/replay.sh - run every file of the committed corpus (fuzz/corpus/<h>/,
# seeds and crash regressions) once through its harness under ASan and
# UBSan. Fails on any crash, sanitizer report or broken invariant.
# Builds first (fuzz/build.sh; $FUZZ_BUILD picks the build dir).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_BUILD:-$SRC/build-fuzz}
"$SRC/fuzz/build.sh" >/dev/null || { echo "FAIL: fuzz build"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0 total=0
for dir in "$SRC"/fuzz/corpus/*/; do
	h=$(basename "$dir")
	[ -x "$OUT/$h" ] || { echo "FAIL: no harness $h"; fail=1; continue; }
	n=$(find "$dir" -type f | wc -l)
	if "$OUT/$h" -runs=0 -artifact_prefix="$OUT/" "$dir" >"$OUT/$h.replay.log" 2>&1; then
		echo "ok: $h: $n inputs replayed"
	else
		echo "FAIL: $h (see $OUT/$h.replay.log):"
		grep -E "ERROR|runtime error|invariant|SUMMARY" "$OUT/$h.replay.log" | head -5
		fail=1
	fi
	total=$((total + n))
done
echo "$total corpus inputs replayed"
exit $fail
