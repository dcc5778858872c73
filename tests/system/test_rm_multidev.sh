#!/bin/bash
# test_rm_multidev.sh - famfs rm on a file system of two devices
# (docs/rm.md, docs/multidev.md), through a master and a client mount:
# - f goes to device 1 (the most free space); the devices are filled
#   around it with pattern files, some on each device.
# - The client maps f (shim) and the master deletes it: fsck counts the
#   16 MiB pending on device 1 only, and creat gets ENOSPC naming the
#   held memory.
# - The client unmaps: a creat --no-zero (only reused memory is zeroed)
#   reuses exactly f's extent on device 1, which reads zeros on both
#   hosts; every pattern file (on either
#   device, the same offsets of device 0 included) keeps its bytes; fsck
#   is clean.
. "$(dirname "$0")/lib.sh"

HOLD=$BIN/famfs_rmhold
PY=/usr/bin/python3
newdev D0 64M
newdev D1 128M
chmod 600 "$D0" "$D1"
export FAMFS_DAXDEV_PATH="${_famfs_devprefix}*"
M1=$T/master
M2=$T/client
mkdir -p "$M1" "$M2"
client() { FAMFS_SYSTEM_UUID=$CLIENT_UUID "$@"; }
go() { timeout 10 bash -c "echo go >'$T/$1.go'"; }
devs_of() {	# devs_of FILE: the device index of each extent
	"$FAMFS" getmap "$1" | awk '/^  (extent|strip) / {printf "%s ", $4}'
}
fsck_pending() {	# fsck_pending: "total dev0 dev1" pending bytes
	"$FAMFS" fsck --json "$M1" | $PY -c 'import json,sys; d=json.load(sys.stdin)
print(d["pending"], *[x["pending"] for x in d["devices"]])'
}

check "mkfs.famfs -O rm D0 D1" "$MKFS" -O rm "$D0" "$D1"
track_mount "$M1"
track_mount "$M2"
check "mount master" "$FAMFS" mount "$D0" "$M1"
check "mount client" client "$FAMFS" mount "$D0" "$M2"

check "creat f (16M, pattern 9)" "$FAMFS" creat -s 16M -r -S 9 "$M1/f"
check_eq "f is on device 1" "1 " "$(devs_of "$M1/f")"
f_map=$("$FAMFS" getmap "$M1/f" | grep 'extent 0')
i=0
while "$FAMFS" creat -s 2M -r -S $((100 + i)) "$M1/fill$i" 2>"$T/fill.err"; do i=$((i + 1)); done
nfill=$i
check "both devices are full (fill files: $nfill)" grep -q "device full" "$T/fill.err"
on0=0
for ((i = 0; i < nfill; i++)); do
	[ "$(devs_of "$M1/fill$i")" = "0 " ] && on0=$((on0 + 1))
done
check "some fill files are on device 0 ($on0)" test "$on0" -gt 0
check "client sees f" wait_until 3 test -e "$M2/f"

rm -f "$T/h.ready" "$T/h.go" "$T/h.done"
mkfifo "$T/h.go"
FAMFS_SYSTEM_UUID=$CLIENT_UUID LD_PRELOAD="$SHIM" "$HOLD" mmap "$M2/f" 9 \
	"$T/h.ready" "$T/h.go" "$T/h.done" >"$T/h.out" 2>&1 &
h_pid=$!
track_pid "$h_pid"
check "the client maps f (shim)" wait_until 10 test -e "$T/h.ready"

check "rm f through the master's mount" rm "$M1/f"
check "f vanishes on the client" wait_until 2 bash -c "! stat '$M2/f' 2>/dev/null"
check_eq "fsck: 16 MiB pending, all on device 1" "16777216 0 16777216" "$(fsck_pending)"
check_fail "creat g: ENOSPC while the client maps f" "still held by a host" \
	"$FAMFS" creat -s 16M "$M1/g"

go h
check "the client unmaps" wait_until 10 test -s "$T/h.done"
# --no-zero: only the reused memory is zeroed (on its own device), nothing else;
# famfsd leaves such a creat on an rm file system to the CLI
check "creat --no-zero g reuses the memory" wait_until 10 \
	"$FAMFS" creat --no-zero -s 16M "$M1/g"
check_eq "g has exactly f's extent, on device 1" "$f_map" \
	"$("$FAMFS" getmap "$M1/g" | grep 'extent 0')"
check "g reads zeros on the master" cmp -n 16777216 "$M1/g" /dev/zero
check "g reads zeros on the client" wait_until 3 cmp -n 16777216 "$M2/g" /dev/zero
bad=
for ((i = 0; i < nfill; i++)); do
	"$FAMFS" verify -S $((100 + i)) -f "$M1/fill$i" >/dev/null 2>&1 || bad="$bad fill$i"
done
check_eq "every fill file keeps its bytes (device 0's too)" "" "$bad"
check_eq "fsck: nothing pending" "0 0 0" "$(fsck_pending)"
go h
wait "$h_pid"
check_eq "holder exit" 0 "$?"
check "fsck clean" "$FAMFS" fsck "$M1"
check "umount both" bash -c "'$FAMFS' umount '$M2' && '$FAMFS' umount '$M1'"
done_testing
