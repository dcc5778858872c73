#!/bin/bash
# test_cli_fixes.sh - review findings on famfs and mkfs.famfs: messages stay
# on one line whatever the path holds, bad input to several-path verbs logs
# nothing, read-only mounts and mounted devices are refused.
. "$(dirname "$0")/lib.sh"

newdev DEV 256M
"$MKFS" "$DEV" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
F() { "$FAMFS" --device "$DEV" "$@"; }

# one_line DESCRIPTION PATTERN CMD... : CMD fails with exactly one line on
# stderr that matches PATTERN.
one_line() {
	local what=$1 pat=$2 lines; shift 2
	check_fail "$what" "$pat" "$@"
	lines=$(wc -l <"$T/err")
	[ "$lines" -eq 1 ] || fail "$what: $lines lines on stderr: $(head -c 400 "$T/err")"
}

# --- control characters in paths are escaped, every error is one line ---
nl=$'\n'
one_line "a path with a newline outside famfs" 'x\\ny: not in a famfs mount' \
	"$FAMFS" creat -s 1M "$T/x${nl}y"
one_line "cp of a missing source with a newline" 'no\\nsrc: No such file' \
	F cp "$T/no${nl}src" a
one_line "a tab and an escape byte" 'a\\tb\\x1bc' F cp "$T/a	b"$'\x1b'"c" a
one_line "an unknown verb with a newline" "'x\\\\ny' is not a famfs verb" "$FAMFS" "x${nl}y"
one_line "mkfs of a missing device with a newline" 'no\\nsuch' \
	"$MKFS" "/dev/shm/famfs-no${nl}such"
one_line "a usage error with a newline" "bad size '1\\\\nM'" F creat -s "1${nl}M" f

# --- several DIRs: one bad DIR logs nothing ---
F mkdir -p a/b && F creat -s 1M a/b/f || fail "setup a/b/f"
long=$(printf 'n%.0s' $(seq 80))
check_refused "$DEV" "mkdir of a good DIR and one with a missing parent" "m2/x" \
	F mkdir m1 m2/x
check_refused "$DEV" "mkdir -p of a good DIR and a too long one" "long|79|80" \
	F mkdir -p p1/q "$long"
check_refused "$DEV" "mkdir -p through a file" "a/b/f.*not a directory" \
	F mkdir -p ok/a a/b/f/x
check_refused "$DEV" "mkdir of an existing name after a good one" "a/b exists" \
	F mkdir m1 a/b
check_refused "$DEV" "mkdir of the same DIR twice" "n1 exists" F mkdir n1 n1
check "mkdir of a DIR and its child in one command" F mkdir n1 n1/n2
check "the child exists" F ls n1/n2
check "mkdir -p of several DIRs sharing parents" F mkdir -p s/t/u s/t/v a/b
check "all were logged" F ls s/t/v
check_eq "fsck is clean after the mkdirs" 0 "$("$FAMFS" fsck "$DEV" >/dev/null 2>&1; echo $?)"

# --- a read-only mount: the CLI must not write the device through it ---
M=$T/m
mkdir -p "$M"
track_mount "$M"
F mkdir -p ro/d || fail "setup ro/d"
echo hi >"$T/src"
check "mount -r" "$FAMFS" mount -r "$DEV" "$M"
check_refused "$DEV" "creat in a read-only mount" "ro/f: read-only mount" \
	"$FAMFS" creat -s 1M "$M/ro/f"
check_refused "$DEV" "mkdir in a read-only mount" "ro/x: read-only mount" \
	"$FAMFS" mkdir "$M/ro/x"
check_refused "$DEV" "mkdir -p in a read-only mount" "read-only mount" \
	"$FAMFS" mkdir -p "$M/ro/y/z"
check_refused "$DEV" "cp into a read-only mount" "read-only mount" \
	"$FAMFS" cp "$T/src" "$M/ro/d/"
check "reading a read-only mount works" "$FAMFS" ls "$M/ro"
check "umount the read-only mount" "$FAMFS" umount "$M"

# --- mkfs.famfs refuses a device that is mounted ---
check "mount" "$FAMFS" mount "$DEV" "$M"
check_refused "$DEV" "mkfs -f of a mounted device" "mounted at $M" "$MKFS" -f "$DEV"
check_refused "$DEV" "mkfs -f -k of a mounted device" "mounted at $M" "$MKFS" -f -k "$DEV"
ln -s "$DEV" "$T/devlink"
check_refused "$DEV" "mkfs -f through a symlink to it" "mounted at $M" "$MKFS" -f "$T/devlink"
# A hard link: another name for the same inode (same st_dev and st_ino).
ln "$DEV" "${DEV}-hard"
check_refused "$DEV" "mkfs -f through a hard link to it" "mounted at $M" \
	"$MKFS" -f "${DEV}-hard"
rm -f "${DEV}-hard"
newdev OTHER 64M
check "mkfs of another device while one is mounted" "$MKFS" "$OTHER"
check "umount" "$FAMFS" umount "$M"
check "mkfs -f once unmounted" "$MKFS" -f "$DEV"

done_testing
