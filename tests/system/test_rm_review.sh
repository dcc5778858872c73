#!/bin/bash
# test_rm_review.sh - famfs rm against what a hostile or unlucky neighbour
# can do (docs/rm.md sections 3, 5 and 7):
# - another user who can read the device holds the host table's local lock
#   for ever: famfs creat and famfs mount still finish (cleaning this host's
#   dead records is skipped, never waited for), and the dead record is
#   cleaned once the lock is gone.
. "$(dirname "$0")/lib.sh"

famfs_d() { "$FAMFS" --device "$DEV" "$@"; }
M1=$T/master
mkdir -p "$M1"
chmod 0755 "$T"

# --- H2: nobody waits for the host-local lock ---------------------------------------
newdev DEV 256M
check "mkfs -O rm" "$MKFS" -O rm "$DEV"
check "creat a" famfs_d creat -s 2M a
# A famfs command killed while registered leaves a dead record of this host.
FAMFS_CRASH_POINT=delete-checked famfs_d rm a >/dev/null 2>&1
procs() { famfs_d host list | grep -c ' process '; }
check_eq "a dead process record is left" 1 "$(procs)"
chmod 0644 "$DEV"
add_test_user U || done_testing
# The user takes a read OFD lock on the lock byte (4096) and keeps it.
as_user "$U" /usr/bin/python3 -c "
import fcntl, os, struct, sys, time
fd = os.open('$DEV', os.O_RDONLY)
fcntl.fcntl(fd, 37, struct.pack('hhqqi4x', fcntl.F_RDLCK, 0, 4096, 1, 0))
print('locked', os.getpid(), flush=True)
time.sleep(300)" >"$T/locker" 2>&1 &
locker=$!
track_pid "$locker"
check "another user holds the lock" wait_until 20 grep -q locked "$T/locker"
lockpid=$(awk '/^locked/ {print $2}' "$T/locker")
track_pid "$lockpid"
check "creat finishes within 30 s" timeout 30 "$FAMFS" --device "$DEV" creat -s 2M c
track_mount "$M1"
check "mount finishes within 30 s" timeout 30 "$FAMFS" mount "$DEV" "$M1"
check "rm and creat through the mount finish within 30 s" timeout 30 bash -c \
	"rm '$M1/c' && '$FAMFS' creat -s 2M '$M1/d'"
check "umount" "$FAMFS" umount "$M1"
check_eq "the dead record is still there (cleaning was skipped)" 1 "$(procs)"
kill "$lockpid"
wait "$locker" 2>/dev/null
check "creat once the lock is gone" famfs_d creat -s 2M e
check_eq "... cleaned the dead record" 0 "$(procs)"
check "fsck clean" "$FAMFS" fsck "$DEV"

done_testing
