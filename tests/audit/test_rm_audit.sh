#!/bin/bash
# test_rm_audit.sh - the flush audit (include/famfs/audit.h) over famfs rm:
# mkfs -O rm (the rm block and the empty host table), famfsd and famfs
# commands registering and publishing in the host table, a delete through
# the mount, and a new file reusing the deleted memory (zeroed). Every one
# of those writes is a publication point: a byte stored and not written
# back makes the writer abort and fails this test. The reused file must
# be clean (its zeros written back) and read zeros.
. "$(dirname "$0")/../system/lib.sh"

audit_device 128M
MNT=$T/mnt
mkdir -p "$MNT"
audit() { "$BIN/famfs_synctool" audit-check "$MNT/$1" 2>&1; }

check "mkfs -O rm (audited)" "$MKFS" -O rm "$DEV"
track_mount "$MNT"
check "mount (famfsd registers, audited)" "$FAMFS" mount "$DEV" "$MNT"
check "creat f with a pattern" "$FAMFS" creat -s 16M -r -S 4 "$MNT/f"
i=0
while "$FAMFS" creat -s 2M "$MNT/fill$i" 2>/dev/null; do i=$((i + 1)); done
check "rm f through the mount (famfsd logs, publishes)" rm "$MNT/f"
check "creat g: reuses f's memory, zeroed" wait_until 5 "$FAMFS" creat -s 16M "$MNT/g"
check_eq "g: clean (its zeros were written back)" clean "$(audit g)"
check "g reads zeros" cmp -n 16777216 "$MNT/g" /dev/zero
check "host list (reads the table)" "$FAMFS" host list "$MNT"
check "umount (famfsd leaves the table)" "$FAMFS" umount "$MNT"
audit_clean mkfs.famfs famfs famfsd
done_testing
