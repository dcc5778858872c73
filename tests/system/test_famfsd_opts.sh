#!/bin/bash
# test_famfsd_opts.sh - famfsd's -o options go through fuse_opt_parse:
# famfsd's own keep their meaning and their one-line errors (exit 2, before
# the device is opened, nothing mounted), and libfuse's standard options
# work on a real mount: noatime, allow_root, clone_fd, max_threads.
. "$(dirname "$0")/lib.sh"

FAMFSD=$BIN/famfsd
mkfs_dev DEV 256M
"$FAMFS" --device "$DEV" mkdir d >/dev/null && "$FAMFS" --device "$DEV" mkdir e >/dev/null ||
	{ fail "mkdir"; done_testing; }
M=$T/m
mkdir -p "$M"
chmod 0755 "$T"
track_mount "$M"

# --- bad options: one line, exit 2, checked before the device is opened ---
# bad_opt DESCRIPTION PATTERN OPTS: famfsd -o OPTS on a device that does not
# exist must fail with exit 2 and one line matching PATTERN.
bad_opt() {
	local what=$1 pat=$2 rc
	"$FAMFSD" -o "$3" "$T/no-such-dev" "$M" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -ne 2 ]; then
		fail "$what: exit $rc, not 2: $(head -c 300 "$T/err")"
	elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -Eq -- "$pat" "$T/err"; then
		fail "$what: stderr is not one line matching /$pat/: $(head -c 300 "$T/err")"
	else
		pass "$what"
	fi
}
bad_opt "an unknown option" "^famfsd: unknown option 'bogus' in -o" bogus
bad_opt "an unknown option among libfuse's" "unknown option 'bogus=1' in -o" \
	noatime,max_threads=4,bogus=1,allow_root
bad_opt "an unknown option after famfsd's" "unknown option 'x' in -o" user_mkdir,bpf,x
bad_opt "a bad value of a libfuse option" "bad option 'max_threads=abc' in -o" \
	max_threads=abc
bad_opt "cache= takes direct or page" "bad 'cache=x' in -o" cache=x
bad_opt "test_fmap= needs a directory" "bad 'test_fmap=' in -o" test_fmap=
bad_opt "fsname= is famfsd's" "'fsname=x' in -o: famfsd sets fsname=" fsname=x
bad_opt "subtype= is famfsd's" "'subtype=fuse' in -o: famfsd sets" subtype=fuse
bad_opt "reserve= is still checked" "bad 'reserve=x' in -o" reserve=x
bad_opt "poll_ms= is a number" "bad 'poll_ms=x' in -o \\(poll_ms=N, 1 to 1000\\)" poll_ms=x
bad_opt "poll_ms= at least 1" "bad 'poll_ms=0' in -o" poll_ms=0
bad_opt "poll_ms= at most 1000" "bad 'poll_ms=1001' in -o" poll_ms=1001
bad_opt "poll_ms= not negative" "bad 'poll_ms=-1' in -o" poll_ms=-1
bad_opt "poll_ms= not empty" "bad 'poll_ms=' in -o" poll_ms=
check "nothing was mounted" bash -c "! mountpoint -q '$M'"

# --- libfuse's mount options ---
check "mount -o noatime (a generic mount option)" "$FAMFS" mount -o noatime "$DEV" "$M"
check_eq "the mount has noatime" noatime \
	"$(findmnt -n -o OPTIONS --mountpoint "$M" | tr , '\n' | grep -x noatime)"
check_eq "and is still famfs's, from the device" "fuse.famfs $DEV" \
	"$(findmnt -n -o FSTYPE,SOURCE --mountpoint "$M")"
check "umount" "$FAMFS" umount "$M"

check "mount -o ro,rw: rw undoes ro" "$FAMFS" mount -o ro,rw "$DEV" "$M"
check "mkdir works" mkdir "$M/d/rw"
check "umount" "$FAMFS" umount "$M"
check "mount -o rw,ro" "$FAMFS" mount -o rw,ro "$DEV" "$M"
check_fail "the mount is read-only" "Read-only" mkdir "$M/d/ro"
check "umount" "$FAMFS" umount "$M"

# --- allow_root: only root may use the mount ---
add_test_user U || done_testing
check "mount (default: every user)" "$FAMFS" mount "$DEV" "$M"
check "a user may list it" as_user "$U" ls "$M/d"
check "umount" "$FAMFS" umount "$M"
check "mount -o allow_root" "$FAMFS" mount -o allow_root "$DEV" "$M"
check "root may list it" ls "$M/d"
check_fail "a user may not" "Permission denied" as_user "$U" ls "$M/d"
check "umount" "$FAMFS" umount "$M"

# --- clone_fd: each worker thread reads its own /dev/fuse descriptor ---
# fuse_fds: how many descriptors of /dev/fuse famfsd on $M holds, after a
# few requests (which start at least one worker).
fuse_fds() {
	local pid
	pid=$(famfsd_pid_of "$M")
	[ -n "$pid" ] || { echo none; return; }
	ls "$M" "$M/d" "$M/e" >/dev/null
	find /proc/"$pid"/fd -lname /dev/fuse | wc -l
}
check "mount" "$FAMFS" mount "$DEV" "$M"
check_eq "one /dev/fuse descriptor without clone_fd" 1 "$(fuse_fds)"
check "umount" "$FAMFS" umount "$M"
check "mount -o clone_fd" "$FAMFS" mount -o clone_fd "$DEV" "$M"
n=$(fuse_fds)
[ "$n" != none ] && [ "$n" -ge 2 ] && pass "clone_fd: $n /dev/fuse descriptors" ||
	fail "clone_fd: $n /dev/fuse descriptors, expected 2 or more"
check "the mount works" ls "$M/d"
check "umount" "$FAMFS" umount "$M"

# --- max_threads=1: one request at a time ---
# The test build of famfsd (build/testhooks/famfsd) pauses a famfs creat's
# zeroing in the worker thread that serves it (the pause point
# "creat_zero", src/famfsd/creat.c): with one thread, a lookup elsewhere
# waits for it (with the default, test_famfsd_races.sh shows it does not).
# (A mkdir waiting for the log lock no longer takes a worker: the appender
# thread waits, test_famfsd_appender.sh.)
HOOKS=$FAMFS_BUILD/testhooks/famfsd
P=$T/pause
mkdir -p "$P"
check "mount -o max_threads=1 (test build)" env FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" \
	"$FAMFS" mount -o max_threads=1 -t 0 "$DEV" "$M"
touch "$P/creat_zero"
"$FAMFS" creat -s 2M "$M/d/paused" 2>"$T/creat.err" &
cr=$!
track_pid "$cr"
check "the creat is paused in famfsd's only thread" wait_until 20 test -e "$P/creat_zero.paused"
# (no timeout here is a synchronisation: the lookup must NOT finish.)
if bash -c "timeout -s KILL 3 stat '$M/e'" >/dev/null 2>&1; then
	fail "max_threads=1: a lookup was served while the only thread was busy"
else
	pass "max_threads=1: the lookup waits for the only thread"
fi
rm -f "$P/creat_zero"
check "the creat finishes once resumed" wait_until 20 \
	bash -c "! kill -0 $cr 2>/dev/null"
wait "$cr"
check_eq "the creat succeeded" 0 "$?"
check "lookups work again" stat "$M/e"
check "umount" "$FAMFS" umount "$M"
check "fsck clean" "$FAMFS" fsck "$DEV"
# --- poll_ms: a client's catch-up thread sees new entries by itself ---
C=$T/c
mkdir -p "$C"
track_mount "$C"
next_index() { "$FAMFS" stats --json "$1" | sed -n 's/.*"log_next_index": \([0-9]*\).*/\1/p'; }
caught_up() { [ "$(next_index "$C")" -ge "$1" ]; }
for ms in 1 1000; do
	check "master mount -o poll_ms=$ms" "$FAMFS" mount -o "poll_ms=$ms" "$DEV" "$M"
	check "client mount -o poll_ms=$ms" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" \
		"$FAMFS" mount -o "poll_ms=$ms" "$DEV" "$C"
	check "creat on the master" "$FAMFS" creat -s 2M "$M/p$ms"
	want=$(next_index "$M")
	if wait_until 10 caught_up "$want"; then
		pass "poll_ms=$ms: the client replayed index $want with no lookup"
	else
		fail "poll_ms=$ms: the client is at $(next_index "$C"), not $want, after 10 s"
	fi
	check "umount the client" "$FAMFS" umount "$C"
	check "umount the master" "$FAMFS" umount "$M"
done

done_testing
