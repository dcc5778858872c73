#!/bin/bash
# test_flush_audit.sh - the flush audit build on a real mount (see
# include/famfs/audit.h): every program here (mkfs.famfs, famfs, famfsd,
# the preload shim, the test tools) aborts when it publishes a byte it did
# not write back from the CPU cache, or reads without invalidating. A
# checker (famfs_synctool audit-check) compares a file's memory with the
# audit's shadow of the device, which is what a host with its own cache
# would see: "clean", or "dirty at OFFSET".
#
# Covered: mkfs and log commits (creat, mkdir, cp), famfsd's WRITE, READ
# and FSYNC, the shim's write/pwrite (also O_SYNC, O_DSYNC) and reads, and
# stores through a shim mmap followed by msync (MS_SYNC, MS_ASYNC,
# MS_INVALIDATE, a sub-range), fsync, fdatasync or sync_file_range (whole
# file, sub-range). A mapping stored without any of those must show
# dirty: that is what proves the checker sees a missing write back.
. "$(dirname "$0")/../system/lib.sh"

audit_device 4G
MNT=$T/mnt
mkdir -p "$MNT"
shim() { LD_PRELOAD=$SHIM "$@"; }
sync_tool() { "$BIN/famfs_synctool" "$@"; }
stat_op() {
	"$FAMFS" stats --json "$MNT" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ops"][sys.argv[1]])' "$1"
}
audit() { sync_tool audit-check "$MNT/$1" 2>&1; }

# --- the log and the CLI's data -------------------------------------------------------
check "mkfs (audited)" "$MKFS" "$DEV"
check "mkdir, creat, creat -r, cp (log commits, data)" bash -c "
	'$FAMFS' --device '$DEV' mkdir -p a/b &&
	'$FAMFS' --device '$DEV' creat -s 8M f &&
	'$FAMFS' --device '$DEV' creat -s 8M -r -S 3 a/b/r &&
	'$FAMFS' --device '$DEV' creat -s 24M -N 3 -B 4 -C 2M ilv &&
	head -c 5000000 /dev/urandom >'$T/src' && '$FAMFS' --device '$DEV' cp '$T/src' a/c"
track_mount "$MNT"
check "mount (famfsd audited)" "$FAMFS" mount "$DEV" "$MNT"
for f in f a/b/r ilv a/c; do
	check_eq "$f: clean after creat/cp" clean "$(audit "$f")"
done

# --- famfsd: WRITE, READ, FSYNC ---------------------------------------------------------
w0=$(stat_op write)
check "FUSE write (dd, no shim)" dd if="$T/src" of="$MNT/f" bs=65536 seek=3 conv=notrunc \
	status=none
check "... went to famfsd" test "$(stat_op write)" -gt "$w0"
check_eq "f: clean after FUSE writes" clean "$(audit f)"
check "FUSE read (famfsd invalidates first)" bash -c "cmp <(cat '$MNT/a/c') '$T/src'"
f0=$(stat_op fsync)
check "famfs_map_open stores, fsync through FUSE" sync_tool mapfsync "$MNT/f"
check_eq "... went to famfsd" "$((f0 + 1))" "$(stat_op fsync)"
check_eq "f: clean after famfsd's FSYNC" clean "$(audit f)"

# --- the shim: write, read ---------------------------------------------------------------
r0=$(stat_op read)
check "shim pwrite/write/pread/read" shim "$BIN/famfs_synctool" write "$MNT/f"
check "shim on O_SYNC and O_DSYNC fds" shim "$BIN/famfs_synctool" osync "$MNT/f"
check_eq "... all direct (no FUSE READ)" "$r0" "$(stat_op read)"
check_eq "f: clean after shim writes" clean "$(audit f)"
check "shim reads of the interleaved and copied files" bash -c \
	"LD_PRELOAD='$SHIM' cat '$MNT/ilv' >/dev/null && cmp <(LD_PRELOAD='$SHIM' cat '$MNT/a/c') '$T/src'"

# --- the shim: stores through mmap, then each write back -----------------------------------
seed=1
for mode in msync msync-async msync-inval fsync fdatasync sfr; do
	seed=$((seed + 1))
	SEED=$seed shim "$BIN/famfs_synctool" mmap none "$MNT/f" >/dev/null 2>&1
	check_eq "mmap stores, no write back: dirty (range A)" "dirty at 4103" "$(audit f)"
	seed=$((seed + 1))
	check "mmap stores, then $mode" env SEED=$seed LD_PRELOAD="$SHIM" \
		"$BIN/famfs_synctool" mmap "$mode" "$MNT/f"
	check_eq "f: clean after $mode" clean "$(audit f)"
done
for mode in msync-a sfr-a; do
	seed=$((seed + 1))
	check "mmap stores in A and B, then $mode of A only" env SEED=$seed LD_PRELOAD="$SHIM" \
		"$BIN/famfs_synctool" mmap "$mode" "$MNT/f"
	check_eq "A written back, B not: dirty at B" "dirty at 3145728" "$(audit f)"
	check "fsync" env SEED=$seed LD_PRELOAD="$SHIM" "$BIN/famfs_synctool" mmap fsync "$MNT/f"
	check_eq "f: clean again" clean "$(audit f)"
done
SEED=99 shim "$BIN/famfs_synctool" mmap none "$MNT/ilv" >/dev/null 2>&1
check_eq "interleaved: mmap stores, no write back: dirty" "dirty at 4103" "$(audit ilv)"
check "interleaved: mmap stores, then msync" env SEED=100 LD_PRELOAD="$SHIM" \
	"$BIN/famfs_synctool" mmap msync "$MNT/ilv"
check_eq "ilv: clean after msync" clean "$(audit ilv)"

# --- the audit was on, everywhere, and found nothing ----------------------------------------
audit_clean mkfs.famfs famfs famfsd famfs_synctool cat
check "umount" "$FAMFS" umount "$MNT"
done_testing
