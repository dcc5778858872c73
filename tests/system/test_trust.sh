#!/bin/bash
# test_trust.sh - which famfs mounts the CLI and the direct-access client
# trust. A real unprivileged user (a new one) mounts a fake famfsd
# (famfs_fakefuse, subtype famfs, through fusermount3) inside a writable
# directory of a real famfs mount, naming the real device with fsname=.
# Root's famfs verbs must refuse that mount and leave the device alone;
# fake servers run by root that do not confirm the device (no INFO, another
# device, another uuid) are refused too; mkfs.famfs ignores a user's claim.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { fail "needs root"; done_testing; }
add_test_user TUSER || done_testing
USER_ID=$(id -u "$TUSER") && USER_GID=$(id -g "$TUSER") || { fail "no uid for $TUSER"; done_testing; }

# A user mounts FUSE through fusermount3, which needs /dev/fuse open to users
# (Debian's udev rule makes it 0666), and allow_other (so that root can see
# the mount at all) needs user_allow_other in /etc/fuse.conf. Both are put
# back as they were on exit.
FUSE_MODE=$(stat -c %a /dev/fuse)
FUSE_CONF_SAVED=$T/fuse.conf.saved
[ -e /etc/fuse.conf ] && cp /etc/fuse.conf "$FUSE_CONF_SAVED"
restore_system() {
	chmod "$FUSE_MODE" /dev/fuse
	if [ -e "$FUSE_CONF_SAVED" ]; then
		cat "$FUSE_CONF_SAVED" >/etc/fuse.conf
	else
		rm -f /etc/fuse.conf
	fi
}
trap 'restore_system; famfs_cleanup' EXIT	# lib.sh's cleanup, after ours
chmod 0666 /dev/fuse
grep -qx user_allow_other /etc/fuse.conf || echo user_allow_other >>/etc/fuse.conf

# The user's mount points must be reachable; as_user runs a copy of the build.
chmod 0755 "$T"
FAKE=$BIN/famfs_fakefuse

DEV=$(mkdev 1G)
DEV2=$(mkdev 1G)
M=$T/mnt
mkdir -p "$M"
check "mkfs" "$MKFS" "$DEV"
check "mkfs dev2" "$MKFS" "$DEV2"
track_mount "$M"
check "mount" "$FAMFS" mount "$DEV" "$M"
check "a directory of the user's" "$FAMFS" mkdir -u "$USER_ID" -g "$USER_GID" "$M/user"
check "... and a mount point in it" "$FAMFS" mkdir -u "$USER_ID" -g "$USER_GID" "$M/user/fake"

# start_fake AS MNT ARGS...: run famfs_fakefuse (as the user when AS is
# "user") on MNT and wait for its mount to appear.
start_fake() {
	local as=$1 mnt=$2; shift 2
	track_mount "$mnt"
	if [ "$as" = user ]; then
		as_user "$TUSER" "$FAKE" "$@" "$mnt" >"$T/fake.log" 2>&1 &
	else
		"$FAKE" "$@" "$mnt" >"$T/fake.log" 2>&1 &
	fi
	track_pid $!
	wait_until 10 grep -q " $mnt fuse.famfs\| $mnt .* - fuse.famfs " /proc/self/mountinfo ||
		{ fail "fake server on $mnt did not mount: $(cat "$T/fake.log")"; return 1; }
}
# stop_fake MNT
stop_fake() { umount "$1" 2>/dev/null || umount -l "$1"; }

# --- a user's fuse.famfs mount inside a famfs directory, naming the real device --
# The fake even answers INFO as famfsd would (a file system uuid is no
# secret): only who mounted it gives it away.
UUID=$("$FAMFS" --device "$DEV" fsck 2>/dev/null | awk '/^  Filesystem UUID:/ {print $3; exit}')
F=$M/user/fake
start_fake user "$F" -o "allow_other,fsname=$DEV" --info "$DEV" --uuid "$UUID"
check "the user's mount says user_id=$USER_ID" grep -q " $F .*user_id=$USER_ID" /proc/self/mountinfo
head -c 3000000 /dev/urandom >"$T/local"
before=$(meta_sum "$DEV")
check_refused "$DEV" "creat under the user's mount" "mounted by uid $USER_ID, not by root" \
	"$FAMFS" creat -s 2M "$F/x"
check_refused "$DEV" "mkdir under the user's mount" "not by root" "$FAMFS" mkdir "$F/d"
check_refused "$DEV" "cp into the user's mount" "not by root" "$FAMFS" cp "$T/local" "$F/c"
check_fail "ls of the user's mount" "not by root" "$FAMFS" ls "$F"
check_fail "umount of the user's mount" "not by root" "$FAMFS" umount "$F"
check_eq "the device's metadata did not change" "$before" "$(meta_sum "$DEV")"
check "nothing was created at the real root" \
	bash -c "! '$FAMFS' --device '$DEV' ls | grep -qE '^(x|d|c)$'"
check "the real mount still works around it" "$FAMFS" creat -s 2M "$M/user/y"
stop_fake "$F"
# A bind mount of a famfs directory is trusted too; paths go through its root.
BIND=$T/bind
mkdir -p "$BIND"
track_mount "$BIND"
check "bind mount of a famfs directory" mount --bind "$M/user" "$BIND"
check "creat through the bind mount" "$FAMFS" creat -s 2M "$BIND/z"
check "... lands in that directory" bash -c "'$FAMFS' ls '$M/user' | grep -qx z"
check "shim maps a file through the bind mount" bash -c \
	"FAMFS_PRELOAD_DEBUG=1 LD_PRELOAD='$SHIM' cat '$BIND/z' 2>&1 >/dev/null | grep -q 'mapped'"
check "unmount the bind mount" umount "$BIND"

# mkfs.famfs must not take a user's fsname= claim for a mount of the device.
U=$T/userdir
mkdir -p "$U" && chown "$USER_ID:$USER_GID" "$U"
start_fake user "$U" -o "allow_other,fsname=$DEV2"
check "mkfs -f ignores a user's mount claiming the device" "$MKFS" -f "$DEV2"
stop_fake "$U"

# --- fake servers run by root: trusted only when famfsd confirms the device ------
R=$T/rootfake
mkdir -p "$R"
start_fake root "$R" -o "fsname=$DEV"
check_refused "$DEV" "root's fake without INFO" "does not answer INFO" \
	"$FAMFS" creat -s 2M "$R/x"
stop_fake "$R"
start_fake root "$R" -o "fsname=$DEV" --info "$DEV2" --uuid "$UUID"
check_refused "$DEV" "root's fake naming another device" "serves $DEV2, not the mount's source" \
	"$FAMFS" creat -s 2M "$R/x"
stop_fake "$R"
start_fake root "$R" -o "fsname=$DEV" --info "$DEV" --uuid 01234567-89ab-cdef-0123-456789abcdef
check_refused "$DEV" "root's fake with another uuid" "uuid mismatch" \
	"$FAMFS" creat -s 2M "$R/x"
stop_fake "$R"

# --- the direct-access client: the shim and famfs_map_open -------------------------
# A root-only file the user would like root's processes to map: GET_DAXDEV
# of the fake server names it as device 0.
SECRET=$(mkdev 4M)
head -c $((4 << 20)) /dev/urandom >"$SECRET"
chmod 0600 "$SECRET"
secret_sum=$(md5sum <"$SECRET")
head -c $((2 << 20)) /dev/zero | tr '\0' F >"$T/fbytes"	# what the fake serves by READ
start_fake user "$U" -o "allow_other,fsname=$SECRET" --daxdev "$SECRET"
check "shim: root's cat of the user's file goes through FUSE" \
	bash -c "LD_PRELOAD='$SHIM' cat '$U/f' | cmp - '$T/fbytes'"
check "shim: ... and says why it passed through" bash -c \
	"FAMFS_PRELOAD_DEBUG=1 LD_PRELOAD='$SHIM' cat '$U/f' 2>&1 >/dev/null | grep -q 'not by root'"
check "shim: root's write to the user's file" bash -c \
	"head -c 65536 /dev/urandom | LD_PRELOAD='$SHIM' dd of='$U/f' bs=65536 conv=notrunc status=none"
check_eq "... did not reach the file the user named" "$secret_sum" "$(md5sum <"$SECRET")"
check_fail "famfs_map_open refuses the user's mount" "not by root" "$BIN/famfs_mapcat" "$U/f"
stop_fake "$U"
# A root-run server that confirms the device but names another file for device 0.
start_fake root "$R" -o "fsname=$DEV" --info "$DEV" --uuid "$UUID" --daxdev "$SECRET"
check_fail "famfs_map_open: a device that is no dax device nor the source" \
	"not a dax or pmem device, nor the mount's source" "$BIN/famfs_mapcat" "$R/f"
check "shim: ... passes through to FUSE" bash -c "LD_PRELOAD='$SHIM' cat '$R/f' | cmp - '$T/fbytes'"
check_eq "... and the file was never written" "$secret_sum" "$(md5sum <"$SECRET")"
stop_fake "$R"
# The control: the same server naming the mount's own source is mapped.
start_fake root "$R" -o "fsname=$DEV" --info "$DEV" --uuid "$UUID" --daxdev "$DEV"
check "famfs_map_open maps a confirmed mount's own source" \
	bash -c "'$BIN/famfs_mapcat' '$R/f' | cmp - <(head -c $((2 << 20)) '$DEV')"
stop_fake "$R"

# --- the mount table is read with libmount: escaped mount points ------------------
# mountinfo writes a space as \040 and a backslash as \134.
E="$T/a b\\c"
mkdir -p "$E"
track_mount "$E"
check "mount on a point with a space and a backslash" "$FAMFS" mount "$DEV2" "$E"
check "creat there" "$FAMFS" creat -s 2M "$E/f"
check "ls there" bash -c "'$FAMFS' ls '$E' | grep -qx f"
check_fail "mkfs sees the device mounted there" "mounted at $T/a b" "$MKFS" -f "$DEV2"
check "umount there" "$FAMFS" umount "$E"

done_testing
