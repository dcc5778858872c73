#!/bin/bash
# test_cli_errors.sh - every bad input to famfs and mkfs.famfs fails with a
# non-zero exit, one line on stderr naming the problem, and (where there
# is a file system) no change to the superblock or log.
. "$(dirname "$0")/lib.sh"

newdev GOOD 256M
"$MKFS" "$GOOD" >/dev/null || { echo "FAIL: mkfs"; exit 1; }
F() { "$FAMFS" --device "$GOOD" "$@"; }
F mkdir -p a/b && F creat -s 4M -r -S 1 a/b/f || { echo "FAIL: setup"; exit 1; }

# copy: $D = a private copy of the good image to damage
copy() {
	newdev D 256M
	cp --sparse=always "$GOOD" "$D"
}
# poke DEV OFFSET HEXBYTES: overwrite bytes in place
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

copy; poke "$D" 0 '\x00\x00\x00\x00'
check_refused "$D" "bad superblock magic" "$D: .*(superblock|magic)" \
	"$FAMFS" --device "$D" ls
check_refused "$D" "fsck of a bad magic" "superblock|magic" "$FAMFS" fsck "$D"

copy; poke "$D" 8 '\x2f'
check_refused "$D" "wrong superblock version" "version" "$FAMFS" --device "$D" ls

copy; poke "$D" 50 '\xff\xee'
check_refused "$D" "bad superblock CRC" "[Cc][Rr][Cc]|checksum" "$FAMFS" --device "$D" ls
check_refused "$D" "fsck of a bad superblock CRC" "[Cc][Rr][Cc]|checksum" "$FAMFS" fsck "$D"

copy; truncate -s 128M "$D"
check_refused "$D" "truncated image" "$D: " "$FAMFS" --device "$D" ls

# Entry 1 is the mkdir of a/b: damage a byte of its path.
copy; poke "$D" $((2 * 1024 * 1024 + 48 + 544 + 40)) 'X'
check_refused "$D" "fsck of a bad entry CRC names the entry" "entry 1" "$FAMFS" fsck "$D"
check_refused "$D" "logplay of a bad entry CRC" "entry 1" "$FAMFS" --device "$D" logplay

# Paths
check_refused "$GOOD" "absolute path with --device" "relative to the file system root" \
	F creat -s 1M /x
check_refused "$GOOD" "'..' in a path" "\.\." F mkdir a/../b
check_refused "$GOOD" "empty path" "empty" F mkdir ""
long=$(printf 'n%.0s' $(seq 80))
check_refused "$GOOD" "80-byte path" "long|79|80" F creat -s 1M "$long"
check "79-byte path works" F creat -s 1M "${long:1}"
check_refused "$GOOD" "existing file name" "exists" F creat -s 1M a/b/f
check_refused "$GOOD" "existing directory name" "exists" F mkdir a/b
check_refused "$GOOD" "missing parent" "a/nope" F creat -s 1M a/nope/f
check_refused "$GOOD" "size 0" "size 0|empty" F creat -s 0 a/zero
check_refused "$GOOD" "cp onto an existing file" "exists" F cp /etc/hostname a/b/f
: >"$T/empty"
check_refused "$GOOD" "cp of an empty file" "empty" F cp "$T/empty" a/e
check_refused "$GOOD" "cp of a device node" "regular" F cp /dev/null a/n
check_refused "$GOOD" "cp of a directory without -r" "directory" F cp "$T" a/d
check_refused "$GOOD" "path outside any famfs mount" "not in a famfs mount" \
	"$FAMFS" creat -s 1M "$T/x"

# Client role
check_refused "$GOOD" "creat on a client" "client" \
	env FAMFS_SYSTEM_UUID=$CLIENT_UUID "$FAMFS" --device "$GOOD" creat -s 1M a/c
check_refused "$GOOD" "mkdir on a client" "client" \
	env FAMFS_SYSTEM_UUID=$CLIENT_UUID "$FAMFS" --device "$GOOD" mkdir a/c
check "a client may read" env FAMFS_SYSTEM_UUID=$CLIENT_UUID \
	"$FAMFS" --device "$GOOD" verify -S 1 -f a/b/f

# Full device: 64 MiB leaves 54 MiB of data.
newdev SMALL 64M
"$MKFS" "$SMALL" >/dev/null
check_refused "$SMALL" "file larger than the device" "full|space" \
	"$FAMFS" --device "$SMALL" creat -s 100M big
check "fill the device" "$FAMFS" --device "$SMALL" creat -s 54M fill
check_refused "$SMALL" "full device" "full|space" "$FAMFS" --device "$SMALL" creat -s 1 more

# Full log: 15420 slots = 1 mkdir + 15419 one-byte files, copied in one batch.
newdev BIG 32G
"$MKFS" "$BIG" >/dev/null
mkdir "$T/many"
(cd "$T/many" && for i in $(seq 15420); do printf x >"f$i"; done)
check_refused "$BIG" "cp -r needing more log entries than free" "log full" \
	"$FAMFS" --device "$BIG" cp -r "$T/many" m
rm "$T/many/f15420"
check "cp -r of 15419 files fills the log" "$FAMFS" --device "$BIG" cp -r "$T/many" m
check_refused "$BIG" "creat with a full log" "log full" "$FAMFS" --device "$BIG" creat -s 1 x
check_refused "$BIG" "mkdir with a full log" "log full" "$FAMFS" --device "$BIG" mkdir y
check "fsck of a full log is clean" "$FAMFS" fsck "$BIG"
grep -q "0 free" "$T/out" && pass "fsck shows 0 free entries" || fail "fsck: $(cat "$T/out")"
rm -rf "$T/many"

# mkfs
check_refused "$GOOD" "mkfs over an existing fs without -f" "exists" "$MKFS" "$GOOD"
check_refused "$GOOD" "mkfs -k without -f" "requires -f" "$MKFS" -k "$GOOD"
check_refused "$GOOD" "mkfs with a bad log length" "log length" "$MKFS" -f -l 3M "$GOOD"
"$MKFS" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "truncate -s" "$T/err" &&
	pass "mkfs with no device: exit 2 and how to make one" ||
	fail "mkfs with no device: exit $rc: $(cat "$T/err")"
check_fail "mkfs of a missing device" "No such file" "$MKFS" /dev/shm/famfs-no-such-dev
check_fail "--device of a missing device" "No such file" \
	"$FAMFS" --device /dev/shm/famfs-no-such-dev ls

# Usage errors exit 2 with one line pointing at --help.
for args in "creat a" "creat -s" "creat -s 1x a" "creat -s 99999999999T a" "creat -s 1M -N 17 a" "verify -f a" "cp a" "mkdir" "nosuchverb" \
	"getmap" "ls -Z" "umount" "poison x" "mount x"; do
	want=2
	[ "$args" = getmap ] && want=22	# upstream's getmap: EINVAL; its 2 means "no map"
	# shellcheck disable=SC2086
	"$FAMFS" $args >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq $want ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "--help" "$T/err"; then
		pass "usage error: famfs $args"
	else
		fail "usage error: famfs $args: exit $rc: $(cat "$T/err")"
	fi
done

# Every verb's --help
for v in fsck mkdir creat cp verify getmap ls logplay flush chkread mount umount stats poison; do
	if "$FAMFS" "$v" --help >"$T/out" 2>"$T/err" && grep -q "^usage: famfs" "$T/out" &&
	   grep -q "Example" "$T/out" && [ ! -s "$T/err" ]; then
		pass "famfs $v --help"
	else
		fail "famfs $v --help"
	fi
done
check "famfs --help" "$FAMFS" --help
check "famfs --version" "$FAMFS" --version
check "mkfs.famfs --help" "$MKFS" --help

done_testing
