#!/bin/bash
# test_famfsd_hosts.sh - two emulated hosts on one device: a master mount
# and a client mount (different FAMFS_SYSTEM_UUID). What the master creates
# appears on the client by itself; the client cannot create; data written
# on one host is read on the other; a reader never sees a half-written
# entry while the master appends.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
newdev DEV 1G
M1=$T/master
M2=$T/client
mkdir -p "$M1" "$M2"

check "mkfs (master)" "$MKFS" "$DEV"
check "creat a0" "$FAMFS" --device "$DEV" creat -s 2M -r -S 1 a0
check "mkdir loop" "$FAMFS" --device "$DEV" mkdir loop

track_mount "$M1"
track_mount "$M2"
check "mount master" "$FAMFS" mount "$DEV" "$M1"
check "mount client" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount "$DEV" "$M2"
role() { $PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.famfs.role").decode())' "$1"; }
check_eq "master role" master "$(role "$M1")"
check_eq "client role" client "$(role "$M2")"
check "client reads a0" "$FAMFS" verify -S 1 -f "$M2/a0"
check "client read() == device" "$FAMFS" chkread "$M2/a0"

# --- a new file appears on the client without any command ---------------------------
check "famfs creat on the master mount" "$FAMFS" creat -s 3M -r -S 7 "$M1/new1"
check "visible on the master at once" stat "$M1/new1"
t0=$(date +%s%N)
if wait_until 2 stat "$M2/new1"; then
	pass "new1 appears on the client"
else
	fail "new1 did not appear on the client within 2 s"
fi
t1=$(date +%s%N)
echo "measure: new file visible on the client after $(((t1 - t0) / 1000000)) ms (stat polling)"
# The same without lookups: the catch-up thread alone (poll famfs stats).
next_index() { "$FAMFS" stats --json "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["log_next_index"])'; }
check "famfs creat new2 on the master" "$FAMFS" creat -s 1M "$M1/new2"
want=$(next_index "$M1")
t0=$(date +%s%N)
caught_up() { [ "$(next_index "$M2")" -ge "$want" ]; }
if wait_until 2 caught_up; then
	pass "catch-up thread replayed new2 on the client by itself"
else
	fail "client did not catch up to index $want within 2 s"
fi
t1=$(date +%s%N)
echo "measure: catch-up thread replayed new2 on the client after $(((t1 - t0) / 1000000)) ms"
check_eq "client size of new1" 3145728 "$(stat -c %s "$M2/new1")"
check "client verifies new1" "$FAMFS" verify -S 7 -f "$M2/new1"
check_eq "same inode number on both hosts" "$(stat -c %i "$M1/new1")" "$(stat -c %i "$M2/new1")"

# --- the client cannot create ------------------------------------------------------
sum=$(meta_sum "$DEV")
export FAMFS_SYSTEM_UUID=$CLIENT_UUID
check_fail "client famfs mkdir refused" "client" "$FAMFS" mkdir "$M2/cdir"
check_fail "client famfs creat refused" "client" "$FAMFS" creat -s 1M "$M2/cfile"
export FAMFS_SYSTEM_UUID=$MASTER_UUID
check_fail "client mkdir(2): EPERM" "not permitted" mkdir "$M2/cdir2"
check_fail "client touch: EPERM" "not permitted" touch "$M2/cfile2"
check_fail "client rm: EPERM, as other writes" "not permitted" rm -f "$M2/a0"
check_eq "meta_sum unchanged by client attempts" "$sum" "$(meta_sum "$DEV")"
check "cdir absent on the master" bash -c "! stat '$M1/cdir' && ! stat '$M1/cdir2'"

# --- data written on one host is read on the other ----------------------------------
head -c 65536 /dev/urandom >"$T/d1"
head -c 65536 /dev/urandom >"$T/d2"
check "master writes new2" dd if="$T/d1" of="$M1/new2" bs=64k conv=notrunc status=none
dd if="$M2/new2" of="$T/d1.back" bs=64k count=1 status=none
check "client reads the master's bytes" cmp "$T/d1" "$T/d1.back"
check "client writes new2" dd if="$T/d2" of="$M2/new2" bs=64k seek=1 conv=notrunc status=none
dd if="$M1/new2" of="$T/d2.back" bs=64k skip=1 count=1 status=none
check "master reads the client's bytes" cmp "$T/d2" "$T/d2.back"

# --- reader loop on the client while the master appends 300 files -------------------
rm -f "$T/stop"
$PY - "$M2/loop" "$T/stop" >"$T/reader.out" 2>&1 <<'PYEOF' &
import os, sys, time
d, stop = sys.argv[1], sys.argv[2]
bad = passes = seen = 0
while True:
    last = os.path.exists(stop)
    try:
        names = os.listdir(d)
    except OSError as e:
        print("listdir error", e); bad += 1; names = []
    for n in names:
        try:
            st = os.stat(os.path.join(d, n))
        except OSError as e:
            print("stat error", n, e); bad += 1; continue
        want = 1000 + int(n[1:])
        if st.st_size != want:
            print("wrong size", n, st.st_size, want); bad += 1
    seen = max(seen, len(names))
    passes += 1
    if last:
        break
print("passes", passes, "max_seen", seen, "bad", bad)
sys.exit(1 if bad else 0)
PYEOF
rpid=$!
track_pid "$rpid"
t0=$(date +%s%N)
wfail=0
for i in $(seq 1 300); do
	"$FAMFS" creat -s $((1000 + i)) "$M1/loop/f$i" >/dev/null 2>>"$T/writer.err" || wfail=$((wfail + 1))
done
t1=$(date +%s%N)
touch "$T/stop"
wait "$rpid"
rrc=$?
echo "measure: master appended 300 files in $(((t1 - t0) / 1000000)) ms; reader: $(tail -1 "$T/reader.out")"
check_eq "writer: all 300 creats succeeded" 0 "$wfail"
if [ $rrc -eq 0 ]; then pass "reader never saw a wrong size or an error"; else
	fail "reader: $(head -5 "$T/reader.out")"; fi
check "client lists 300 files" bash -c "[ \$(ls '$M2/loop' | wc -l) -eq 300 ]"
check_eq "last file's size on the client" 1300 "$(stat -c %s "$M2/loop/f300")"

# --- famfs logplay stays ------------------------------------------------------------
check "famfs creat late (device)" "$FAMFS" --device "$DEV" creat -s 1M late
check "famfs logplay on the client" "$FAMFS" logplay "$M2"
check "late visible after logplay" stat "$M2/late"
check "famfs logplay on the master" "$FAMFS" logplay "$M1"
check "client get_fmap works" bash -c "'$FAMFS' getmap --raw '$M2/late' | cmp - <('$FAMFS' --device '$DEV' getmap --raw late)"

check "umount client" "$FAMFS" umount "$M2"
check "umount master" "$FAMFS" umount "$M1"
check "no mounts left" bash -c "! grep -qE ' ($M1|$M2) ' /proc/self/mountinfo"

# --- another host re-makes the device under a mount --------------------------------
# mkfs -f on another host while we are mounted: the old names must not read
# the new file system's memory, and our mkdir must not append to its log.
# mkfs.famfs refuses a mounted device, so the new file system is made on a
# scratch device of the same size and its superblock and log are copied over
# ours, which is exactly what a forced mkfs writes.
IMG=$BIN/famfs_imgtool
newdev DEVR 1G
newdev SCR 1G
MR=$T/remade
mkdir -p "$MR"
check "mkfs DEVR" "$MKFS" "$DEVR"
check "creat r0" "$FAMFS" --device "$DEVR" creat -s 2M -r -S 3 r0
check "mkdir rd" "$FAMFS" --device "$DEVR" mkdir rd
track_mount "$MR"
check "mount DEVR" "$FAMFS" mount "$DEVR" "$MR"
check "r0 verifies before" "$FAMFS" verify -S 3 -f "$MR/r0"
check "rd is a directory before" test -d "$MR/rd"
exec 7<"$MR/r0"
check "mkfs a new file system on another host (scratch device)" \
	env FAMFS_SYSTEM_UUID="$CLIENT2_UUID" "$MKFS" "$SCR"
check "copy its superblock and log over DEVR" \
	dd if="$SCR" of="$DEVR" bs=1M count=10 conv=notrunc status=none
eio() { "$@" 2>&1 | grep -q "Input/output error"; }
if wait_until 2 eio stat "$MR/r0"; then
	pass "old name r0 answers EIO"
else
	fail "r0 still served after the device was re-made: $(stat -c %s "$MR/r0" 2>&1)"
fi
check "old directory rd answers EIO" eio stat "$MR/rd"
check_fail "cat r0: EIO" "Input/output" cat "$MR/r0"
check_fail "read of r0 opened before: EIO" "Input/output" dd bs=4k count=1 status=none <&7
exec 7<&-
check_fail "ls of the root: EIO" "Input/output" ls "$MR"
check_fail "mkdir through the mount fails" "Input/output" mkdir "$MR/newdir"
check_eq "the new file system's log is untouched" 0x0 "$("$IMG" "$DEVR" get log.next_index)"
check_eq "stats: daxdev 0 failed" 1 \
	"$("$FAMFS" stats --json "$MR" | $PY -c 'import json,sys; print(json.load(sys.stdin)["daxdev_failed"])')"
check "famfs umount of the re-made mount" "$FAMFS" umount "$MR"
check "no re-made mount left" bash -c "! grep -q ' $MR ' /proc/self/mountinfo"

# Only the superblock uuid changes (CRC fixed, log as it was): caught the same
# way, with one line from famfsd (run in the foreground to read it).
newdev DEVB 1G
MB=$T/uuidflip
mkdir -p "$MB"
check "mkfs DEVB" "$MKFS" "$DEVB"
check "creat b0" "$FAMFS" --device "$DEVB" creat -s 2M -r -S 4 b0
track_mount "$MB"
"$BIN/famfsd" -d "$DEVB" "$MB" >/dev/null 2>"$T/famfsd-b.err" &
track_pid $!
check "famfsd -d mounted DEVB" wait_until 10 grep -q " $MB " /proc/self/mountinfo
check "b0 verifies before" "$FAMFS" verify -S 4 -f "$MB/b0"
before=$("$IMG" "$DEVB" get log.next_index)
check "flip a bit of the superblock uuid, CRC fixed" "$IMG" "$DEVB" flip sb.uuid 5 -c
if wait_until 2 eio cat "$MB/b0"; then
	pass "b0 answers EIO after the uuid changed"
else
	fail "b0 still served after the uuid changed"
fi
check_fail "mkdir after the uuid changed fails" "Input/output" mkdir "$MB/x"
check_eq "the log is untouched" "$before" "$("$IMG" "$DEVB" get log.next_index)"
check "famfs umount after the uuid changed" "$FAMFS" umount "$MB"
check_eq "famfsd logged it in one line" 1 "$(grep -c 'file system on the device changed' "$T/famfsd-b.err")"
done_testing
