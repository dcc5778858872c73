#!/bin/bash
# test_rel_fuzz_replay.sh - replay the committed fuzz corpus (fuzz/corpus/)
# through every libFuzzer harness under ASan and UBSan (fuzz/replay.sh).
# The harnesses are built with clang into a cache dir that survives runs.
. "$(dirname "$0")/lib.sh"

if ! command -v clang-14 >/dev/null && ! command -v clang >/dev/null; then
	echo "SKIP: no clang for the fuzz harnesses"
	exit 77
fi
export FUZZ_BUILD=${FUZZ_BUILD:-$FAMFS_BUILD/fuzz}
check "fuzz corpus replays clean under ASan+UBSan" "$FAMFS_SRC/fuzz/replay.sh"
cat "$T/out"
n=$(sed -n 's/^\([0-9]*\) corpus inputs replayed/\1/p' "$T/out")
[ "${n:-0}" -ge 20 ] && pass "$n corpus inputs" || fail "only ${n:-0} corpus inputs"
done_testing
