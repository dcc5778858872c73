#!/bin/bash
# test_bpf_mount.sh - famfs mount -o bpf end to end: famfsd pins the BPF
# resolver's maps, fills a file's extents at OPEN, and a program under the
# preload shim maps a simple and an interleaved file through the BPF
# resolver with no GET_FMAP upcall, reading the same bytes as in the
# default mode, where the map comes from the log in device memory (and,
# with FAMFS_NO_FMAP_CACHE=1, from GET_FMAP). The pins are gone after
# unmount.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
DEV=$(mkdev 8G)
MNT=$T/mnt
mkdir -p "$MNT"

check "mkfs" "$MKFS" "$DEV"
check "creat simple, odd size" "$FAMFS" --device "$DEV" creat -s 5000001 -r -S 7 simple
check "creat interleaved, odd size" "$FAMFS" --device "$DEV" creat -s $((37 * 1048576 + 123)) \
	-N 4 -B 8 -C 2M -r -S 9 inter

ops() { "$FAMFS" stats --json "$MNT" | $PY -c '
import json, sys
o = json.load(sys.stdin)["ops"]
print(o["get_fmap"], o["get_daxdev"], o["open"], o["read"])'; }

# cat_mode MODE: map both files through the shim, save the bytes, check counters.
cat_mode() {
	local mode=$1 nocache=${2:-0} f fm0 fm1 d0 d1 o0 o1 r0 r1
	for f in simple inter; do
		read -r fm0 d0 o0 r0 <<<"$(ops)"
		if FAMFS_NO_FMAP_CACHE=$nocache LD_PRELOAD=$SHIM "$BIN/famfs_mmaptool" cat \
			"$MNT/$f" >"$T/$mode.$f" 2>"$T/$mode.$f.err"; then
			pass "$mode: shim maps $f"
		else
			fail "$mode: shim maps $f: $(head -c 300 "$T/$mode.$f.err")"
		fi
		read -r fm1 d1 o1 r1 <<<"$(ops)"
		echo "$mode $f: get_fmap $fm0->$fm1 get_daxdev $d0->$d1 open $o0->$o1 read $r0->$r1"
		check_eq "$mode: $f bytes came from the mapping (no READ)" 0 $((r1 - r0))
		if [ "$mode" = bpf ]; then
			check_eq "$mode: no GET_FMAP for $f" 0 $((fm1 - fm0))
			check_eq "$mode: no GET_DAXDEV for $f" 0 $((d1 - d0))
		elif [ "$nocache" = 1 ]; then
			check_eq "$mode: one GET_FMAP for $f" 1 $((fm1 - fm0))
		else
			check_eq "$mode: no GET_FMAP for $f (its map is read from the log)" 0 \
				$((fm1 - fm0))
		fi
		check_eq "$mode: $f opened once" 1 $((o1 - o0))
	done
}

# default mode
track_mount "$MNT"
check "mount (default)" "$FAMFS" mount "$DEV" "$MNT"
check "default: no BPF pin xattr" "$PY" -c '
import os, sys
try:
    os.getxattr(sys.argv[1], "user.famfs.bpf")
except OSError:
    sys.exit(0)
sys.exit(1)' "$MNT"
cat_mode default-getfmap 1
check_eq "default: famfs stats get_fmap == 2" 2 "$(ops | cut -d' ' -f1)"
cat_mode default
check_eq "default: famfs stats get_fmap still 2" 2 "$(ops | cut -d' ' -f1)"
check "default: the same bytes from the log's maps as from GET_FMAP" \
	bash -c "cmp '$T/default.simple' '$T/default-getfmap.simple' &&
		 cmp '$T/default.inter' '$T/default-getfmap.inter'"
check "umount (default)" "$FAMFS" umount "$MNT"

# BPF mode
check "mount -o bpf" "$FAMFS" mount -o bpf "$DEV" "$MNT"
PIN=$("$PY" -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.famfs.bpf").decode())' \
	"$MNT" 2>"$T/err")
echo "pin directory: $PIN"
case "$PIN" in
/sys/fs/bpf/famfs/dev-*) pass "bpf: pin directory named by the root xattr" ;;
*) fail "bpf: no pin directory ($PIN): $(cat "$T/err")" ;;
esac
for p in files devs iomap_begin iomap_bench; do
	check "bpf: $p is pinned" test -e "$PIN/$p"
done
cat_mode bpf
check_eq "bpf: famfs stats get_fmap == 0" 0 "$(ops | cut -d' ' -f1)"
for f in simple inter; do
	check "bpf: $f bytes identical to the default mode" cmp "$T/default.$f" "$T/bpf.$f"
	check "bpf: $f verifies" "$FAMFS" verify -S "$([ $f = simple ] && echo 7 || echo 9)" \
		-f "$MNT/$f"
done
check_eq "simple file size" 5000001 "$(stat -c %s "$T/bpf.simple")"
check_eq "interleaved file size" $((37 * 1048576 + 123)) "$(stat -c %s "$T/bpf.inter")"
# forcing GET_FMAP on a BPF mount still works (the V10 ioctls are kept)
read -r fm0 _ _ _ <<<"$(ops)"
check "bpf mount, FAMFS_NO_BPF=1: GET_FMAP path" env FAMFS_NO_BPF=1 FAMFS_NO_FMAP_CACHE=1 \
	LD_PRELOAD="$SHIM" \
	"$BIN/famfs_mmaptool" cat "$MNT/inter"
cmp -s "$T/out" "$T/default.inter" && pass "GET_FMAP path on a BPF mount: same bytes" ||
	fail "GET_FMAP path on a BPF mount: bytes differ"
read -r fm1 _ _ _ <<<"$(ops)"
check_eq "FAMFS_NO_BPF=1 used one GET_FMAP" 1 $((fm1 - fm0))
check "umount (bpf)" "$FAMFS" umount "$MNT"
check "bpf: pins removed at unmount" test ! -e "$PIN"
done_testing
