#!/bin/bash
# test_rm_audit.sh - the flush audit (include/famfs/audit.h) over famfs rm:
# mkfs -O rm (the rm block and the empty host table), famfsd and famfs
# commands registering and publishing in the host table, a delete through
# the mount, and a new file reusing the deleted memory (zeroed). Every one
# of those writes is a publication point: a byte stored and not written
# back makes the writer abort and fails this test. The reused file must
# be clean (its zeros written back) and read zeros.
. "$(dirname "$0")/../system/lib.sh"

grep -qs '^FAMFS_FLUSH_AUDIT:BOOL=ON' "$FAMFS_BUILD/CMakeCache.txt" ||
	{ fail "$FAMFS_BUILD is not a flush audit build (cmake -DFAMFS_FLUSH_AUDIT=ON)"; done_testing; }
export FAMFS_FLUSH_AUDIT=$T/audit
mkdir -p "$FAMFS_FLUSH_AUDIT"
DEV=$(mkdev 128M)
truncate -s 128M "$FAMFS_FLUSH_AUDIT/$(stat -c 'dev-%d-ino-%i' "$DEV")"
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
for who in mkfs.famfs famfs famfsd; do
	check "the audit ran in $who" grep -q "^$who " "$FAMFS_FLUSH_AUDIT/active"
done
check_eq "no audit failures" "" "$(cat "$FAMFS_FLUSH_AUDIT/failures" 2>/dev/null)"
done_testing
