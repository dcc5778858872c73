#!/bin/bash
# test_direct_hosts.sh - two emulated hosts (master and client mounts of one
# device, different FAMFS_SYSTEM_UUID): a process on the master maps a file
# read-write and stores a pattern; a process on the client maps the same
# file and sees those bytes. A read-only map refuses stores. After a device
# is poisoned, famfs_map_open is refused on that mount.
. "$(dirname "$0")/lib.sh"

DEV=$(mkdev 1G)
M1=$T/master
M2=$T/client
mkdir -p "$M1" "$M2"

check "mkfs" "$MKFS" "$DEV"
check "creat shared 16M" "$FAMFS" --device "$DEV" creat -s 16M shared
check "creat other 8M" "$FAMFS" --device "$DEV" creat -s 8M -r -S 3 other
track_mount "$M1"
track_mount "$M2"
check "mount master" "$FAMFS" mount "$DEV" "$M1"
check "mount client" env FAMFS_SYSTEM_UUID="$CLIENT_UUID" "$FAMFS" mount "$DEV" "$M2"

OFF=$((5 * 1048576 - 100))
LEN=$((3 * 1048576 + 7))
# the client starts waiting first, then the master stores
"$BIN/famfs_maptool" wait "$M2/shared" $OFF $LEN 42 20 >"$T/wait.out" 2>&1 &
wpid=$!
track_pid "$wpid"
check "master maps rw and stores a pattern" "$BIN/famfs_maptool" store "$M1/shared" $OFF $LEN 42
wait "$wpid"
check_eq "client process sees the master's bytes (mapped before the store)" 0 $?
check "a new client mapping sees them too" "$BIN/famfs_maptool" wait "$M2/shared" $OFF $LEN 42 5
check "client FUSE read() sees them too" bash -c \
	"cmp <(dd if='$M1/shared' bs=1M status=none) <(dd if='$M2/shared' bs=1M status=none)"

# the other direction, through the shim: dd on the client writes (memcpy
# into its mapping), a process on the master that mapped the file sees it
head -c 65536 /dev/urandom >"$T/rand"
"$BIN/famfs_maptool" waitcmp "$M1/shared" 8192 "$T/rand" 20 >"$T/wait2.out" 2>&1 &
wpid=$!
track_pid "$wpid"
check "client dd writes under the shim" env LD_PRELOAD="$SHIM" \
	dd if="$T/rand" of="$M2/shared" bs=4096 seek=2 conv=notrunc status=none
wait "$wpid"
check_eq "master process sees the client's write" 0 $?

# read-only maps refuse stores (the shim's mmap: PROT_WRITE on O_RDONLY)
check "ro map opens" "$BIN/famfs_maptool" open "$M2/other" ro
check "shim mmap semantics on the client" env LD_PRELOAD="$SHIM" \
	"$BIN/famfs_mmaptool" cat "$M2/other"

# a failed device: maps are refused
check "poison device 0 on the client" "$FAMFS" poison "$M2" 0
check_fail "client famfs_map_open refused after poison" \
	"Memory page has hardware error|Input/output error" "$BIN/famfs_maptool" open "$M2/other" ro
check "master still maps (its device is fine)" "$BIN/famfs_maptool" open "$M1/other" ro

check "umount client" "$FAMFS" umount "$M2"
check "umount master" "$FAMFS" umount "$M1"
done_testing
