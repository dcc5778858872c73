#!/bin/bash
# test_famfsd_basic.sh - famfsd on one master mount: reads, refusals that
# change nothing, mkdir through the mount, writes inside the size, stable
# inode numbers across a remount, statfs totals, xattrs, GET_FMAP and
# GET_DAXDEV bytes, and the stats ioctl.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
newdev DEV 1G
M=$T/mnt
mkdir -p "$M"
F=("$FAMFS" --device "$DEV")

check "mkfs" "$MKFS" "$DEV"

# --- famfsd's own command line ---------------------------------------------------
FD=$BIN/famfsd
for h in --help -h; do
	"$FD" "$h" >"$T/help.out" 2>"$T/help.err"
	check_eq "famfsd $h exits 0" 0 "$?"
	check "famfsd $h: full usage on stdout" grep -q -- "-o OPTS" "$T/help.out"
	check "famfsd $h: names the options" grep -q "cache=page" "$T/help.out"
	check_eq "famfsd $h: nothing on stderr" "" "$(cat "$T/help.err")"
done
# usage_err DESCRIPTION ARGS...: famfsd ARGS exits 2 with one line and a hint.
usage_err() {
	local what=$1 rc lines; shift
	"$FD" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "famfsd --help" "$T/err" &&
		[ ! -s "$T/out" ]; then
		pass "$what: $(cat "$T/err")"
	else
		fail "$what: exit $rc, $lines lines: $(head -c 300 "$T/err")"
	fi
}
NODEV=$T/nodev
NOMNT=$T/nomnt
usage_err "-t nan refused" -t nan "$NODEV" "$NOMNT"
usage_err "-t inf refused" -t inf "$NODEV" "$NOMNT"
usage_err "-t -1 refused" -t -1 "$NODEV" "$NOMNT"
usage_err "-t '' refused" -t '' "$NODEV" "$NOMNT"
usage_err "-t 5x refused" -t 5x "$NODEV" "$NOMNT"
usage_err "-t without a value" "$NODEV" "$NOMNT" -t
usage_err "unknown short option" -x "$NODEV" "$NOMNT"
usage_err "unknown long option" --bogus "$NODEV" "$NOMNT"
usage_err "--help with a value" --help=3 "$NODEV" "$NOMNT"
usage_err "unknown -o option" -o cache=direct,nope "$NODEV" "$NOMNT"
usage_err "no arguments"
usage_err "one argument" "$NODEV"
usage_err "three arguments" "$NODEV" "$NOMNT" extra
check_fail "a missing device is not a usage error (exit 1)" "nodev" "$FD" "$NODEV" "$NOMNT"
[ "$("$FD" "$NODEV" "$NOMNT" 2>/dev/null; echo $?)" = 1 ] && pass "missing device: exit 1" ||
	fail "missing device: exit $("$FD" "$NODEV" "$NOMNT" 2>/dev/null; echo $?)"
check "mkdir d1" "${F[@]}" mkdir d1
check "creat d1/small" "${F[@]}" creat -s 5000 -r -S 3 d1/small
check "creat big" "${F[@]}" creat -s 7M -r -S 5 big
check "creat wfile" "${F[@]}" creat -s 3M wfile
check "creat d1/multi" "${F[@]}" creat -s 1M -r -S 8 d1/multi

track_mount "$M"
check "famfsd -t 0.5 mounts" "$FD" -t 0.5 "$DEV" "$M"
check "famfsd -t 0.5 serves" stat "$M/big"
check "umount the -t 0.5 mount" "$FAMFS" umount "$M"
check "famfs mount" "$FAMFS" mount "$DEV" "$M"
check "mount is fuse.famfs" grep -q " $M .* - fuse.famfs $DEV " /proc/self/mountinfo

# --- reads -----------------------------------------------------------------
check_eq "ls of the root" "big d1 wfile" "$(ls "$M" | tr '\n' ' ' | sed 's/ $//')"
check_eq "ls of d1" "multi small" "$(ls "$M/d1" | tr '\n' ' ' | sed 's/ $//')"
check_eq "readdir with . and .. (and .meta)" ". .. .meta big d1 wfile" \
	"$(ls -fa "$M" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "python scandir" ".meta:d big:f d1:d wfile:f" "$($PY -c '
import os, sys
print(" ".join(sorted(e.name + (":d" if e.is_dir() else ":f") for e in os.scandir(sys.argv[1]))))
' "$M")"
check_eq "stat size big" 7340032 "$(stat -c %s "$M/big")"
check_eq "stat size small" 5000 "$(stat -c %s "$M/d1/small")"
check_eq "stat type/mode" "regular file 644" "$(stat -c '%F %a' "$M/big")"
check_eq "st_blocks = allocated extents" $((8 * 1024 * 1024 / 512)) "$(stat -c %b "$M/big")"
check_eq "st_blksize 2 MiB" 2097152 "$(stat -c %o "$M/big")"
check_eq "dir type" "directory" "$(stat -c %F "$M/d1")"
check "stat of a missing name fails" bash -c "! stat '$M/nope'"

check "verify big (device)" "$FAMFS" verify -S 5 -f "$M/big"
check "verify small (device)" "$FAMFS" verify -S 3 -f "$M/d1/small"
check "read() big == device bytes" "$FAMFS" chkread "$M/big"
check "read() small == device bytes" "$FAMFS" chkread "$M/d1/small"
# cat through the mount equals the device range the log names.
off=$("${F[@]}" getmap --json big | $PY -c 'import json,sys; print(json.load(sys.stdin)["extents"][0]["offset"])')
dd if="$DEV" of="$T/big.dev" bs=1M skip=$((off / 1048576)) count=7 status=none
cat "$M/big" >"$T/big.cat"
check "cat big == device extent" cmp "$T/big.cat" "$T/big.dev"
check_eq "read at an offset, clamped at EOF" 904 \
	"$(dd if="$M/d1/small" bs=4096 skip=1 status=none | wc -c)"

# --- statfs -------------------------------------------------------------------
read -r total used <<<"$(df -B1 --output=size,used "$M" | tail -1)"
check_eq "df total == device size" 1073741824 "$total"
# superblock + log (10 MiB) plus every file's allocation.
alloc=0
for f in big wfile d1/small d1/multi; do
	alloc=$((alloc + $(stat -c %b "$M/$f") * 512))
done
check_eq "df used == sb + log + allocations" $((10 * 1024 * 1024 + alloc)) "$used"
check_eq "namemax 79" 79 "$(stat -f -c %l "$M")"
check_eq "statfs block size 4096" 4096 "$(stat -f -c %S "$M")"

# --- refused operations change nothing ----------------------------------------
sum=$(meta_sum "$DEV")
check_fail "touch newfile: EOPNOTSUPP" "not supported" touch "$M/newfile"
check_fail "rm: EOPNOTSUPP" "not supported" rm -f "$M/big"
check_fail "rmdir: EOPNOTSUPP" "not supported" rmdir "$M/d1"
check_fail "mv: EOPNOTSUPP" "not supported" mv "$M/big" "$M/big2"
check_fail "truncate: EPERM" "not permitted" truncate -s 0 "$M/big"
check_fail "chmod: EPERM" "not permitted" chmod 600 "$M/big"
check_fail "chown: EPERM" "not permitted" chown 1 "$M/big"
check_fail "fallocate: EOPNOTSUPP" "not supported" fallocate -l 1M "$M/big"
check_fail "dd past EOF: EFBIG" "too large" \
	dd if=/dev/zero of="$M/d1/small" bs=1 count=1 seek=5000 conv=notrunc status=none
check_fail "open O_TRUNC: EPERM" "not permitted" bash -c ": > '$M/big'"
check_fail "ln -s: EOPNOTSUPP" "not supported" ln -s big "$M/link"
check_eq "meta_sum unchanged by refused ops" "$sum" "$(meta_sum "$DEV")"
check_eq "sizes unchanged" "7340032 5000" "$(stat -c %s "$M/big" "$M/d1/small" | tr '\n' ' ' | sed 's/ $//')"
check "big still verifies" "$FAMFS" verify -S 5 -f "$M/big"

# --- mkdir through the mount is logged --------------------------------------------
check "mkdir through the mount" mkdir "$M/newdir"
check "mkdir nested" mkdir "$M/d1/sub"
check "newdir logged (device ls)" bash -c "'$FAMFS' --device '$DEV' ls | grep -qx newdir/"
check "d1/sub logged (device ls)" bash -c "'$FAMFS' --device '$DEV' ls d1 | grep -qx sub/"
check_fail "mkdir over an existing name: EEXIST" "exists" mkdir "$M/d1"
check_eq "d1 nlink counts its subdir" 3 "$(stat -c %h "$M/d1")"

# --- writes inside the size ----------------------------------------------------
printf 'famfs-write-test' >"$T/pat"
check "write inside the size" dd if="$T/pat" of="$M/wfile" bs=1 seek=4096 conv=notrunc status=none
check_eq "read back what was written" famfs-write-test \
	"$(dd if="$M/wfile" bs=1 skip=4096 count=16 status=none)"
check "write visible in the device" "$FAMFS" chkread "$M/wfile"
head -c $((1024 * 1024)) /dev/urandom >"$T/rand"
dd if="$T/rand" of="$M/wfile" bs=64k seek=16 conv=notrunc status=none
dd if="$M/wfile" of="$T/rand.back" bs=64k skip=16 count=16 status=none
check "1 MiB write read back" cmp "$T/rand" "$T/rand.back"
# A write crossing EOF is cut there (short write): 3M - 10 bytes from the end.
check_eq "write crossing EOF is short" 10 "$($PY -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
print(os.pwrite(fd, b"x" * 100, 3 * 1024 * 1024 - 10))
' "$M/wfile")"
check_eq "size still 3M" 3145728 "$(stat -c %s "$M/wfile")"

# --- xattrs --------------------------------------------------------------------
check_eq "listxattr" "user.famfs.dev user.famfs.reserve user.famfs.role" \
	"$($PY -c 'import os,sys; print(" ".join(sorted(os.listxattr(sys.argv[1]))))' "$M/big")"
check_eq "getxattr role" master \
	"$($PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.famfs.role").decode())' "$M/big")"
check_eq "getxattr dev" "$DEV" \
	"$($PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.famfs.dev").decode())' "$M")"
check "getxattr unknown: ENODATA" $PY -c '
import errno, os, sys
try:
    os.getxattr(sys.argv[1], "user.nope")
except OSError as e:
    sys.exit(0 if e.errno == errno.ENODATA else 1)
sys.exit(1)' "$M/big"

# --- GET_FMAP / GET_DAXDEV ---------------------------------------------------------
for f in big d1/small wfile; do
	"$FAMFS" getmap --raw "$M/$f" >"$T/raw.mnt" 2>"$T/err"
	"${F[@]}" getmap --raw "$f" >"$T/raw.dev"
	check "getmap --raw $f == offline encoding" cmp "$T/raw.mnt" "$T/raw.dev"
	n=$(od -An -t u4 -j 8 -N 4 "$T/raw.mnt" | tr -d ' ')
	check_eq "getmap --raw $f length = 32 + 24*n" $((32 + 24 * n)) "$(stat -c %s "$T/raw.mnt")"
done
check_eq "fmap file_size field" 7340032 \
	"$("$FAMFS" getmap --raw "$M/big" | od -An -t u8 -j 16 -N 8 | tr -d ' ')"
check "getmap --daxdev 0 prints DEV" bash -c "'$FAMFS' getmap --daxdev 0 '$M' | grep -qF -- '$DEV'"
check_fail "getmap --daxdev 24 fails" "." "$FAMFS" getmap --daxdev 24 "$M"
check_fail "getmap --daxdev 1 (empty slot) fails" "." "$FAMFS" getmap --daxdev 1 "$M"

# --- stats ----------------------------------------------------------------------
"$FAMFS" stats --json "$M" >"$T/stats.json"
check "stats --json parses; get_fmap counted" $PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["ops"]["get_fmap"] >= 3, s["ops"]
assert s["ops"]["lookup"] > 0 and s["bytes_read"] > 0 and s["bytes_written"] > 0
' "$T/stats.json"

# close sends no FLUSH: famfsd has nothing to flush (no locks, no writeback
# cache), so it answers OPEN with noflush and saves close a round trip.
ops_of() { "$FAMFS" stats --json "$M" | $PY -c "import json,sys; o=json.load(sys.stdin)['ops']; print(o.get('open', 0), o.get('flush', 0))"; }
read -r o0 f0 <<<"$(ops_of)"
for i in 1 2 3; do head -c1 "$M/big" >/dev/null; done
exec 7<"$M/wfile"; exec 7<&-
read -r o1 f1 <<<"$(ops_of)"
check_eq "4 opens through the mount reach famfsd" 4 "$((o1 - o0))"
check_eq "... and their closes send no FLUSH" 0 "$((f1 - f0))"

# --- measure: FUSE read() of a 256 MiB file vs reading the device file -----------
check "creat 256M file" "$FAMFS" creat -s 256M "$M/big256"
mb_per_s() { echo $((256 * 1000000000 / ($2 - $1))); }
cat "$M/big256" >/dev/null	# first touch of the pages
off=$("${F[@]}" getmap --json big256 | $PY -c 'import json,sys; print(json.load(sys.stdin)["extents"][0]["offset"])')
t0=$(date +%s%N)
dd if="$M/big256" of=/dev/null bs=1M status=none
t1=$(date +%s%N)
dd if="$DEV" of=/dev/null bs=1M skip=$((off / 1048576)) count=256 status=none
t2=$(date +%s%N)
echo "measure: FUSE read() 256 MiB, bs=1M: $(mb_per_s "$t0" "$t1") MB/s;" \
	"plain read of the device file: $(mb_per_s "$t1" "$t2") MB/s"

# --- remount: same inode numbers --------------------------------------------------
(cd "$M" && find . -mindepth 1 | sort | while read -r p; do echo "$p $(stat -c %i "$p")"; done) >"$T/ino1"
check "famfs umount" "$FAMFS" umount "$M"
check "no mount left" bash -c "! grep -q ' $M ' /proc/self/mountinfo"
check "mount again" "$FAMFS" mount "$DEV" "$M"
(cd "$M" && find . -mindepth 1 | sort | while read -r p; do echo "$p $(stat -c %i "$p")"; done) >"$T/ino2"
check "remount gives the same inode numbers" cmp "$T/ino1" "$T/ino2"
check_eq "inode list is not empty (8 logged, .meta and its 2 files)" 11 "$(wc -l <"$T/ino2")"
check_eq "root inode is 1" 1 "$(stat -c %i "$M")"
check_eq "write survived the remount" famfs-write-test \
	"$(dd if="$M/wfile" bs=1 skip=4096 count=16 status=none)"
check "famfs umount" "$FAMFS" umount "$M"

# --- read-only mount -------------------------------------------------------------
sum=$(meta_sum "$DEV")
check "mount -r" "$FAMFS" mount -r "$DEV" "$M"
check "read-only mount reads" "$FAMFS" chkread "$M/big"
check_fail "mkdir on -r: EROFS" "Read-only" mkdir "$M/rodir"
check_fail "write on -r: EROFS" "Read-only" \
	dd if=/dev/zero of="$M/wfile" bs=1 count=1 conv=notrunc status=none
check_eq "meta_sum unchanged on -r" "$sum" "$(meta_sum "$DEV")"
check "umount -r" "$FAMFS" umount "$M"

# --- device paths with ',' and '\' in them ------------------------------------------
# The source is passed in fsname=, a comma-separated list: an unescaped ','
# would end it (",ro" would even make the mount read-only) and a '\' would be
# eaten. mountinfo prints '\' as \134; the source must be the whole path.
mnt_source() {
	$PY -c '
import sys
for l in open("/proc/self/mountinfo"):
    pre, post = l.split(" - ", 1)
    if pre.split()[4] == sys.argv[1]:
        print(post.split()[1].encode().decode("unicode_escape"))
' "$1"
}
MC=$T/mnt-comma
mkdir -p "$MC"
for suffix in 'a,ro' 'b\c' 'c,d\,e'; do
	DC=${_famfs_devprefix}$suffix
	truncate -s 1G "$DC"
	check "mkfs on '$suffix'" "$MKFS" "$DC"
	track_mount "$MC"
	check "mount '$suffix'" "$FAMFS" mount "$DC" "$MC"
	check_eq "mount source is the whole path ('$suffix')" "$DC" "$(mnt_source "$MC")"
	check_eq "user.famfs.dev ('$suffix')" "$DC" \
		"$($PY -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.famfs.dev").decode())' "$MC")"
	check "the mount is read-write ('$suffix'): mkdir" mkdir "$MC/d"
	check "umount '$suffix'" "$FAMFS" umount "$MC"
	check "no mount left ('$suffix')" bash -c "! grep -q ' $MC ' /proc/self/mountinfo"
done

# --- an interleaved file (needs 1 GiB buckets: a 4 GiB sparse device) -----------
newdev DEVI 4G
MI=$T/mnt-il
mkdir -p "$MI"
check "mkfs 4G" "$MKFS" "$DEVI"
check "creat interleaved" "$FAMFS" --device "$DEVI" creat -s 21M -r -S 4 -N 3 -B 4 -C 2M il
track_mount "$MI"
check "mount 4G" "$FAMFS" mount "$DEVI" "$MI"
check "interleaved read() == device bytes" "$FAMFS" chkread "$MI/il"
check "interleaved verifies" "$FAMFS" verify -S 4 -f "$MI/il"
"$FAMFS" getmap --raw "$MI/il" >"$T/il.mnt"
"$FAMFS" --device "$DEVI" getmap --raw il >"$T/il.dev"
check "interleaved getmap --raw == offline encoding" cmp "$T/il.mnt" "$T/il.dev"
check_eq "interleaved GET_FMAP length: hdr + iext + 3 strips" $((32 + 24 + 3 * 24)) \
	"$(stat -c %s "$T/il.mnt")"
head -c $((21 * 1024 * 1024)) /dev/urandom >"$T/il.data"
check "write the whole interleaved file" dd if="$T/il.data" of="$MI/il" bs=1M conv=notrunc status=none
check "read it back through the mount" cmp "$T/il.data" "$MI/il"
check "and it is in the device" "$FAMFS" chkread "$MI/il"
check "umount 4G" "$FAMFS" umount "$MI"

done_testing
