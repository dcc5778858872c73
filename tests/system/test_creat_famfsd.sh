#!/bin/bash
# test_creat_famfsd.sh - famfs creat on a mounted file system asks the
# mount's famfsd (FAMFS_IOC_CREAT) instead of replaying the log itself, and
# famfsd lets through exactly the callers who could have made the file
# offline: root, and a user the kernel lets open the device read-write
# (mode bits, supplementary groups, the directories on the device's path).
# Callers other than root leave the log's root reserve free. The new file
# reads zeros, is seen through the mount at once, and its parent's listing
# shows it. While another process holds the log lock famfsd does not wait
# for it: each creat waits in its own process and the mount serves on. A client mount refuses; -r and --device still
# work offline.
. "$(dirname "$0")/lib.sh"

mkfs_dev D 4G
M=$T/mnt
mkdir -p "$M"
chmod 0755 "$T"
famfs_d() { "$FAMFS" --device "$D" "$@"; }
# creats MNT: how many FAMFS_IOC_CREAT the mount's famfsd has served
creats() {
	"$FAMFS" stats --json "$1" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ops"].get("creat", 0))'
}

add_test_group G || done_testing
add_test_user U "$G" || done_testing
add_test_user V || done_testing
track_mount "$M"
check "mount" famfs mount -o reserve=30 "$D" "$M"
check "ls the empty root (the kernel holds its listing)" ls "$M"

# --- root: served by famfsd, one request, no replay ---
c0=$(creats "$M")
check "root creat through the mount" famfs creat -s 3M -m 0640 "$M/a"
check_eq "... famfsd made it" "$((c0 + 1))" "$(creats "$M")"
check_eq "... size, mode, owner" "3145728 640 root" "$(stat -c '%s %a %U' "$M/a")"
check_eq "... reads zeros" "3145728" "$(tr -d '\0' <"$M/a" | wc -c | awk '{print 3145728 - $1}')"
check "... the root listing shows it" grep -qx a <(ls "$M")
check "... and the log on the device holds it" bash -c "'$FAMFS' --device '$D' ls | grep -qw a"
check "mkdir d" famfs mkdir "$M/d"
check "creat -N 2 -B 2 -C 2M (interleaved) in d" famfs creat -s 8M -N 2 -B 2 -C 2M "$M/d/i"
check "... getmap shows the strips" bash -c "'$FAMFS' getmap '$M/d/i' | grep -q 'strip'"
check_refused "$D" "an existing name" "exists" famfs creat -s 2M "$M/a"
check_refused "$D" "a missing parent" "does not exist" famfs creat -s 2M "$M/nodir/x"
check_refused "$D" "a file as the parent" "ot a directory" famfs creat -s 2M "$M/a/x"
check_refused "$D" "bad interleave" "strip|bucket|chunk" famfs creat -s 2M -N 2 -B 1 "$M/bad"
check_refused "$D" "more than the device" "No space|too large|full" famfs creat -s 2T "$M/huge"
check_refused "$D" "a size of 2^64 - 1 (famfs_ioccreat)" "18446744073709551615 bytes asked" \
	"$BIN/famfs_ioccreat" "$M" huge2 18446744073709551615
LONG=$(head -c 400 /dev/zero | tr '\0' a)
check_refused "$D" "a request path with no NUL (famfs_ioccreat)" "too long" \
	"$BIN/famfs_ioccreat" "$M" "$LONG" 2097152
check "... made nothing" bash -c "[ -z \"\$(ls '$M' | grep '^aaaa')\" ]"
check "--no-zero is passed on" famfs creat -s 2M --no-zero "$M/nz"
check_eq "... size" 2097152 "$(stat -c %s "$M/nz")"

# --- the log lock held elsewhere: famfsd never waits for it in a worker ---
# Each creat is told EAGAIN at once and waits for the lock in its own
# process (a blocked flock in /proc/locks), so a dozen of them, more than
# libfuse's 10 worker threads, leave the mount serving every request.
# lock_waiters DEV N: N processes wait in flock(2) for DEV's lock
lock_waiters() {
	local ino
	ino=$(stat -Lc %i "$1")
	[ "$(grep -c -- "-> FLOCK .*:$ino " /proc/locks)" -ge "$2" ]
}
check "another process holds the log lock" hold_log_lock "$D"
lk=()
for i in $(seq 12); do
	famfs creat -s 2M "$M/locked$i" 2>"$T/lk$i.err" &
	lk+=($!)
	track_pid "$!"
done
check "12 creats wait for the lock, each in its own process" \
	wait_until 60 lock_waiters "$D" 12
check "lookups are served meanwhile" timeout -s KILL 10 stat "$M/a"
check "... listings too" timeout -s KILL 10 ls "$M"
check "... and opens" timeout -s KILL 10 head -c1 "$M/a"
kill "$sleeper"
nok=0
for i in $(seq 12); do
	wait "${lk[$((i - 1))]}" && [ "$(stat -c %s "$M/locked$i" 2>&1)" = 2097152 ] &&
		nok=$((nok + 1))
done
check_eq "the 12 creats complete once the lock is free, and made their files" 12 "$nok"

# --- -r: this process writes the pattern through the device, as before ---
c1=$(creats "$M")
check "creat -r through the mount" famfs creat -s 4M -r -S 9 "$M/r"
check "... verify" famfs verify -S 9 -f "$M/r"
check_eq "... made offline, not by famfsd" "$c1" "$(creats "$M")"

# --- users: the device is root's 0600 ---
# famfs creat as a user checks the mount by opening its device first; a
# client of one's own goes straight to famfsd (famfs_ioccreat), which must
# refuse all the same.
IOC=$BIN/famfs_ioccreat
check_refused "$D" "user, device 0600 root: famfs creat refused" "Permission denied|read-write" \
	as_user "$U" famfs creat -s 2M "$M/u0"
check_refused "$D" "... FAMFS_IOC_CREAT refused by famfsd" "read-write access" \
	as_user "$U" "$IOC" "$M" u0 2097152
check_refused "$D" "... also for a file owned by root" "read-write access" \
	as_user "$U" "$IOC" "$M" u0 2097152 0 0
check_fail "... nothing made" "No such file" stat "$M/u0"
chgrp "$G" "$D"
chmod 0660 "$D"
check "user in the device's group (supplementary): allowed" \
	as_user "$U" famfs creat -s 2M "$M/u1"
check_eq "... owned by the user, the user's group" "$U $U" "$(stat -c '%U %G' "$M/u1")"
# A user in more groups than a first guess holds, the device's group last:
# the kernel sorts groups by gid, and the newest group has the highest.
list=
for i in $(seq 0 70); do add_test_group MG || done_testing; list=$list${list:+,}$MG; done
add_test_user W "$list" || done_testing
check_eq "the user is in 71 supplementary groups (and its own)" 72 "$(id -G "$W" | wc -w)"
chgrp "$MG" "$D"
check "... device group is the last of 71: FAMFS_IOC_CREAT allowed" \
	as_user "$W" "$IOC" "$M" w1 2097152
check_eq "... owned by that user" "$W" "$(stat -c '%U' "$M/w1")"
chgrp "$G" "$D"
check_refused "$D" "another user, not in the group: refused" "read-write access" \
	as_user "$V" "$IOC" "$M" v1 2097152
chmod 0640 "$D"
check_refused "$D" "group may only read: refused" "read-write access" \
	as_user "$U" "$IOC" "$M" u2 2097152
# A world-writable device in a directory the user cannot search.
mkdir -m 0700 "$T/hidden"
mv "$D" "$T/hidden/dev"
ln -s "$T/hidden/dev" "$D"
chmod 0666 "$T/hidden/dev"
check "umount" famfs umount "$M"
check "mount the device by its hidden path" famfs mount -o reserve=30 "$T/hidden/dev" "$M"
check_refused "$T/hidden/dev" "device 0666 behind a 0700 directory: refused" \
	"read-write access" as_user "$V" "$IOC" "$M" v2 2097152
chmod 0711 "$T/hidden"
check "... searchable directory: allowed" as_user "$V" famfs creat -s 2M "$M/v3"

# --- the root reserve: users stop short of it, root does not ---
check "umount" famfs umount "$M"
RES=$((15420 - $(famfs_d fsck --json | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)["log"]["used"])') - 3))
check "mount with all but 3 free slots reserved" famfs mount -o "reserve=$RES" "$T/hidden/dev" "$M"
check "user creat 1 of 3" as_user "$V" famfs creat -s 2M "$M/d/f1"
check "user creat 2 of 3" as_user "$V" famfs creat -s 2M "$M/d/f2"
check "user creat 3 of 3" as_user "$V" famfs creat -s 2M "$M/d/f3"
check_refused "$T/hidden/dev" "user at the reserve: ENOSPC" "reserved for root" \
	as_user "$V" famfs creat -s 2M "$M/d/over"
check_refused "$T/hidden/dev" "... also straight to famfsd" "reserved for root" \
	as_user "$V" "$IOC" "$M" d/over 2097152
check "root creat in the reserve" famfs creat -s 2M "$M/d/root1"
check "umount" famfs umount "$M"
rm -f "$D"
mv "$T/hidden/dev" "$D"

# --- a client mount refuses, and --device still works ---
C=$T/cmnt
mkdir -p "$C"
track_mount "$C"
check "creat c0 (2M) before the client mounts" famfs_d creat -s 2M c0
check "client mount" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount "$D" "$C"
check_refused "$D" "creat on a client: refused" "master" \
	env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" creat -s 2M "$C/c1"
# famfsd leaves a client's creat to the CLI, whose rules hold there too.
check "creat of an existing file of its size on a client: upstream's no-op" \
	env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" creat -s 2M "$C/c0"
check "umount the client" famfs umount "$C"
check "creat --device" famfs_d creat -s 2M offline
check "... on the device" bash -c "'$FAMFS' --device '$D' ls | grep -qw offline"

done_testing
