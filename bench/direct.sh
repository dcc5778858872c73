#!/bin/bash
# bench/direct.sh - run bench/direct_bench (famfs direct access against the
# raw device mapping, the shim's mmap and FUSE read) in one run.
#
#   bench/direct.sh [SIZE_MIB] [ROUNDS]      (defaults 1024 and 5)
#
# Needs root. The device lives on a private tmpfs mounted with huge=always
# (2 MiB pages, as a devdax device would give), or /dev/shm if that fails.
# Everything it creates is removed on exit. Prints medians and ratios.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FAMFS_BUILD:-$SRC/build}
BIN=$BUILD/bin
SHIM=$BUILD/lib/libfamfs-preload.so
SIZE_MIB=${1:-1024}
ROUNDS=${2:-5}
export FAMFS_SYSTEM_UUID=11111111-2222-3333-4444-555555555555

W=$(mktemp -d /tmp/famfs-bench.XXXXXX)
MNT=$W/mnt
HUGE=$W/huge
mkdir -p "$MNT" "$HUGE"
cleanup() {
	"$BIN/famfs" umount "$MNT" >/dev/null 2>&1
	mountpoint -q "$HUGE" && umount "$HUGE"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if mount -t tmpfs -o huge=always,size=12g famfs-bench "$HUGE" 2>/dev/null; then
	DEV=$HUGE/dev
	echo "device: tmpfs huge=always"
else
	DEV=$W/dev
	echo "device: $W (4 KiB pages)"
fi
truncate -s 8G "$DEV"
"$BIN/mkfs.famfs" "$DEV" >/dev/null || exit 1
"$BIN/famfs" --device "$DEV" creat -s "${SIZE_MIB}M" -r -S 1 simple || exit 1
"$BIN/famfs" --device "$DEV" creat -s "${SIZE_MIB}M" -r -S 2 -N 4 -B 8 -C 2M ilv || exit 1
"$BIN/famfs" mount "$DEV" "$MNT" || exit 1
LD_PRELOAD=$SHIM "$BIN/direct_bench" "$DEV" "$MNT/simple" "$MNT/ilv" "$ROUNDS"
