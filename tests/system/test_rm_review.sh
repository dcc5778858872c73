#!/bin/bash
# test_rm_review.sh - famfs rm against what a hostile or unlucky neighbour
# can do (docs/rm.md sections 3, 5 and 7):
# - another user who can read the device holds the host table's local lock
#   for ever: famfs creat and famfs mount still finish (cleaning this host's
#   dead records is skipped, never waited for), and the dead record is
#   cleaned once the lock is gone;
# - a DELETE on a superblock whose rm flag is clear (one bit outside the
#   superblock CRC), or the file system's rm block without the flag, makes
#   famfs refuse the whole file system: it never serves the entries before
#   the delete, which name deleted files over reused memory. famfs tune -O rm
#   sets the flag again and keeps the deletes;
# - a program under the preload shim maps f, closes its fd and dup2s onto
#   the descriptor the shim keeps for the mapping: f stays held (ENOSPC
#   after rm f) until the munmap, and that descriptor, the program's now,
#   is never closed by the shim; a dup2/dup3 onto it that fails leaves no
#   descriptor open on the file after the munmap;
# - on a BPF mount (which resolves a file opened once on this host without
#   famfsd), famfs_map_open_fd refuses an O_PATH descriptor (no FUSE OPEN,
#   so no hold) and a map with more access than the descriptor has;
# - famfsd forgets a deleted file's BPF entry before it publishes that the
#   hold is gone (a pause point of the test build between the two steps:
#   while it is paused, the memory is still held);
# - famfs rm --help and famfs(1) say that famfs rm is root's tool, and
#   that users delete through the mount;
# - a famfs command in another pid namespace (a container) is registered:
#   the host's own commands never take its record for a dead one of this
#   host (its pid means nothing in their namespace);
# - famfs host list names the deleted file a host holds (text and JSON);
# - a famfsd killed after it registered and before it mounted leaves a
#   record that the next famfs command of this host cleans;
# - famfs tune -O rm says, among its costs, that mounts made before it on
#   other hosts are not protected;
# - an unlink through the master's mount in a sticky directory, checked by
#   the kernel on the caller's own file, does not delete a file of the same
#   name that famfs rm and creat put there meanwhile (owned by root).
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

# --- H3: no replay of an rm image without its flag ----------------------------------
IMGTOOL=$BIN/famfs_imgtool
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "creat f" famfs_d creat -s 2M -r -S 1 f
i=0
while famfs_d creat -s 2M "fill$i" >/dev/null 2>&1; do i=$((i + 1)); done
check "the device is full" test "$i" -gt 0
check "rm f" famfs_d rm f
check "creat g: reuses f's memory" famfs_d creat -s 2M -r -S 2 g
foff=$(famfs_d getmap g | awk '/^  extent 0:/ {print $6}')
check "g has an extent" test -n "$foff"
check "clear the rm flag (not covered by the superblock CRC)" "$IMGTOOL" "$DEV" set sb.flags 0
check_fail "ls refuses the file system (the rm block is there)" "rm flag is clear" famfs_d ls
cp "$T/out" "$T/ls.out"
check "... without listing f" bash -c "! grep -qx 'f' '$T/ls.out'"
check_fail "getmap f refused" "rm flag is clear" famfs_d getmap f
track_mount "$M1"
check_fail "mount refused" "rm flag is clear" "$FAMFS" mount "$DEV" "$M1"
check "... nothing mounted" bash -c "! grep -q ' $M1 ' /proc/self/mounts"
check_fail "fsck reports it" "rm flag is clear" "$FAMFS" fsck "$DEV"
check "tune -O rm sets the flag again" "$FAMFS" tune -O rm -y "$DEV"
cp "$T/out" "$T/tune.out"
check "... and says so" grep -q "without its flag" "$T/tune.out"
check "g is back with its bytes" famfs_d verify -S 2 -f g
check_fail "f stays deleted" "No such file|no such file" famfs_d getmap f
check "fsck clean" "$FAMFS" fsck "$DEV"
# Without a valid rm block either (its magic overwritten), the tagged DELETE
# entry itself refuses the file system.
check "clear the flag again" "$IMGTOOL" "$DEV" set sb.flags 0
check "damage the rm block" dd if=/dev/zero of="$DEV" bs=1 seek=4096 count=4 conv=notrunc status=none
check_fail "ls refuses: a delete without the rm flag" "delete, but the rm flag is clear" famfs_d ls
cp "$T/out" "$T/ls.out"
check "... without listing f" bash -c "! grep -qx 'f' '$T/ls.out'"
check_fail "mount refused" "delete, but the rm flag is clear" "$FAMFS" mount "$DEV" "$M1"
check "... nothing mounted" bash -c "! grep -q ' $M1 ' /proc/self/mounts"
check_fail "fsck reports the delete" "delete" "$FAMFS" fsck "$DEV"

# --- M2: dup2 onto the shim's own descriptor ----------------------------------------
HOLD=$BIN/famfs_rmhold
go() { timeout 10 bash -c "echo go >'$T/$1.go'"; }
# hold MODE NAME FILE SEED: a holder of FILE (pid in HOLD_PID), ready when this returns 0.
hold() {
	rm -f "$T/$2.ready" "$T/$2.go" "$T/$2.done"
	mkfifo "$T/$2.go"
	if [ "$1" = lib ]; then
		"$HOLD" lib "$3" "$4" "$T/$2.ready" "$T/$2.go" "$T/$2.done" >"$T/$2.out" 2>&1 &
	else
		LD_PRELOAD="$SHIM" "$HOLD" "$1" "$3" "$4" "$T/$2.ready" "$T/$2.go" \
			"$T/$2.done" >"$T/$2.out" 2>&1 &
	fi
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	wait_until 20 test -e "$T/$2.ready"
}
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount" "$FAMFS" mount "$DEV" "$M1"
check "creat f" "$FAMFS" creat -s 2M -r -S 3 "$M1/f"
i=0
while "$FAMFS" creat -s 2M "$M1/fill$i" >/dev/null 2>&1; do i=$((i + 1)); done
if hold dup2 d1 "$M1/f" 3; then pass "the shim maps f, the fd is closed, dup2 onto the shim's"; else
	fail "holder not ready: $(cat "$T/d1.out")"; fi
d1_pid=$HOLD_PID
check "rm f" rm "$M1/f"
check_fail "creat g: ENOSPC, f is still held after the dup2" "still held" \
	"$FAMFS" creat -s 2M "$M1/g"
go d1
check "the holder unmapped" wait_until 20 test -s "$T/d1.done"
check "creat g reuses f's memory after the munmap" wait_until 10 "$FAMFS" creat -s 2M "$M1/g"
go d1
wait "$d1_pid"
check_eq "holder exit (kept f's bytes)" 0 "$?"
check "the shim did not close the program's descriptor" grep -q "dup2 target still open" "$T/d1.out"
# A dup2/dup3 onto the shim's descriptor that fails must not leave it open
# and forgotten: it would hold the deleted file until the process exits.
check "rm g" rm "$M1/g"
check "creat f2 in g's memory" wait_until 10 "$FAMFS" creat -s 2M -r -S 4 "$M1/f2"
if hold dup2bad d2 "$M1/f2" 4; then pass "the shim maps f2, the fd is closed"; else
	fail "holder not ready: $(cat "$T/d2.out")"; fi
d2_pid=$HOLD_PID
check "dup3 with bad flags onto the shim's descriptor fails" \
	grep -q "dup3 bad flags onto .*: Invalid argument" "$T/d2.out"
check "dup2 of a closed fd onto it fails" grep -q "dup2 of a closed fd onto .*: Bad file" "$T/d2.out"
check "rm f2" rm "$M1/f2"
go d2
check "the holder unmapped" wait_until 20 test -s "$T/d2.done"
check "no descriptor is left open on f2 after the unmap" \
	grep -q "after the unmap: no descriptor open" "$T/d2.out"
check "creat g2 reuses f2's memory while the holder lives on" \
	wait_until 10 "$FAMFS" creat -s 2M "$M1/g2"
go d2
wait "$d2_pid"
check_eq "holder exit (kept f2's bytes)" 0 "$?"
check "umount" "$FAMFS" umount "$M1"

# --- M5: famfs_map_open_fd needs a descriptor famfsd saw opened ----------------------
MAPTOOL=$BIN/famfs_maptool
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount -o bpf" "$FAMFS" mount -o bpf "$DEV" "$M1"
check "creat f" "$FAMFS" creat -s 2M -r -S 4 "$M1/f"
check "map f through an O_RDONLY fd (and so into the BPF map)" "$MAPTOOL" openfd "$M1/f" ro ro
check_fail "an O_PATH fd is refused" "O_PATH" "$MAPTOOL" openfd "$M1/f" path ro
check_fail "a read-write map of an O_RDONLY fd is refused" "read-only" \
	"$MAPTOOL" openfd "$M1/f" ro rw
check "a read-write map of an O_RDWR fd" "$MAPTOOL" openfd "$M1/f" rw rw
check "umount" "$FAMFS" umount "$M1"

# --- L1: the BPF entry goes before the hold -----------------------------------------
HOOKS=$FAMFS_BUILD/testhooks/famfsd
P=$T/pause
mkdir -p "$P"
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount -o bpf (test build)" env FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" \
	"$FAMFS" mount -o bpf "$DEV" "$M1"
check "creat f" "$FAMFS" creat -s 2M -r -S 5 "$M1/f"
i=0
while "$FAMFS" creat -s 2M "$M1/fill$i" >/dev/null 2>&1; do i=$((i + 1)); done
hold_open "$M1/f"
check "rm f while it is open" rm "$M1/f"
check_fail "creat g: ENOSPC while f is open" "still held" "$FAMFS" creat -s 2M "$M1/g"
touch "$P/rm-release"
kill "$opener"
wait "$opener" 2>/dev/null
check "the last release is paused between its two steps" wait_until 20 test -e "$P/rm-release.paused"
# --device: the CLI allocates itself, from the host table as every other
# process sees it (a creat on the mount is served by this famfsd, which
# knows its own holds first-hand).
check_fail "creat g: still ENOSPC (the hold is not published yet)" "still held" \
	"$FAMFS" --device "$DEV" creat -s 2M g
rm -f "$P/rm-release"
check "the release resumed" wait_until 20 test ! -e "$P/rm-release.paused"
check "creat g reuses f's memory" wait_until 10 "$FAMFS" creat -s 2M "$M1/g"
check "umount" "$FAMFS" umount "$M1"

# --- L8: famfs rm is the administrator's tool ----------------------------------------
"$FAMFS" rm --help >"$T/rmhelp" 2>&1
check "famfs rm --help: the administrator's tool, users use rm(1) through the mount" \
	bash -c "grep -q \"administrator's tool\" '$T/rmhelp' && grep -q 'rm(1)' '$T/rmhelp'"
check "famfs(1) says so too" grep -q "administrator's (root's) tool" "$FAMFS_SRC/docs/man/famfs.1"

# --- M4: records of another pid namespace are not judged by pid ----------------------
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "another process holds the log lock" hold_log_lock "$DEV"
unshare -p -f --mount-proc "$FAMFS" --device "$DEV" creat -s 2M c >"$T/ns.out" 2>&1 &
nsjob=$!
track_pid "$nsjob"
live_procs() { famfs_d host list | grep ' process ' | grep -vc 'not answering'; }
check "famfs creat in a new pid namespace registered (waits for the log lock)" \
	wait_until 20 bash -c "'$FAMFS' --device '$DEV' host list | grep ' process ' |
		grep -vq 'not answering'"
check "famfs ls in the host's namespace (registers: cleans dead records of this host)" \
	famfs_d ls
check_eq "the container's record is still there, answering" 1 "$(live_procs)"
kill "$sleeper"
wait "$nsjob"
check_eq "the container's creat finished once the lock was free" 0 "$?"
check_eq "... and left the table" 0 "$(famfs_d host list | grep -c ' process ')"
check "fsck clean" "$FAMFS" fsck "$DEV"

# --- M1: host list says what a host holds -------------------------------------------
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount" "$FAMFS" mount "$DEV" "$M1"
check "mkdir d, creat d/held" bash -c "mkdir '$M1/d' && '$FAMFS' creat -s 2M '$M1/d/held'"
hold_open "$M1/d/held"
check "rm d/held while it is open" rm "$M1/d/held"
check "host list: famfsd holds deleted d/held" wait_until 10 bash -c \
	"'$FAMFS' host list '$M1' | grep ' famfsd ' | grep -q 'holds deleted d/held'"
check "host list --json: hold_path" bash -c "'$FAMFS' host list --json '$M1' |
	/usr/bin/python3 -c 'import json,sys; h=[x for x in json.load(sys.stdin)[\"hosts\"]
	if x.get(\"kind\") == \"famfsd\"]; assert h[0][\"hold_path\"] == \"d/held\", h'"
kill "$opener"
wait "$opener" 2>/dev/null
check "host list: nothing held once it is closed" wait_until 10 bash -c \
	"! '$FAMFS' host list '$M1' | grep -q 'holds deleted'"
check "umount" "$FAMFS" umount "$M1"

# --- L4: a famfsd that died before it mounted ----------------------------------------
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
touch "$P/rm-started"
FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" "$FAMFS" mount "$DEV" "$M1" >/dev/null 2>&1 &
mjob=$!
track_pid "$mjob"
check "famfsd registered and paused before mounting" wait_until 20 test -e "$P/rm-started.paused"
fpid=$(famfsd_pid_of "$M1")
check "its pid" test -n "$fpid"
check_eq "host list: a famfsd record" 1 "$(famfs_d host list | grep -c ' famfsd ')"
kill -9 "$fpid"
wait "$mjob" 2>/dev/null
rm -f "$P/rm-started"
check "the mount failed" bash -c "! grep -q ' $M1 ' /proc/self/mounts"
check "creat (registers: cleans this host's dead records)" famfs_d creat -s 2M x
check_eq "the famfsd record is gone" 0 "$(famfs_d host list | grep -c ' famfsd ')"
check "mount works" "$FAMFS" mount "$DEV" "$M1"
check "the new famfsd is registered and answering" bash -c \
	"'$FAMFS' host list '$M1' | grep ' famfsd ' | grep -vq 'not answering'"
check "umount" "$FAMFS" umount "$M1"

# --- L7: tune's costs name mounts on other hosts ------------------------------------
newdev DEV 64M
check "mkfs without -O rm" "$MKFS" "$DEV"
"$FAMFS" tune -O rm "$DEV" </dev/null >"$T/tune.costs" 2>&1
check "tune's costs: earlier mounts on other hosts are not protected" \
	grep -q "a mount on another host made before this is not in the host table" "$T/tune.costs"

# --- L5: the sticky rule on the node famfsd deletes ----------------------------------
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount (test build)" env FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" \
	"$FAMFS" mount "$DEV" "$M1"
uid=$(id -u "$U")
check "sticky directory t (1777, root's), t/x owned by the user" bash -c \
	"'$FAMFS' mkdir -m 1777 '$M1/t' && '$FAMFS' creat -s 2M -u $uid '$M1/t/x'"
touch "$P/unlink"
as_user "$U" rm -f "$M1/t/x" >"$T/urm.out" 2>&1 &
ujob=$!
track_pid "$ujob"
check "the user's unlink is paused in famfsd (the kernel allowed it)" \
	wait_until 20 test -e "$P/unlink.paused"
check "meanwhile: famfs rm t/x, famfs creat t/x (root's)" bash -c \
	"'$FAMFS' --device '$DEV' rm t/x && '$FAMFS' --device '$DEV' creat -s 2M t/x"
rm -f "$P/unlink"
wait "$ujob"
urc=$?
check "the user's unlink is refused (EPERM, exit $urc)" bash -c \
	"[ $urc -ne 0 ] && grep -q 'not permitted' '$T/urm.out'"
check "root's t/x is still there" famfs_d getmap t/x
check "umount" "$FAMFS" umount "$M1"

# --- famfsd's creat (FAMFS_IOC_CREAT) on an evicted master ---------------------------
# Evicted, this famfsd no longer protects what its opens hold: a creat through
# it must not reuse that memory (it refuses them all with EIO).
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount" "$FAMFS" mount "$DEV" "$M1"
check "creat f (8M)" "$FAMFS" creat -s 8M "$M1/f"
i=0
while "$FAMFS" creat -s 2M "$M1/fill$i" >/dev/null 2>&1; do i=$((i + 1)); done
hold_open "$M1/f"
check "rm f while it is open" rm "$M1/f"
slot=$("$FAMFS" host list --json "$M1" | /usr/bin/python3 -c 'import json, sys
print([h["slot"] for h in json.load(sys.stdin)["hosts"] if h["kind"] == "famfsd"][0])')
check "host evict -y the master's own famfsd (slot $slot)" "$FAMFS" host evict -y "$M1" "$slot"
check "famfsd knows it is evicted" wait_until 10 bash -c \
	"'$FAMFS' stats '$M1' | grep -q rm_evicted"
check_fail "creat g through the evicted famfsd: refused" "evicted" \
	"$FAMFS" creat -s 8M "$M1/g"
check "... and g does not exist" bash -c "! '$FAMFS' --device '$DEV' getmap g 2>/dev/null"
kill "$opener"
wait "$opener" 2>/dev/null
check "umount" "$FAMFS" umount "$M1"

# --- creat --no-zero over a deleted file's memory that faults ------------------------
# On an rm file system famfsd leaves a --no-zero creat to the CLI: zeroing
# the deleted memory it reuses happens there, so a fault (here: the device
# file cut short where f was) fails that process, never famfsd.
newdev DEV 64M
check "mkfs -O rm (64M)" "$MKFS" -O rm "$DEV"
check "mount" "$FAMFS" mount "$DEV" "$M1"
check "creat f (8M)" "$FAMFS" creat -s 8M "$M1/f"
off=$("$FAMFS" getmap --json "$M1/f" | /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin)["extents"][0]["offset"])')
i=0
while "$FAMFS" creat -s 2M "$M1/fill$i" >/dev/null 2>&1; do i=$((i + 1)); done
check "rm f" rm "$M1/f"
fpid=$(famfsd_pid_of "$M1")
check "cut the device file at f's memory ($off)" truncate -s "$off" "$DEV"
"$FAMFS" creat --no-zero -s 8M "$M1/g" >/dev/null 2>&1
check "famfsd still runs" kill -0 "$fpid"
check "the mount still answers" ls "$M1/fill0"
check "umount" "$FAMFS" umount "$M1"

done_testing
