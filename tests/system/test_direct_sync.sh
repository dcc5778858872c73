#!/bin/bash
# test_direct_sync.sh - the preload shim's signal safety, device descriptors
# and write backs, on a real mount:
# - a SIGALRM handler that writes, pwrites, opens and closes famfs files
#   while the main code is inside the shim's read, write, open and close
#   finishes (no deadlock), and every byte of the file is claimed by exactly
#   one call, as the kernel's file offset would have it;
# - a root process that maps files and then drops to a real unprivileged
#   user holds no descriptor of the device, and its open file still works;
# - shim reads and writes (also O_SYNC, O_DSYNC), and fsync, fdatasync,
#   sync_file_range and msync on famfs files and mappings work and are
#   served by the shim (no FSYNC reaches famfsd); without the shim, fsync
#   reaches famfsd. (That they really write back is test_flush_audit, in the
#   flush audit build.)
. "$(dirname "$0")/lib.sh"

DEV=$(mkdev 8G)
MNT=$T/mnt
mkdir -p "$MNT"
[ -f "$SHIM_SO" ] || { fail "$SHIM_SO not built"; done_testing; }
shim() { LD_PRELOAD=$SHIM "$@"; }
stat_op() {
	"$FAMFS" stats --json "$MNT" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ops"][sys.argv[1]])' "$1"
}

check "mkfs" "$MKFS" "$DEV"
check "creat f 8M" "$FAMFS" --device "$DEV" creat -s 8M f
check "creat other 4M" "$FAMFS" --device "$DEV" creat -s 4M other
check "creat g 8M (pattern)" "$FAMFS" --device "$DEV" creat -s 8M -r -S 5 g
check "creat ilv 24M interleaved" "$FAMFS" --device "$DEV" creat -s 24M -N 3 -B 8 -C 2M ilv
track_mount "$MNT"
check "mount" "$FAMFS" mount "$DEV" "$MNT"

# --- signals -----------------------------------------------------------------------
# (A handler that interrupts the shim while it maps a file goes through FUSE.)
check "shim: a signal handler using famfs files never deadlocks; offsets add up" \
	shim "$BIN/famfs_shimsig" "$MNT/f" "$MNT/other" 3
cp "$T/out" "$T/sig.out"
echo "  $(cat "$T/sig.out")"
check "shim: ... and the handler did run" grep -Eq ', [1-9][0-9]* signals, [1-9]' "$T/sig.out"

# --- device descriptors --------------------------------------------------------------
# The user must be able to reach the mount point to open the file again.
chmod 711 "$T"
check "shim: after dropping root, no device fd; the open file still reads" \
	shim "$BIN/famfs_shimpriv" "$MNT/g" "$DEV" 65534
sed 's/^/  /' "$T/out"
cat >"$T/fds.sh" <<'SH'
exec 3<"$1" 4<"$2"
read -r -n 1 _ <&3
read -r -n 1 _ <&4
ls -l /proc/$$/fd | grep -c -- "$3" || true
SH
check_eq "shim: two famfs files open and read, no device fd in /proc/PID/fd" 0 \
	"$(shim bash "$T/fds.sh" "$MNT/g" "$MNT/ilv" "$DEV")"
FAMFS_PRELOAD_DEBUG=1 shim bash "$T/fds.sh" "$MNT/g" "$MNT/ilv" "$DEV" >/dev/null 2>"$T/dbg"
check "... and both were mapped by the shim" test "$(grep -c 'mapped' "$T/dbg")" -ge 2

# --- write backs ---------------------------------------------------------------------
check "shim: pwrite/write then pread/read, 1 B to 1 MiB" shim "$BIN/famfs_synctool" write "$MNT/f"
check "shim: the same on O_SYNC and O_DSYNC fds" shim "$BIN/famfs_synctool" osync "$MNT/f"
check "FUSE: the same without the shim" "$BIN/famfs_synctool" write "$MNT/other"
f0=$(stat_op fsync)
for mode in msync msync-async msync-inval msync-a fsync fdatasync sfr sfr-a; do
	check "shim: mmap stores, then $mode" shim "$BIN/famfs_synctool" mmap "$mode" "$MNT/f"
done
check "shim: mmap of an interleaved file, then msync" \
	shim "$BIN/famfs_synctool" mmap msync "$MNT/ilv"
check "shim: sync_file_range argument errors are EINVAL" \
	shim "$BIN/famfs_synctool" sfr-errors "$MNT/f"
check_eq "shim: fsync, fdatasync and sync_file_range are served by the shim (no FSYNC)" \
	"$f0" "$(stat_op fsync)"
check "FUSE: sync_file_range argument errors are EINVAL too" \
	"$BIN/famfs_synctool" sfr-errors "$MNT/f"
check "FUSE: fsync of a file stored through famfs_map_open" \
	"$BIN/famfs_synctool" mapfsync "$MNT/f"
check_eq "FUSE: that fsync reached famfsd" "$((f0 + 1))" "$(stat_op fsync)"
check "shim: fsync of a file stored through famfs_map_open" \
	shim "$BIN/famfs_synctool" mapfsync "$MNT/f"
check_eq "shim: ... served by the shim" "$((f0 + 1))" "$(stat_op fsync)"

check "umount" "$FAMFS" umount "$MNT"
done_testing
