#!/bin/bash
# test_setgid.sh - mkdir through the mount in a setgid directory, as Linux
# does it: the new directory takes the parent's group and the setgid bit,
# whoever makes it; elsewhere it takes the caller's group and no setgid bit.
# A real unprivileged user (made here, in a group made here) makes the
# directories through a -o user_mkdir mount; the log keeps the result, so
# a remount shows the same. Files cannot be made through the mount at all.
. "$(dirname "$0")/lib.sh"

mkfs_dev D 1G
M=$T/mnt
mkdir -p "$M"
chmod 0755 "$T"
famfs_d() { "$FAMFS" --device "$D" "$@"; }
add_test_group G || done_testing
add_test_user U "$G" || done_testing
GID=$(getent group "$G" | cut -d: -f3)
UGID=$(id -g "$U")
check "a setgid directory of group $G" famfs_d mkdir -m 02775 -g "$GID" sg
check "a plain world-writable directory" famfs_d mkdir -m 0777 plain
# owner DIR: "group-id mode" as stat gives them
owner() { stat -c '%g %A' "$1"; }

track_mount "$M"
check "mount -o user_mkdir" famfs mount -o user_mkdir "$D" "$M"
check_eq "the setgid directory" "$GID drwxrwsr-x" "$(owner "$M/sg")"
check "user mkdir in the setgid directory" as_user "$U" sh -c "umask 022; mkdir '$M/sg/a'"
check_eq "... takes its group and the setgid bit" "$GID drwxr-sr-x" "$(owner "$M/sg/a")"
check_eq "... and the user as owner" "$U" "$(stat -c %U "$M/sg/a")"
check "user mkdir one level down" as_user "$U" sh -c "umask 002; mkdir '$M/sg/a/b'"
check_eq "... inherits again" "$GID drwxrwsr-x" "$(owner "$M/sg/a/b")"
check "root mkdir in the setgid directory" sh -c "umask 022; mkdir '$M/sg/r'"
check_eq "... takes its group and the setgid bit too" "$GID drwxr-sr-x" "$(owner "$M/sg/r")"
check "user mkdir in a plain directory" as_user "$U" sh -c "umask 022; mkdir '$M/plain/c'"
check_eq "... takes the user's own group, no setgid bit" "$UGID drwxr-xr-x" \
	"$(owner "$M/plain/c")"
check "root mkdir in a plain directory" sh -c "umask 022; mkdir '$M/plain/rc'"
check_eq "... takes root's group, no setgid bit" "0 drwxr-xr-x" "$(owner "$M/plain/rc")"
check_fail "no file can be made through the mount" "." as_user "$U" touch "$M/sg/file"
check "umount" famfs umount "$M"

check "remount" famfs mount "$D" "$M"
check_eq "the log kept the group and setgid bit" "$GID drwxrwsr-x $GID drwxr-sr-x" \
	"$(owner "$M/sg/a/b") $(owner "$M/sg/r")"
check "umount" famfs umount "$M"
done_testing
