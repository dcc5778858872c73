#!/bin/bash
# test_rm_release_audit.sh - the flush audit (include/famfs/audit.h) over
# the memory of a deleted file: before a host lets that memory go (famfsd
# publishes `replayed` past the delete, or its last release of the file),
# this host's cache lines of it must be written back and dropped. A
# program under the preload shim stores into a mapping of the file and
# never syncs, then unmaps:
# - a: it closed the file long before the delete (famfsd applies the
#   delete with no open);
# - b: another process still has the file open at the delete (famfsd's
#   last release lets it go);
# - c: as a, but a page in the middle of the file faults in famfsd's pass
#   (test build: the "rm-clean-fault" flag): the pass goes on past it, and
#   the stores after it are still written back;
# - d: as a, but famfsd is out of memory when it notes the delete (test
#   build: "rm-nomem"): it passes over the file at once.
# In every case the deleted file's memory must be clean by the audit's
# shadow (what another host sees) once famfsd let it go, and famfsd's own
# publication point ("deleted file clean on this host") must not fail.
. "$(dirname "$0")/../system/lib.sh"

audit_device 128M
MNT=$T/mnt
mkdir -p "$MNT"
audit() { "$BIN/famfs_synctool" audit-check "$MNT/$1" 2>&1; }
let_go() { "$FAMFS" host list "$MNT" 2>/dev/null | grep -q '^space: .* pending 0 '; }
# extent0 FILE: "OFFSET LEN" of FILE's first extent.
extent0() { "$FAMFS" getmap "$MNT/$1" | awk '/^  extent 0:/ {print $6, $8}'; }
# range_clean OFF LEN: the device and the audit's shadow agree on [OFF, +LEN).
range_clean() {
	cmp -s <(dd if="$DEV" bs=1M iflag=skip_bytes,count_bytes skip=$(($1)) count=$(($2)) \
		status=none) \
		<(dd if="$SHADOW" bs=1M iflag=skip_bytes,count_bytes skip=$(($1)) count=$(($2)) \
		status=none)
}

# stored NAME SEED: creat NAME (one 4 MiB extent, at $off, $len), store into it
# through a mapping under the shim and never write back.
stored() {
	check "creat $1" "$FAMFS" creat -s 4M "$MNT/$1"
	read -r off len <<<"$(extent0 "$1")"
	check "$1 has one 4 MiB extent" test "$((len))" -eq 4194304
	SEED=$2 LD_PRELOAD="$SHIM" "$BIN/famfs_synctool" mmap none "$MNT/$1" >/dev/null 2>&1
	check_eq "$1: mmap stores, no write back: dirty" "dirty at 4103" "$(audit "$1")"
}

check "mkfs -O rm (audited)" "$MKFS" -O rm "$DEV"
track_mount "$MNT"
check "mount (famfsd audited)" "$FAMFS" mount "$DEV" "$MNT"

# --- a: stored, unmapped and closed before the delete ---------------------------------
stored a 5
check "rm a (no process has it open)" rm "$MNT/a"
check "a's memory is clean on this host once famfsd applied the delete" \
	wait_until 20 range_clean "$off" "$len"

# --- b: stored and unmapped, but held open at the delete ----------------------------------
stored b 6
hold_open "$MNT/b"
check "rm b (held open by another process)" rm "$MNT/b"
kill "$opener"
wait "$opener" 2>/dev/null
check "b's memory is clean on this host after the last release" \
	wait_until 20 range_clean "$off" "$len"

check "umount" "$FAMFS" umount "$MNT"

# --- c: a fault in the middle of the pass --------------------------------------------------
P=$T/pause
mkdir -p "$P"
touch "$P/rm-clean-fault"
check "mount (famfsd test build, a page of each extent faults in the pass)" \
	env FAMFSD="$FAMFS_BUILD/testhooks/famfsd" FAMFSD_TEST_PAUSE_DIR="$P" \
	"$FAMFS" mount "$DEV" "$MNT"
stored c 7
check "rm c (the page at 2 MiB faults in the pass)" rm "$MNT/c"
# The stores: range A in the first page, range B at 3 MiB, after the fault.
check "c's lines before the fault are written back" \
	wait_until 20 range_clean "$off" 2097152
check "c's lines after the fault are written back too" \
	wait_until 20 range_clean "$((off + 2097152 + 4096))" "$((2097152 - 4096))"

# --- d: no memory to note the delete ---------------------------------------------------
rm -f "$P/rm-clean-fault"
stored d 8
touch "$P/rm-nomem"
check "rm d (famfsd cannot list it for its pass)" rm "$MNT/d"
rm -f "$P/rm-nomem"
check "d's memory is clean on this host" wait_until 20 range_clean "$off" "$len"
check "d's memory is let go" wait_until 20 let_go
check "the mount is not evicted: a new file opens" \
	bash -c "'$FAMFS' creat -s 2M '$MNT/e' && cat '$MNT/e' >/dev/null"
check "umount" "$FAMFS" umount "$MNT"
audit_clean famfsd famfs_synctool
done_testing
