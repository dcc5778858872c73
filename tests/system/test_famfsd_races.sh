#!/bin/bash
# test_famfsd_races.sh - famfsd's request paths under concurrent appends and
# a held log lock, with the test build's pause points (build/testhooks/famfsd,
# src/famfsd/testhook.c) holding race windows open instead of sleeping:
#  1. a catch-up check that read the log index before another thread
#     appended must not take the append for a rewind ("file system gone"),
#     nor one that loaded seen_next before the append and reads the device
#     after it (the order of the two loads in famfsd_meta_read);
#  2. a mkdir through the mount waiting for the log lock (held by another
#     process, here flock(1)) must not stop lookups on the mount, and ends
#     when the lock is released or the caller is interrupted. (Lookups in
#     the directory the mkdir changes wait for the kernel's lock on that
#     directory, as on any file system; the other directories must not wait.)
. "$(dirname "$0")/lib.sh"

HOOKS=$FAMFS_BUILD/testhooks/famfsd
[ -x "$HOOKS" ] || { echo "FAIL: $HOOKS not built"; exit 1; }
P=$T/pause
mkdir -p "$P"
export FAMFSD=$HOOKS FAMFSD_TEST_PAUSE_DIR=$P

newdev DEV 256M
"$MKFS" "$DEV" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
"$FAMFS" --device "$DEV" mkdir d >/dev/null && "$FAMFS" --device "$DEV" mkdir e >/dev/null ||
	{ echo "FAIL: mkdir"; exit 1; }
M=$T/m
mkdir -p "$M"
track_mount "$M"
check "mount (test build, no cache)" "$FAMFS" mount -t 0 "$DEV" "$M"

# --- 1. an append inside a catch-up check's window ---
# The next unlocked check (the 100 ms timer or a lookup) pauses after
# reading the device and before comparing with seen_next.
touch "$P/meta"
check "a catch-up check is paused after its device read" wait_until 20 test -e "$P/meta.paused"
check "mkdir through the mount while it is paused" mkdir "$M/d/new1"
rm -f "$P/meta"
check "the paused check resumed" wait_until 20 test ! -e "$P/meta.paused"
# A lookup runs a check of its own after the paused one has compared.
check "lookup after the race" stat "$M/d/new1"
check "listing after the race" ls "$M/d"
out=$(stat -c %F "$M/d" 2>&1)
check_eq "the mount still answers" "directory" "$out"
check "mkdir after the race" mkdir "$M/d/new2"

# The next check pauses between its load of seen_next and its device read:
# an append there moves both; loaded in that order, nothing went back.
touch "$P/meta_seen"
check "a check is paused between its two loads" wait_until 20 test -e "$P/meta_seen.paused"
check "mkdir through the mount while it is paused" mkdir "$M/d/new3"
rm -f "$P/meta_seen"
check "the paused check resumed" wait_until 20 test ! -e "$P/meta_seen.paused"
check "lookup after the second race" stat "$M/d/new3"
out=$(stat -c %F "$M/d" 2>&1)
check_eq "the mount still answers" "directory" "$out"

# --- 2. mkdir waiting for a log lock held by another process ---
# (hold_log_lock, lib.sh: $sleeper is the sleep, killing it frees the lock.)
check "another process holds the log lock" hold_log_lock "$DEV"
mkdir "$M/d/locked" 2>"$T/mkdir.err" &
mk=$!
track_pid "$mk"
check "the mkdir request is waiting in famfsd" wait_until 20 famfsd_waits_log_lock "$M"
# Lookups must not wait for the mkdir: each has 10 s on a loaded machine,
# while the lock stays held for 300 s.
check "lookup in the root while mkdir waits" timeout -s KILL 10 stat "$M/e"
check "lookup of a missing name while mkdir waits" \
	timeout -s KILL 10 bash -c "! stat '$M/e/nosuch' 2>/dev/null"
check "readdir while mkdir waits" timeout -s KILL 10 ls "$M" "$M/e"
kill -0 "$mk" 2>/dev/null && pass "the mkdir still waits for the lock" ||
	fail "the mkdir did not wait for the held lock"
kill "$sleeper"
check "the mkdir finishes once the lock is free" wait_until 20 \
	bash -c "! kill -0 $mk 2>/dev/null"
wait "$mk"
check_eq "the mkdir succeeded" 0 "$?"
check "its directory exists" test -d "$M/d/locked"

# An interrupted mkdir (the caller gets a signal) returns instead of waiting.
check "the log lock is held again" hold_log_lock "$DEV"
timeout -s INT 1 mkdir "$M/d/interrupted" 2>"$T/mkdir.err"
rc=$?
[ $rc -ne 0 ] && pass "the interrupted mkdir returned (exit $rc)" ||
	fail "the interrupted mkdir succeeded while the lock was held"
kill "$sleeper"
check "no directory from the interrupted mkdir" test ! -e "$M/d/interrupted"

# --- 3. famfs creat: the zeroing runs without famfsd's namespace lock ---
check "a file to read meanwhile" "$FAMFS" creat -s 2M "$M/e/old"
touch "$P/creat_zero"
"$FAMFS" creat -s 8M "$M/e/zeroed" 2>"$T/creat.err" &
cr=$!
track_pid "$cr"
check "famfsd is zeroing a new file (paused)" wait_until 20 test -e "$P/creat_zero.paused"
check "lookup while it zeroes" timeout -s KILL 10 stat "$M/e"
check "readdir while it zeroes" timeout -s KILL 10 ls "$M" "$M/d"
check "open and read while it zeroes" timeout -s KILL 10 head -c1 "$M/e/old"
check "the new name is not there yet" timeout -s KILL 10 bash -c "! stat '$M/e/zeroed' 2>/dev/null"
rm -f "$P/creat_zero"
wait "$cr"
check_eq "the creat succeeded" 0 "$?"
check_eq "... its file reads zeros" 0 "$(tr -d '\0' <"$M/e/zeroed" | wc -c)"

check "umount" "$FAMFS" umount "$M"
check "fsck clean" "$FAMFS" fsck "$DEV"
done_testing
