#!/bin/bash
# test_rel_roles.sh - roles and permissions. A client (another system
# uuid) can never append to the log: creat, mkdir and cp are refused by the
# CLI offline and on a client mount, POSIX mkdir/creat through a client
# mount is refused, and the log bytes never change. Through a master mount,
# POSIX permissions hold for a real unprivileged user created here (a name
# of this run's own, removed on exit): no read of a 0600 root file, read of
# a 0644 one, no open of the (0600) device. A world-readable device file
# gives a warning.
. "$(dirname "$0")/lib.sh"

D=$(mkdev 1G)
chmod 0600 "$D"
MNT=$T/mnt
CMNT=$T/cmnt
mkdir -p "$MNT" "$CMNT"
chmod 0755 "$T"
"$MKFS" "$D" >/dev/null || { fail mkfs; done_testing; }
famfs_d() { "$FAMFS" --device "$D" "$@"; }
check "master mkdir" famfs_d mkdir dir
check "master creat 0600 secret" famfs_d creat -s 5000 -r -S 1 -m 0600 -u 0 -g 0 dir/secret
check "master creat 0644 public" famfs_d creat -s 5000 -r -S 2 -m 0644 -u 0 -g 0 dir/public
chmod 0755 "$T"
head -c 3000 /dev/urandom >"$T/local"
SUM=$(meta_sum "$D")

# --- client: offline CLI ---
export FAMFS_SYSTEM_UUID=$CLIENT_UUID
check_fail "client creat refused" "client|master|EPERM|not permitted" \
	famfs_d creat -s 4096 cfile
check_fail "client mkdir refused" "client|master|EPERM|not permitted" famfs_d mkdir cdir
check_fail "client cp refused" "client|master|EPERM|not permitted" famfs_d cp "$T/local" cfile
check_fail "client cp -r refused" "client|master|EPERM|not permitted" \
	famfs_d cp -r "$T" cdir2
check "client may read: ls" famfs_d ls -R
check "client may read: fsck" famfs_d fsck
check_eq "client CLI left the log unchanged" "$SUM" "$(meta_sum "$D")"

# --- client: mount ---
if famfs mount "$D" "$CMNT" >/dev/null 2>"$T/merr"; then
	track_mount "$CMNT"
	pass "client mount"
	check_fail "client creat through the mount refused" "client|master|EPERM|not permitted|Read-only" \
		famfs creat -s 4096 "$CMNT/cfile"
	check_fail "client famfs mkdir through the mount refused" "client|master|EPERM|not permitted|Read-only" \
		famfs mkdir "$CMNT/cdir"
	check_fail "client cp through the mount refused" "client|master|EPERM|not permitted|Read-only" \
		famfs cp "$T/local" "$CMNT/cfile"
	check_fail "POSIX mkdir on a client mount refused" "." mkdir "$CMNT/posixdir"
	check_fail "POSIX create on a client mount refused" "." touch "$CMNT/posixfile"
	check_fail "POSIX write on a client mount refused" "." sh -c "echo x >>'$CMNT/dir/public'"
	famfs umount "$CMNT" >/dev/null 2>&1 || umount -l "$CMNT"
else
	fail "client mount: $(cat "$T/merr")"
fi
check_eq "client mount left the log unchanged" "$SUM" "$(meta_sum "$D")"
export FAMFS_SYSTEM_UUID=$MASTER_UUID

# --- POSIX permissions for a real unprivileged user ---
if add_test_user TUSER; then
	if famfs mount "$D" "$MNT" >/dev/null 2>"$T/merr"; then
		track_mount "$MNT"
		check "user lists the mount" as_user "$TUSER" ls "$MNT/dir"
		check_fail "user cannot read a 0600 root file" "ermission denied" \
			as_user "$TUSER" cat "$MNT/dir/secret"
		check "user reads a 0644 file" as_user "$TUSER" cat "$MNT/dir/public"
		check_eq "user reads the right bytes" "$(cat "$MNT/dir/public" | md5sum)" \
			"$(as_user "$TUSER" cat "$MNT/dir/public" | md5sum)"
		check_fail "user cannot write a 0644 root file" "." \
			as_user "$TUSER" sh -c "echo x >>'$MNT/dir/public'"
		check_fail "user cannot mkdir in a 0755 root dir" "." as_user "$TUSER" mkdir "$MNT/dir/u"
		check_fail "user cannot famfs creat (no device access)" \
			"^famfs creat: .*open: Permission denied" \
			as_user "$TUSER" "$FAMFS" creat -s 4096 "$MNT/dir/ufile"
		famfs umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT"
	else
		fail "master mount: $(cat "$T/merr")"
	fi
	check_fail "user cannot open the 0600 device" "^famfs ls: .*open: Permission denied" \
		as_user "$TUSER" "$FAMFS" --device "$D" ls
	check_fail "user cannot fsck the 0600 device" "^famfs fsck: .*open: Permission denied" \
		as_user "$TUSER" "$FAMFS" --device "$D" fsck
	userdel "$TUSER" >/dev/null 2>&1
	check_fail "test user removed" "." id "$TUSER"
fi
check_eq "permission checks left the log unchanged" "$SUM" "$(meta_sum "$D")"

# --- device file permissions ---
# The admin-facing commands warn about a device anyone may read: fsck (a
# warning line in its report), mkfs.famfs and famfs mount (on stderr).
chmod 0644 "$D"
check "fsck of a world-readable device" famfs_d fsck
cp "$T/out" "$T/perm.out"
check "... reports it as a warning" grep -q "warning: .*world-readable" "$T/perm.out"
WDEV=$(mkdev 256M)
chmod 0644 "$WDEV"
check "mkfs of a world-readable device" "$MKFS" "$WDEV"
cp "$T/err" "$T/perm.err"
check "... warns on stderr" grep -q "world-readable" "$T/perm.err"
PM=$T/permmnt
mkdir -p "$PM"
track_mount "$PM"
check "mount of a world-readable device" "$FAMFS" mount "$WDEV" "$PM"
cp "$T/err" "$T/perm.err"
check "... warns on stderr" grep -q "world-readable" "$T/perm.err"
check "umount" "$FAMFS" umount "$PM"
chmod 0600 "$WDEV"
check "fsck of a 0600 device" "$FAMFS" --device "$WDEV" fsck
if grep -q "world-readable" "$T/out" "$T/err"; then
	fail "a 0600 device still warns"
else
	pass "a 0600 device does not warn"
fi
chmod 0600 "$D"
done_testing
