#!/bin/bash
# bench/creat_zero.sh - what zeroing new files costs: `famfs creat` (which
# zeroes the allocation before logging the file: non-temporal stores on a
# devdax device, holes punched on a device that is a file, as here) against
# `famfs creat --no-zero`, side by side in one run, at several file sizes.
# bin/zero_bench measures the store path alone. Each round makes a fresh file system and creates the files of
# every size both ways, alternating which goes first; the result is the
# median over rounds of each way's time and their ratio (zero / no-zero).
#
# usage: bench/creat_zero.sh [ROUNDS]      (default 5)
# env:   FAMFS_BUILD (default ./build), BENCH_DIR (default /dev/shm),
#        SIZES (default "2M 64M 1G"), COUNT (files per size per round, default 8)
set -eu

ROUNDS=${1:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FAMFS_BUILD:-$SRC/build}/bin
DIR=${BENCH_DIR:-/dev/shm}
SIZES=${SIZES:-2M 64M 1G}
COUNT=${COUNT:-8}
export FAMFS_SYSTEM_UUID=${FAMFS_SYSTEM_UUID:-11111111-2222-3333-4444-555555555555}
W=$(mktemp -d /tmp/famfs-bench.XXXXXX)
DEV=$(mktemp "$DIR/famfs-bench-zero.XXXXXX")
trap 'rm -rf "$W" "$DEV"' EXIT

bytes() { numfmt --from=iec "$1"; }
need=0
for s in $SIZES; do need=$((need + 2 * COUNT * ($(bytes "$s") + (2 << 20)))); done
# Room for both ways of every size, the superblock and the log; allocated
# up front, so neither way pays for tmpfs page allocation.
size=$(((need + (64 << 20)) / (2 << 20) * (2 << 20)))
truncate -s "$size" "$DEV"
chmod 600 "$DEV"
fallocate -l "$size" "$DEV" 2>/dev/null || dd if=/dev/zero of="$DEV" bs=1M \
	count=$((size >> 20)) conv=notrunc status=none
now() { date +%s%N; }

# one WAY SIZE ROUND: ns for COUNT creats of SIZE, one process each.
one() {
	local opt= t0 i
	[ "$1" = nozero ] && opt=--no-zero
	t0=$(now)
	for ((i = 0; i < COUNT; i++)); do
		"$BIN/famfs" --device "$DEV" creat $opt -s "$2" "$1-$2-$3-$i"
	done
	echo $(($(now) - t0))
}

for ((r = 0; r < ROUNDS; r++)); do
	"$BIN/mkfs.famfs" -f "$DEV" >/dev/null 2>&1
	for s in $SIZES; do
		if ((r % 2)); then
			nz=$(one nozero "$s" "$r"); z=$(one zero "$s" "$r")
		else
			z=$(one zero "$s" "$r"); nz=$(one nozero "$s" "$r")
		fi
		echo "$s $z $nz" >>"$W/raw"
	done
done

echo "famfs creat with zeroing vs --no-zero ($ROUNDS rounds, $COUNT files per size "\
"per round, medians; one famfs process per file)"
printf '%-6s %14s %14s %8s %12s\n' size zero_ms_file nozero_ms_file ratio zero_GB_s
/usr/bin/python3 - "$W/raw" "$COUNT" <<'PY'
import json, statistics, subprocess, sys
rows = {}
for line in open(sys.argv[1]):
    s, z, nz = line.split()
    rows.setdefault(s, []).append((int(z), int(nz)))
count = int(sys.argv[2])
out = []
for s, v in rows.items():
    z = statistics.median(a for a, _ in v) / count / 1e6
    nz = statistics.median(b for _, b in v) / count / 1e6
    ratio = statistics.median(a / b for a, b in v)
    size = int(subprocess.check_output(["numfmt", "--from=iec", s]))
    gbs = size / ((z - nz) / 1e3) / 1e9 if z > nz else None
    print("%-6s %14.2f %14.2f %8.2f %12s" % (s, z, nz, ratio,
                                             "%.2f" % gbs if gbs else "(no cost)"))
    out.append({"size": s, "zero_ms_per_file": round(z, 3), "nozero_ms_per_file": round(nz, 3),
                "ratio_zero_over_nozero": round(ratio, 3),
                "zeroing_GB_per_s": round(gbs, 2) if gbs else None})
print(json.dumps({"creat_zero": out}))
PY
