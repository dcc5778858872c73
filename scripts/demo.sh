#!/bin/bash
# make demo: make an embedded famfs device, fill it, mount it, and show it
# working with ordinary tools, the famfs CLI, and the direct-access shim.
#
#   scripts/demo.sh [BUILD_DIR]     (KEEP=1 leaves the mount and device up)
set -euo pipefail

BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
LIB=$(cd "$BUILD/lib" && pwd)
export PATH="$BIN:$PATH"
DEV=${FAMFS_DEMO_DEV:-/dev/shm/famfs-demo.img}
MNT=${FAMFS_DEMO_MNT:-/tmp/famfs-demo}
SIZE=${FAMFS_DEMO_SIZE:-2G}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

cleanup() {
	[ "${KEEP:-0}" = 1 ] && { echo "KEEP=1: $DEV stays mounted on $MNT"; return; }
	famfs umount "$MNT" >/dev/null 2>&1 || true
	rm -f "$DEV"
	rmdir "$MNT" 2>/dev/null || true
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo: famfsd needs root (or CAP_SYS_RAWIO); run it as root" >&2
	exit 1
fi

famfs umount "$MNT" >/dev/null 2>&1 || true
mkdir -p "$MNT"

step "An embedded device: a $SIZE file on /dev/shm stands in for CXL memory"
run rm -f "$DEV"
run truncate -s "$SIZE" "$DEV"
run chmod 600 "$DEV"
run mkfs.famfs "$DEV"

step "Files are created by the master and logged in the device itself"
run famfs --device "$DEV" mkdir -p data/models
run famfs --device "$DEV" creat -s 64M -r -S 42 data/models/weights.bin
run famfs --device "$DEV" cp README.md data/
run famfs --device "$DEV" ls -l data
run famfs --device "$DEV" getmap data/models/weights.bin

step "famfsd serves the namespace through FUSE"
run famfs mount "$DEV" "$MNT"
run ls -l "$MNT/data" "$MNT/data/models"
run head -n 3 "$MNT/data/README.md"
run df -h "$MNT"
run famfs verify -S 42 -f "$MNT/data/models/weights.bin"

step "A file created on the master appears on the mount by itself"
run famfs creat -s 8M -r -S 7 "$MNT/data/new.bin"
run ls -l "$MNT/data/new.bin"

step "Direct access: the preload shim maps the file straight from the device"
printf '$ LD_PRELOAD=libfamfs-preload.so python3 -c "mmap + sum of 64 MiB"\n'
LD_PRELOAD="$LIB/libfamfs-preload.so" /usr/bin/python3 - "$MNT/data/models/weights.bin" <<'PY'
import mmap, sys, zlib
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    print("crc32 over %d bytes: %#010x" % (len(m), zlib.crc32(m)))
PY
run famfs stats "$MNT"

step "Clean"
run famfs fsck "$MNT"
