#!/bin/bash
# test_cli_umount.sh - famfs umount never waits on famfsd: with famfsd
# stopped (kill -STOP) it finishes within its own 5 s bound, the mount is
# gone and the daemon exits once continued, also when a process is stuck in
# a request to the stopped daemon (a busy mount).
. "$(dirname "$0")/lib.sh"

newdev DEV 256M
"$MKFS" "$DEV" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
M=$T/m
mkdir -p "$M"
track_mount "$M"
"$FAMFS" --device "$DEV" mkdir d || { echo "FAIL: mkdir"; exit 1; }

# A stopped famfsd must be continued (or killed) before the shared cleanup
# unmounts, whatever happened.
stopped=()
cleanup_stopped() {
	local p
	for p in "${stopped[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
	famfs_cleanup
}
trap cleanup_stopped EXIT

daemon_of() { pgrep -n -f "famfsd .*$1\$"; }
mounted() { grep -q " $1 [^ ]* [^ ]* - fuse.famfs " /proc/self/mountinfo; }

# umount_bounded DESCRIPTION: famfs umount $M under a 30 s guard (the
# command promises 5 s; the guard only turns a hang into a failure).
umount_bounded() {
	timeout -s KILL 30 "$FAMFS" umount "$M" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 137 ]; then
		fail "$1: famfs umount hung"
	else
		pass "$1: famfs umount returned (exit $rc)"
	fi
	[ "$(wc -l <"$T/err")" -le 1 ] || fail "$1: more than one line: $(cat "$T/err")"
	mounted "$M" && fail "$1: still mounted" || pass "$1: the mount is gone"
}

# 1. A stopped famfsd, nothing inside the mount.
check "mount" "$FAMFS" mount "$DEV" "$M"
pid=$(daemon_of "$M")
[ -n "$pid" ] && pass "famfsd found" || fail "no famfsd for $M"
stopped+=("$pid")
kill -STOP "$pid"
umount_bounded "stopped famfsd"
grep -q "did not exit within 5 s" "$T/err" && pass "it says famfsd did not exit" ||
	fail "stopped famfsd: stderr: $(cat "$T/err")"
kill -CONT "$pid"
check "famfsd exits once continued" wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"

# 2. A stopped famfsd and a process stuck in a request to it: the mount is
# busy, the daemon does not answer, so the connection is aborted.
check "mount again" "$FAMFS" mount -t 0 "$DEV" "$M"
pid=$(daemon_of "$M")
stopped+=("$pid")
kill -STOP "$pid"
stat "$M/d/nosuch" >/dev/null 2>&1 &
stuck=$!
track_pid "$stuck"
wait_until 5 test -e "/proc/$stuck/cwd"
conn=$(awk -v m="$M" '$5 == m {split($3, a, ":"); print a[2]}' /proc/self/mountinfo)
[ -e /sys/fs/fuse/connections/"$conn" ] ||
	mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null
check "a request to the stopped famfsd is waiting" wait_until 5 \
	bash -c "[ \"\$(cat /sys/fs/fuse/connections/$conn/waiting)\" -gt 0 ]"
umount_bounded "stopped famfsd with a stuck request"
grep -q "connection aborted" "$T/err" && pass "the connection was aborted" ||
	fail "stuck request: stderr: $(cat "$T/err")"
check "the stuck request ends" wait_until 10 bash -c "! kill -0 $stuck 2>/dev/null"
kill -CONT "$pid"
check "famfsd exits once continued" wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"

# 3. A famfsd that answers: an ordinary umount, and a busy mount is refused.
check "mount a third time" "$FAMFS" mount "$DEV" "$M"
(cd "$M/d" && exec sleep 30) &
busy=$!
track_pid "$busy"
wait_until 5 test -e "/proc/$busy/cwd"
check_fail "busy mount of an answering famfsd is refused" "busy" "$FAMFS" umount "$M"
kill "$busy"; wait "$busy" 2>/dev/null
check "umount" "$FAMFS" umount "$M"
mounted "$M" && fail "still mounted" || pass "unmounted"

done_testing
