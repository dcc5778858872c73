#!/bin/bash
# test_cli_umount.sh - famfs umount never waits on famfsd: with famfsd
# stopped (kill -STOP) it finishes within its own 5 s bound, the mount is
# gone and the daemon exits once continued, also when a process is stuck in
# a request to the stopped daemon (a busy mount); the same with famfsd dead.
# A busy mount of a famfsd that runs is refused with EBUSY however many
# requests its readers keep in flight, and the readers are left alone;
# --force aborts it. Another user's process that poses as the mount's
# famfsd (its name, arguments and /dev/fuse) changes none of that.
. "$(dirname "$0")/lib.sh"

newdev DEV 256M
"$MKFS" "$DEV" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
M=$T/m
mkdir -p "$M"
track_mount "$M"
"$FAMFS" --device "$DEV" mkdir d || { echo "FAIL: mkdir"; exit 1; }
"$FAMFS" --device "$DEV" creat -s 16M -r -S 5 d/f >/dev/null || { echo "FAIL: creat"; exit 1; }

# readers NAME: 8 threads pread(2) $M/d/f in 1 MiB blocks through famfsd
# until $T/NAME.stop exists, checking every block against the first pass;
# $T/NAME.ready appears after the first pass, $T/NAME.out says how it ended
# (exit 0 only if every read returned the same bytes). $readers is the pid.
readers() {
	/usr/bin/python3 - "$M/d/f" "$T/$1" >"$T/$1.out" 2>&1 <<'PY' &
import os, sys, threading
path, base = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
B = 1 << 20
ref = [os.pread(fd, B, off) for off in range(0, size, B)]
open(base + ".ready", "w").close()
errors = []
passes = [0]
def run(t):
    try:
        while not os.path.exists(base + ".stop"):
            for i in range(t, len(ref), 8):
                if os.pread(fd, B, i * B) != ref[i]:
                    errors.append("block %d differs" % i)
                    return
            passes[0] += 1
    except OSError as e:
        errors.append("pread: %s" % e)
th = [threading.Thread(target=run, args=(t,)) for t in range(8)]
for x in th: x.start()
for x in th: x.join()
print("passes %d errors %s" % (passes[0], errors or "none"))
sys.exit(1 if errors else 0)
PY
	readers=$!
	track_pid "$readers"
}

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
# serves PID: PID holds /dev/fuse, so it is the mount's server, not some
# other process whose command line matches.
serves() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q ' -> /dev/fuse$'; }
# all_stopped PID: every thread of PID is in the stopped state (kill -STOP
# returns before the threads have stopped).
all_stopped() {
	local f s
	for f in /proc/"$1"/task/*/stat; do
		s=$(sed 's/.*) //' "$f" 2>/dev/null | cut -d' ' -f1) || return 1
		[ "$s" = T ] || return 1
	done
}
# stop_daemon PID: stop the famfsd PID and wait until it is stopped.
stop_daemon() {
	serves "$1" && pass "pid $1 serves the mount" || fail "pid $1 does not hold /dev/fuse"
	stopped+=("$1")
	kill -STOP "$1"
	check "famfsd $1 is stopped" wait_until 5 all_stopped "$1"
}
# waiting CONN: fusectl's count of the requests of the connection CONN
# that have no answer yet.
waiting() { cat /sys/fs/fuse/connections/"$1"/waiting 2>/dev/null; }
# in_dir PID DIR: PID's working directory is DIR (it has done its cd).
in_dir() { [ "$(readlink "/proc/$1/cwd")" = "$2" ]; }
# mounted MNT: a fuse.famfs mount on MNT (mountinfo: field 5 the mount
# point, then options, optional fields, "-", the type).
mounted() {
	awk -v m="$1" '$5 == m { for (i = 6; i <= NF; i++) if ($i == "-") { print $(i + 1); break } }' \
		/proc/self/mountinfo | grep -qx fuse.famfs
}

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
stop_daemon "$pid"
umount_bounded "stopped famfsd"
grep -q "did not exit within 5 s" "$T/err" && pass "it says famfsd did not exit" ||
	fail "stopped famfsd: stderr: $(cat "$T/err")"
kill -CONT "$pid"
check "famfsd exits once continued" wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"

# 2. A stopped famfsd and a process stuck in a request to it: the mount is
# busy, the daemon does not answer, so the connection is aborted.
check "mount again" "$FAMFS" mount -t 0 "$DEV" "$M"
pid=$(daemon_of "$M")
conn=$(awk -v m="$M" '$5 == m {split($3, a, ":"); print a[2]}' /proc/self/mountinfo)
[ -e /sys/fs/fuse/connections/"$conn" ] ||
	mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null
w0=$(waiting "$conn")
[ -n "$w0" ] && pass "fusectl counts the requests of connection $conn" ||
	fail "no fusectl entry for connection '$conn' of $M"
stop_daemon "$pid"
stat "$M/d/nosuch" >/dev/null 2>&1 &
stuck=$!
track_pid "$stuck"
if wait_until 10 bash -c "[ \"\$(cat /sys/fs/fuse/connections/$conn/waiting)\" -gt ${w0:-0} ]"; then
	pass "a request to the stopped famfsd is waiting"
else
	# Say what was seen, so that a failure here can be understood.
	fail "no request waits on the stopped famfsd: waiting $(waiting "$conn"), stat" \
	     "$(kill -0 "$stuck" 2>/dev/null && echo "alive ($(cat /proc/$stuck/wchan 2>/dev/null))" ||
		echo gone), famfsd $pid threads" \
	     "$(cat /proc/"$pid"/task/*/stat 2>/dev/null | sed 's/.*) //' | cut -d' ' -f1 | tr -d '\n')," \
	     "famfsd processes: $(pgrep -a famfsd | tr '\n' ';')"
fi
umount_bounded "stopped famfsd with a stuck request"
grep -q "connection aborted" "$T/err" && pass "the connection was aborted" ||
	fail "stuck request: stderr: $(cat "$T/err")"
check "the stuck request ends" wait_until 10 bash -c "! kill -0 $stuck 2>/dev/null"
kill -CONT "$pid"
check "famfsd exits once continued" wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"

# 3. A busy mount of a famfsd that runs, with requests always in flight:
# EBUSY, and the readers go on unharmed.
check "mount for the readers" "$FAMFS" mount -t 0 "$DEV" "$M"
readers r1
check "readers are reading" wait_until 30 test -e "$T/r1.ready"
conn=$(awk -v m="$M" '$5 == m {split($3, a, ":"); print a[2]}' /proc/self/mountinfo)
check "requests are in flight" wait_until 10 \
	bash -c "[ \"\$(cat /sys/fs/fuse/connections/$conn/waiting)\" -gt 0 ]"
check_fail "busy mount of a running famfsd: EBUSY" "Device or resource busy" \
	timeout -s KILL 30 "$FAMFS" umount "$M"
[ "$(wc -l <"$T/err")" -eq 1 ] && pass "one line" || fail "stderr: $(cat "$T/err")"
mounted "$M" && pass "still mounted" || fail "the busy mount was unmounted"
kill -0 "$readers" 2>/dev/null && pass "the readers still run" ||
	fail "the readers ended: $(cat "$T/r1.out")"
touch "$T/r1.stop"
wait "$readers"
check_eq "the readers read every block right, to the end ($(cat "$T/r1.out"))" 0 "$?"
check "umount once the readers are done" "$FAMFS" umount "$M"

# 4. --force: the connection of a busy mount is aborted although famfsd runs.
check "mount for --force" "$FAMFS" mount -t 0 "$DEV" "$M"
pid=$(daemon_of "$M")
readers r2
check "readers are reading again" wait_until 30 test -e "$T/r2.ready"
timeout -s KILL 30 "$FAMFS" umount --force "$M" >"$T/out" 2>"$T/err"
check_eq "umount --force of a busy mount succeeds ($(cat "$T/err"))" 0 "$?"
mounted "$M" && fail "--force: still mounted" || pass "--force: the mount is gone"
check "--force: the readers end" wait_until 20 bash -c "! kill -0 $readers 2>/dev/null"
check "--force: famfsd exits" wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"

# 5. A dead famfsd (killed) with a process inside the mount: unmounted.
check "mount for a dead famfsd" "$FAMFS" mount "$DEV" "$M"
pid=$(daemon_of "$M")
(cd "$M/d" && exec sleep 300) &
inside=$!
track_pid "$inside"
check "a process is inside the mount" wait_until 20 in_dir "$inside" "$M/d"
kill -9 "$pid"
check "famfsd is dead" wait_until 10 bash -c "! kill -0 $pid 2>/dev/null"
umount_bounded "dead famfsd with a process inside"
kill "$inside" 2>/dev/null

# 6. A famfsd that answers: an ordinary umount, and a busy mount is refused.
check "mount a third time" "$FAMFS" mount "$DEV" "$M"
(cd "$M/d" && exec sleep 30) &
busy=$!
track_pid "$busy"
check "a process is inside the mount" wait_until 20 in_dir "$busy" "$M/d"
check_fail "busy mount of an answering famfsd is refused" "busy" "$FAMFS" umount "$M"
kill "$busy"; wait "$busy" 2>/dev/null
check "umount" "$FAMFS" umount "$M"
mounted "$M" && fail "still mounted" || pass "unmounted"

# 7. Another user's process named famfsd, with the mount point as its last
# argument and /dev/fuse open (anyone gets such a descriptor from
# fusermount3; here root opens it and the process inherits it), stopped.
# It is not the mount's famfsd: a busy mount must still be refused with its
# readers left alone, and an idle one unmounted without waiting for it.
add_test_user TUSER || done_testing
check "mount a fourth time" "$FAMFS" mount -t 0 "$DEV" "$M"
readers r3
check "readers are reading" wait_until 30 test -e "$T/r3.ready"
as_user "$TUSER" bash -c 'exec -a famfsd /usr/bin/python3 -c \
	"import os, signal; os.kill(os.getpid(), signal.SIGSTOP)" "$1"' spoof "$M" 3</dev/fuse &
spoof_sh=$!
track_pid "$spoof_sh"
spoof_stopped() {
	spoof=$(pgrep -u "$TUSER" -f "^famfsd ") &&
		grep -q '^State:[[:space:]]*T' "/proc/$spoof/status" &&
		[ "$(readlink "/proc/$spoof/fd/3")" = /dev/fuse ]
}
check "the user's stopped 'famfsd $M' holds /dev/fuse" wait_until 20 spoof_stopped
spoof=$(pgrep -u "$TUSER" -f "^famfsd ")
track_pid "$spoof"
check_fail "busy mount, a user's stopped 'famfsd': still EBUSY" "Device or resource busy" \
	timeout -s KILL 30 "$FAMFS" umount "$M"
mounted "$M" && pass "still mounted" || fail "the busy mount was unmounted"
kill -0 "$readers" 2>/dev/null && pass "the readers still run" ||
	fail "the readers ended: $(cat "$T/r3.out")"
touch "$T/r3.stop"
wait "$readers"
check_eq "the readers read every block right, to the end ($(cat "$T/r3.out"))" 0 "$?"
timeout -s KILL 30 "$FAMFS" umount "$M" >"$T/out" 2>"$T/err"
check_eq "idle mount: umount does not wait for the user's process ($(cat "$T/err"))" 0 "$?"
mounted "$M" && fail "still mounted" || pass "unmounted"
kill -9 "$spoof" 2>/dev/null
wait "$spoof_sh" 2>/dev/null

done_testing
