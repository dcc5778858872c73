#!/bin/bash
# test_rm.sh - famfs rm on two emulated hosts (docs/rm.md): a master mount
# and a client mount of one device made with mkfs.famfs -O rm.
# - The client maps f (through the preload shim: a direct mapping of the
#   device, fd closed) and the master deletes f through its mount: f
#   vanishes on both hosts, the client's mapping keeps f's bytes, and with
#   the device otherwise full a creat gets ENOSPC naming the held memory.
# - The client unmaps (and stays alive): a new file then reuses exactly
#   f's extent and reads zeros on both hosts. The time from the unmap to
#   the reuse is measured; fsck is clean.
# - The same with libfamfs (famfs_map_open) instead of the shim.
# - unlink/rmdir semantics through the mounts: ENOTEMPTY, EISDIR, a client
#   gets EPERM, a read-only mount EROFS; famfs rm/rmdir online and offline.
. "$(dirname "$0")/lib.sh"

HOLD=$BIN/famfs_rmhold
newdev DEV 256M
chmod 600 "$DEV"
M1=$T/master
M2=$T/client
mkdir -p "$M1" "$M2"
RO_UUID=77777777-6666-4555-8444-333333333333
client() { FAMFS_SYSTEM_UUID=$CLIENT_UUID "$@"; }
now_ns() { date +%s%N; }
# go NAME: tell holder NAME to go on (bounded: a dead holder never reads).
go() { timeout 10 bash -c "echo go >'$T/$1.go'"; }

check "mkfs.famfs -O rm" "$MKFS" -O rm "$DEV"
track_mount "$M1"
track_mount "$M2"
check "mount master" "$FAMFS" mount "$DEV" "$M1"
check "mount client" client "$FAMFS" mount "$DEV" "$M2"

# --- f, a file the client maps, and a device full around it -------------------------
check "creat f (16M, pattern 9)" "$FAMFS" creat -s 16M -r -S 9 "$M1/f"
f_map=$("$FAMFS" getmap "$M1/f" | grep 'extent 0')
i=0
while "$FAMFS" creat -s 2M "$M1/fill$i" 2>"$T/fill.err"; do i=$((i + 1)); done
check "the device is full (fill files: $i)" grep -q "device full" "$T/fill.err"
check "client sees f" wait_until 3 test -e "$M2/f"

# hold MODE NAME: a holder of the client's f (pid in HOLD_PID), ready when this returns 0.
hold() {
	rm -f "$T/$2.ready" "$T/$2.go" "$T/$2.done"
	mkfifo "$T/$2.go"
	if [ "$1" = mmap ]; then
		FAMFS_SYSTEM_UUID=$CLIENT_UUID LD_PRELOAD="$SHIM" "$HOLD" mmap "$M2/f" 9 \
			"$T/$2.ready" "$T/$2.go" "$T/$2.done" >"$T/$2.out" 2>&1 &
	else
		FAMFS_SYSTEM_UUID=$CLIENT_UUID "$HOLD" lib "$M2/f" 9 "$T/$2.ready" "$T/$2.go" \
			"$T/$2.done" >"$T/$2.out" 2>&1 &
	fi
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	wait_until 10 test -e "$T/$2.ready"
}

if hold mmap h1; then pass "client maps f (shim, fd closed after mmap)"; else
	fail "holder not ready: $(cat "$T/h1.out")"; fi
h1_pid=$HOLD_PID
check "the client's mapping is of the device itself (direct)" \
	grep -q "$(basename "$DEV")" "/proc/$h1_pid/maps"

# --- the master deletes f through its mount -----------------------------------------
t0=$(now_ns)
check "rm f through the master's mount (unlink(2))" rm "$M1/f"
check "f is gone on the master" bash -c "! stat '$M1/f' 2>/dev/null"
if wait_until 2 bash -c "! stat '$M2/f' 2>/dev/null && ! ls '$M2' | grep -qx f"; then
	pass "f vanishes on the client (stat and readdir)"
else
	fail "f still visible on the client after 2 s"
fi
echo "measure: deleted name gone on the client after $((($(now_ns) - t0) / 1000000)) ms"
stats2=$("$FAMFS" stats --json "$M2")
check_eq "the client holds one deleted file" 1 \
	"$(echo "$stats2" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["rm"]["held"])')"
check_fail "creat g: ENOSPC while the client maps f" "still held by a host" \
	"$FAMFS" creat -s 16M "$M1/g"
check "df: the held memory is not available" bash -c \
	"df -B1 --output=avail '$M1' | tail -1 | grep -qx ' *0'"
check "host list names the client's hold" bash -c \
	"'$FAMFS' host list '$M1' | grep '$CLIENT_UUID' | grep -v ' - .* ok'"

# --- the client unmaps: the memory is reused, exactly, as zeros ----------------------
go h1
wait_until 10 test -s "$T/h1.done"
check "the client's mapping kept f's bytes after the delete" grep -q "^kept 16777216 bytes" \
	"$T/h1.out"
deadline=$(($(now_ns) + 10000000000))
until "$FAMFS" creat -s 16M "$M1/g" 2>"$T/g.err"; do
	[ "$(now_ns)" -lt "$deadline" ] || break
	sleep 0.01
done
t_reuse=$(now_ns)
if "$FAMFS" getmap "$M1/g" >/dev/null 2>&1; then
	pass "creat g after the client's munmap"
	echo "measure: from the client's last munmap to reuse: $(((t_reuse - $(cat "$T/h1.done")) / 1000000)) ms (creat retried every 10 ms)"
else
	fail "creat g still fails 10 s after the munmap: $(cat "$T/g.err")"
fi
check_eq "g has exactly f's extent" "$f_map" "$("$FAMFS" getmap "$M1/g" | grep 'extent 0')"
check "g reads zeros on the master" cmp -n 16777216 "$M1/g" /dev/zero
check "g reads zeros on the client" wait_until 3 cmp -n 16777216 "$M2/g" /dev/zero
go h1
wait "$h1_pid"
check_eq "holder exit" 0 "$?"
# fsck of a mounted DEV is refused (as upstream): check it through the mount
check "fsck clean" "$FAMFS" fsck "$M1"

# --- the same through libfamfs --------------------------------------------------------
check "rm g" "$FAMFS" rm "$M1/g"
# g's memory is reusable once the client has replayed the delete (its catch-up).
check "creat f again (pattern 9) once the client caught up" wait_until 5 \
	"$FAMFS" creat -s 16M -r -S 9 "$M1/f"
check "client sees the new f" wait_until 3 test -e "$M2/f"
if hold lib h2; then pass "client maps f (famfs_map_open)"; else
	fail "holder not ready: $(cat "$T/h2.out")"; fi
h2_pid=$HOLD_PID
check "famfs rm f (CLI, online)" "$FAMFS" rm "$M1/f"
check_fail "creat g: ENOSPC while libfamfs maps f" "still held" "$FAMFS" creat -s 16M "$M1/g"
go h2
check "libfamfs unmaps: creat g reuses it" wait_until 10 "$FAMFS" creat -s 16M "$M1/g"
check "g reads zeros" cmp -n 16777216 "$M1/g" /dev/zero
check "kept its bytes" grep -q "^kept" "$T/h2.out"
go h2
wait "$h2_pid"
check_eq "libfamfs holder exit" 0 "$?"

# --- unlink and rmdir semantics through the mounts -------------------------------------
check "rm fill files (room for more)" bash -c "rm '$M1'/fill1?"
check "mkdir -p d/e" mkdir -p "$M1/d/e"
check "creat d/x once the client caught up" wait_until 5 "$FAMFS" creat -s 1M "$M1/d/x"
t0=$(now_ns)
check "creat d/y" "$FAMFS" creat -s 1M "$M1/d/y"
echo "measure: one famfs creat (the unit of the retry loop above) takes $((($(now_ns) - t0) / 1000000)) ms here"
check_fail "rmdir d: ENOTEMPTY" "not empty" rmdir "$M1/d"
check_fail "unlink of a directory: EISDIR" "Is a directory" unlink "$M1/d"
check_fail "client rm: EPERM" "not permitted" client rm "$M2/fill0"
check_fail "client rmdir: EPERM" "not permitted" client rmdir "$M2/d/e"
check_fail "client famfs rm: master only" "only the master" client "$FAMFS" rm "$M2/fill0"
check "rm -r d through the mount" rm -r "$M1/d"
check "d gone on the client" wait_until 2 bash -c "! stat '$M2/d' 2>/dev/null"
check "rmdir then mkdir the same name" bash -c "mkdir '$M1/d' && rmdir '$M1/d' && mkdir '$M1/d'"
check "the new d is empty on the client" wait_until 2 bash -c "[ -d '$M2/d' ] &&
	[ -z \"\$(ls -A '$M2/d')\" ]"
# .meta is every mount's view of the superblock and log: never removed
check_fail "rm of .meta/.log through the mount" "not permitted" rm -f "$M1/.meta/.log"
check_fail "rmdir .meta through the mount" "not permitted" rmdir "$M1/.meta"
check_fail "famfs rm of a .meta path" "reserved" "$FAMFS" rm "$M1/.meta/.log"
check_fail "famfs rm -r .meta offline" "reserved" "$FAMFS" --device "$DEV" rm -r .meta
check ".meta/.log is still there" test -f "$M1/.meta/.log"
RO=$T/ro
mkdir -p "$RO"
track_mount "$RO"
# a host mounts a device once: the read-only mount is a third (emulated) host
check "read-only mount" env FAMFS_SYSTEM_UUID=$RO_UUID "$FAMFS" mount -r "$DEV" "$RO"
check_fail "rm on a read-only mount: EROFS" "Read-only" rm "$RO/fill1"
check "umount the read-only mount" "$FAMFS" umount "$RO"

# --- an unlink waiting for the log lock does not stop lookups -------------------------
# (The kernel holds w's inode lock for the unlink: lookups go elsewhere.)
check "mkdir w, v; creat w/a" bash -c "mkdir '$M1/w' '$M1/v' && '$FAMFS' creat -s 1M '$M1/w/a'"
check "another process holds the log lock" hold_log_lock "$DEV"
rm "$M1/w/a" 2>"$T/unlink.err" &
ul=$!
track_pid "$ul"
check "the unlink is waiting in famfsd" wait_until 20 famfsd_waits_log_lock "$M1"
check "readdir while the unlink waits" timeout -s KILL 10 ls "$M1" "$M1/v"
check "lookup of a missing name while the unlink waits" \
	timeout -s KILL 10 bash -c "! stat '$M1/v/nosuch' 2>/dev/null"
kill -0 "$ul" 2>/dev/null && pass "the unlink still waits for the lock" ||
	fail "the unlink did not wait for the held lock"
kill "$sleeper"
check "the unlink finishes once the lock is free" wait_until 20 bash -c "! kill -0 $ul 2>/dev/null"
wait "$ul"
check_eq "the unlink succeeded" 0 "$?"
check "w/a is gone" bash -c "! stat '$M1/w/a' 2>/dev/null"

# --- famfs rm and rmdir, offline --------------------------------------------------------
check "umount both" bash -c "'$FAMFS' umount '$M2' && '$FAMFS' umount '$M1'"
check "--device mkdir -p a/b, creat a/b/f" bash -c "'$FAMFS' --device '$DEV' mkdir -p a/b &&
	'$FAMFS' --device '$DEV' creat -s 1M a/b/f"
# A refused rm logs nothing (the host table it registers in changes; the log must not).
log_sum() { head -c $((2 * 1024 * 1024 + 8 * 1024 * 1024)) "$DEV" | tail -c +2097153 | md5sum; }
refused() {	# refused WHAT PATTERN CMD...
	local before
	before=$(log_sum)
	check_fail "$@"
	check_eq "$1: nothing logged" "$before" "$(log_sum)"
}
refused "famfs rm of a directory without -r" "is a directory" "$FAMFS" --device "$DEV" rm a
refused "famfs rmdir of a non-empty directory" "not empty" "$FAMFS" --device "$DEV" rmdir a
refused "one missing PATH deletes nothing" "no such file" \
	"$FAMFS" --device "$DEV" rm a/b/f nope
check "rm -f ignores missing PATHs" "$FAMFS" --device "$DEV" rm -f nope1 nope2
"$FAMFS" --device "$DEV" rm -rv a >"$T/rmv" 2>&1
check_eq "rm -rv a" 0 "$?"
check "it said what it removed" grep -q "removed directory 'a'" "$T/rmv"
check_eq "a is gone" "" "$("$FAMFS" --device "$DEV" ls | grep '^a/')"
check "fsck clean at the end" "$FAMFS" fsck "$DEV"
check "no host left registered" bash -c "'$FAMFS' --device '$DEV' host list |
	grep -q '0 in use'"
done_testing
