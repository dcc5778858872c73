#!/bin/bash
# test_mount_helper.sh - mount.famfs as mount(8) runs it: `mount -t famfs`,
# fstab lines through a private table (mount -T), `mount -a` with nofail,
# ro, options for famfsd, plain umount(8), and the helper's own usage errors.
#
# mount(8) looks for helpers only in /sbin, so the test runs in a mount
# namespace of its own where an overlay adds the build's mount.famfs to
# /usr/sbin (/sbin on Debian); nothing outside the namespace changes.
if [ -z "${FAMFS_IN_MOUNT_NS:-}" ]; then
	FAMFS_IN_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
	echo "FAIL: unshare --mount: cannot make a mount namespace"
	exit 1
fi
. "$(dirname "$0")/lib.sh"

HELPER=$BIN/mount.famfs
DEV=$(mkdev 256M)
chmod 600 "$DEV"
MNT=$T/mnt
mkdir -p "$MNT" "$T/sbin"
check "mkfs" "$MKFS" "$DEV"
check "a file to find" "$FAMFS" --device "$DEV" creat -s 1M -r -S 21 f

# Helper conventions, called directly.
check_eq "mount.famfs is the famfs program" "famfs" "$(readlink "$HELPER")"
check "mount.famfs -h" bash -c "'$HELPER' -h | grep -q 'usage: mount.famfs DEV DIR'"
check_fail "no DIR: usage error" "mount.famfs: expected DEV and DIR" "$HELPER" "$DEV"
"$HELPER" "$DEV" >/dev/null 2>&1
check_eq "usage error exit status (mount(8): 1)" 1 $?
check_fail "-t of another type" "type 'ext4' is not famfs" "$HELPER" "$DEV" "$MNT" -t ext4
check_fail "-N is refused" "namespaces .* not supported" "$HELPER" "$DEV" "$MNT" -N 1
check_eq "-f -v: the command it would run, and no mount" \
	"mount.famfs: famfs mount -r -t 5 -o cache=page $DEV $MNT" \
	"$("$HELPER" "$DEV" "$MNT" -f -v -o 'defaults,x-systemd.automount,_netdev,nosuid,ro,timeout=5,cache=page,comment="a,b"')"
check "and nothing was mounted" bash -c "! mountpoint -q '$MNT'"
"$HELPER" /dev/shm/famfs-no-such-dev "$MNT" -o rw,nofail >"$T/out" 2>&1
check_eq "nofail: a missing device is no error" "0:" "$?:$(cat "$T/out")"
"$HELPER" /dev/shm/famfs-no-such-dev "$MNT" -o rw >"$T/helper.out" 2>&1
check_eq "without nofail it is (mount(8): 32)" 32 $?
check "and says which device" grep -q "famfs-no-such-dev" "$T/helper.out"

# mount(8) finds the helper in /sbin: add it there, in this namespace only.
ln -s "$HELPER" "$T/sbin/mount.famfs"
check "overlay mount.famfs onto /usr/sbin (this namespace only)" \
	mount -t overlay overlay -o "lowerdir=$T/sbin:/usr/sbin" /usr/sbin
check "/sbin/mount.famfs is there" test -x /sbin/mount.famfs

fstype() { findmnt -n -o FSTYPE --mountpoint "$MNT"; }
famfsd_gone() { ! pgrep -f "famfsd .* $MNT\$" >/dev/null; }

track_mount "$MNT"
check "mount -t famfs DEV DIR" mount -t famfs "$DEV" "$MNT"
check_eq "and says nothing (a helper is silent on success)" "" "$(cat "$T/out")"
check_eq "it is a fuse.famfs mount" "fuse.famfs" "$(fstype)"
check "the file is there and verifies" "$FAMFS" verify -S 21 -f "$MNT/f"
check "famfs sees the mount" "$FAMFS" stats "$MNT"
check "plain umount(8)" umount "$MNT"
check "famfsd exits after umount" wait_until 10 famfsd_gone

check "mount -t famfs -o ro" mount -t famfs -o ro "$DEV" "$MNT"
check_eq "the mount is read-only" "ro" "$(findmnt -n -o OPTIONS --mountpoint "$MNT" | cut -d, -f1)"
check_fail "creating in it is refused" "read-only|Read-only" "$FAMFS" creat -s 1M "$MNT/g"
check "umount" umount "$MNT"
check "famfsd exits" wait_until 10 famfsd_gone

check "mount -t famfs -o cache=page (a famfsd option)" mount -t famfs -o cache=page "$DEV" "$MNT"
check "mmap through the page cache works" bash -c "/usr/bin/python3 -c \"
import mmap, sys
f = open('$MNT/f', 'rb')
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
sys.exit(0 if m[:4096] == open('$MNT/f', 'rb').read(4096) else 1)\""
check "umount" umount "$MNT"
check "famfsd exits" wait_until 10 famfsd_gone
check "mount -t famfs -o noatime,noexec (generic options, for libfuse)" \
	mount -t famfs -o noatime,noexec "$DEV" "$MNT"
check_eq "the mount has both" "noatime noexec" \
	"$(findmnt -n -o OPTIONS --mountpoint "$MNT" | tr , '\n' | grep -x -e noatime -e noexec |
		sort | tr '\n' ' ' | sed 's/ $//')"
check "umount" umount "$MNT"
check "famfsd exits" wait_until 10 famfsd_gone
check_fail "an option famfsd does not know fails the mount" "unknown option 'bogus'" \
	mount -t famfs -o bogus "$DEV" "$MNT"
check "and nothing is mounted" bash -c "! mountpoint -q '$MNT'"

# An fstab line, in a private table (mount -T).
FSTAB=$T/fstab
printf '%s %s famfs defaults,nofail 0 0\n' "$DEV" "$MNT" >"$FSTAB"
printf '/dev/shm/famfs-no-such-dev %s/none famfs defaults,nofail 0 0\n' "$T" >>"$FSTAB"
check "mount -T FSTAB DIR (the fstab line)" mount -T "$FSTAB" "$MNT"
check_eq "mounted from the fstab line" "fuse.famfs $DEV" \
	"$(findmnt -n -o FSTYPE,SOURCE --mountpoint "$MNT")"
check "umount" umount "$MNT"
check "famfsd exits" wait_until 10 famfsd_gone
mkdir -p "$T/none"
check "mount -a -T FSTAB: a missing nofail device does not fail it" mount -a -T "$FSTAB"
check "the present device is mounted" mountpoint -q "$MNT"
check "the missing one is not" bash -c "! mountpoint -q '$T/none'"
check "the file is there" "$FAMFS" verify -S 21 -f "$MNT/f"
check "umount" umount "$MNT"
check "famfsd exits" wait_until 10 famfsd_gone

# The example systemd unit mounts the same way (Type=famfs, the fstab options).
U=$FAMFS_SRC/examples/mnt-famfs.mount
check "example unit: Type=famfs" grep -qx "Type=famfs" "$U"
check "example unit: Where matches its file name" grep -qx "Where=/mnt/famfs" "$U"
check "example unit: Options=defaults,nofail" grep -qx "Options=defaults,nofail" "$U"
done_testing
