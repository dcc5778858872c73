#!/bin/bash
# test_cli_zero.sh - new files never show old bytes. mkfs -f leaves the data
# area as it was, so a file made afterwards gets the memory of a former
# file: famfs creat must zero it (all of its allocation, not only its size),
# famfs cp and creat -r too, before the file is logged (it can be read from
# then on, while it is copied, or after cp died), and only creat --no-zero
# shows what the memory held.
. "$(dirname "$0")/lib.sh"

newdev DEV 2G
chmod 600 "$DEV"

# alloc_bytes DEV FILE: every allocated byte of FILE (each extent or strip
# whole, as getmap prints them), read from the device file.
alloc_bytes() {
	"$FAMFS" --device "$1" getmap "$2" |
		awk '/^  (extent|strip) [0-9]+:/ {print $6, $8}' |
		while read -r off len; do
			dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip=$((off)) \
				count=$((len)) status=none
		done
}
nonzero() { tr -d '\0' | wc -c; }
ext0() { "$FAMFS" --device "$DEV" getmap "$1" | awk '/^  (extent|strip) 0:/ {print $6; exit}'; }

# remake: mkfs -f, then one 0600 file filled with a pattern at the start
# of the data area, then mkfs -f again: the pattern is still in memory.
remake() {
	"$MKFS" -f "$DEV" >/dev/null 2>&1 &&
		"$FAMFS" --device "$DEV" creat -s 64M -r -S 9 -m 0600 secret &&
		old=$(ext0 secret) &&
		"$MKFS" -f "$DEV" >/dev/null 2>&1
}

check "a secret file, then mkfs -f" remake
check "creat after mkfs -f" "$FAMFS" --device "$DEV" creat -s 3M -m 0644 pub
check_eq "the new file got the old file's memory" "$old" "$(ext0 pub)"
check_eq "creat: every allocated byte reads zero" 0 "$(alloc_bytes "$DEV" pub | nonzero)"
check_eq "creat: its 4 MiB allocation was read" $((4 << 20)) "$(alloc_bytes "$DEV" pub | wc -c)"

check "again" remake
check "creat --no-zero" "$FAMFS" --device "$DEV" creat --no-zero -s 3M pub
n=$(alloc_bytes "$DEV" pub | nonzero)
[ "$n" -gt 0 ] && pass "--no-zero keeps the old bytes ($n non-zero)" ||
	fail "--no-zero zeroed the file"

check "again" remake
head -c 1000 /dev/urandom | tr -d '\0' >"$T/src"
sz=$(stat -c %s "$T/src")
check "cp of $sz bytes after mkfs -f" "$FAMFS" --device "$DEV" cp "$T/src" cpf
check_eq "cp: the file's bytes are the source's" "$(md5sum <"$T/src")" \
	"$(alloc_bytes "$DEV" cpf | head -c "$sz" | md5sum)"
check_eq "cp: the rest of the allocation reads zero" 0 \
	"$(alloc_bytes "$DEV" cpf | tail -c +$((sz + 1)) | nonzero)"

# cp logs a file before it copies its bytes: a reader meanwhile, and the
# file left behind by a cp that died, must see zeros where nothing was
# copied yet. The source is famfs_fakefuse's f (64 MiB of 'F'), whose READs
# past 8 MiB wait while $T/hold exists: cp copies 8 MiB (its first pread),
# then waits in the second one, and is killed there. (The read it was in
# still completes into the file's memory: FUSE waits out a request the
# server has, and reads straight into cp's pages. Those are source bytes.)
check "again" remake
R=$T/fake
mkdir -p "$R"
track_mount "$R"
touch "$T/hold"
"$BIN/famfs_fakefuse" --size $((64 << 20)) --hold "$T/hold" --hold-from $((8 << 20)) "$R" \
	>"$T/fake.log" 2>&1 &
track_pid $!
check "a source that stops at 8 MiB" wait_until 10 grep -q " $R .* - fuse.famfs " /proc/self/mountinfo
"$FAMFS" --device "$DEV" cp "$R/f" big >"$T/cp.out" 2>"$T/cp.err" &
cpp=$!
track_pid "$cpp"
check "cp logged the file, copied 8 MiB and waits" wait_until 60 test -e "$T/hold.held"
check_eq "cp: the file got the old file's memory" "$old" "$(ext0 big)"
copied_ok() { alloc_bytes "$DEV" big | head -c $((8 << 20)) | tr -d F | wc -c; }
check_eq "cp, while copying: the 8 MiB copied are the source's" 0 "$(copied_ok)"
check_eq "cp, while copying: the rest reads zero" 0 \
	"$(alloc_bytes "$DEV" big | tail -c +$(((8 << 20) + 1)) | nonzero)"
kill -9 "$cpp"
rm -f "$T/hold"
wait "$cpp" 2>/dev/null
check_eq "cp killed: the file stays, copied part intact" 0 "$(copied_ok)"
check_eq "cp killed: the rest holds zeros (or source bytes), nothing else" 0 \
	"$(alloc_bytes "$DEV" big | tail -c +$(((8 << 20) + 1)) | tr -d 'F\0' | wc -c)"
check "unmount the source" umount "$R"

check "again" remake
check "creat -r of 3 MiB + 17 after mkfs -f" \
	"$FAMFS" --device "$DEV" creat -s $((3 * 1048576 + 17)) -r -S 4 rf
check "creat -r: the pattern verifies" "$FAMFS" --device "$DEV" verify -S 4 -f rf
check_eq "creat -r: the allocation past the pattern reads zero" 0 \
	"$(alloc_bytes "$DEV" rf | tail -c +$((3 * 1048576 + 18)) | nonzero)"

check "again" remake
check "interleaved creat after mkfs -f" \
	"$FAMFS" --device "$DEV" creat -s 9M -N 2 -B 2 -C 2M il
check_eq "interleaved: every strip reads zero" 0 "$(alloc_bytes "$DEV" il | nonzero)"

# Through a mount, as a reader sees it.
check "again" remake
check "creat -m 0644 after mkfs -f" "$FAMFS" --device "$DEV" creat -s 5M -m 0644 pub
M=$T/m
mkdir -p "$M"
track_mount "$M"
check "mount" "$FAMFS" mount "$DEV" "$M"
check_eq "read through the mount: zeros" 0 "$(nonzero <"$M/pub")"
check "umount" "$FAMFS" umount "$M"
done_testing
