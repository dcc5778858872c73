#!/bin/bash
# test_cli_offline.sh - the famfs CLI on unmounted devices (--device): mkfs,
# mkdir, creat -r / verify, cp -r of a local tree checked byte for byte
# against the device (dd at getmap offsets), getmap text and JSON, ls,
# logplay, chkread, flush, interleaved files, and a clean fsck.
. "$(dirname "$0")/lib.sh"

newdev DEV 1G
F() { "$FAMFS" --device "$DEV" "$@"; }

check "mkfs.famfs" "$MKFS" "$DEV"
grep -q "15420 entries" "$T/out" && pass "mkfs summary shows 15420 log entries" ||
	fail "mkfs summary: $(cat "$T/out")"
check "mkdir -p a/b" F mkdir -p a/b
check "mkdir -p again is fine" F mkdir -p a/b
check "creat -s 10M -r -S 7" F creat -s 10M -r -S 7 a/b/f
check "verify -S 7" F verify -S 7 -f a/b/f
check_fail "verify with the wrong seed" "a/b/f: mismatch at offset" F verify -S 8 -f a/b/f
check "verify with ./ and // in the path" F verify -S 7 -f ./a//b/f
check "creat with mode/uid/gid" F creat -s 3000 -m 0600 -u 1234 -g 4321 a/owned

# A local tree of odd-sized files.
mkdir -p "$T/src/sub/deeper" "$T/src/empty_dir"
head -c 1 /dev/urandom >"$T/src/one"
head -c 4097 /dev/urandom >"$T/src/sub/odd"
head -c $((2 * 1024 * 1024 + 3)) /dev/urandom >"$T/src/sub/deeper/big"
head -c 12345 /dev/urandom >"$T/src/sub/deeper/mid"
check "cp -r of a tree to a new name" F cp -r "$T/src" tree
for f in one sub/odd sub/deeper/big sub/deeper/mid; do
	if cmp -s <(dev_bytes "$DEV" "tree/$f") "$T/src/$f"; then
		pass "device bytes of tree/$f equal the source"
	else
		fail "device bytes of tree/$f differ from the source"
	fi
done
check "cp -r into an existing directory" F cp -r "$T/src/sub" tree/empty_dir
check "cp of two files into a directory" F cp "$T/src/one" "$T/src/sub/odd" a
check "cp of one file to a new name" F cp "$T/src/sub/odd" a/b/renamed
cmp -s <(dev_bytes "$DEV" a/b/renamed) "$T/src/sub/odd" &&
	pass "renamed copy equals its source" || fail "renamed copy differs"

# getmap, text and JSON
check "getmap" F getmap a/b/f
grep -q "size: 10485760" "$T/out" && grep -q "extent 0: devindex 0 offset 0x" "$T/out" &&
	pass "getmap prints size and extents" || fail "getmap output: $(cat "$T/out")"
check "getmap --json parses" bash -c "'$FAMFS' --device '$DEV' getmap --json tree/sub/odd |
	/usr/bin/python3 -m json.tool"
size=$(F getmap --json tree/sub/odd | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)["size"])')
check_eq "getmap --json size" 4097 "$size"
check "getmap -q on a file" F getmap -q a/b/f
if F getmap -q a >"$T/out" 2>&1; then fail "getmap -q on a directory: exit 0"
elif [ "$(F getmap -q a; echo $?)" != 21 ]; then fail "getmap -q on a directory: not exit 21"
elif [ -s "$T/out" ]; then fail "getmap -q printed: $(cat "$T/out")"
else pass "getmap -q on a directory: exit 21, silent"; fi
check "getmap --raw writes the V10 bytes" F getmap --raw a/b/f
check_eq "getmap --raw length (32 header + 24 per extent)" 56 "$(wc -c <"$T/out")"

# ls
check "ls -lR" F ls -lR
grep -Eq '^-rw------- +1234 +4321 +3000 ' "$T/out" && pass "ls -l shows mode uid gid size" ||
	fail "ls -l: $(grep owned "$T/out")"
grep -q "tree/sub/deeper/big$" "$T/out" && pass "ls -R shows nested files" ||
	fail "ls -R: $(cat "$T/out")"
check "ls --json parses" bash -c "'$FAMFS' --device '$DEV' ls --json tree |
	/usr/bin/python3 -m json.tool"
check "ls of a file" F ls a/b/f

# logplay, chkread, flush
check "logplay --device" F logplay
grep -Eq "log entries, [0-9]+ files" "$T/out" && pass "logplay reports counts" ||
	fail "logplay: $(cat "$T/out")"
check "chkread compares the mapping with pread" F chkread a/b/f
check "flush" F flush a/b/f tree/one

# Interleaved files on an 8 GiB sparse device.
newdev DEV8 8G
check "mkfs 8G" "$MKFS" "$DEV8"
check "interleaved creat -N 4 -B 8 -C 2M" \
	"$FAMFS" --device "$DEV8" creat -s 64M -N 4 -B 8 -C 2M -r -S 11 striped
check "interleaved verify" "$FAMFS" --device "$DEV8" verify -S 11 -f striped
check "interleaved getmap" "$FAMFS" --device "$DEV8" getmap striped
grep -q "type: interleave" "$T/out" && grep -q "nstrips: 4" "$T/out" &&
	pass "getmap shows 4 strips" || fail "getmap interleave: $(cat "$T/out")"
il=$("$FAMFS" --device "$DEV8" getmap --json striped | /usr/bin/python3 -c \
	'import json,sys; m=json.load(sys.stdin); print(m["nstrips"], m["chunk_size"], len(m["strips"]))')
check_eq "getmap --json of the interleaved file" "4 2097152 4" "$il"
check "interleaved cp" "$FAMFS" --device "$DEV8" cp -N 2 -B 4 -C 4M "$T/src/sub/deeper/big" big
cmp -s <(dev_bytes "$DEV8" big) "$T/src/sub/deeper/big" && pass "interleaved copy bytes" ||
	fail "interleaved copy differs"
check "fsck of the 8G device is clean" "$FAMFS" fsck "$DEV8"

check "fsck is clean" F fsck
check "fsck (DEV argument)" "$FAMFS" fsck "$DEV"
check "fsck --json parses" bash -c "'$FAMFS' fsck --json '$DEV' | /usr/bin/python3 -m json.tool"
grep -q '"clean": true' "$T/out" && pass "fsck --json says clean" || fail "fsck json"

done_testing
