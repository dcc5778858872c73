#!/bin/bash
# test_multidev.sh - a file system on several devices: mkfs.famfs with two
# devices and famfs devadd (offline and online), files striped over the
# devices written offline and read through FUSE, the library and the shim
# on a master and a client mount, famfs daxdev list/resolve/refresh, a
# device that is not found (its files fail with ENODEV, the rest works,
# refresh finds it), poison of one device, memory of one device vanishing
# under famfsd (only that device fails), statfs and fsck over every
# device, and the refusals (a device twice, a device a mount uses, a
# secondary device as a mount source).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
newdev D0 8G
newdev D1 8G
newdev D2 4G
newdev OTHER 1G
chmod 600 "$D0" "$D1" "$D2" "$OTHER"
# Devices that are files are found through this list (and /dev/dax*, /dev/pmem*).
export FAMFS_DAXDEV_PATH="${_famfs_devprefix}*"
M1=$T/master
M2=$T/client
mkdir -p "$M1" "$M2"
shim() { LD_PRELOAD=$SHIM "$@"; }
stat_op() {
	"$FAMFS" stats --json "$1" |
		$PY -c 'import json,sys; print(json.load(sys.stdin)["ops"][sys.argv[1]])' "$2"
}
# checkk: check, keeping the command's stdout and stderr for out_has / err_has
# DESCRIPTION REGEX (check's own files are overwritten by every check).
checkk() { check "$@"; cp "$T/out" "$T/last.out"; cp "$T/err" "$T/last.err"; }
has() {
	if grep -Eq -- "$3" "$T/last.$1"; then
		pass "$2"
	else
		fail "$2: no /$3/ in: $(head -c 400 "$T/last.$1")"
	fi
}
out_has() { has out "$@"; }
err_has() { has err "$@"; }
devs_of() {	# devs_of DEV FILE: the device index of each extent or strip
	"$FAMFS" --device "$1" getmap "$2" | awk '/^  (extent|strip) / {printf "%s ", $4}'
}

# --- mkfs refusals: nothing is written unless every device passes -----------------
check "mkfs OTHER (a foreign file system)" "$MKFS" "$OTHER"
check_fail "mkfs of one device twice" "are the same device" "$MKFS" "$D0" "$D0"
check_refused "$D2" "mkfs with a second device holding a famfs, without -f: D2 untouched" \
	"$OTHER: famfs superblock exists; use -f" "$MKFS" "$D2" "$OTHER"

# --- one device, a file on it, then device 1 added offline --------------------------
check "mkfs.famfs -f D0" "$MKFS" -f "$D0"
check "creat zero (on device 0: the only one)" "$FAMFS" --device "$D0" creat -s 6M -r -S 3 zero
checkk "devadd offline" "$FAMFS" devadd "$D0" "$D1"
out_has "... says device 1" ": device 1 of $D0, uuid "
err_has "... and that upstream famfs must never be master now" \
	"^warning: .*upstream famfs must never be its master"
UUID1=$(awk '{print $7}' "$T/last.out" | tr -d ,)
check_eq "zero stays on device 0" "0 " "$(devs_of "$D0" zero)"
check "creat striped -N 2 (64 MiB)" "$FAMFS" --device "$D0" creat -s 64M -r -S 7 -N 2 striped
check_eq "striped: one strip per device" "1 0 " "$(devs_of "$D0" striped)"
check "creat odd -N 4 -B 2 (9 MiB + 5)" "$FAMFS" --device "$D0" creat -s $((9 * 1048576 + 5)) \
	-r -S 8 -N 4 -B 2 odd
check_eq "odd: strips alternate devices" "1 0 1 0 " "$(devs_of "$D0" odd)"
check "creat plain (device 1: the most free space)" "$FAMFS" --device "$D0" creat -s 5M -r -S 9 plain
check_eq "plain on device 1" "1 " "$(devs_of "$D0" plain)"
check "verify offline" "$FAMFS" --device "$D0" verify -S 7 -f striped

# --- famfs daxdev list / resolve ---------------------------------------------------
checkk "daxdev list (scan)" "$FAMFS" daxdev list
out_has "... shows the primary" "^  primary .* $D0\$"
out_has "... and the secondary" "^  secondary .* $UUID1 .* $D1\$"
check "daxdev resolve UUID" "$FAMFS" daxdev resolve "$UUID1"
check_eq "... prints its path" "$D1" "$(cat "$T/out")"
check_fail "daxdev resolve of an unknown uuid" "not found \(looked at" \
	"$FAMFS" daxdev resolve 01234567-89ab-cdef-0123-456789abcdef
check "daxdev list DEV" "$FAMFS" daxdev list --json "$D0"
check_eq "... 2 devices, both ok" "2 ok ok" "$($PY -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["ndevs"], *[x["state"] for x in d["devices"]])' "$T/out")"

# --- a file planted where a glob looks is no device ------------------------------
# Anyone may write in /dev/shm; device 1's uuids are public (daxdev list, INFO).
PLANT=$T/plant
mkdir -m 1777 "$PLANT"
head -c $((2 << 20)) "$D1" >"$PLANT/evil"
truncate -s 8G "$PLANT/evil"
cp "$PLANT/evil" "$PLANT/ww"
chmod 600 "$PLANT/evil"
chown 65534 "$PLANT/evil"
chmod 666 "$PLANT/ww"
check "daxdev list, D1 beside the planted copies: device 1 is D1" bash -c \
	"FAMFS_DAXDEV_PATH='$D1:$PLANT/*' '$FAMFS' daxdev list '$D0' | grep -Eq '^  1 +secondary ok .* $D1\$'"
check "daxdev list, only the copy nobody owns: device 1 is missing" bash -c \
	"FAMFS_DAXDEV_PATH='$PLANT/evil' '$FAMFS' daxdev list '$D0' | grep -Eq '^  1 +secondary missing '"
check_fail "daxdev resolve does not find the world-writable copy" "not found \(looked at" \
	env FAMFS_DAXDEV_PATH="$PLANT/ww" "$FAMFS" daxdev resolve "$UUID1"

# --- mounted: FUSE, the library and the shim; a client host -----------------------
track_mount "$M1"
track_mount "$M2"
check "mount master" "$FAMFS" mount "$D0" "$M1"
check "mount client" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount "$D0" "$M2"
for m in "$M1" "$M2"; do
	check "verify striped via FUSE ($m)" "$FAMFS" verify -S 7 -f "$m/striped"
	check "verify odd via FUSE ($m)" "$FAMFS" verify -S 8 -f "$m/odd"
	cat "$m/striped" >"$T/striped.fuse"
	check "famfs_map_open striped == FUSE ($m)" bash -c "'$BIN/famfs_mapcat' '$m/striped' | cmp - '$T/striped.fuse'"
	checkk "getmap --daxdev 1 ($m)" "$FAMFS" getmap --daxdev 1 "$m"
	out_has "... names D1" "$D1"
done
r0=$(stat_op "$M2" read)
check "shim cat odd on the client == FUSE" bash -c "LD_PRELOAD='$SHIM' cat '$M2/odd' | cmp - <(cat '$M1/odd')"
check "shim mmap striped on the client" bash -c \
	"LD_PRELOAD='$SHIM' '$BIN/famfs_mmaptool' cat '$M2/striped' | cmp - '$T/striped.fuse'"
check_eq "no FUSE READ under the shim" "$r0" "$(stat_op "$M2" read)"
check "GET_DAXDEV was asked for device 1" test "$(stat_op "$M2" get_daxdev)" -ge 2
check "df: the capacity of both devices" bash -c "[ \$((\$(stat -f -c '%b*%S' '$M1'))) = $((16 << 30)) ]"
check "write through FUSE on the master" bash -c "printf hello | dd of='$M1/striped' bs=1 seek=$((2 << 20)) conv=notrunc status=none"
check "fsync" $PY -c "import os; fd=os.open('$M1/striped', os.O_RDWR); os.fsync(fd)"
check_eq "the client reads it (chunk 1: device 0)" hello \
	"$(dd if="$M2/striped" bs=1 skip=$((2 << 20)) count=5 status=none)"

# --- no device on a FUSE file system --------------------------------------------------
# A path there may lead into famfsd's own mount (a request famfsd itself must
# answer), and a famfs file is no device: a copy of D1's superblock in one is refused.
head -c $((2 << 20)) "$D1" >"$T/d1head"
check "a copy of D1's superblock into the master mount" "$FAMFS" cp "$T/d1head" "$M1/d1head"
check_fail "daxdev resolve does not find it there" "not found \(looked at" \
	env FAMFS_DAXDEV_PATH="$M1/d1head" "$FAMFS" daxdev resolve "$UUID1"

# --- a copy of the primary uses none of the live devices ---------------------------
# A backup or a cloned disk keeps the uuids: attached to the live D1, the copy's
# instance would allocate over the live file system's files there.
M3=$T/copy-mnt
mkdir -p "$M3"
track_mount "$M3"
cp --sparse=always "$D0" "$T/copy"
chmod 600 "$T/copy"
check "daxdev list D0 with a copy of D0 in the scan: device 1 refused" bash -c \
	"FAMFS_DAXDEV_PATH='${_famfs_devprefix}*:$T/copy' '$FAMFS' daxdev list '$D0' |
	 grep -Eq '^  1 +secondary missing .*two primaries: $D0 and $T/copy'"
check "mount the copy (D1 in the scan, D0 not)" env FAMFS_DAXDEV_PATH="$D1" \
	"$FAMFS" mount "$T/copy" "$M3"
check "the copy's mount leaves D1 alone: the live mount serves it" bash -c \
	"'$FAMFS' daxdev list '$M3' | grep -Eq '^  1 +secondary missing .*mounted at $M1 from $D0, another primary'"
check "cp into the copy" "$FAMFS" cp "$T/striped.fuse" "$M3/c"
check_eq "... lands on device 0 of the copy" "0 " "$(devs_of "$T/copy" c)"
check "umount the copy" "$FAMFS" umount "$M3"
rm -f "$T/copy"

# --- famfs devadd online; the client finds the device by itself --------------------
check_fail "devadd of device 1 again" "$D1: in use by the famfs mount on $M1" \
	"$FAMFS" devadd "$M1" "$D1"
check_fail "devadd of the primary" "in use by the famfs mount on $M1" "$FAMFS" devadd "$M1" "$D0"
check_fail "devadd offline on a mounted primary" "mounted at $M1" "$FAMFS" devadd "$D0" "$D2"
check_fail "mkfs of a device of a mounted file system" "a device of the famfs mounted at" \
	"$MKFS" -f "$D1"
check_fail "devadd from the client" "client" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" \
	"$FAMFS" devadd "$M2" "$D2"
newdev BIG 65T
chmod 600 "$BIG"
check_fail "devadd of a device above 64 TiB (every host sizes a bitmap by it)" \
	"more than the 70368744177664 bytes of the largest device" "$FAMFS" devadd "$M1" "$BIG"
checkk "devadd online" "$FAMFS" devadd -f "$M1" "$D2"
out_has "... device 2" "device 2 of $M1"
check_eq "... no second warning" "" "$(cat "$T/last.err")"
check "master's famfsd uses it" bash -c "'$FAMFS' daxdev list '$M1' | grep -Eq '^  2 +secondary ok .* $D2\$'"
check "the client's famfsd finds it" wait_until 10 bash -c \
	"'$FAMFS' daxdev list '$M2' | grep -Eq '^  2 +secondary ok .* $D2\$'"
check "creat s3 -N 3 on the master" "$FAMFS" creat -s 30M -r -S 11 -N 3 "$M1/s3"
check_eq "s3: one strip per device" "0 1 2" "$(devs_of "$D0" s3 | tr ' ' '\n' | sort | xargs)"
check "the client reads s3" wait_until 10 "$FAMFS" verify -S 11 -f "$M2/s3"
# famfs creat on a mount without -r: famfsd allocates, by the same device policy
check "creat t3 -N 3 through famfsd" "$FAMFS" creat -s 30M -N 3 "$M1/t3"
check_eq "t3: one strip per device" "0 1 2" "$(devs_of "$D0" t3 | tr ' ' '\n' | sort | xargs)"
check "t3 reads zeros on the client" wait_until 10 cmp -n 31457280 "$M2/t3" /dev/zero
# -N 12: checked against every device, as offline (the primary alone has
# no 12 buckets of 1 GiB; 4 per device over the three fit)
check "creat t12 -N 12 through famfsd" "$FAMFS" creat -s 48M -N 12 "$M1/t12"
check_eq "t12: 4 strips on each device" "4 4 4" \
	"$(devs_of "$D0" t12 | tr ' ' '\n' | sort | uniq -c | awk '{print $1}' | xargs)"
check "statfs of 3 devices" bash -c "[ \$((\$(stat -f -c '%b*%S' '$M2'))) = $((20 << 30)) ]"

# --- poison of one device: only files on it fail -----------------------------------
check "poison device 1 on the client" "$FAMFS" poison "$M2" 1
check_fail "striped fails (it has a strip on device 1)" "hardware error" cat "$M2/striped"
check "zero (device 0 only) still reads" "$FAMFS" verify -S 3 -f "$M2/zero"
check "the master is not affected" "$FAMFS" verify -S 8 -f "$M1/odd"

# --- a device that is not found ------------------------------------------------------
check "umount client" "$FAMFS" umount "$M2"
# famfsd's glob list also leads into its own mount, through a symlink.
ln -s "$M2" "$T/into-mount"
checkk "mount the client where device 1 is not found" \
	env FAMFS_DAXDEV_PATH="/nonexistent-$$/*:$T/into-mount/*" \
	FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount "$D0" "$M2"
err_has "... famfsd says which device" "device 1 \(uuid $UUID1\) not found"
check_fail "odd fails with ENODEV" "No such device" cat "$M2/odd"
check_fail "plain (device 1) fails with ENODEV" "No such device" "$BIN/famfs_mapcat" "$M2/plain"
check "zero (device 0) reads" "$FAMFS" verify -S 3 -f "$M2/zero"
check "daxdev list shows it missing" bash -c "'$FAMFS' daxdev list '$M2' | grep -Eq '^  1 +secondary missing .* $UUID1 - \\(no superblock'"
check_fail "getmap --daxdev 1" "device 1: No such device" "$FAMFS" getmap --daxdev 1 "$M2"
# A hint inside the mount itself, and a glob that leads into it: famfsd must not
# look there while it holds the lock its own FUSE requests need (that
# deadlocked, the mount dead for good).
done_or_zombie() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
# refresh_inside WHAT: famfs daxdev refresh of the client with a hint inside
# it returns within 60 s, device 1 still missing; a hang aborts the connection.
refresh_inside() {
	local rpid rrc conn

	"$FAMFS" daxdev refresh "$M2" "$M2/zero" >"$T/out" 2>"$T/err" &
	rpid=$!
	if wait_until 60 done_or_zombie "$rpid"; then
		wait "$rpid"
		rrc=$?
		check_eq "refresh at a file inside the mount returns ($1)" \
			"1 2 devices are still missing" \
			"$rrc $(grep -Eo '2 devices are still missing' "$T/err")"
	else
		fail "refresh at a file inside the mount hangs ($1)"
		conn=$(awk -v m="$M2" '$5 == m {split($3, d, ":"); print d[2]}' /proc/self/mountinfo)
		echo 1 >"/sys/fs/fuse/connections/$conn/abort"
		wait "$rpid"
	fi
	check "the mount still answers ($1)" "$FAMFS" verify -S 3 -f "$M2/zero"
}
refresh_inside "famfsd's usual worker threads"
# With one thread, famfsd has no other thread to answer a request to its own
# mount: it must not even look at a path there (a glob through the symlink
# would still hang it: this mount has none).
check "umount client" "$FAMFS" umount "$M2"
check "mount the client with famfsd -o max_threads=1" env FAMFS_DAXDEV_PATH="/nonexistent-$$/*" \
	FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$BIN/famfsd" -o max_threads=1 "$D0" "$M2"
refresh_inside "one famfsd thread"
check_fail "refresh at the wrong device: still missing" "2 devices are still missing" \
	"$FAMFS" daxdev refresh "$M2" "$OTHER"
check_fail "refresh at D1: device 2 is still missing" "1 device is still missing" \
	"$FAMFS" daxdev refresh "$M2" "$D1"
cp "$T/out" "$T/last.out"
out_has "... found device 1" "^found 1 device"
check "odd reads now" "$FAMFS" verify -S 8 -f "$M2/odd"
check_fail "s3 does not (device 2)" "No such device" cat "$M2/s3"
check "refresh at D2" "$FAMFS" daxdev refresh "$M2" "$D2"
check "s3 reads now" "$FAMFS" verify -S 11 -f "$M2/s3"

# --- fsck over every device ----------------------------------------------------------
checkk "fsck MNT" "$FAMFS" fsck "$M1"
out_has "... lists 3 devices" "devices: +3"
# (the primary is mounted: fsck of a device refuses it without -f)
check_fail "fsck of a mounted file system's secondary" "is mounted at $M1" "$FAMFS" fsck "$D2"
checkk "fsck -f of a secondary checks its primary" "$FAMFS" fsck -f "$D2"
out_has "... saying so" "a secondary device of famfs .*; checking its primary $D0"
check_fail "verify offline where device 1 is not found names it" \
	"odd: device 1 \(uuid $UUID1\) is not found on this host" \
	env FAMFS_DAXDEV_PATH="/nonexistent-$$/*" "$FAMFS" --device "$D0" verify -S 8 -f odd
check_fail "fsck where device 2 is not found" "device 2 \(uuid .*\): device .* not found" \
	env FAMFS_DAXDEV_PATH="$D1" "$FAMFS" fsck -f "$D0"
check_fail "mount of a secondary device" "is a secondary device of famfs" \
	"$FAMFS" mount "$D1" "$T"
# --- memory that vanishes under famfsd: the device of the faulting copy fails -------
# striped's strip 0 is on device 1, strip 1 on device 0. D0's data (past its log)
# vanishes; a read of striped through the client's famfsd faults in chunk 1, on
# device 0: device 0 fails, device 1 (where the file starts) does not.
check_eq "striped: strip 0 on device 1" "1 0 " "$(devs_of "$D0" striped)"
SIZE0=$(stat -c %s "$D0")
check "D0's data vanishes" truncate -s 10M "$D0"
check_fail "striped fails (a fault on device 0)" "Input/output error" cat "$M2/striped"
check "daxdev list: device 0 failed" bash -c "'$FAMFS' daxdev list '$M2' | grep -Eq '^  0 +primary +failed '"
check "daxdev list: device 1 ok" bash -c "'$FAMFS' daxdev list '$M2' | grep -Eq '^  1 +secondary +ok '"
check "plain (device 1 only) still reads" cat "$M2/plain"
check "D0's size back (its data is lost)" truncate -s "$SIZE0" "$D0"
check "umount client" "$FAMFS" umount "$M2"
check "umount" "$FAMFS" umount "$M1"
done_testing
