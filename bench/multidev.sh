#!/bin/bash
# bench/multidev.sh - a file striped over two devices against a file on one
# device and against the raw mappings of the same memory, side by side in
# one run (data_bench's cases, ratios per round as bench/run takes them).
#
#   bench/multidev.sh [--quick] [--out DIR] [--build DIR] [--rounds N]
#
# Two devices of the same kind (files on a private huge=always tmpfs: both
# are RAM here, so the striped file cannot be faster than one device and a
# ratio of about 1.0 is what to expect; on two real CXL devices it is where
# bandwidth adds up). Files, 1 GiB each (256 MiB with --quick), same seeded
# bytes:
#   famfs_direct_simple   one extent on device 0 (the file system had one device)
#   famfs_direct_1dev     interleaved: 2 strips of 2 MiB chunks, both on device 0
#                         (in 2 buckets of it: made before device 1 was added)
#   famfs_direct_2dev     interleaved: 2 strips of 2 MiB chunks, one per device
# Paths and references:
#   raw                   device 0 mapped at the simple file's extent (the 1-device limit)
#   raw_2dev              device 0 and device 1 at the 2-device file's strips, chunks
#                         mapped in turn (the 2-device limit)
#   famfs_direct_simple, famfs_direct_1dev: against raw
#   famfs_direct_2dev: against raw_2dev, and (the row famfs_2dev_vs_1dev) against
#                      famfs_direct_1dev of the same round
# Writes DIR/raw.txt, DIR/results.json, DIR/results.md and DIR/results.png (bench/lib/aggregate.py).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/build
OUT=$SRC/bench/out-multidev
QUICK=0
ROUNDS=
ARGS="$*"
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--out) OUT=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	-h|--help) sed -n '2,24p' "$0"; exit 0 ;;
	*) echo "bench/multidev.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case "$BUILD" in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
BIN=$BUILD/bin
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "bench/multidev.sh: needs root (a tmpfs mount)" >&2; exit 1; }
for f in "$BIN/famfs" "$BIN/mkfs.famfs" "$BIN/data_bench"; do
	[ -e "$f" ] || { echo "bench/multidev.sh: $f missing: run make build" >&2; exit 1; }
done
# aggregate.py draws results.png with matplotlib
FAMFS_EXTRA_PKGS=python3-matplotlib "$SRC/scripts/install-deps.sh" || exit 1
if [ "$QUICK" = 1 ]; then FILE_MIB=256; : "${ROUNDS:=3}"; QF=--quick; else FILE_MIB=1024; : "${ROUNDS:=5}"; QF=; fi
export FAMFS_SYSTEM_UUID=11111111-2222-3333-4444-555555555555

log() { echo "multidev: $*" >&2; }
W=$(mktemp -d /tmp/famfs-bench-md.XXXXXX)
cleanup() {
	local t
	# famfsd may hold the device files for a moment after famfs umount returns
	for ((t = 0; t < 100; t++)); do
		mountpoint -q "$W/t" || break
		umount "$W/t" 2>/dev/null && break
		sleep 0.1
	done
	mountpoint -q "$W/t" && { log "cannot unmount $W/t"; return; }
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$W/t"
SZ=$((FILE_MIB * 3 + 1024))
if mount -t tmpfs -o huge=always,size=$((2 * SZ + 2048))m famfs-bench-md "$W/t"; then
	KIND=tmpfs_huge
else
	mount -t tmpfs -o size=$((2 * SZ + 2048))m famfs-bench-md "$W/t" || { log "cannot mount tmpfs"; exit 1; }
	KIND=tmpfs
fi
D0=$W/t/dev0
D1=$W/t/dev1
# ilv1's two strips need two buckets of at least 1 GiB on device 0.
truncate -s "$((SZ > 2304 ? SZ : 2304))M" "$D0" "$D1"
chmod 600 "$D0" "$D1"
export FAMFS_DAXDEV_PATH=$D1
"$BIN/mkfs.famfs" "$D0" >/dev/null || exit 1
F="$BIN/famfs --device $D0"
$F creat -s ${FILE_MIB}M -r -S 7 simple >/dev/null || exit 1
$F creat -s ${FILE_MIB}M -r -S 7 -N 2 -B 2 -C 2M ilv1 >/dev/null || exit 1
"$BIN/famfs" devadd "$D0" "$D1" >/dev/null || exit 1
$F creat -s ${FILE_MIB}M -r -S 7 -N 2 -C 2M ilv2 >/dev/null || exit 1
# ilv1 must be on device 0 only, ilv2 one strip per device
strips() { $F getmap "$1" | awk '/^  strip [0-9]+:/ { printf "%s:%s ", $4, $6 }'; }
read -r s0 s1 <<<"$(strips ilv2)"
[ "${s0%%:*}" != "${s1%%:*}" ] || { log "ilv2 is not on two devices: $(strips ilv2)"; exit 1; }
[ "$(strips ilv1 | tr ' ' '\n' | cut -d: -f1 | sort -u | xargs)" = 0 ] ||
	{ log "ilv1 is not on device 0 alone: $(strips ilv1)"; exit 1; }
# device index -> path, for raw_2dev's view of ilv2's two strips
devpath() { if [ "$1" = 0 ]; then echo "$D0"; else echo "$D1"; fi; }
SDEV0=$(devpath "${s0%%:*}"); SOFF0=${s0#*:}
SDEV1=$(devpath "${s1%%:*}"); SOFF1=${s1#*:}
SOFF=$($F getmap simple | awk '/^  extent 0:/ { print $6 }')
mkdir -p "$W/mnt"
"$BIN/famfs" mount "$D0" "$W/mnt" >/dev/null 2>&1 || { log "mount failed"; exit 1; }
trap '"$BIN/famfs" umount "$W/mnt" >/dev/null 2>&1; cleanup' EXIT
log "device kind $KIND, files of $FILE_MIB MiB, $ROUNDS rounds; ilv2 strips: $(strips ilv2)"

RAW=$OUT/raw.txt
: >"$RAW"
for ((r = 0; r < ROUNDS; r++)); do
	# the order of the paths alternates between rounds (data_bench also runs ABBA inside)
	if ((r % 2)); then
		set -- --path famfs_direct_2dev --file "$W/mnt/ilv2" --ref raw_2dev \
			--path famfs_direct_1dev --file "$W/mnt/ilv1" \
			--path famfs_direct_simple --file "$W/mnt/simple" \
			--path raw_2dev --path raw
	else
		set -- --path raw --path raw_2dev --path famfs_direct_simple --file "$W/mnt/simple" \
			--path famfs_direct_1dev --file "$W/mnt/ilv1" \
			--path famfs_direct_2dev --file "$W/mnt/ilv2" --ref raw_2dev
	fi
	"$BIN/data_bench" "$@" --dev "$D0" --off "$SOFF" --sdev0 "$SDEV0" --soff0 "$SOFF0" \
		--sdev1 "$SDEV1" --soff1 "$SOFF1" --chunk $((2 << 20)) \
		--size $((FILE_MIB << 20)) $QF >"$W/round" || { log "data_bench failed"; exit 1; }
	sed -n "s/^RESULT {/RESULT $KIND {\"round\": $r, /p" "$W/round" >>"$RAW"
	# the 2-device file against the 1-device interleaved file of the same round
	$PY - "$W/round" "$r" "$KIND" >>"$RAW" <<'PYEOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("RESULT "):
        d = json.loads(line[7:])
        rows[(d["case"], d["path"])] = d
for (case, path), d in rows.items():
    if path == "famfs_direct_2dev" and (case, "famfs_direct_1dev") in rows:
        one = rows[(case, "famfs_direct_1dev")]
        out = {"round": int(sys.argv[2]), "case": case, "path": "famfs_2dev_vs_1dev_ref",
               "unit": d["unit"], "value": one["value"], "better": d["better"], "ref": None}
        print("RESULT %s %s" % (sys.argv[3], json.dumps(out)))
        out = dict(out, path="famfs_2dev_vs_1dev", value=d["value"],
                   ref="famfs_2dev_vs_1dev_ref")
        print("RESULT %s %s" % (sys.argv[3], json.dumps(out)))
PYEOF
	log "round $((r + 1)) of $ROUNDS done"
done
$PY "$SRC/bench/lib/aggregate.py" --raw "$RAW" --out "$OUT" --primary "$KIND" --devices "$KIND" \
	--command "bench/multidev.sh${ARGS:+ $ARGS}" --rounds "$ROUNDS" --file-mib "$FILE_MIB" \
	--quick "$QUICK" >/dev/null || exit 1
$PY - "$OUT/results.json" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
print("| case | path | unit | median | ratio | against |")
print("|---|---|---|---:|---:|---|")
for r in doc["cases"]:
    if r["path"] == "famfs_2dev_vs_1dev_ref":
        continue
    ratio = r.get("ratio")
    print("| %s | %s | %s | %.4g | %s | %s |" % (r["case"], r["path"], r["unit"], r["median"],
          "%.3g" % ratio if ratio is not None else "-", r.get("ratio_vs") or "-"))
PYEOF
log "wrote $OUT/results.json, $OUT/results.md, $OUT/raw.txt"
