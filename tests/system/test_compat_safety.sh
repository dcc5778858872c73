#!/bin/bash
# test_compat_safety.sh - what review of the upstream-compatibility work
# (issue 13) found unsafe, kept fixed: the host lock is root's alone (a user
# cannot hold it to block mounts), names its holder, and a famfsd that is
# not root does without it; writers never write the .meta files'
# device ranges (a log written before .meta was reserved may hold such a
# path); --multi reports each file's own size across two mounts and refuses
# one file filled twice; an invalid .alloc.cfg is refused at mount.
. "$(dirname "$0")/lib.sh"

mkfs_dev D 4G
M=$T/mnt
mkdir -p "$M"
track_mount "$M"
add_test_user U || done_testing
chmod 0755 "$T"

# --- famfsd with CAP_SYS_RAWIO but not root: no host lock, a warning -------
# It cannot use root's lock directory: it warns and mounts without the host
# lock (as when /run/famfs is missing).
mkfs_dev N 4G
chown "$U" "$N"
MU=$T/mntu
mkdir -p "$MU"
chmod 0777 "$MU"
track_mount "$MU"
install -m 0755 "$BIN/famfsd" "$T/famfsd"
# (Whether the FUSE mount itself then works depends on /dev/fuse's mode.)
setpriv --reuid="$U" --regid="$(id -g "$U")" --clear-groups --inh-caps=+sys_rawio \
	--ambient-caps=+sys_rawio -- "$T/famfsd" "$N" "$MU" >"$T/out" 2>"$T/err"
grep -q "warning: not root: the host lock in /run/famfs is root's" "$T/err" &&
	! grep -q "/run/famfs/" "$T/err" &&
	pass "famfsd as a user with CAP_SYS_RAWIO warns and goes past the host lock" ||
	fail "famfsd as a user: $(cat "$T/err")"
umount "$MU" 2>/dev/null

# --- the host lock is root's (a user holding it would block every mount) ----
check "mount" "$FAMFS" mount "$D" "$M"
lockf=$(grep -lxF "$M" /run/famfs/mount-*.lock 2>/dev/null | head -1)
[ -n "$lockf" ] && pass "the host lock names the mount" || fail "no lock file names $M"
lockf=${lockf:-/run/famfs/none}
check_eq "... and the pid of its famfsd (the daemon, not its parent)" \
	"$(famfsd_pid_of "$M")" "$(sed -n 2p "$lockf")"
check_eq "/run/famfs is root's, 0700" "700 root" "$(stat -c '%a %U' /run/famfs)"
check_eq "the lock file is root's, 0600" "600 root" "$(stat -c '%a %U' "$lockf")"
check_fail "a user cannot open the lock file to flock it" "ermission denied" \
	as_user "$U" flock -n -x "$lockf" true
check "umount" "$FAMFS" umount "$M"
check "... the lock file goes" wait_until 10 test ! -e "$lockf"
# An older build's modes are repaired: a 0755 directory, a stale 0644 file.
chmod 0755 /run/famfs
install -m 0644 /dev/null "$lockf"
check "mount over an older build's modes" "$FAMFS" mount "$D" "$M"
check_eq "... /run/famfs is 0700 again" 700 "$(stat -c %a /run/famfs)"
check_eq "... the stale lock file is 0600" 600 "$(stat -c %a "$lockf")"
check "umount" "$FAMFS" umount "$M"
check "... the lock file goes" wait_until 10 test ! -e "$lockf"
install -o "$U" -m 0600 /dev/null "$lockf"
check_fail "a lock file a user owns is refused, and named" "$lockf: not owned by root" \
	"$FAMFS" mount "$D" "$M"
grep -q " $M " /proc/self/mountinfo && fail "... but mounted" || pass "... no mount"
rm -f "$lockf"
# A holder that is no famfsd is named at once (it will not exit with a umount).
flock -x -o "$lockf" sleep 60 &
fpid=$!
track_pid "$fpid"
check "flock(1) holds the lock" wait_until 10 grep -q "FLOCK.* $fpid " /proc/locks
# (Waiting for it, as for a famfsd on its way out, would end in another message.)
check_fail "a mount names the holder, and that it is no famfsd" \
	"held by pid $fpid \(flock\), which is not a famfsd" "$FAMFS" mount "$D" "$M"
kill $(pgrep -P "$fpid") "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
rm -f "$lockf"

# --- writers never write the .meta files' device ranges --------------------
# A log written before .meta was reserved may hold .meta/.log and
# .meta/.superblock as ordinary files (crafted here: a file logged under
# another name of the same length, renamed in its entry). A mount hides
# them behind its own .meta files, whose bytes are the log and superblock.
mkfs_dev L 4G
"$FAMFS" --device "$L" creat -s 2M meta_x_log >/dev/null &&
	"$FAMFS" --device "$L" creat -s 2M meta_sb_file_x >/dev/null ||
	fail "creat on $L"
"$BIN/famfs_imgtool" "$L" set e0.path .meta/.log -c >/dev/null &&
	"$BIN/famfs_imgtool" "$L" set e1.path .meta/.superblock -c >/dev/null ||
	fail "imgtool: could not rename the entries"
check "mount the crafted log" "$FAMFS" mount "$L" "$M"
before=$(meta_sum "$L")
for f in .meta/.log .meta/.superblock; do
	check_fail "creat -r -S of $f is refused" "\.meta is reserved" \
		"$FAMFS" creat -r -S 5 "$M/$f"
	check_fail "creat -s 2M -r of $f too" "\.meta is reserved" \
		"$FAMFS" creat -s 2M -r "$M/$f"
	check_fail "creat -M $f,0,5 too" "\.meta is reserved" \
		"$FAMFS" creat -M "$M/$f,0,5"
	check_fail "creat of $f without -r too" "\.meta is reserved" \
		"$FAMFS" creat -s 2M "$M/$f"
done
head -c 2097152 /dev/urandom >"$T/2m"
check_fail "cp onto .meta/.log (same size) is refused" "\.meta is reserved" \
	"$FAMFS" cp "$T/2m" "$M/.meta/.log"
check_fail "mkdir -p .meta/d is refused" "\.meta is reserved" "$FAMFS" mkdir -p "$M/.meta/d"
check_eq "... the superblock and the log are unchanged" "$before" "$(meta_sum "$L")"
check "... fsck is clean" "$FAMFS" fsck "$M"
check "readers still see the device's superblock in .meta" \
	cmp <(head -c 2097152 "$L") "$M/.meta/.superblock"
check "umount" "$FAMFS" umount "$M"


# --- --multi across two mounts: each file is reported with its own size ----
# The walk opens one device after the other; the first one's nodes are gone
# by the time its files are reported.
mkfs_dev E 4G
M2=$T/mnt2
mkdir -p "$M2"
track_mount "$M2"
check "mount A" "$FAMFS" mount "$D" "$M"
check "mount B" "$FAMFS" mount "$E" "$M2"
check "creat -v -M on both mounts" "$FAMFS" creat -v -t 2 -M "$M/g1,4M,5" -M "$M2/g2,6M,6"
grep -qxF "$M/g1: filled, 4194304 bytes, seed 5" "$T/out" &&
	grep -qxF "$M2/g2: filled, 6291456 bytes, seed 6" "$T/out" &&
	pass "... each filled file with its own size" || fail "creat -M -v: $(cat "$T/out")"
check "verify -v -m on both mounts" "$FAMFS" verify -v -m "$M/g1,5" -m "$M2/g2,6"
grep -qxF "$M/g1: 4194304 bytes verified (seed 5)" "$T/out" &&
	grep -qxF "$M2/g2: 6291456 bytes verified (seed 6)" "$T/out" &&
	pass "... each verified file with its own size" || fail "verify -m -v: $(cat "$T/out")"
check_fail "verify -m with a wrong seed on the first mount" \
	"$M/g1: mismatch at offset 0 \(0\) of 4194304 bytes" \
	"$FAMFS" verify -m "$M/g1,9" -m "$M2/g2,6"


# --- one file filled twice by --multi (two threads, two seeds) is refused ---
check_fail "creat -M of one file with two seeds is bad usage" "fills dup twice" \
	"$FAMFS" creat -t 2 -M "$M/dup,64M,1" -M "$M/dup,64M,2"
check_eq "... exit 2" 2 "$("$FAMFS" creat -t 2 -M "$M/dup,64M,1" -M "$M/dup,64M,2" \
	>/dev/null 2>&1; echo $?)"
check "... and nothing was created" test ! -e "$M/dup"
check_fail "... also when spelled another way" "fills dup twice" \
	"$FAMFS" creat -t 2 -M "$M/dup,8M,1" -M "$M/./dup,8M,2"
check "one file named twice, filled once, is fine" \
	"$FAMFS" creat -t 2 -M "$M/dup,8M" -M "$M/dup,8M,3"
check "... and holds its seed" "$FAMFS" verify -S 3 -f "$M/dup"

check "umount B" "$FAMFS" umount "$M2"

# --- an .alloc.cfg the allocator would refuse is refused at mount -----------
printf 'interleaved_alloc:\n  chunk_size: 3m\n  nstrips: 2\n' >"$T/bad1.cfg"
printf 'interleaved_alloc:\n  nbuckets: 2\n  nstrips: 4\n' >"$T/bad2.cfg"
for c in bad1 bad2; do
	check_fail "mount -o alloc_cfg=$c.cfg is refused, naming it" \
		"alloc_cfg=$T/$c.cfg \(.meta/.alloc.cfg\): .*every creat and cp would fail" \
		"$FAMFS" mount -o alloc_cfg="$T/$c.cfg" "$E" "$M2"
	grep -q " $M2 " /proc/self/mountinfo && fail "... but mounted" || pass "... no mount"
done
printf 'interleaved_alloc:\n  chunk_size: 4m\n  nstrips: 2\n' >"$T/good.cfg"
check "a valid one mounts" "$FAMFS" mount -o alloc_cfg="$T/good.cfg" "$E" "$M2"
check "... and creat follows it" "$FAMFS" creat -s 16M "$M2/il"

done_testing
