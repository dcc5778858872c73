#!/bin/bash
# test_cli_mount.sh - the famfs CLI on real FUSE mounts: mount/umount,
# creating on the master mount, a client mount of the same device seeing
# new files, getmap --raw/--daxdev, stats, logplay, busy and dead mounts.
. "$(dirname "$0")/lib.sh"

newdev DEV 1G
M=$T/m
C=$T/c
mkdir -p "$M" "$C"
"$MKFS" "$DEV" >/dev/null || { echo "FAIL: mkfs"; exit 1; }
track_mount "$M"
track_mount "$C"

check "mount" "$FAMFS" mount "$DEV" "$M"
grep -q " $M .* - fuse.famfs $DEV " /proc/self/mountinfo && pass "mountinfo shows fuse.famfs" ||
	fail "mountinfo: $(grep famfs /proc/self/mountinfo)"
check_fail "mount twice" "already a famfs mount" "$FAMFS" mount "$DEV" "$M"
check "mkdir -p on the mount" "$FAMFS" mkdir -p "$M/a/b"
[ -d "$M/a/b" ] && pass "directory visible at once" || fail "directory not visible"
check "creat -r on the mount" "$FAMFS" creat -s 6M -r -S 5 "$M/a/b/f"
check_eq "size through the mount" 6291456 "$(stat -c %s "$M/a/b/f")"
check "verify on the mount" "$FAMFS" verify -S 5 -f "$M/a/b/f"
check "chkread: read() equals the device" "$FAMFS" chkread "$M/a/b/f"
mkdir -p "$T/src/d"
head -c 777777 /dev/urandom >"$T/src/d/x"
head -c 3 /dev/urandom >"$T/src/y"
check "cp -r into the mount" "$FAMFS" cp -r "$T/src" "$M/a/"
check "copied bytes read back through the mount" cmp "$T/src/d/x" "$M/a/src/d/x"
check "cp to the mount root with a trailing slash" "$FAMFS" cp "$T/src/y" "$M/"
check "it is at the root" cmp "$T/src/y" "$M/y"
check "relative paths from a cwd inside the mount" bash -c "cd '$M/a' && '$FAMFS' ls -l src"
check "getmap --raw" "$FAMFS" getmap --raw "$M/a/b/f"
check_eq "getmap --raw length" 56 "$(wc -c <"$T/out")"
check "getmap --daxdev 0" "$FAMFS" getmap --daxdev 0 "$M"
grep -q "$DEV" "$T/out" && pass "daxdev 0 is the device" || fail "daxdev: $(cat "$T/out")"
check "logplay on the mount" "$FAMFS" logplay "$M"
check "stats --json" bash -c "'$FAMFS' stats --json '$M' | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert \"lookup\" in d[\"ops\"] and \"get_fmap\" in d[\"ops\"], d
for k in (\"bytes_read\", \"catchups\", \"mount_replay_ms\", \"log_next_index\", \"errors_eio\"):
    assert k in d, k
'"
check "stats text" "$FAMFS" stats "$M"
check "fsck of a mount names its device" "$FAMFS" fsck "$M"

# A client host mounts the same device and sees what the master creates.
check "client mount" env FAMFS_SYSTEM_UUID=$CLIENT_UUID "$FAMFS" mount "$DEV" "$C"
check "client sees the master's file" cmp "$M/a/b/f" "$C/a/b/f"
check_fail "creat on a client mount" "client" \
	env FAMFS_SYSTEM_UUID=$CLIENT_UUID "$FAMFS" creat -s 1M "$C/a/new"
check "master creates after the client mounted" "$FAMFS" creat -s 1M -r -S 9 "$M/late"
check "client sees it" wait_until 5 test -f "$C/late"
check "client verifies it" env FAMFS_SYSTEM_UUID=$CLIENT_UUID "$FAMFS" verify -S 9 -f "$C/late"

# Busy and dead mounts
(cd "$C/a" && exec sleep 30) &
busy=$!
track_pid "$busy"
wait_until 5 test -e "/proc/$busy/cwd"
check_fail "umount of a busy mount" "busy" "$FAMFS" umount "$C"
kill "$busy"; wait "$busy" 2>/dev/null
check "umount of the client" "$FAMFS" umount "$C"
pid=$(awk '{print $1}' < <(pgrep -f "famfsd $DEV $M" | head -1))
if [ -n "$pid" ]; then
	kill -9 "$pid"
	wait_until 5 bash -c "! kill -0 $pid"
	check "umount of a mount whose famfsd died" "$FAMFS" umount "$M"
	grep -q " $M " /proc/self/mountinfo && fail "dead mount still listed" ||
		pass "dead mount gone"
else
	check "umount" "$FAMFS" umount "$M"
fi
check_fail "umount of a non-mount" "not a famfs mount" "$FAMFS" umount "$M"
check "remount" "$FAMFS" mount "$DEV" "$M"
check_eq "famfs mount says which mode it got" "ioctl" \
	"$(grep -o 'mounted, [a-z]*' "$T/out" | cut -d' ' -f2)"
check "verify after remount" "$FAMFS" verify -S 5 -f "$M/a/b/f"
mmap_sum='import mmap, sys, zlib
f = open(sys.argv[1], "rb")
print(zlib.crc32(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)))'
want=$(/usr/bin/python3 -c 'import sys, zlib; print(zlib.crc32(open(sys.argv[1], "rb").read()))' \
	"$M/a/src/d/x")
# famfsd answers INIT through libfuse's custom I/O hooks: it accepts
# FUSE_DIRECT_IO_ALLOW_MMAP whenever the kernel offers it (6.6 and later), so
# plain mmap works under the default cache=direct; older kernels refuse it.
stats=$("$FAMFS" stats --json "$M")
check_eq "famfs stats: no famfs module here, so ioctl mode" '"fuse_mode": "ioctl"' \
	"$(grep -o '"fuse_mode": "[a-z]*"' <<<"$stats")"
kv=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$kv" -ge 6006 ]; then
	check_eq "famfs stats: FUSE_DIRECT_IO_ALLOW_MMAP negotiated" '"allow_mmap": true' \
		"$(grep -o '"allow_mmap": [a-z]*' <<<"$stats")"
	check_eq "plain mmap through a cache=direct mount sees the file" "$want" \
		"$(/usr/bin/python3 -c "$mmap_sum" "$M/a/src/d/x" 2>&1)"
	mmap_put='import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
m[0:6] = b"MMAPED"
m.flush()'
	check "a store through a shared mapping of a cache=direct file" \
		/usr/bin/python3 -c "$mmap_put" "$M/a/src/d/x"
	check_eq "FUSE read sees the store after msync" "MMAPED" "$(head -c 6 "$M/a/src/d/x")"
	want=$(/usr/bin/python3 -c 'import sys, zlib; print(zlib.crc32(open(sys.argv[1], "rb").read()))' \
		"$M/a/src/d/x")
else
	check_fail "mmap through a cache=direct mount is refused" "ENODEV|No such device" \
		/usr/bin/python3 -c "$mmap_sum" "$M/a/src/d/x"
fi
check "umount" "$FAMFS" umount "$M"
check_fail "famfsd refuses an unknown -o option" "unknown option 'bogus'" \
	"$FAMFS" mount -o bogus "$DEV" "$M"
grep -q " $M " /proc/self/mountinfo && fail "bad option left a mount" || pass "no mount left"
check "mount -o cache=page" "$FAMFS" mount -o cache=page "$DEV" "$M"
check_eq "mmap through a cache=page mount sees the file" "$want" \
	"$(/usr/bin/python3 -c "$mmap_sum" "$M/a/src/d/x" 2>&1)"
check "write inside the size still works on cache=page" \
	dd if=/dev/zero of="$M/a/src/d/x" bs=1 count=1 conv=notrunc status=none
check "umount" "$FAMFS" umount "$M"

done_testing
