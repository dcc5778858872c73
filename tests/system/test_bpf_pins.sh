#!/bin/bash
# test_bpf_pins.sh - BPF pins (famfs mount -o bpf) belong to one mount.
# They are named by the mount's st_dev and its famfsd's mount id. When
# famfsd dies, its pins stay; famfs umount removes them. A later mount with
# the same st_dev must not use them: the kernel hands a freed st_dev to the
# next mount, and a direct-access client that took the dead famfsd's map
# would read and write that mount's files in the wrong device. Reproduced
# by moving a dead famfsd's pins under the st_dev of another mount, which
# is what the reuse leaves behind. A client's descriptors on the pins are
# read-only: a root process under the shim that drops privileges cannot
# rewrite the maps every other client trusts.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PINROOT=/sys/fs/bpf/famfs
DA=$(mkdev 1G)
DB=$(mkdev 1G)
MA=$T/a
MB=$T/b
mkdir -p "$MA" "$MB"
check "mkfs A" "$MKFS" "$DA"
check "mkfs B" "$MKFS" "$DB"
check "creat A/f" "$FAMFS" --device "$DA" creat -s 4M -r -S 1 f
check "creat B/f" "$FAMFS" --device "$DB" creat -s 4M -r -S 2 f

pin_of() { $PY -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.famfs.bpf").decode())' "$1"; }
get_fmaps() {
	"$FAMFS" stats --json "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ops"]["get_fmap"])'
}
# kill_famfsd DEV MNT: SIGKILL the famfsd serving DEV on MNT; wait until it is gone.
kill_famfsd() {
	local pid
	pid=$(pgrep -f -- "famfsd .*$1 $2\$") || return 1
	kill -9 "$pid" && wait_until 10 bash -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
}

# --- famfs umount removes the pins of a famfsd that died ---------------------------
track_mount "$MA"
check "mount A -o bpf" "$FAMFS" mount -o bpf "$DA" "$MA"
DEVA=$(mountpoint -d "$MA")
PIN=$(pin_of "$MA")
echo "pin directory: $PIN"
check "pins are named by st_dev and mount id" \
	bash -c "[[ '$PIN' =~ ^$PINROOT/dev-$DEVA-[0-9a-f]{32}\$ ]]"
check "famfsd of A killed" kill_famfsd "$DA" "$MA"
check "its pins stay" test -e "$PIN/files"
check "famfs umount of the dead mount" "$FAMFS" umount "$MA"
check "famfs umount removed them" test ! -e "$PIN"

# --- a dead famfsd's pins under the st_dev of another mount --------------------------
check "mount A -o bpf again" "$FAMFS" mount -o bpf "$DA" "$MA"
track_mount "$MB"
check "mount B (default mode)" "$FAMFS" mount "$DB" "$MB"
DEVA=$(mountpoint -d "$MA")
DEVB=$(mountpoint -d "$MB")
PIN=$(pin_of "$MA")
check "shim maps A/f through the BPF map" bash -c "LD_PRELOAD='$SHIM' cat '$MA/f' >'$T/fa'"
check_eq "... with no GET_FMAP" 0 "$(get_fmaps "$MA")"
check "A/f read right" "$FAMFS" verify -S 1 -f "$MA/f"
# A root process under the shim keeps the mount's BPF maps open once it
# used them. After it drops privileges it must not be able to rewrite them:
# every other shim process on the host maps files by what they say.
chmod 711 "$T"
chmod 600 "$DA"
check "a root shim process maps A/f through the BPF map, drops root, and cannot write the maps" \
	env FAMFS_SHIMPRIV_BPF=1 LD_PRELOAD="$SHIM" "$BIN/famfs_shimpriv" "$MA/f" "$DA" 65534
sed 's/^/  /' "$T/out"
FAMFS_PRELOAD_DISABLE=1 cat "$MB/f" >"$T/fb"
check "famfsd of A killed" kill_famfsd "$DA" "$MA"
STALE=$PINROOT/dev-$DEVB${PIN#"$PINROOT/dev-$DEVA"}
check "A's pins moved under B's st_dev ($STALE)" mv "$PIN" "$STALE"
g0=$(get_fmaps "$MB")
check "shim: B/f reads B's bytes, not the stale map's" \
	bash -c "FAMFS_NO_FMAP_CACHE=1 LD_PRELOAD='$SHIM' cat '$MB/f' | cmp - '$T/fb'"
check_eq "... mapped through GET_FMAP" 1 $(($(get_fmaps "$MB") - g0))
check "the stale pins were removed by the client" test ! -e "$STALE"
check "famfs_map_open: B/f reads B's bytes" bash -c "'$BIN/famfs_mapcat' '$MB/f' | cmp - '$T/fb'"
check "famfs umount of the dead mount" "$FAMFS" umount "$MA"
check "umount B" "$FAMFS" umount "$MB"
# By this test's own pin names: once A and B are unmounted, another test's
# mount may get the same st_dev and pins of its own.
check_eq "no pins left of A's mount" "" "$(ls -d "$PINROOT"/dev-*-"${PIN##*-}" 2>/dev/null)"
check "no pins left under B's st_dev" test ! -e "$STALE"

done_testing
