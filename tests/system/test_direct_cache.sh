#!/bin/bash
# test_direct_cache.sh - the direct-access client's per-process caches and
# when they must not serve (lib/mapcache.c, lib/logpeek.c), driven through
# one long-lived process (famfs_reopen) so that the caches outlive a change:
#  1. a second open of a mapped file shares its mapping (same protection
#     only); the last close unmaps it;
#  2. a re-open, and a first open, need no GET_FMAP (the maps come from the
#     log in device memory and the process's cache); FAMFS_NO_FMAP_CACHE=1
#     asks famfsd every time;
#  3. mkfs -f under a live mount, while famfsd has not noticed yet (its
#     check held open by the test build's pause point): a process that
#     mapped the old file is refused (EIO), never handed the old map, which
#     now points into another file of the new file system; and after famfsd
#     noticed, too;
#  4. a remount of the same mount point onto another device, whose file of
#     the same name has the same inode number: the running process maps the
#     new device's file (also with the old kernels' mount ids, and through
#     the preload shim);
#  5. no mapping of the device (the log's) outlives the process's last map
#     of the mount, with libfamfs and under the preload shim (a close, and
#     a munmap after the close).
. "$(dirname "$0")/lib.sh"

HOOKS=$FAMFS_BUILD/testhooks/famfsd
[ -x "$HOOKS" ] || { echo "FAIL: $HOOKS not built"; exit 1; }
P=$T/pause
mkdir -p "$P"
PY=/usr/bin/python3
TOOL=$BIN/famfs_reopen
SZ=8M

ops() { "$FAMFS" stats --json "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ops"]["get_fmap"])'; }
# field N of the one line of output of the tool matching PATTERN in $T/out
field() { grep -E "$1" "$T/out" | head -1 | cut -d' ' -f"$2"; }

newdev DEV 512M
check "mkfs" "$MKFS" "$DEV"
check "creat f" "$FAMFS" --device "$DEV" creat -s $SZ -r -S 1 f
check "creat g" "$FAMFS" --device "$DEV" creat -s $SZ -r -S 2 g
MNT=$T/mnt
mkdir -p "$MNT"
track_mount "$MNT"
check "mount (test build of famfsd)" env FAMFSD="$HOOKS" FAMFSD_TEST_PAUSE_DIR="$P" \
	"$FAMFS" mount "$DEV" "$MNT"
check "names looked up" stat "$MNT/f" "$MNT/g"

# --- 1. shared live mappings -----------------------------------------------------------
check "open f twice read-only, once read-write" "$TOOL" open:0:r:"$MNT/f" open:1:r:"$MNT/f" \
	open:2:w:"$MNT/f" sum:0 close:0 sum:1 mapped:0 close:1 mapped:1 sum:2 close:2 mapped:2
a0=$(field '^open 0' 3); a1=$(field '^open 1' 3); a2=$(field '^open 2' 3)
check_eq "the second read-only open shares the first one's mapping" "$a0" "$a1"
[ -n "$a2" ] && [ "$a2" != "$a0" ] && pass "a read-write open gets its own mapping" ||
	fail "a read-write open gets its own mapping ($a0 / $a2)"
S1=$(field '^sum 0' 3)
check_eq "the shared mapping still reads the file after the first close" "$S1" "$(field '^sum 1' 3)"
check_eq "... and stays mapped" "yes" "$(field '^mapped 0' 3)"
check_eq "the last close unmaps it" "no" "$(field '^mapped 1' 3)"
check_eq "the read-write mapping reads the same bytes" "$S1" "$(field '^sum 2' 3)"
check_eq "its close unmaps it" "no" "$(field '^mapped 2' 3)"

# --- 2. no GET_FMAP for a first open or a re-open ---------------------------------------
g0=$(ops "$MNT")
check "open and re-open f and g three times" "$TOOL" once:"$MNT/f" once:"$MNT/f" once:"$MNT/f" \
	once:"$MNT/g" once:"$MNT/g" once:"$MNT/g"
check_eq "f: the same bytes every time" 3 "$(grep -c "^once $S1" "$T/out")"
check_eq "g: three opens, the same bytes, not f's" "3 1" \
	"$(grep -vc "^once $S1" "$T/out") $(grep -v "^once $S1" "$T/out" | sort -u | wc -l)"
check_eq "no GET_FMAP: the maps came from the log and the process's cache" 0 \
	$(($(ops "$MNT") - g0))
g0=$(ops "$MNT")
check "FAMFS_NO_FMAP_CACHE=1: open f three times" env FAMFS_NO_FMAP_CACHE=1 "$TOOL" \
	once:"$MNT/f" once:"$MNT/f" once:"$MNT/f"
check_eq "FAMFS_NO_FMAP_CACHE=1: one GET_FMAP per open" 3 $(($(ops "$MNT") - g0))
check_eq "... and the same bytes" 3 "$(grep -c "^once $S1" "$T/out")"

# --- 3. mkfs -f under the live mount ----------------------------------------------------
# start CMD...: run CMD as a coprocess; TIN reads its output, TOUT writes
# its input (copies: bash drops R as soon as the coprocess ends).
start() {
	coproc R { "$@" 2>&1; }
	TPID=$R_PID
	track_pid "$TPID"
	exec {TIN}<&"${R[0]}" {TOUT}>&"${R[1]}"
}
# stop: close its input and reap it.
stop() {
	exec {TOUT}>&- {TIN}<&-
	wait "$TPID" 2>/dev/null
}
# next_line VAR: the tool's next line of output, or "(no answer)" after 60 s.
next_line() { IFS= read -r -t 60 "$1" <&"$TIN" || printf -v "$1" '%s' "(no answer)"; }
# The new file system is made on a scratch device and copied over DEV (a
# device mounted on this host refuses mkfs): g2 takes f's old extents.
newdev SCR 256M
check "mkfs the new file system (scratch device)" "$MKFS" "$SCR"
check "... g2 where f was" "$FAMFS" --device "$SCR" creat -s $SZ -r -S 3 g2
check "... and a new f" "$FAMFS" --device "$SCR" creat -s $SZ -r -S 4 f
start "$TOOL" once:"$MNT/f" wait once:"$MNT/f" wait once:"$MNT/f"
next_line l; check_eq "a process maps f" "once $S1" "$l"
next_line l; check_eq "... and waits" "wait" "$l"
# famfsd's next device check stops after its read; the kernel has the
# names cached, so no lookup makes famfsd notice what follows.
touch "$P/meta"
check "famfsd's device check is held" wait_until 20 test -e "$P/meta.paused"
check "the device is re-made under the mount" \
	dd if="$SCR" of="$DEV" bs=1M count=64 conv=notrunc status=none
echo go >&"$TOUT"
next_line l
case "$l" in
"once error -5: the file system on the device changed under the mount"*)
	pass "the re-open is refused (EIO), not served the old map: $l" ;;
*) fail "the re-open after the device was re-made: $l" ;;
esac
next_line l
rm -f "$P/meta"
eio() { "$@" 2>&1 | grep -q "Input/output error"; }
check "famfsd noticed: its lookups answer EIO" wait_until 20 eio stat "$MNT/new"
echo go >&"$TOUT"
next_line l
case "$l" in
"once error"*) pass "and refused once famfsd knows too: $l" ;;
*) fail "the re-open once famfsd knows: $l" ;;
esac
stop
check "umount the changed file system" "$FAMFS" umount "$MNT"

# --- 4. a remount onto another device ---------------------------------------------------
newdev DEVA 256M
newdev DEVB 256M
check "mkfs A" "$MKFS" "$DEVA"
check "creat A/f" "$FAMFS" --device "$DEVA" creat -s $SZ -r -S 1 f
# B's log is larger, so its f (the same first entry: the same inode
# number) lies elsewhere on the device.
check "mkfs B, 16 MiB log" "$MKFS" -l 16M "$DEVB"
check "creat B/f" "$FAMFS" --device "$DEVB" creat -s $SZ -r -S 5 f
# sum_of DEV: the checksum of DEV's f, mapped by a process of its own.
sum_of() {
	"$FAMFS" mount "$1" "$MNT" >/dev/null || return 1
	stat -c %i "$MNT/f" >"$T/ino.$2"
	"$TOOL" once:"$MNT/f" | cut -d' ' -f2
	"$FAMFS" umount "$MNT"
}
SA=$(sum_of "$DEVA" a)
SB=$(sum_of "$DEVB" b)
[ -n "$SA" ] && [ -n "$SB" ] && [ "$SA" != "$SB" ] && pass "A/f and B/f differ" ||
	fail "A/f and B/f differ ($SA / $SB)"
check_eq "B/f has A/f's inode number" "$(cat "$T/ino.a")" "$(cat "$T/ino.b")"
# remount_case WHAT VERB CMD...: a process of CMD VERB:f reads A/f, waits
# while A is unmounted and B mounted there, then reads f again.
remount_case() {
	local what=$1 verb=$2 a b l r0; shift 2
	check "$what: mount A" "$FAMFS" mount "$DEVA" "$MNT"
	start "$@" "$TOOL" "$verb:$MNT/f" wait "$verb:$MNT/f"
	next_line a
	next_line l
	check "$what: umount A" "$FAMFS" umount "$MNT"
	check "$what: mount B on the same mount point" "$FAMFS" mount "$DEVB" "$MNT"
	r0=$("$FAMFS" stats --json "$MNT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ops"]["read"])')
	echo go >&"$TOUT"
	next_line b
	stop
	check_eq "$what: A's f first" "$verb $SA" "$a"
	check_eq "$what: then B's f, not A's from a cache" "$verb $SB" "$b"
	check_eq "$what: B's f was read from its mapping, not through famfsd" "$r0" \
		"$("$FAMFS" stats --json "$MNT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ops"]["read"])')"
	check "$what: umount B" "$FAMFS" umount "$MNT"
}
remount_case "famfs_map_open" once env
remount_case "famfs_map_open, old mount ids" once env FAMFS_MNT_ID_LEGACY=1
remount_case "the preload shim" read env LD_PRELOAD="$SHIM"

# --- 5. no mapping of the device outlives the process's last map -------------------------
# (the log is mapped only while maps of the mount are open: a long-lived
# process must not pin a deleted image or keep /dev/daxX.Y busy.)
# devmaps: mappings of DEVA in the coprocess (bash may fork it a subshell)
devmaps() {
	local p
	for p in "$TPID" $(pgrep -P "$TPID"); do cat /proc/"$p"/maps; done 2>/dev/null |
		grep -c -F "$DEVA"
}
check "mount A again" "$FAMFS" mount "$DEVA" "$MNT"
for env in "" FAMFS_MNT_ID_LEGACY=1; do
	start env $env "$TOOL" once:"$MNT/f" wait open:0:r:"$MNT/f" wait close:0 wait
	next_line l; check_eq "${env:-unique ids}: a process opens and closes f" "once $SA" "$l"
	next_line l
	check_eq "... then has no mapping of the device" 0 "$(devmaps)"
	echo go >&"$TOUT"
	next_line l; next_line l
	n=$(devmaps)
	[ "$n" -gt 0 ] && pass "... maps it again to open f ($n mappings)" ||
		fail "... an open f has no mapping of the device"
	echo go >&"$TOUT"
	next_line l; next_line l
	check_eq "... and none after the last close" 0 "$(devmaps)"
	echo go >&"$TOUT"
	stop
done
# The same under the preload shim: a plain open, read and close of f, then a
# wait; and f mapped with mmap(2), its fd closed, then munmap(2) and a wait
# (famfs_rmhold mmap: the last reference goes in the shim's munmap).
start env LD_PRELOAD="$SHIM" "$TOOL" read:"$MNT/f" wait read:"$MNT/f" wait
next_line l; check_eq "shim: a process opens, reads and closes f" "read $SA" "$l"
next_line l
check_eq "... then has no mapping of the device" 0 "$(devmaps)"
echo go >&"$TOUT"
next_line l; check_eq "... reads it again" "read $SA" "$l"
next_line l
check_eq "... and has none after that close either" 0 "$(devmaps)"
echo go >&"$TOUT"
stop
HOLD=$BIN/famfs_rmhold
mkfifo "$T/h.go"
LD_PRELOAD="$SHIM" "$HOLD" mmap "$MNT/f" 1 "$T/h.ready" "$T/h.go" "$T/h.done" \
	>"$T/h.out" 2>&1 &
hp=$!
track_pid "$hp"
exec {HGO}<>"$T/h.go"
check "shim: a process maps f and closes its fd" wait_until 30 test -e "$T/h.ready"
n=$(grep -c -F "$DEVA" /proc/"$hp"/maps)
[ "$n" -ge 2 ] && pass "... maps the device: f and the log ($n mappings)" ||
	fail "... has $n mappings of the device, expected f's and the log's"
echo go >&"$HGO"
check "... unmaps f" wait_until 30 test -s "$T/h.done"
check_eq "... then has no mapping of the device" 0 "$(grep -c -F "$DEVA" /proc/"$hp"/maps)"
echo go >&"$HGO"
check "... and exits" wait_until 30 bash -c "! kill -0 $hp 2>/dev/null"
exec {HGO}>&-
check "umount A" "$FAMFS" umount "$MNT"
done_testing
