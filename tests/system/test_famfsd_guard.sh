#!/bin/bash
# test_famfsd_guard.sh - famfsd's SIGBUS guard wraps device copies only, so
# a fault in the middle of a mkdir (the device file cut short under the
# mount, between the log header and the next log slot) fails the mkdir with
# EIO and leaves nothing held: the host-wide log lock is free at once, and
# famfsd still answers stats and unmounts cleanly. So does a fault while
# famfsd zeroes a new file for famfs creat (stores, as on devdax: the test
# preloads a fallocate that fails): that creat fails with EIO, the mount
# still serves.
. "$(dirname "$0")/lib.sh"

newdev DEV 256M
"$MKFS" "$DEV" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
# Log slots are 544 bytes after a 48-byte header, from 2 MiB: entries 0-6
# end at 2 MiB + 3856, entry 7 crosses the page boundary at 2 MiB + 4096.
for i in 0 1 2 3 4 5 6; do
	"$FAMFS" --device "$DEV" mkdir "d$i" || { echo "FAIL: mkdir d$i"; exit 1; }
done
M=$T/m
mkdir -p "$M"
track_mount "$M"
check "mount" "$FAMFS" mount -t 0 "$DEV" "$M"
check "the lock is free before" flock -n "$DEV" true
truncate -s $((2 * 1024 * 1024 + 4096)) "$DEV"
check_fail "mkdir whose log append faults fails" "Input/output error" \
	timeout -s KILL 30 mkdir "$M/d6/new"
check "the log lock is free after the fault" flock -n "$DEV" true
check "famfsd still answers stats" timeout -s KILL 30 "$FAMFS" stats "$M"
grep -Eq "failed|vanished|EIO|errors_eio" "$T/out" && pass "stats: $(grep -Ei "fail|eio" "$T/out" | head -2 | tr '\n' ' ')" ||
	fail "stats do not show the failure: $(cat "$T/out")"
check_fail "a second mkdir fails at once" "Input/output error" timeout -s KILL 30 mkdir "$M/d5/x"
check "umount" "$FAMFS" umount "$M"

# --- a fault while famfsd zeroes for famfs creat ---
NOFALLOC=$BIN/libfamfs_nofalloc.so
newdev DEV2 256M
"$MKFS" "$DEV2" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
"$FAMFS" --device "$DEV2" creat -s 2M keep >/dev/null || { echo "FAIL: creat"; exit 1; }
check "mount, famfsd zeroing by stores" env LD_PRELOAD="$NOFALLOC" "$FAMFS" mount -t 0 \
	"$DEV2" "$M"
check "a creat zeroed by famfsd works" "$FAMFS" creat -s 4M "$M/z1"
check_eq "... reads zeros" 0 "$(tr -d '\0' <"$M/z1" | wc -c)"
# 200 MiB of the 256 cannot lie below 64 MiB: the zeroing runs past the end.
truncate -s $((64 * 1024 * 1024)) "$DEV2"
check_fail "a creat whose zeroing faults fails" "SIGBUS|Input/output error" \
	timeout -s KILL 30 "$FAMFS" creat -s 200M "$M/big"
check "famfsd still serves: ls" timeout -s KILL 30 ls "$M"
check "... stat" timeout -s KILL 30 stat "$M/keep"
check "... and stats" timeout -s KILL 30 "$FAMFS" stats "$M"
check "no file from the failed creat" timeout -s KILL 30 bash -c "! stat '$M/big' 2>/dev/null"
check "the log lock is free after the fault" flock -n "$DEV2" true
check "umount" "$FAMFS" umount "$M"
done_testing
