#!/bin/bash
# test_times.sh - node times come from the log, so they are the same on
# every host and after a remount: a file's is the time its entry was
# logged (seconds stored in the entry, nanoseconds the entry index + 1), a
# directory's that of the latest entry in it, the root's starts at the mkfs
# time. A new entry moves its directory's mtime and ctime on every host; a
# write through a mount moves the file's on that mount. A log with no
# times in it (upstream's) still gives stable times, from 1970.
. "$(dirname "$0")/lib.sh"

IMG=$BIN/famfs_imgtool
D=$(mkdev 1G)
chmod 0600 "$D"
M1=$T/m1
M2=$T/m2
mkdir -p "$M1" "$M2"
track_mount "$M1"
track_mount "$M2"
"$MKFS" "$D" >/dev/null || { fail mkfs; done_testing; }
famfs_d() { "$FAMFS" --device "$D" "$@"; }
check "mkdir d" famfs_d mkdir d
check "creat d/f" famfs_d creat -s 4096 -r -S 3 d/f
check "creat g" famfs_d creat -s 4096 g

# ns PATH [TIME]: a time of PATH in ns since the epoch (TIME Y: mtime,
# Z: ctime, X: atime)
ns() { local v; v=$(stat -c "%.9${2:-Y}" "$1") && echo $((10#${v/./})); }
# ns_gt PATH NS, ns_is PATH NS: the mtime of PATH (read again at each call)
ns_gt() { [ "$(ns "$1")" -gt "$2" ]; }
ns_is() { [ "$(ns "$1")" -eq "$2" ]; }
# times MNT: every node's mtime, ctime and atime
times() {
	local p
	for p in "" d d/f g; do
		echo "$p $(stat -c '%.9Y %.9Z %.9X' "$1/$p")"
	done
}
# entry_ns N: the time entry N gives, from the log itself
entry_ns() { echo $(($("$IMG" "$D" get "e$1.time") * 1000000000 + $1 + 1)); }

# --- two hosts: the master and a client mount the same device ---
check "master mount" famfs mount -t 0 "$D" "$M1"
check "client mount" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount -t 0 "$D" "$M2"
times "$M1" >"$T/t1"
times "$M2" >"$T/t2"
check "the same times on both hosts" cmp "$T/t1" "$T/t2"
check_eq "a file's time is its entry's" "$(entry_ns 1)" "$(ns "$M1/d/f")"
check_eq "a directory's is its latest entry's" "$(entry_ns 1)" "$(ns "$M1/d")"
check_eq "the root's is its latest entry's" "$(entry_ns 2)" "$(ns "$M1")"
check_eq "ctime is mtime" "$(ns "$M1/g")" "$(ns "$M1/g" Z)"
MKFS_S=$(famfs_d fsck -v | sed -n 's/.*log tail: made at \([0-9]*\) s.*/\1/p')
check "fsck shows the mkfs time" test -n "$MKFS_S"
now=$(date +%s)
check "the mkfs time is a few seconds ago" test "$MKFS_S" -le "$now" -a "$MKFS_S" -gt $((now - 600))

# --- a new entry moves its directory, on both hosts ---
before=$(ns "$M1/d")
check "famfs mkdir d/s" famfs mkdir "$M1/d/s"
check "the master's d mtime advances" wait_until 10 ns_gt "$M1/d" "$before"
check "... to the new entry's time" ns_is "$M1/d" "$(entry_ns 3)"
check "the client's d mtime is the same" wait_until 10 ns_is "$M2/d" "$(entry_ns 3)"
check_eq "... and its ctime" "$(entry_ns 3)" "$(ns "$M2/d" Z)"
before=$(ns "$M1/d/s")
check "mkdir through the mount" mkdir "$M1/d/s/t"
check_eq "the parent's mtime advances to the new entry's" "$(entry_ns 4)" "$(ns "$M1/d/s")"
check "... on the client too" wait_until 10 ns_is "$M2/d/s" "$(entry_ns 4)"
check "... later than before" ns_gt "$M1/d/s" "$before"
check_eq "d/f did not move" "$(entry_ns 1)" "$(ns "$M1/d/f")"

# --- a write through the mount moves the file's mtime and ctime ---
before=$(ns "$M1/g")
check "write through the master's mount" dd if=/dev/urandom of="$M1/g" bs=512 count=1 \
	conv=notrunc status=none
m=$(ns "$M1/g")
check "mtime advances after a write" test "$m" -gt "$before"
check_eq "ctime with it" "$m" "$(ns "$M1/g" Z)"
check "a second write advances it again" dd if=/dev/zero of="$M1/g" bs=1 count=1 \
	conv=notrunc status=none
check "... strictly" ns_gt "$M1/g" "$m"
times "$M1" >"$T/t1"
check "famfs umount both" famfs umount "$M1"
check "..." famfs umount "$M2"

# --- a remount shows the log's times again ---
check "remount" famfs mount -t 0 "$D" "$M1"
times "$M1" >"$T/t3"
grep -v '^g ' "$T/t1" >"$T/t1g"
grep -v '^g ' "$T/t3" >"$T/t3g"
check "the same times after a remount" cmp "$T/t1g" "$T/t3g"
check_eq "g's is its entry's again (the write was this mount's)" "$(entry_ns 2)" "$(ns "$M1/g")"
check "umount" famfs umount "$M1"

# --- a log without times (upstream's): stable, from 1970 ---
for i in 0 1 2 3 4; do
	"$IMG" "$D" set "e$i.time" 0 -c >/dev/null || fail "imgtool e$i.time"
done
# the log tail: the last 16 bytes of the 8 MiB log at 2 MiB
dd if=/dev/zero of="$D" bs=16 count=1 seek=$(((2 + 8) * 1024 * 1024 / 16 - 1)) \
	conv=notrunc status=none
check "fsck of the log without times is clean" famfs_d fsck
check "master mount" famfs mount -t 0 "$D" "$M1"
check "client mount" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount -t 0 "$D" "$M2"
times "$M1" >"$T/t1"
times "$M2" >"$T/t2"
check "the same times on both hosts" cmp "$T/t1" "$T/t2"
check_eq "d/f: 1970 and its index" 2 "$(ns "$M1/d/f")"
check_eq "d/s/t: the latest" 5 "$(ns "$M1/d/s/t")"
check "umount" famfs umount "$M1"
check "remount" famfs mount -t 0 "$D" "$M1"
times "$M1" >"$T/t3"
check "the same times after a remount" cmp "$T/t1" "$T/t3"
done_testing
