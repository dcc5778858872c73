#!/bin/bash
# test_direct_noupcall.sh - famfs's key requirement: famfs resolves mapping
# faults without upcalls. A program under the preload shim opens a 256 MiB
# famfs file, mmaps it and touches every 4 KiB page; famfsd's counters must
# show no GET_FMAP (the map comes from the log in device memory), at most
# one GET_DAXDEV and no READ; with FAMFS_NO_FMAP_CACHE=1, exactly one
# GET_FMAP.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
SIZE=$((256 * 1048576))
DEV=$(mkdev 1G)
MNT=$T/mnt
mkdir -p "$MNT"

check "mkfs" "$MKFS" "$DEV"
check "creat 256M -r" "$FAMFS" --device "$DEV" creat -s $SIZE -r -S 5 big
track_mount "$MNT"
check "mount" "$FAMFS" mount "$DEV" "$MNT"
check "stat the file (lookup before counting)" stat "$MNT/big"

ops() { "$FAMFS" stats --json "$MNT" | $PY -c '
import json, sys
o = json.load(sys.stdin)["ops"]
print(o["get_fmap"], o["get_daxdev"], o["read"], o["open"])'; }

read -r f0 d0 r0 o0 <<<"$(ops)"
LD_PRELOAD=$SHIM "$BIN/famfs_mmaptool" touch "$MNT/big" >"$T/touch.out" 2>"$T/touch.err"
rc=$?
read -r f1 d1 r1 o1 <<<"$(ops)"
check_eq "touch tool exit status" 0 "$rc"
check_eq "every 4 KiB page touched" "pages $((SIZE / 4096))" "$(cut -d' ' -f1,2 "$T/touch.out")"
echo "counters: get_fmap $f0->$f1 get_daxdev $d0->$d1 read $r0->$r1 open $o0->$o1"
check_eq "no GET_FMAP: the map came from the log in memory" 0 $((f1 - f0))
if [ $((d1 - d0)) -le 1 ]; then pass "at most one GET_DAXDEV ($((d1 - d0)))"; else
	fail "GET_DAXDEV delta $((d1 - d0)) > 1"; fi
check_eq "zero READ requests" 0 $((r1 - r0))
read -r f0 d0 r0 o0 <<<"$(ops)"
FAMFS_NO_FMAP_CACHE=1 LD_PRELOAD=$SHIM "$BIN/famfs_mmaptool" touch "$MNT/big" >"$T/touch2.out" \
	2>"$T/touch2.err"
rc=$?
read -r f1 d1 r1 o1 <<<"$(ops)"
check_eq "FAMFS_NO_FMAP_CACHE=1: touch tool exit status" 0 "$rc"
check_eq "FAMFS_NO_FMAP_CACHE=1: exactly one GET_FMAP for the file" 1 $((f1 - f0))
check_eq "FAMFS_NO_FMAP_CACHE=1: zero READ requests" 0 $((r1 - r0))

# the sum the tool computed from the mapping equals the sum of the pattern
want=$("$BIN/famfs_mapcat" "$MNT/big" | $PY -c '
import sys, numpy
b = numpy.frombuffer(sys.stdin.buffer.read(), dtype=numpy.uint8)
print(int(b.sum(dtype=numpy.uint64)))')
check_eq "byte sum through the shim mapping" "sum $want" "$(cut -d' ' -f3,4 "$T/touch.out")"
check "the file still verifies" "$FAMFS" verify -S 5 -f "$MNT/big"

check "umount" "$FAMFS" umount "$MNT"
done_testing
