#!/bin/bash
# test_rm_clean.sh - famfsd's cache pass over a deleted file's memory
# (src/famfsd/rmclean.c) on the embedded device, a sparse file on tmpfs:
#  1. it passes over resident pages only: deleting a large file that was
#     never written (creat zeroes by punching holes) allocates nothing,
#     whether the delete is applied with nothing open or the last release
#     lets the file go, and the mount stays healthy;
#  2. it runs with no lock held, but inside this host's hold: while a test
#     pause point holds the pass (test build), lookups and opens of other
#     files answer (in another directory: the kernel keeps the directory of
#     a name being unlinked locked until the unlink, and so its pass, ends), and the deleted memory is still held (pending, not
#     reusable by a creat) until the pass is done; on the master (unlink)
#     and on a client (its catch-up replays the delete); the master's
#     record in the host table keeps its heartbeat meanwhile (its catch-up
#     thread does not wait on the unlink's directory), and so does a
#     client's whose catch-up thread runs a long pass (the test build's
#     "rm-clean-slow" takes 30 ms a chunk) itself: else host list would
#     call it not answering after 10 s and advise famfs host evict;
#  3. a fault in the pass is not a device failure: on a tmpfs without room,
#     a pass over every page (as on devdax; forced by the test build's
#     "rm-clean-all" flag) faults on the holes it cannot allocate, and the
#     delete still completes, the mount stays healthy; and memory that
#     faults on every page (the test build's "rm-clean-fault-all") costs a
#     bounded number of faults: a 2 MiB chunk is redone page by page only
#     until one such redo faulted throughout, then each chunk is tried once;
#  4. on a full device, the memory a delete frees can be reused at once:
#     rm(1) through the master's mount returns only after this host's pass
#     let it go (a creat by the host table alone finds it free), and famfsd's
#     creat after a famfs rm passes over what waits for it before it gives
#     up with ENOSPC (its pass held at a pause point, test build);
#  5. a delete that a mounting famfsd's registration replays is held in
#     its first published record until its pass is done.
# The flush audit test (tests/audit/test_rm_release_audit.sh) covers the
# lines that were written: they are still written back.
. "$(dirname "$0")/lib.sh"

HOOKS=$FAMFS_BUILD/testhooks/famfsd
[ -x "$HOOKS" ] || { echo "FAIL: $HOOKS not built"; exit 1; }
M=$T/m
M2=$T/client
mkdir -p "$M" "$M2"
track_mount "$M"
track_mount "$M2"
# allocated KiB of the device image
alloc_kib() { echo $(($(stat -c '%b * %B' "$1") / 1024)); }
# let_go MNT: the host table shows no deleted memory pending
let_go() { "$FAMFS" host list "$1" 2>/dev/null | grep -q '^space: .* pending 0 '; }
held() { "$FAMFS" host list "$1" 2>/dev/null | grep -q '^space: .* pending [1-9]'; }
client() { FAMFS_SYSTEM_UUID=$CLIENT_UUID "$@"; }

# --- 1. a never-written file's delete allocates nothing ---------------------------------
newdev DEV 1G
check "mkfs -O rm (1 GiB sparse image)" "$MKFS" -O rm "$DEV"
check "mount" "$FAMFS" mount "$DEV" "$M"
check "creat keep (written)" "$FAMFS" creat -s 2M -r -S 3 "$M/keep"
check "creat big (512 MiB, holes)" "$FAMFS" creat -s 512M "$M/big"
before=$(alloc_kib "$DEV")
check "rm big (nothing has it open)" rm "$M/big"
check "famfsd let big's memory go" wait_until 20 let_go "$M"
after=$(alloc_kib "$DEV")
[ $((after - before)) -le 4096 ] && pass "the image did not grow (${before} -> ${after} KiB)" ||
	fail "deleting a never-written 512 MiB file allocated $(((after - before) / 1024)) MiB"

check "creat held (256 MiB, holes)" "$FAMFS" creat -s 256M "$M/held"
hold_open "$M/held"
check "rm held while it is open" rm "$M/held"
check "the memory stays pending while it is open" held "$M"
before=$(alloc_kib "$DEV")
kill "$opener"
wait "$opener" 2>/dev/null
check "the last release let held's memory go" wait_until 20 let_go "$M"
after=$(alloc_kib "$DEV")
[ $((after - before)) -le 4096 ] && pass "the release did not grow the image (${before} -> ${after} KiB)" ||
	fail "the last release of a never-written 256 MiB file allocated $(((after - before) / 1024)) MiB"

check "read another file after the deletes" cmp <(dev_bytes "$DEV" keep) "$M/keep"
check "creat after the deletes" "$FAMFS" creat -s 2M "$M/new"
check_eq "no device failed" 0 "$("$FAMFS" stats "$M" | awk '$1 == "daxdev_failed" {print $2}')"
check "umount" "$FAMFS" umount "$M"

# --- 2. the pass holds no lock, and the memory is held until it is done ------------------
P=$T/pause
mkdir -p "$P"
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount (test build, no cache)" env FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" \
	"$FAMFS" mount -t 0 "$DEV" "$M"
check "creat other" "$FAMFS" creat -s 2M -r -S 4 "$M/other"
check "mkdir d" mkdir "$M/d"
check "creat d/f (8M)" "$FAMFS" creat -s 8M -r -S 5 "$M/d/f"
i=0
while "$FAMFS" creat -s 2M "$M/fill$i" >/dev/null 2>&1; do i=$((i + 1)); done
check "the device is full ($i fill files)" test "$i" -gt 0

# rec_age MNT master|client: the age in seconds of that famfsd's record in the host table
rec_age() {
	"$FAMFS" host list --json "$1" | /usr/bin/python3 -c 'import json, sys
m = sys.argv[1] == "master"
print(*[h["age"] for h in json.load(sys.stdin)["hosts"]
	if h.get("kind") == "famfsd" and h["master"] == m])' "$2"
}
# beats_since START MNT WHO [UNTIL]: 3 s after START (while UNTIL holds), WHO's record
# was written within the last second (famfsd beats every second; one that stopped
# beating at START would be 3 s old)
beats_since() {
	[ $(($(date +%s%N) - $1)) -ge 3000000000 ] || return 1
	[ -z "${4:-}" ] || $4 || return 1
	[ "$(rec_age "$2" "$3")" -le 1 ]
}

# paused_pass WHAT MNT: with MNT's pass paused, other files answer and the memory is held.
paused_pass() {
	check "$1: the cache pass is paused" wait_until 20 test -e "$P/rm-clean.paused"
	check "$1: lookup of another file answers" timeout -s KILL 10 stat "$2/other"
	check "$1: open and read of another file answer" \
		timeout -s KILL 10 cmp "$2/other" <(dev_bytes "$DEV" other)
	check "$1: lookup of a missing name answers" \
		timeout -s KILL 10 bash -c "! stat '$2/nosuch' 2>/dev/null"
	check "$1: the memory is still pending" held "$M"
	check_eq "$1: famfs stats counts the file held" 1 \
		"$("$FAMFS" stats "$2" | awk '$1 == "rm_held" {print $2}')"
	# --device: the CLI allocates from the host table as every other process sees it.
	check_fail "$1: a creat cannot reuse it yet" "still held" \
		"$FAMFS" --device "$DEV" creat -s 8M g
	rm -f "$P/rm-clean"
	check "$1: the pass resumed" wait_until 20 test ! -e "$P/rm-clean.paused"
	check "$1: the memory is let go" wait_until 20 let_go "$M"
}

touch "$P/rm-clean"
rm "$M/d/f" 2>"$T/rm.err" &
rmjob=$!
track_pid "$rmjob"
check "master unlink: the cache pass is paused" wait_until 20 test -e "$P/rm-clean.paused"
start=$(date +%s%N)
check "master unlink: the master's record keeps beating while the unlink's pass is held" \
	wait_until 12 beats_since "$start" "$M" master
check "master unlink: host list does not call the master not answering" \
	bash -c "! '$FAMFS' host list '$M' | grep -q 'not answering, master'"
paused_pass "master unlink" "$M"
wait "$rmjob"
check_eq "rm d/f succeeded" 0 "$?"
check "creat g reuses f's memory" "$FAMFS" creat -s 8M "$M/g"

# A client replays the delete in its catch-up thread and holds the memory
# until its own pass is done. (The master's pause point is not armed: it
# uses another directory.)
check "umount master" "$FAMFS" umount "$M"
check "mount master (release build)" "$FAMFS" mount -t 0 "$DEV" "$M"
check "mount client (test build, no cache)" client env FAMFSD="$HOOKS" \
	FAMFSD_TEST_PAUSE_DIR="$P" "$FAMFS" mount -t 0 "$DEV" "$M2"
check "the client sees g" wait_until 20 test -e "$M2/g"
touch "$P/rm-clean"
check "rm g on the master" rm "$M/g"
paused_pass "client replay" "$M2"
check "creat g2 reuses g's memory" "$FAMFS" creat -s 8M "$M/g2"
check "umount client" "$FAMFS" umount "$M2"
check "umount master" "$FAMFS" umount "$M"

# A client's catch-up thread passes over a deleted 384 MiB file for ~6 s (every page
# "faults", so nothing is allocated; 30 ms a chunk) and beats from inside the pass.
newdev DEV 768M
check "mkfs -O rm (768 MiB)" "$MKFS" -O rm "$DEV"
check "mount master (release build)" "$FAMFS" mount -t 0 "$DEV" "$M"
check "creat slow (384 MiB)" "$FAMFS" creat -s 384M "$M/slow"
check "mount client (test build)" client env FAMFSD="$HOOKS" \
	FAMFSD_TEST_PAUSE_DIR="$P" "$FAMFS" mount -t 0 "$DEV" "$M2"
check "the client sees slow" wait_until 20 test -e "$M2/slow"
touch "$P/rm-clean-all" "$P/rm-clean-fault-all" "$P/rm-clean-slow"
start=$(date +%s%N)
check "rm slow on the master" rm "$M/slow"
check "client replay: its record keeps beating during its long pass" \
	wait_until 12 beats_since "$start" "$M" client "held $M"
check "client replay: the memory is let go" wait_until 30 let_go "$M"
rm -f "$P/rm-clean-all" "$P/rm-clean-fault-all" "$P/rm-clean-slow"
check "umount client" "$FAMFS" umount "$M2"
check "umount master" "$FAMFS" umount "$M"

# --- 3. a fault in the pass fails nothing -------------------------------------------------
SMALL=$T/smalltmp
mkdir -p "$SMALL"
track_mount "$SMALL"
check "a 96 MiB tmpfs" mount -t tmpfs -o size=96M famfs-test-small "$SMALL"
DEV=$SMALL/dev.img
truncate -s 512M "$DEV"
check "mkfs -O rm (512 MiB sparse image on it)" "$MKFS" -O rm "$DEV"
touch "$P/rm-clean-all"
check "mount (test build, passes over every page)" env FAMFSD="$HOOKS" \
	FAMFSD_TEST_PAUSE_DIR="$P" "$FAMFS" mount -t 0 "$DEV" "$M"
check "creat keep (written)" "$FAMFS" creat -s 2M -r -S 6 "$M/keep"
check "creat big (256 MiB, holes: more than the tmpfs holds)" "$FAMFS" creat -s 256M "$M/big"
check "rm big" rm "$M/big"
check "famfsd let big's memory go" wait_until 20 let_go "$M"
check_eq "the pass filled the tmpfs (it faulted)" 0 "$(df --output=avail "$SMALL" | tail -1 | tr -d ' ')"
check_eq "no device failed" 0 "$("$FAMFS" stats "$M" | awk '$1 == "daxdev_failed" {print $2}')"
check "keep still reads" cmp <(dev_bytes "$DEV" keep) "$M/keep"
check "umount" "$FAMFS" umount "$M"

# Every page faults: 1 GiB is 512 chunks of 512 pages. Page by page throughout
# it would be 512 * 513 faults; bounded, the first chunk costs 1 + 512 and
# every other one 1.
newdev DEV 1280M
check "mkfs -O rm (1280 MiB sparse image)" "$MKFS" -O rm "$DEV"
check "mount (test build, every page faults)" env FAMFSD="$HOOKS" \
	FAMFSD_TEST_PAUSE_DIR="$P" "$FAMFS" mount -t 0 "$DEV" "$M"
check "creat huge (1 GiB)" "$FAMFS" creat -s 1G "$M/huge"
pass_faults() { "$FAMFS" stats "$M" | awk '$1 == "rm_pass_faults" {print $2}'; }
before=$(pass_faults)
touch "$P/rm-clean-fault-all"
check "rm huge (every page of it faults)" rm "$M/huge"
rm -f "$P/rm-clean-fault-all"
faults=$(($(pass_faults) - before))
[ "$faults" -ge 512 ] && [ "$faults" -le $((512 + 512)) ] &&
	pass "a fully faulting 1 GiB pass met $faults faults (at most 1024)" ||
	fail "a fully faulting 1 GiB pass met $faults faults, want 512 to 1024"
check "famfsd let huge's memory go" wait_until 20 let_go "$M"
check_eq "no device failed" 0 "$("$FAMFS" stats "$M" | awk '$1 == "daxdev_failed" {print $2}')"
check "umount" "$FAMFS" umount "$M"
rm -f "$P/rm-clean-all"

# --- 4. rm, then at once a creat of the memory it freed on a full device ------------------
newdev DEV 256M
check "mkfs -O rm (256M)" "$MKFS" -O rm "$DEV"
check "mount (test build)" env FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" \
	"$FAMFS" mount "$DEV" "$M"
check "creat big0 (32M, written: resident)" "$FAMFS" creat -s 32M -r -S 7 "$M/big0"
i=0
while "$FAMFS" creat -s 2M "$M/fill$i" >/dev/null 2>&1; do i=$((i + 1)); done
check "the device is full ($i fill files)" test "$i" -gt 0
# By the host table alone (--device: not famfsd's creat), right after rm returns. Each
# pass is held at the pause point until it is seen there, so an rm that returned before
# its pass would find the memory still pending.
release_when_paused() { wait_until 20 test -e "$P/rm-clean.paused"; rm -f "$P/rm-clean"; }
for r in 1 2 3 4 5; do
	touch "$P/rm-clean"
	release_when_paused &
	releaser=$!
	track_pid "$releaser"
	check "round $r: rm big$((r - 1))" rm "$M/big$((r - 1))"
	check "round $r: when rm returns, this host has let the memory go" let_go "$M"
	wait "$releaser"
	check "round $r: at once, a creat by the host table reuses its memory" \
		"$FAMFS" --device "$DEV" creat -s 32M -r -S $r "big$r"
	check "round $r: famfsd sees big$r" wait_until 20 test -e "$M/big$r"
done
# famfs rm logs the delete itself; famfsd makes the new file (no -r), while its pass
# over the deleted one is held at the pause point until famfsd has the creat.
creats() { "$FAMFS" stats "$M" | awk '$1 == "creat" {print $2}'; }
creat_arrived() { [ "$(creats)" -gt "$before" ]; }
for r in 6 7 8; do
	touch "$P/rm-clean"
	check "round $r: famfs rm big$((r - 1))" "$FAMFS" rm "$M/big$((r - 1))"
	check "round $r: famfsd's pass is paused" wait_until 20 test -e "$P/rm-clean.paused"
	before=$(creats)
	"$FAMFS" creat -s 32M "$M/big$r" >"$T/creat.out" 2>&1 &
	creat=$!
	track_pid "$creat"
	check "round $r: famfsd has the creat" wait_until 20 creat_arrived
	rm -f "$P/rm-clean"
	wait "$creat"
	check_eq "round $r: famfsd's creat waited for the pass and reused the memory" \
		"0 " "$? $(cat "$T/creat.out")"
done
check "umount" "$FAMFS" umount "$M"

# --- 5. a delete replayed while a mount registers ------------------------------------------
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount master (release build)" "$FAMFS" mount -t 0 "$DEV" "$M"
check "creat f" "$FAMFS" creat -s 8M -r -S 9 "$M/f"
touch "$P/rm-start"
client env FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" "$FAMFS" mount -t 0 "$DEV" "$M2" \
	>"$T/mount.out" 2>&1 &
mounter=$!
track_pid "$mounter"
check "the client's famfsd has replayed the log, not registered yet" \
	wait_until 20 test -e "$P/rm-start.paused"
check "rm f on the master" rm "$M/f"
touch "$P/rm-clean"
rm -f "$P/rm-start"
check "the client's pass over f (at its registration) is paused" \
	wait_until 20 test -e "$P/rm-clean.paused"
check "f's memory is held by the client meanwhile" held "$M"
rm -f "$P/rm-clean"
wait "$mounter"
check_eq "the client mounted" 0 "$?"
check "then f's memory is let go" wait_until 20 let_go "$M"
check "umount client" "$FAMFS" umount "$M2"
check "umount master" "$FAMFS" umount "$M"
done_testing
