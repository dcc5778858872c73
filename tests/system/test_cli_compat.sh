#!/bin/bash
# test_cli_compat.sh - scripts written for upstream famfs run unchanged
# (issue 13): --fuse/--nofuse on mkfs.famfs, mount and fsck; -v and -? on
# every verb; fsck's upstream layout, -h, -B, -f and a mounted DEV; creat
# -M/-t/-v and creat of an existing file; verify -m/-t/-q; cp -t/-v, copies
# onto a same-size file and wildcard sources with directories; the .meta
# files (bytes, read-only, chkread -s/-l, .alloc.cfg); getmap's exit codes;
# one mount per device per host (also right after umount(8)); and the
# upstream bugs we do not copy.
. "$(dirname "$0")/lib.sh"

# expect_rc DESCRIPTION RC CMD...: CMD exits with RC (output in $T/out, $T/err).
expect_rc() {
	local what=$1 want=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$want" ] && pass "$what (exit $rc)" ||
		fail "$what: exit $rc, want $want: $(head -c 300 "$T/err")"
}
# in_order FILE LABEL...: the labels are lines of FILE, in this order.
in_order() {
	local f=$1 at=0 n; shift
	for l in "$@"; do
		n=$(grep -nxF -- "$l" "$f" | head -1 | cut -d: -f1)
		[ -n "$n" ] && [ "$n" -gt "$at" ] || return 1
		at=$n
	done
}
# field FILE LABEL: the number after LABEL in FILE (upstream's fsck layout).
field() { sed -n "s/^ *$2 *\([0-9.]*G\{0,1\}\)\$/\1/p" "$1" | head -1; }
log_used() { "$FAMFS" --device "$1" fsck | sed -n 's/^  # of log entries in use: \([0-9]*\) of .*/\1/p'; }

mkfs_dev D 4G
M=$T/mnt M2=$T/mnt2
mkdir -p "$M" "$M2"
track_mount "$M"
track_mount "$M2"
F() { "$FAMFS" --device "$D" "$@"; }

# --- 1. mode flags ----------------------------------------------------------
NOMOD=$T/kallsyms.none MOD=$T/kallsyms.mod
printf 'ffffffff81000000 T _stext\nffffffffc0000000 t fuse_open\t[fuse]\n' >"$NOMOD"
printf 'ffffffffc0000000 t fuse_famfs_open_x\t[fuse]\nffffffffc0001000 t fuse_famfs_open\t[fuse]\n' >"$MOD"
expect_rc "mkfs.famfs --fuse -f DEV" 0 "$MKFS" --fuse -f "$D"
check_eq "--fuse says once that mounts are FUSE" 1 "$(grep -c 'always FUSE' "$T/err")"
expect_rc "mkfs.famfs --fuse --fuse -f DEV says it once" 0 "$MKFS" --fuse --fuse -f "$D"
check_eq "... once" 1 "$(grep -c 'always FUSE' "$T/err")"
before=$(meta_sum "$D")
FAMFS_KALLSYMS=$NOMOD check_fail "mkfs --nofuse without the famfs module" \
	"nofuse.*kernel module.*none" "$MKFS" --nofuse -f "$D"
check_eq "... changed nothing" "$before" "$(meta_sum "$D")"
FAMFS_KALLSYMS=$NOMOD check_fail "mkfs -F (--nofuse) too" "kernel module" "$MKFS" -F -f "$D"
FAMFS_KALLSYMS=$MOD expect_rc "mkfs --nofuse with the module" 0 "$MKFS" --nofuse -f "$D"
grep -q "always FUSE" "$T/err" && pass "... with a note" || fail "... no note: $(cat "$T/err")"
FAMFS_KALLSYMS=$NOMOD check_fail "fsck --nofuse without the module" "kernel module" \
	"$FAMFS" fsck --nofuse "$D"
expect_rc "fsck --fuse" 0 "$FAMFS" fsck --fuse "$D"
FAMFS_KALLSYMS=$NOMOD check_fail "mount --nofuse without the module" "kernel module" \
	"$FAMFS" mount --nofuse "$D" "$M"
grep -q " $M " /proc/self/mountinfo && fail "mount --nofuse left a mount" || pass "no mount left"
expect_rc "mount --fuse" 0 "$FAMFS" mount --fuse "$D" "$M"
grep -q "always FUSE" "$T/err" && pass "... with the note" || fail "mount --fuse: no note"
check "umount" "$FAMFS" umount "$M"

# --- 2. -v and -? on every verb ---------------------------------------------
for v in fsck mkdir creat cp verify getmap ls logplay flush chkread mount umount stats poison; do
	"$FAMFS" "$v" -? >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^usage: famfs $v" "$T/out" && [ ! -s "$T/err" ] &&
	   grep -q -- "-v, --verbose" "$T/out"; then
		pass "famfs $v -? prints usage with -v, exit 0"
	else
		fail "famfs $v -?: exit $rc: $(head -c 200 "$T/out" "$T/err")"
	fi
done
expect_rc "famfs -?" 0 "$FAMFS" -?
expect_rc "mkfs.famfs -?" 0 "$MKFS" -?
grep -q -- "--verbose" "$T/out" && pass "mkfs.famfs lists -v" || fail "mkfs.famfs: no -v"
expect_rc "mkfs.famfs -v" 0 "$MKFS" -v -f "$D"
grep -q "device uuid:" "$T/out" && pass "mkfs.famfs -v prints more" || fail "mkfs -v: $(cat "$T/out")"

# --- 3. fsck ------------------------------------------------------------------
expect_rc "mkdir -v" 0 F mkdir -v -p d1/d2
grep -q "d1/d2: created directory" "$T/out" && pass "mkdir -v names each directory" ||
	fail "mkdir -v: $(cat "$T/out")"
check "creat f1 (3 MiB)" F creat -s 3M -r -S 1 f1
check "creat d1/f2 (5000 bytes)" F creat -s 5000 d1/f2
expect_rc "fsck" 0 "$FAMFS" fsck "$D"
cp "$T/out" "$T/fsck"
in_order "$T/fsck" "Famfs Superblock:" "Log stats:" "Capacity:" "Famfs log:" &&
	pass "fsck sections in upstream's order" || fail "fsck layout: $(cat "$T/fsck")"
grep -q "^Verbose:" "$T/fsck" && fail "Verbose: without -v" || pass "no Verbose: without -v"
dev=$(field "$T/fsck" "Device capacity:")
free=$(field "$T/fsck" "Free space:")
alloc=$(field "$T/fsck" "Allocated bytes:")
check_eq "Device capacity: is the device size" $((4 << 30)) "$dev"
check_eq "Sum of file sizes:" $((3 * 1048576 + 5000)) "$(field "$T/fsck" "Sum of file sizes:")"
check_eq "Allocated bytes: sb + log + 2 files" $((10 * 1048576 + 2 * 2097152 + 2097152)) "$alloc"
check_eq "Free space: = capacity - allocated" $((dev - alloc)) "$free"
grep -q "^  # of log entries in use: 4 of 15420$" "$T/fsck" && pass "Log stats: entries in use" ||
	fail "entries in use: $(grep entries "$T/fsck")"
grep -qx "  No allocation errors found" "$T/fsck" && pass "No allocation errors found" ||
	fail "no collision line"
grep -qx "  2 files" "$T/fsck" && grep -qx "  2 directories" "$T/fsck" &&
	grep -qx "  0 bad log entries detected" "$T/fsck" && pass "Famfs log: files, directories" ||
	fail "Famfs log section: $(sed -n '/^Famfs log:/,$p' "$T/fsck")"
grep -q "Log slots reserved: *771 for root" "$T/fsck" && pass "our reserve line is kept" ||
	fail "reserve line missing"
expect_rc "fsck -v" 0 "$FAMFS" fsck -v "$D"
in_order "$T/out" "Famfs Superblock:" "Log stats:" "Capacity:" "Famfs log:" "Verbose:" &&
	pass "-v adds Verbose: last" || fail "fsck -v layout"
check_eq "Verbose: log_offset:" 2097152 "$(field "$T/out" "log_offset:")"
check_eq "Verbose: log_len:" 8388608 "$(field "$T/out" "log_len:")"
expect_rc "fsck -h (human, not help)" 0 "$FAMFS" fsck -h "$D"
check_eq "-h prints GiB" "4.00G" "$(field "$T/out" "Device capacity:")"
grep -q "^usage" "$T/out" && fail "-h printed the usage" || pass "-h is not help"
expect_rc "fsck -B 4" 0 "$FAMFS" fsck -B 4 "$D"
check_eq "-B 4: four buckets" 4 "$(grep -c '^    bucket ' "$T/out")"
grep -q "bucket  0:.*(8 of 512 units)" "$T/out" && pass "-B: bucket 0 holds sb, log (5 units) and the 3 of the files" ||
	fail "-B: $(grep bucket "$T/out")"
expect_rc "fsck -B 65 is bad usage" 2 "$FAMFS" fsck -B 65 "$D"
expect_rc "fsck --json stays JSON" 0 "$FAMFS" fsck --json "$D"
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" &&
	pass "... and parses" || fail "fsck --json does not parse"
"$FAMFS" fsck /boguspath >"$T/out" 2>"$T/err"
check_eq "fsck /boguspath names the path once" 1 "$(grep -o /boguspath "$T/err" | wc -l)"
check "mount" "$FAMFS" mount "$D" "$M"
check_fail "fsck of a mounted DEV is refused, naming the mount" "mounted at $M" \
	"$FAMFS" fsck "$D"
expect_rc "fsck -f of a mounted DEV" 0 "$FAMFS" fsck -f "$D"
expect_rc "fsck of the mount point" 0 "$FAMFS" fsck "$M"

# --- 4. creat -------------------------------------------------------------------
used=$(log_used "$D")
expect_rc "creat of an existing file, same size: no-op" 0 "$FAMFS" creat -s 3M "$M/f1"
expect_rc "creat of an existing file without -s: no-op" 0 "$FAMFS" creat "$M/f1"
check_eq "... logged nothing" "$used" "$(log_used "$D")"
check "... and the data is untouched" "$FAMFS" verify -S 1 -f "$M/f1"
check_fail "creat of an existing file, another size" "exists with 3145728 bytes" \
	"$FAMFS" creat -s 4M "$M/f1"
expect_rc "creat -r -S of an existing file re-fills it" 0 "$FAMFS" creat -s 3M -r -S 2 "$M/f1"
check "... verify with the new seed" "$FAMFS" verify -S 2 -f "$M/f1"
check_fail "... not the old" "mismatch" "$FAMFS" verify -S 1 -f "$M/f1"
expect_rc "creat -r -S without -s takes the file's size" 0 "$FAMFS" creat -r -S 3 "$M/f1"
check "... verify" "$FAMFS" verify -S 3 -f "$M/f1"
check_eq "... still one log entry for f1" "$used" "$(log_used "$D")"
expect_rc "creat -M x3 -t 2 -v" 0 "$FAMFS" creat -t 2 -v -M "$M/m1,2M,11" -M "$M/m2,3M,12" \
	-M "$M/m3,1M"
check_eq "-v: three created, two filled" "3 2" \
	"$(grep -c ': created' "$T/out") $(grep -c ': filled' "$T/out")"
expect_rc "creat -M F,0,SEED re-fills an existing file" 0 "$FAMFS" creat -t0 -M "$M/m3,0,13"
expect_rc "creat -M with FILE is bad usage" 2 "$FAMFS" creat -M "$M/m4,1M" "$M/m5"
# On a mount famfsd makes new files (FAMFS_IOC_CREAT); an existing one is
# still upstream's no-op, and -M mixes both.
creats() {
	"$FAMFS" stats --json "$M" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ops"].get("creat", 0))'
}
c0=$(creats)
used=$(log_used "$D")
expect_rc "creat -M of two new files, no seed" 0 "$FAMFS" creat -M "$M/n1,2M" -M "$M/n2,4M"
check_eq "... famfsd made both" "$((c0 + 2)) $((used + 2))" "$(creats) $(log_used "$D")"
expect_rc "creat -s of an existing file on the mount: no-op" 0 "$FAMFS" creat -s 2M "$M/n1"
check_fail "... another size: refused" "exists with 2097152 bytes" "$FAMFS" creat -s 4M "$M/n1"
expect_rc "creat -M of an existing and a new file" 0 "$FAMFS" creat -M "$M/n1,2M" -M "$M/n3,6M"
check_eq "... one file logged, n3 is 6 MiB" "$((used + 3)) 6291456" \
	"$(log_used "$D") $(stat -c %s "$M/n3")"

# --- 5. verify --------------------------------------------------------------------
expect_rc "verify -m x3 -t 2" 0 "$FAMFS" verify -t 2 -m "$M/m1,11" -m "$M/m2,12" -m "$M/m3,13"
[ -s "$T/out" ] && fail "verify printed on success: $(cat "$T/out")" || pass "verify is quiet"
expect_rc "verify -m with one wrong seed" 1 "$FAMFS" verify -m "$M/m1,11" -m "$M/m2,99" \
	-m "$M/m3,13"
grep -q "/m2: mismatch" "$T/err" && ! grep -q "/m1:\\|/m3:" "$T/err" &&
	pass "... names only that file" || fail "verify -m: $(cat "$T/err")"
expect_rc "verify -q -v" 0 "$FAMFS" verify -v -q -S 11 -f "$M/m1"
[ -s "$T/out" ] && fail "-q printed" || pass "-q prints nothing"
expect_rc "verify -v" 0 "$FAMFS" verify -v -S 11 -f "$M/m1"
grep -q "m1: 2097152 bytes verified" "$T/out" && pass "-v names the file" || fail "verify -v"

# --- 6. cp -------------------------------------------------------------------------
mkdir -p "$T/src/sub"
for i in 1 2 3 4; do head -c $((i * 700000 + 1)) /dev/urandom >"$T/src/f$i"; done
echo inner >"$T/src/sub/inner"
check "mkdir" "$FAMFS" mkdir "$M/cpd"
used=$(log_used "$D")
expect_rc "cp -t 3 -v of 4 files" 0 "$FAMFS" cp -t 3 -v "$T/src/f1" "$T/src/f2" "$T/src/f3" \
	"$T/src/f4" "$M/cpd"
check_eq "-v names each copy" 4 "$(grep -c " -> $M/cpd/f[1-4]\$" "$T/out")"
for i in 1 2 3 4; do
	cmp "$T/src/f$i" "$M/cpd/f$i" || fail "cp -t: f$i differs"
done
check_eq "... 4 files logged" $((used + 4)) "$(log_used "$D")"
head -c 700001 /dev/urandom >"$T/src/f1"	# the same size, other bytes
expect_rc "cp onto existing files of the same size (a restarted copy)" 0 "$FAMFS" cp -v \
	"$T/src/f1" "$T/src/f2" "$M/cpd/"
grep -q "f1 -> $M/cpd/f1 (copied again" "$T/out" && pass "-v says it copied again" ||
	fail "restart -v: $(cat "$T/out")"
check "... the new bytes are there" cmp "$T/src/f1" "$M/cpd/f1"
check_eq "... and nothing was logged" $((used + 4)) "$(log_used "$D")"
head -c 1000 /dev/urandom >"$T/other"
check_fail "cp onto an existing file of another size" "exists with 1400001 bytes, not 1000" \
	"$FAMFS" cp "$T/other" "$M/cpd/f2"
check "... which kept its bytes" cmp "$T/src/f2" "$M/cpd/f2"
check "mkdir" "$FAMFS" mkdir "$M/wild"
expect_rc "cp of a wildcard with a directory, without -r" 1 "$FAMFS" cp "$T"/src/* "$M/wild"
grep -q "src/sub: is a directory; not copied" "$T/err" && pass "... names the directory" ||
	fail "wildcard: $(cat "$T/err")"
check_eq "... and copies the files" "f1 f2 f3 f4" "$(ls "$M/wild" | tr '\n' ' ' | sed 's/ $//')"
check_fail "cp into .meta is refused" "reserved" "$FAMFS" cp "$T/other" "$M/.meta/x"
check "cp to the mount root with a trailing slash (upstream asserts)" \
	"$FAMFS" cp "$T/other" "$M/"
check "... lands at the root" cmp "$T/other" "$M/other"

# --- 7. .meta ----------------------------------------------------------------------
check "a mount shows .meta/.superblock" test -f "$M/.meta/.superblock"
check_eq ".superblock is 2 MiB, 0444" "2097152 444" "$(stat -c '%s %a' "$M/.meta/.superblock")"
check_eq ".log is the log's length, 0400" "8388608 400" "$(stat -c '%s %a' "$M/.meta/.log")"
check ".superblock bytes are the device's" cmp "$M/.meta/.superblock" \
	<(head -c 2097152 "$D")
check ".log bytes are the device's" cmp "$M/.meta/.log" \
	<(dd if="$D" bs=1M skip=2 count=8 status=none)
before=$(meta_sum "$D")
check_fail "root cannot write .superblock" "not permitted" \
	dd if=/dev/zero of="$M/.meta/.superblock" bs=4096 count=1 conv=notrunc status=none
check_fail "nor open .log read-write" "not permitted" \
	/usr/bin/python3 -c 'import os,sys; os.open(sys.argv[1], os.O_RDWR)' "$M/.meta/.log"
check_fail "nor truncate it" "not permitted" truncate -s 0 "$M/.meta/.log"
check_fail "nor chmod it" "not permitted" chmod 0666 "$M/.meta/.log"
check_fail "nor mkdir in .meta" "not permitted" mkdir "$M/.meta/x"
check_eq "... the metadata is unchanged" "$before" "$(meta_sum "$D")"
check_fail "famfs mkdir refuses .meta/x" "reserved" "$FAMFS" mkdir "$M/.meta/x"
check_fail "famfs creat refuses .meta offline" "reserved" F creat -s 1M .meta
check_fail "famfs mkdir refuses .meta offline" "reserved" F mkdir .meta
expect_rc "chkread -s .superblock" 0 "$FAMFS" chkread -s "$M/.meta/.superblock"
grep -q "valid superblock: version 48" "$T/out" && pass "... a valid superblock" ||
	fail "chkread -s: $(cat "$T/out")"
expect_rc "chkread -l .log" 0 "$FAMFS" chkread -l "$M/.meta/.log"
grep -q "valid log: $(log_used "$D") of 15420 entries used" "$T/out" && pass "... a valid log" ||
	fail "chkread -l: $(cat "$T/out")"
check_fail "chkread -s of the log is refused" "not a superblock" \
	"$FAMFS" chkread -s "$M/.meta/.log"
check_fail "chkread -l of a file is refused" "not this file system's log" \
	"$FAMFS" chkread -l "$M/f1"
check "getmap --raw of .superblock" "$FAMFS" getmap --raw "$M/.meta/.superblock"
check_eq "... a 56-byte map of file type 1 (superblock)" "56 1" \
	"$(wc -c <"$T/out") $(od -An -tu1 -N1 "$T/out" | tr -d ' ')"
expect_rc "getmap of .log" 0 "$FAMFS" getmap "$M/.meta/.log"
grep -q "extent 0: devindex 0 offset 0x200000 len 0x800000" "$T/out" &&
	pass "... its device range" || fail "getmap .log: $(cat "$T/out")"
add_test_user U || done_testing
chmod 0755 "$T"
check "a user reads .superblock" runuser -u "$U" -- cat "$M/.meta/.superblock"
check_fail "a user may not read .log (it names every file)" "ermission denied" \
	runuser -u "$U" -- cat "$M/.meta/.log"
check "umount" "$FAMFS" umount "$M"

# .alloc.cfg
printf -- '---\ninterleaved_alloc:\n  nbuckets: 4\n  nstrips: 2\n  chunk_size: 2m\n...\n' >"$T/alloc.cfg"
printf 'interleaved_alloc:\n  nbuckets: 4\n  nstripes: 2\n' >"$T/bad.cfg"
check_fail "a malformed .alloc.cfg is refused, naming the line" "line 3: unknown key 'nstripes'" \
	"$FAMFS" mount -o alloc_cfg="$T/bad.cfg" "$D" "$M"
grep -q " $M " /proc/self/mountinfo && fail "bad alloc_cfg left a mount" || pass "no mount left"
check "mount -o alloc_cfg=FILE" "$FAMFS" mount -o alloc_cfg="$T/alloc.cfg" "$D" "$M"
check "... served as .meta/.alloc.cfg" cmp "$T/alloc.cfg" "$M/.meta/.alloc.cfg"
check "creat without -N/-B/-C" "$FAMFS" creat -s 64M "$M/il"
check "getmap il" "$FAMFS" getmap "$M/il"
grep -q "type: interleave" "$T/out" && grep -q "nstrips: 2" "$T/out" &&
	pass "... interleaved as .alloc.cfg says" || fail ".alloc.cfg ignored: $(cat "$T/out")"
check_eq "... getmap --json says so too" "interleave 2 2" "$("$FAMFS" getmap --json "$M/il" |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["type"], d["nstrips"], len(d["strips"]))')"
check "creat -N 1 overrides it" "$FAMFS" creat -s 64M -N 1 -B 1 "$M/il1"
check "getmap il1" "$FAMFS" getmap "$M/il1"
grep -q "nstrips: 1" "$T/out" && pass "... -N wins" || fail "-N ignored: $(cat "$T/out")"
head -c $((64 << 20)) /dev/zero >"$T/big"
check "cp without -N/-B/-C" "$FAMFS" cp "$T/big" "$M/ilcp"
check "getmap ilcp" "$FAMFS" getmap "$M/ilcp"
grep -q "nstrips: 2" "$T/out" && pass "... cp follows .alloc.cfg too" ||
	fail "cp ignored .alloc.cfg: $(cat "$T/out")"
rm -f "$T/big"

# --- 8. getmap exit codes and -q ------------------------------------------------------
echo x >"$T/plain"
for c in "0 $M/f1" "1 $T/plain" "2 $M/.meta/.alloc.cfg" "9 $M/nosuch" "21 $M/d1" "21 $T" "22"; do
	set -- $c
	want=$1
	shift
	expect_rc "getmap ${1:-(no argument)}" "$want" "$FAMFS" getmap "$@"
	"$FAMFS" getmap -q "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq "$want" ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] &&
		pass "getmap -q ${1:-}: exit $want, silent" ||
		fail "getmap -q ${1:-}: exit $rc, printed: $(cat "$T/out" "$T/err")"
done
# -v makes the quiet verbs say something (upstream's scripts pass it).
for c in "ls $M" "logplay $M" "flush $M/f1" "chkread $M/f1"; do
	set -- $c
	q=$("$FAMFS" "$@" 2>&1 | wc -l)
	v=$("$FAMFS" "$1" -v "${@:2}" 2>&1 | wc -l)
	[ "$v" -gt "$q" ] && pass "$1 -v says more ($v lines, $q without)" ||
		fail "$1 -v: $v lines, $q without"
done
expect_rc "umount -v" 0 "$FAMFS" umount -v "$M"
grep -q "$M: unmounted" "$T/out" && grep -q "famfsd (pid [0-9]*) exited" "$T/out" &&
	pass "... says what it did" || fail "umount -v: $(cat "$T/out")"

# --- 9. one mount per device per host --------------------------------------------------
check "mount" "$FAMFS" mount "$D" "$M"
check_fail "a second mount by this host is refused, naming the first" \
	"already mounted at $M by this host" "$FAMFS" mount "$D" "$M2"
ln -s "$D" "$T/devlink"
check_fail "... also through another path to the device" "already mounted at $M" \
	"$FAMFS" mount "$T/devlink" "$M2"
grep -q " $M2 " /proc/self/mountinfo && fail "a second mount was made" || pass "no second mount"
check "an emulated host (another uuid) mounts it" \
	env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount "$D" "$M2"
check "... and reads it" cmp <("$FAMFS" getmap "$M/f1" | tail -1) \
	<("$FAMFS" getmap "$M2/f1" | tail -1)
check "umount the client" "$FAMFS" umount "$M2"
check "umount the first" "$FAMFS" umount "$M"
check "after umount the device mounts elsewhere" "$FAMFS" mount "$D" "$M2"
lockf=$(grep -lxF "$M2" /run/famfs/mount-*.lock 2>/dev/null | head -1)
[ -n "$lockf" ] && pass "the host lock names the mount point" || fail "no lock file names $M2"
check "umount" "$FAMFS" umount "$M2"
# Upstream's scripts unmount with umount(8), which returns before famfsd has
# exited (and dropped its lock), and mount again at once.
bad=
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$FAMFS" mount "$D" "$M" >/dev/null 2>"$T/err" || { bad="mount $i: $(cat "$T/err")"; break; }
	umount "$M" || { bad="umount $i"; break; }
done
check_eq "umount(8) then mount at once, 10 times" "" "$bad"
check "... and famfsd drops its lock" wait_until 10 test ! -e "${lockf:-/}"
# A famfsd that holds the lock but serves no mount (it has not exited) is
# waited for, 5 s, then named. This shell holds the lock on fd 9.
if [ -n "$lockf" ]; then
	echo "$T/gone" >"$lockf"
	exec 9<>"$lockf"
	flock 9
	t0=$(date +%s%N)
	check_fail "a famfsd that does not exit is waited for, then named" \
		"famfsd of this host that served it at $T/gone has not exited in 5 s" \
		"$FAMFS" mount "$D" "$M" 9>&-
	waited=$((($(date +%s%N) - t0) / 1000000))
	[ "$waited" -ge 4900 ] && pass "... after waiting (${waited} ms)" ||
		fail "... refused after $waited ms, without waiting 5 s"
	exec 9>&-
	rm -f "$lockf"
fi

# --- upstream bugs we do not copy --------------------------------------------------------
long=$(printf 'p%.0s' $(seq 80))
before=$(meta_sum "$D")
check_fail "an 80-byte path is refused, not truncated to 79" "79|too long" \
	F creat -s 1M "$long"
check_eq "... nothing logged" "$before" "$(meta_sum "$D")"
check "a 79-byte path works" F creat -s 1M "${long:1}"

done_testing
