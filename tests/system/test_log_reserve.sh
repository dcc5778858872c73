#!/bin/bash
# test_log_reserve.sh - log slots are for ever, so a caller other than root
# must not be able to fill the log. Through a master mount, a real
# unprivileged user (made here) gets EPERM for mkdir unless famfsd runs with
# -o user_mkdir; with it, the user stops at the slots reserved for root
# (ENOSPC), and root can still make directories. statfs (df -i) shows the
# slots: root sees every free one, a user only those outside the reserve.
# famfs fsck shows used, free and reserved slots, as text and JSON: the
# default reserve for a device, the mount's for a mount. Bad reserve=
# values are refused.
. "$(dirname "$0")/lib.sh"

NSLOTS=15420
DEFRES=771		# 5% of the 15420 slots of an 8 MiB log
mkfs_dev D 1G
M=$T/mnt
mkdir -p "$M"
chmod 0755 "$T"
famfs_d() { "$FAMFS" --device "$D" "$@"; }
check "a world-writable directory" famfs_d mkdir -m 0777 pub
add_test_user U || done_testing
# slots MNT [USER]: "total free" log slots as statfs gives them to the caller
slots() { ${2:+as_user "$2"} stat -f -c '%c %d' "$1"; }
# jfield FILE KEY: a field of the "log" object of famfs fsck --json
jfield() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"][sys.argv[2]])' "$1" "$2"; }

# --- the default: only root may mkdir through the mount ---
track_mount "$M"
check "mount with the defaults" famfs mount "$D" "$M"
check_fail "user mkdir in a 0777 directory: EPERM" "Operation not permitted" \
	as_user "$U" mkdir "$M/pub/u"
check_eq "... and nothing was logged" "1" "$(famfs_d fsck --json >"$T/j" 2>&1; jfield "$T/j" used)"
check "root mkdir through the mount" mkdir "$M/pub/r"
check_eq "statfs for root: every free slot" "$NSLOTS $((NSLOTS - 2))" "$(slots "$M")"
check_eq "statfs for a user: the reserve is not free" \
	"$NSLOTS $((NSLOTS - 2 - DEFRES))" "$(slots "$M" "$U")"
check_eq "df -i for a user counts the reserve as used" "$((2 + DEFRES))" \
	"$(as_user "$U" df --output=iused "$M" | tail -1 | tr -d ' ')"
check "fsck of the mount" famfs fsck "$M"
cp "$T/out" "$T/mnt.txt"
check "... says the slots used" grep -Eq "# of log entries in use: 2 of $NSLOTS\$" "$T/mnt.txt"
check "... and reserved" grep -Eq "Log slots reserved: +$DEFRES for root \(the mount's\), $((NSLOTS - 2 - DEFRES)) free to other users" "$T/mnt.txt"
check "fsck --json of the mount" famfs fsck --json "$M"
cp "$T/out" "$T/mnt.json"
check_eq "... used" 2 "$(jfield "$T/mnt.json" used)"
check_eq "... reserved" "$DEFRES" "$(jfield "$T/mnt.json" reserved)"
check_eq "... reserved by" mount "$(jfield "$T/mnt.json" reserved_by)"
check_eq "... free to users" "$((NSLOTS - 2 - DEFRES))" "$(jfield "$T/mnt.json" user_free)"
check "fsck --json of the device" famfs_d fsck --json
cp "$T/out" "$T/dev.json"
check_eq "... the default reserve" "default $DEFRES" \
	"$(jfield "$T/dev.json" reserved_by) $(jfield "$T/dev.json" reserved)"
check "umount" famfs umount "$M"

# --- user_mkdir: a user stops at the reserve, root does not ---
RES=$((NSLOTS - 2 - 5))		# leaves the user 5 slots
check "mount -o user_mkdir,reserve=$RES" famfs mount -o "user_mkdir,reserve=$RES" "$D" "$M"
n=0
while as_user "$U" mkdir "$M/pub/u$n" 2>"$T/merr"; do
	n=$((n + 1))
	[ $n -le 10 ] || break
done
check_eq "the user made 5 directories" 5 "$n"
check "... then ENOSPC" grep -q "No space left on device" "$T/merr"
check_eq "... owned by the user" "$U $U" "$(stat -c '%U %G' "$M/pub/u0")"
check_eq "statfs for the user: nothing free" "$NSLOTS 0" "$(slots "$M" "$U")"
check_eq "statfs for root: the reserve" "$NSLOTS $RES" "$(slots "$M")"
check "root mkdir in the reserve" mkdir "$M/pub/r2"
check_eq "xattr user.famfs.reserve" "$RES" \
	"$(/usr/bin/python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.famfs.reserve").decode())' "$M")"
check "fsck --json of the mount" famfs fsck --json "$M"
cp "$T/out" "$T/mnt2.json"
check_eq "... used, reserved, free to users" "8 $RES 0" \
	"$(jfield "$T/mnt2.json" used) $(jfield "$T/mnt2.json" reserved) $(jfield "$T/mnt2.json" user_free)"
check "umount" famfs umount "$M"

# --- reserve=P% ---
check "mount -o user_mkdir,reserve=10%" famfs mount -o user_mkdir,reserve=10% "$D" "$M"
check_eq "statfs for a user: 10% (1542 slots) held back" \
	"$NSLOTS $((NSLOTS - 8 - 1542))" "$(slots "$M" "$U")"
check "the user may mkdir again" as_user "$U" mkdir "$M/pub/p"
check "umount" famfs umount "$M"

# --- bad values: one line, no mount ---
for bad in reserve=x reserve=101% reserve=-1 reserve=5%% reserve=; do
	check_fail "famfs mount -o $bad refused" "bad '$bad'" famfs mount -o "$bad" "$D" "$M"
done
check_fail "a reserve larger than the log refused" "more than the $NSLOTS slots" \
	famfs mount -o reserve=$((NSLOTS + 1)) "$D" "$M"
check "... and nothing is mounted" bash -c "! grep -q ' $M ' /proc/self/mountinfo"
done_testing
