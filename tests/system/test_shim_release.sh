#!/bin/bash
# test_shim_release.sh - the preload shim's last close of a famfs file lets
# go of its mount's log mapping (taking libfamfs's mount table lock) without
# deadlocking against a signal handler or fork(2), and leaves no mapping of
# the device behind:
#  1. a SIGALRM handler closes famfs fds (each a last close) while the main
#     code opens, reads and closes a file on a second mount (each close its
#     mount's last: it unmaps that log under the lock): the handler must
#     never wait for a lock the code it interrupted holds;
#  2. a thread maps a file, closes its fd and munmaps it (the last drop
#     inside the shim's locked code, released on the way out) while the
#     main thread forks: fork's handlers take libfamfs's lock, then the
#     shim's, so the release must never hold the shim's while taking
#     libfamfs's.
# A deadlock hangs for ever: each run has a deadline, and is killed there.
. "$(dirname "$0")/lib.sh"

[ -f "$SHIM_SO" ] || { fail "$SHIM_SO not built"; done_testing; }
TOOL=$BIN/famfs_shimrelease
DEV=$(mkdev 256M)
DEV2=$(mkdev 256M)
MNT=$T/mnt
MNT2=$T/mnt2
mkdir -p "$MNT" "$MNT2"
check "mkfs" "$MKFS" "$DEV"
check "mkfs 2" "$MKFS" "$DEV2"
check "creat a 2M" "$FAMFS" --device "$DEV" creat -s 2M a
check "creat b 2M" "$FAMFS" --device "$DEV" creat -s 2M b
check "creat c 2M on 2" "$FAMFS" --device "$DEV2" creat -s 2M c
track_mount "$MNT"
track_mount "$MNT2"
check "mount" "$FAMFS" mount "$DEV" "$MNT"
check "mount 2" "$FAMFS" mount "$DEV2" "$MNT2"

# run NAME ARGS...: the tool under the shim, killed at a deadline (generous
# for a loaded machine: a fixed shim takes a few seconds).
run() {
	local name=$1 rc
	shift
	timeout -s KILL 60 env LD_PRELOAD="$SHIM" "$TOOL" "$DEV,$DEV2" "$@" >"$T/$name.out" 2>&1
	rc=$?
	sed 's/^/  /' "$T/$name.out"
	case $rc in
	0) pass "$name: finished, no device mapping left" ;;
	137) fail "$name: still running at the 60 s deadline (deadlock), killed" ;;
	*) fail "$name: exit $rc" ;;
	esac
}
run "a signal handler closes 3000 famfs fds while main opens, reads, closes" \
	sigclose "$MNT2/c" "$MNT/b" 3000
run "a thread maps, closes, munmaps 20000 times while main forks" \
	fork "$MNT/a" 20000

check "umount" "$FAMFS" umount "$MNT"
check "umount 2" "$FAMFS" umount "$MNT2"
done_testing
