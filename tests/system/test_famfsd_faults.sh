#!/bin/bash
# test_famfsd_faults.sh - famfsd under faults: a poisoned device (sticky,
# EHWPOISON/EIO on every data path, namespace still served), a device
# whose memory vanishes (SIGBUS -> EIO, daemon survives), a device that
# shrinks under a process holding a direct mapping (SIGBUS kills it, or
# -EIO inside the sigbus guard) and under a reader loop (EIO, no hang), a
# killed daemon (umount still works, no hung mount), no privilege, a
# corrupt image.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
newdev DEV1 1G
newdev DEV2 1G
M=$T/m1
M2=$T/m2
M3=$T/m3
mkdir -p "$M" "$M2" "$M3"
chmod 0711 "$T"		# nobody reaches the mounts (the privilege checks)

check "mkfs dev1" "$MKFS" "$DEV1"
check "mkfs dev2" "$MKFS" "$DEV2"
check "creat a" "$FAMFS" --device "$DEV1" creat -s 3M -r -S 1 a
check "creat b" "$FAMFS" --device "$DEV1" creat -s 1M -r -S 2 b
check "mkdir d" "$FAMFS" --device "$DEV1" mkdir d
check "creat c on dev2" "$FAMFS" --device "$DEV2" creat -s 5M -r -S 3 c
track_mount "$M"
track_mount "$M2"
track_mount "$M3"
check "mount dev1" "$FAMFS" mount "$DEV1" "$M"
check "mount dev2" "$FAMFS" mount "$DEV2" "$M2"

# famfsd_pid MNT: the pid famfsd reports through FAMFS_IOC_INFO.
famfsd_pid() {
	$PY - "$1" <<'PYEOF'
import fcntl, os, struct, sys
size = 8 + 4 + 4 + 8 + 8 + 4096 + 16 + 16
cmd = (2 << 30) | (size << 16) | (0xFA << 8) | 0x43
fd = os.open(sys.argv[1], os.O_RDONLY)
buf = bytearray(size)
fcntl.ioctl(fd, cmd, buf, True)
print(struct.unpack_from("<Q", buf, 24)[0])
PYEOF
}
stats_field() {
	"$FAMFS" stats --json "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# pid_gone PID: no such process, or a zombie waiting to be reaped by init.
pid_gone() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}
pid_alive() { ! pid_gone "$1"; }

# --- poison -----------------------------------------------------------------------
check "a readable before poison" "$FAMFS" verify -S 1 -f "$M/a"
# Hold a file open across the poison: read and GET_FMAP on that fd must fail too.
$PY - "$M/b" "$M" "$FAMFS" >"$T/held.out" 2>&1 <<'PYEOF'
import errno, fcntl, os, subprocess, sys
path, mnt, famfs = sys.argv[1:4]
GET_FMAP = (2 << 30) | (4096 << 16) | (0xFA << 8) | 54
fd = os.open(path, os.O_RDWR)
assert len(os.pread(fd, 4096, 0)) == 4096
fcntl.ioctl(fd, GET_FMAP, bytearray(4096), True)
subprocess.run([famfs, "poison", mnt, "0"], check=True)
EHWPOISON = 133
bad = (EHWPOISON, errno.EIO)
for what, fn in (("read", lambda: os.pread(fd, 4096, 0)),
                 ("write", lambda: os.pwrite(fd, b"x", 0)),
                 ("get_fmap", lambda: fcntl.ioctl(fd, GET_FMAP, bytearray(4096), True))):
    try:
        fn()
        print(what, "succeeded after poison"); sys.exit(1)
    except OSError as e:
        if e.errno not in bad:
            print(what, "wrong errno", e); sys.exit(1)
        print(what, "->", "EHWPOISON" if e.errno == EHWPOISON else "EIO")
PYEOF
rc=$?
if [ $rc -eq 0 ]; then pass "held fd: read/write/GET_FMAP fail after poison ($(tr '\n' ' ' <"$T/held.out"))"
else fail "held fd after poison: $(cat "$T/held.out")"; fi
check_fail "cat a after poison" "hardware error|Input/output error" cat "$M/a"
check_fail "open b after poison" "hardware error|Input/output error" \
	$PY -c 'import os,sys; os.open(sys.argv[1], os.O_RDONLY)' "$M/b"
check_fail "getmap --raw after poison" "." "$FAMFS" getmap --raw "$M/a"
check "ls still works" bash -c "ls '$M' | grep -qx a && ls '$M' | grep -qx d"
check "stat still works" stat "$M/a"
check_fail "famfs logplay reports the failed log device" "hardware error" "$FAMFS" logplay "$M"
check_fail "still failed after logplay (sticky)" "hardware error|Input/output error" cat "$M/b"
check_eq "stats: daxdev 0 failed" 1 "$(stats_field "$M" daxdev_failed)"
check "stats: errors counted" test "$(stats_field "$M" errors_eio)" -ge 3
check_fail "poison an empty slot: EINVAL" "." "$FAMFS" poison "$M" 5
check_fail "non-root poison refused" "not permitted" as_user nobody "$FAMFS" poison "$M2" 0
check "other device still works" "$FAMFS" verify -S 3 -f "$M2/c"
check "other device read()" "$FAMFS" chkread "$M2/c"
check_eq "other device not failed" 0 "$(stats_field "$M2" daxdev_failed)"

# The flag lasts until unmount, no longer.
check "umount poisoned mount" "$FAMFS" umount "$M"
check "remount dev1" "$FAMFS" mount "$DEV1" "$M"
check "a readable after remount" "$FAMFS" chkread "$M/a"

# --- memory vanishes under famfsd (SIGBUS) ---------------------------------------
pid2=$(famfsd_pid "$M2")
check "famfsd pid of dev2 known" test -n "$pid2"
truncate -s 0 "$DEV2"
check_fail "cat c after truncate: EIO" "Input/output error" cat "$M2/c"
check "famfsd survived the SIGBUS" pid_alive "$pid2"
check "stats still answer" "$FAMFS" stats "$M2"
check_eq "stats: vanished device failed" 1 "$(stats_field "$M2" daxdev_failed)"
check "ls still works" bash -c "ls '$M2' | grep -qx c"
check_fail "open c: EIO" "Input/output error" \
	$PY -c 'import os,sys; os.open(sys.argv[1], os.O_RDONLY)' "$M2/c"
check_fail "mkdir on the vanished device: EIO" "Input/output error" mkdir "$M2/newdir"
check "dev1 mount unaffected" "$FAMFS" verify -S 2 -f "$M/b"
check "umount after SIGBUS" "$FAMFS" umount "$M2"
check "famfsd of dev2 exited" wait_until 5 pid_gone "$pid2"

# --- a device shrinks under a process holding a direct mapping ------------------
# famfs_maphold maps "held" (famfs_map_open), reads it once, says READY,
# and on GO touches the whole file: the plain one with CPU loads (SIGBUS
# kills it), the guarded one through famfs_sigbus_memcpy/_try (-EIO).
newdev DEV3 1G
M4=$T/m4
mkdir -p "$M4"
track_mount "$M4"
check "mkfs dev3" "$MKFS" "$DEV3"
check "creat held (8 MiB)" "$FAMFS" --device "$DEV3" creat -s 8M -r -S 7 held
held_off=$("$FAMFS" --device "$DEV3" getmap held | awk '/^  extent 0:/ {print $6}')
check "held's offset known" test -n "$held_off"
check "mount dev3" "$FAMFS" mount "$DEV3" "$M4"
pid3=$(famfsd_pid "$M4")
mkfifo "$T/go.plain" "$T/go.guarded"
exec 7<>"$T/go.plain" 8<>"$T/go.guarded"	# read-write: writing never blocks
# In a sanitizer build ASan would catch the SIGBUS itself: let it through.
(ulimit -c 0; export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_sigbus=0
	exec "$BIN/famfs_maphold" plain "$M4/held" "$T/ready.plain" "$T/go.plain") \
	>"$T/plain.out" 2>&1 &
mp=$!
"$BIN/famfs_maphold" guarded "$M4/held" "$T/ready.guarded" "$T/go.guarded" \
	>"$T/guarded.out" 2>&1 &
mg=$!
track_pid $mp
track_pid $mg
check "plain mapper holds the mapping" wait_until 20 test -e "$T/ready.plain"
check "guarded mapper holds the mapping" wait_until 20 test -e "$T/ready.guarded"
# Shrink the device partway through held: its second half goes away.
truncate -s $((held_off + 4 * 1024 * 1024)) "$DEV3"
echo go >&7
echo go >&8
check "plain mapper ended" wait_until 20 pid_gone "$mp"
check "guarded mapper ended" wait_until 20 pid_gone "$mg"
wait "$mp"; rc=$?
check_eq "plain mapper killed by SIGBUS (exit 135)" 135 "$rc"
wait "$mg"; rc=$?
check_eq "guarded mapper got -EIO and exited 0" 0 "$rc"
echo "guarded mapper: $(tr '\n' ' ' <"$T/guarded.out")"
check "guarded: both copies returned -EIO" grep -q "guarded: -EIO from both" "$T/guarded.out"
exec 7>&- 8>&-
check "famfsd of dev3 alive after the mappers' SIGBUS" pid_alive "$pid3"
check "stats of dev3 answer" "$FAMFS" stats "$M4"
check_fail "FUSE read of held: EIO" "Input/output error" cat "$M4/held"
check "famfsd of dev3 alive after the read" pid_alive "$pid3"
check "a file on another device still verifies" "$FAMFS" verify -S 2 -f "$M/b"
check "umount dev3" "$FAMFS" umount "$M4"
check "dev3 mount gone from mountinfo" bash -c "! grep -q ' $M4 ' /proc/self/mountinfo"

# --- truncated mid-read ----------------------------------------------------------
# A reader loop reads a 32 MiB file through the mount with dd, over and over;
# the device is cut partway through the file meanwhile. The reader must end
# with EIO (no hang: a deadline; no crash: dd exits 1), famfsd alive.
newdev DEV4 1G
M5=$T/m5
mkdir -p "$M5"
track_mount "$M5"
check "mkfs dev4" "$MKFS" "$DEV4"
check "creat big (32 MiB)" "$FAMFS" --device "$DEV4" creat -s 32M -r -S 8 big
big_off=$("$FAMFS" --device "$DEV4" getmap big | awk '/^  extent 0:/ {print $6}')
check "big's offset known" test -n "$big_off"
check "mount dev4" "$FAMFS" mount "$DEV4" "$M5"
pid4=$(famfsd_pid "$M5")
(
	n=0
	while :; do
		dd if="$M5/big" of=/dev/null bs=1M status=none 2>"$T/dd.err"
		rc=$?
		[ $rc -eq 0 ] || break
		n=$((n + 1))
		echo $n >"$T/dd.passes"
	done
	echo "$rc $n" >"$T/dd.rc"
) &
rd=$!
track_pid $rd
check "reader loop completed a pass" wait_until 30 test -s "$T/dd.passes"
truncate -s $((big_off + 16 * 1024 * 1024)) "$DEV4"
if wait_until 30 pid_gone "$rd"; then
	pass "reader loop ended after the truncate"
	wait "$rd"
	read -r ddrc ddpasses <"$T/dd.rc"
	echo "reader: $ddpasses whole passes, then dd exit $ddrc: $(cat "$T/dd.err")"
	check_eq "dd failed with exit 1 (not a signal)" 1 "$ddrc"
	check "dd's error is EIO" grep -q "Input/output error" "$T/dd.err"
else
	fail "reader still running 30 s after the truncate (hung?)"
	kill -9 "$rd"
fi
check "famfsd of dev4 alive" pid_alive "$pid4"
check "stats of dev4 answer" "$FAMFS" stats "$M5"
check "umount dev4" "$FAMFS" umount "$M5"
check "dev4 mount gone from mountinfo" bash -c "! grep -q ' $M5 ' /proc/self/mountinfo"

# --- kill -9: no hung mount -----------------------------------------------------
pid1=$(famfsd_pid "$M")
check "famfsd pid of dev1 known" test -n "$pid1"
kill -9 "$pid1"
check "famfsd killed" wait_until 5 pid_gone "$pid1"
check "famfs umount after kill -9" "$FAMFS" umount "$M"
check "no mount left after kill -9" bash -c "! grep -q ' $M ' /proc/self/mountinfo"
check "dev1 mounts again" "$FAMFS" mount "$DEV1" "$M"
check "and serves" "$FAMFS" verify -S 1 -f "$M/a"
check "umount" "$FAMFS" umount "$M"

# --- privilege ---------------------------------------------------------------------
check_fail "famfsd as nobody refuses" "need root or CAP_SYS_RAWIO" \
	as_user nobody "$BIN/famfsd" "$DEV1" "$M3"
check "no mount by nobody" bash -c "! grep -q ' $M3 ' /proc/self/mountinfo"

# --- corrupt images -----------------------------------------------------------------
newdev BAD 1G
check_fail "mount a blank device fails" "." "$FAMFS" mount "$BAD" "$M3"
check "no mount of a blank device" bash -c "! grep -q ' $M3 ' /proc/self/mountinfo"
"$BIN/famfsd" "$BAD" "$M3" 2>"$T/blank.err"
rc=$?
check "famfsd exits 1 on a blank device" test "$rc" -eq 1
check_eq "famfsd error is one line" 1 "$(wc -l <"$T/blank.err")"
echo "famfsd on a blank device: $(cat "$T/blank.err")"
check "mkfs bad" "$MKFS" "$BAD"
printf '\xde\xad' | dd of="$BAD" bs=1 seek=0 conv=notrunc status=none
"$BIN/famfsd" "$BAD" "$M3" 2>"$T/magic.err"
rc=$?
check "famfsd exits 1 on a bad magic" test "$rc" -eq 1
check_eq "bad-magic error is one line" 1 "$(wc -l <"$T/magic.err")"
check "mkfs bad again" "$MKFS" -f "$BAD"
# Break the log header's magic (2 MiB into the device).
printf '\x00\x00\x00\x00' | dd of="$BAD" bs=1 seek=$((2 * 1024 * 1024)) conv=notrunc status=none
check_fail "mount with a bad log header fails" "." "$FAMFS" mount "$BAD" "$M3"
"$BIN/famfsd" "$BAD" "$M3" 2>"$T/log.err"
check_eq "bad-log error is one line" 1 "$(wc -l <"$T/log.err")"
echo "famfsd on a bad log header: $(cat "$T/log.err")"
check "no mount of a corrupt image" bash -c "! grep -q ' $M3 ' /proc/self/mountinfo"

done_testing
