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
F creat -s 2M ro/e || fail "setup ro/e"
echo hi >"$T/src"
check "mount -r" "$FAMFS" mount -r "$DEV" "$M"
check_refused "$DEV" "creat in a read-only mount" "ro/f: read-only mount" \
	"$FAMFS" creat -s 1M "$M/ro/f"
check "creat of an existing file in a read-only mount: a no-op, as upstream" \
	"$FAMFS" creat -s 2M "$M/ro/e"
check_refused "$DEV" "mkdir in a read-only mount" "ro/x: read-only mount" \
	"$FAMFS" mkdir "$M/ro/x"
check_refused "$DEV" "mkdir -p in a read-only mount" "read-only mount" \
	"$FAMFS" mkdir -p "$M/ro/y/z"
check_refused "$DEV" "cp into a read-only mount" "read-only mount" \
	"$FAMFS" cp "$T/src" "$M/ro/d/"
check "reading a read-only mount works" "$FAMFS" ls "$M/ro"
check "umount the read-only mount" "$FAMFS" umount "$M"

# --- cp -r: symlinks inside a tree, a directory into itself, poison ---
mkdir -p "$T/tree/sub"
echo data >"$T/target"
ln -s "$T/target" "$T/tree/link"
echo more >"$T/tree/sub/f"
check "cp -r skips a symlink inside the tree" F cp -r "$T/tree" tree
grep -q "tree/link: warning: symbolic link not copied" "$T/err" &&
	pass "cp -r warns about the link it skips" || fail "no warning: $(cat "$T/err")"
check_fail "the link was not copied" "tree/link" F getmap tree/link
check "the rest of the tree was" F getmap -q tree/sub/f
check "mount for cp into itself" "$FAMFS" mount "$DEV" "$M"
check_refused "$DEV" "cp -r of a directory into itself" "into itself" \
	"$FAMFS" cp -r "$M/tree" "$M/tree/sub"
check_refused "$DEV" "cp -r of a directory into itself, new name" "into itself" \
	"$FAMFS" cp -r "$M/tree" "$M/tree/copy"
check_fail "poison of a device that is not in the table" "device 1 is not in the table" \
	"$FAMFS" poison "$M" 1
check "umount" "$FAMFS" umount "$M"

# --- nice to have: hints, fsck of an unformatted device, getmap flags ---
# usage_line DESCRIPTION PATTERN CMD... : exit 2 and one line matching PATTERN.
# usage_line DESCRIPTION PATTERN CMD...: exit $USAGE_RC (default 2), one line.
usage_line() {
	local what=$1 pat=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq "${USAGE_RC:-2}" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -Eq -- "$pat" "$T/err"; then
		pass "$what"
	else
		fail "$what: exit $rc: $(head -c 400 "$T/err")"
	fi
}
usage_line "famfs with no verb: a one-line hint" "missing VERB.*--help" "$FAMFS"
usage_line "mkfs.famfs with no DEV: a one-line hint" "missing DEV.*chmod 600" "$MKFS"
check "mkfs.famfs --help recipe sets mode 600" grep -q "chmod 600" <("$MKFS" --help)
grep -q 'chmod 600' "$FAMFS_SRC/docs/man/famfs.1" "$FAMFS_SRC/docs/man/mkfs.famfs.8" &&
	! grep -q 'famfs0 && mkfs.famfs' "$FAMFS_SRC/docs/man/famfs.1" \
		"$FAMFS_SRC/docs/man/mkfs.famfs.8" &&
	pass "man page recipes set mode 600" || fail "man page recipes lack chmod 600"
# getmap's usage errors exit 22 (EINVAL), as upstream's: its 2 means "no map"
USAGE_RC=22 usage_line "getmap --json --raw" "exclude" F getmap --json --raw a/b/f
USAGE_RC=22 usage_line "getmap --json --daxdev" "exclude" "$FAMFS" getmap --json --daxdev 0 "$T"
USAGE_RC=22 usage_line "getmap --raw --daxdev" "exclude" "$FAMFS" getmap --raw --daxdev 0 "$T"
newdev UNF 64M
chmod 600 "$UNF"
check_fail "fsck of an unformatted device" "superblock" "$FAMFS" fsck "$UNF"
grep -q "superblock: superblock:" "$T/out" "$T/err" && fail "fsck doubles the prefix" ||
	pass "fsck does not double the prefix"
"$FAMFS" fsck --json "$UNF" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clean"] is False and "superblock" in d["error"], d
assert "superblock: superblock" not in d["error"], d' "$T/out"; then
	pass "fsck --json of an unformatted device prints a JSON error, exit 1"
else
	fail "fsck --json of an unformatted device: exit $rc: $(head -c 300 "$T/out")"
fi
for v in fsck mkdir creat cp verify getmap ls logplay flush chkread mount umount stats poison; do
	for o in $("$FAMFS" "$v" --help | grep -oE -- '--[a-z-]+' | sort -u); do
		grep -qF -- "${o//-/\\-}" "$FAMFS_SRC/docs/man/famfs.1" ||
			fail "famfs.1 does not document $v $o"
	done
done
pass "famfs.1 documents the long options that --help lists"

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
