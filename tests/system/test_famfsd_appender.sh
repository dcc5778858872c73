#!/bin/bash
# test_famfsd_appender.sh - mkdir, unlink and rmdir through the master's
# mount while another process holds the host-wide log lock: famfsd hands
# them to its appender thread (src/famfsd/appender.c) instead of letting a
# FUSE worker thread wait, so that more of them than libfuse has workers
# (-o max_threads, 10) never stop the mount from answering.
#  1. 8 unlinks and 8 mkdirs (each in a directory of its own: the kernel
#     runs one change of a directory at a time) all reach famfsd while the
#     lock is held; a lookup, a listing and an ioctl on the mount must then
#     answer within 10 s; an interrupted mkdir among them returns at once.
#  2. Released, every unlink and mkdir completes: files gone, directories
#     there, nothing from the interrupted one, famfs fsck clean.
#  3. famfsd told to exit (SIGTERM) with a mkdir queued answers it (ENOTCONN)
#     instead of leaving its caller waiting, and exits.
. "$(dirname "$0")/lib.sh"

N=8
newdev DEV 128M
check "mkfs.famfs -O rm" "$MKFS" -O rm "$DEV"
M=$T/m
mkdir -p "$M"
track_mount "$M"
# -t 0: the kernel caches no name, so every lookup below is a request.
check "mount, no cache" "$FAMFS" mount -t 0 "$DEV" "$M"
for i in $(seq 0 $((N - 1))); do
	mkdir "$M/u$i" "$M/k$i" && "$FAMFS" creat -s 2M "$M/u$i/f" >/dev/null ||
		fail "setup $i"
done
check "a directory to list later" mkdir "$M/probe"

# ops NAME...: famfsd's request counts (FAMFS_IOC_STATS) of the named ops
ops() {
	timeout -s KILL 5 "$FAMFS" stats --json "$M" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)["ops"]
print(" ".join(str(o[k]) for k in sys.argv[1:]))' "$@"
}
# reached U K: famfsd has taken U unlinks and K mkdirs in all
reached() {
	local c
	c=$(ops unlink mkdir) || return 1
	[ "${c% *}" -ge "$1" ] && [ "${c#* }" -ge "$2" ]
}
read -r u0 k0 <<<"$(ops unlink mkdir)"

# --- 1. more waiting appends than worker threads ---
check "another process holds the log lock" hold_log_lock "$DEV"
pids=()
for i in $(seq 0 $((N - 1))); do
	rm "$M/u$i/f" 2>"$T/rm$i.err" &
	pids+=($!)
	track_pid $!
	mkdir "$M/k$i/new" 2>"$T/mk$i.err" &
	pids+=($!)
	track_pid $!
done
check "all $((2 * N)) requests reached famfsd" \
	wait_until 60 reached $((u0 + N)) $((k0 + N))
check "famfsd waits for the lock" famfsd_waits_log_lock "$M"
check "a lookup answers within 10 s" timeout -s KILL 10 stat "$M/probe"
check "a lookup of a missing name answers within 10 s" \
	timeout -s KILL 10 bash -c "! stat '$M/nosuch' 2>/dev/null"
check "a listing answers within 10 s" timeout -s KILL 10 ls "$M" "$M/probe"
check "an ioctl answers within 10 s" timeout -s KILL 10 "$FAMFS" stats "$M"
# One more mkdir, interrupted (SIGINT) while queued behind the others.
# (In the background: a caller famfsd never answers cannot be killed.)
timeout -s INT 1 mkdir "$M/probe/interrupted" 2>"$T/int.err" &
ip=$!
track_pid $ip
check "an interrupted mkdir returns while the lock is held" \
	timeout 30 tail --pid="$ip" -f /dev/null
wait "$ip"
rc=$?
[ $rc -ne 0 ] && pass "... with a failure (exit $rc)" ||
	fail "the interrupted mkdir succeeded while the lock was held"
nwait=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && nwait=$((nwait + 1)); done
check_eq "the others still wait for the lock" $((2 * N)) "$nwait"

# check_done PREFIX: every unlinked file is gone, every new directory there
check_done() {
	local i gone=0 made=0
	for i in $(seq 0 $((N - 1))); do
		[ -e "$M/u$i/f" ] || gone=$((gone + 1))
		[ -d "$M/k$i/new" ] && made=$((made + 1))
	done
	check_eq "$1the files are gone" "$N" "$gone"
	check_eq "$1the directories are there" "$N" "$made"
}

# --- 2. released: each one completes ---
kill "$sleeper"
nok=0
for i in $(seq 0 $((2 * N - 1))); do
	timeout 60 tail --pid="${pids[$i]}" -f /dev/null
	wait "${pids[$i]}" && nok=$((nok + 1))
done
check_eq "every unlink and mkdir succeeded" $((2 * N)) "$nok"
check_done ""
check "nothing from the interrupted mkdir" test ! -e "$M/probe/interrupted"
check "umount" "$FAMFS" umount "$M"
check "fsck clean" "$FAMFS" fsck "$DEV"
cp "$T/out" "$T/fsck.out"
check "fsck: $N files deleted" grep -q "$N deletes" "$T/fsck.out"
check "mount again" "$FAMFS" mount -t 0 "$DEV" "$M"
check_done "replayed: "

# --- 3. exit with a request queued ---
check "the log lock is held again" hold_log_lock "$DEV"
mkdir "$M/probe/late" 2>"$T/late.err" &
mk=$!
track_pid $mk
check "the mkdir waits in famfsd" wait_until 60 famfsd_waits_log_lock "$M"
fp=$(famfsd_pid_of "$M")
kill -TERM "$fp"
check "the queued mkdir is answered once famfsd exits" \
	timeout 30 tail --pid="$mk" -f /dev/null
wait "$mk"
check_eq "... with an error" 1 "$?"
check "... ENOTCONN" grep -q "not connected" "$T/late.err"
check "famfsd exited" wait_until 30 bash -c "! kill -0 $fp 2>/dev/null"
kill "$sleeper"
"$FAMFS" umount "$M" >/dev/null 2>&1 || umount -l "$M" 2>/dev/null
check "fsck clean" "$FAMFS" fsck "$DEV"
done_testing
