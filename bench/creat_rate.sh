#!/bin/bash
# bench/creat_rate.sh - file creation rate of the famfs CLI: N files made
# with one `famfs --device DEV creat` process per file, then N files made in
# one batch (`famfs cp -r` of a directory of N one-byte files, one log lock).
#
# usage: bench/creat_rate.sh [N]          (default N = 10000, at most 15419)
# env:   FAMFS_BUILD (default ./build), BENCH_DIR (default /dev/shm)
set -eu

N=${1:-10000}
[ "$N" -ge 1 ] && [ "$N" -le 15419 ] || { echo "N must be 1..15419" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FAMFS_BUILD:-$SRC/build}/bin
DIR=${BENCH_DIR:-/dev/shm}
export FAMFS_SYSTEM_UUID=${FAMFS_SYSTEM_UUID:-11111111-2222-3333-4444-555555555555}
W=$(mktemp -d /tmp/famfs-bench.XXXXXX)
DEV=$(mktemp "$DIR/famfs-bench-dev.XXXXXX")
trap 'rm -rf "$W" "$DEV"' EXIT

# Each file takes one 2 MiB unit; leave room for the superblock and log.
truncate -s $(((N + 8) * 2))M "$DEV"
now() { date +%s%N; }
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.1f", n / (ns / 1e9) }'; }

"$BIN/mkfs.famfs" "$DEV" >/dev/null
t0=$(now)
for ((i = 0; i < N; i++)); do
	"$BIN/famfs" --device "$DEV" creat -s 1 "f$i"
done
t1=$(now)
single=$(rate "$N" $((t1 - t0)))

"$BIN/mkfs.famfs" -f "$DEV" >/dev/null
mkdir "$W/src"
(cd "$W/src" && for ((i = 0; i < N; i++)); do printf x >"f$i"; done)
t0=$(now)
"$BIN/famfs" --device "$DEV" cp -r "$W/src" batch
t1=$(now)
batch=$(rate "$N" $((t1 - t0)))

echo "creat, one process per file: $N files, $single files/s"
echo "cp -r, one batch:            $N files, $batch files/s"
printf '{"files": %d, "creat_per_process_files_per_s": %s, "cp_batch_files_per_s": %s}\n' \
	"$N" "$single" "$batch"
