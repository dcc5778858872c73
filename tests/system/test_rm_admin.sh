#!/bin/bash
# test_rm_admin.sh - the administrator's side of famfs rm (docs/rm.md):
# - without -O rm nothing of the feature reaches the media: every byte of
#   the superblock region past the superblock stays zero and so does the
#   horizon field of every entry, after creat, cp, mkdir and mounts;
#   famfs rm says how to turn deletes on;
# - famfs tune -O rm: refused on a mounted device and on a client, prints
#   what it costs, needs -y without a terminal, then deletes work and the
#   entries made before it stay valid;
# - famfs host list shows both mounts; famfs host evict of a live client
#   frees its hold (the administrator's risk): reuse proceeds, and the
#   evicted famfsd refuses new opens with EIO until it is remounted.
# - a host that stops answering (its famfsd stopped) blocks reuse, and
#   famfs stats, host list and fsck report it until it answers again.
. "$(dirname "$0")/lib.sh"

IMGTOOL=$BIN/famfs_imgtool
newdev DEV 256M
chmod 600 "$DEV"
M1=$T/master
M2=$T/client
mkdir -p "$M1" "$M2"
client() { FAMFS_SYSTEM_UUID=$CLIENT_UUID "$@"; }
famfs_d() { "$FAMFS" --device "$DEV" "$@"; }
# sbtail_zero: bytes [200, 2 MiB) of the superblock region are all zero.
sbtail_zero() { [ "$(head -c 2097152 "$DEV" | tail -c +201 | tr -d '\0' | wc -c)" -eq 0 ]; }
horizons_zero() {
	local n i
	n=$(($("$IMGTOOL" "$DEV" get log.next_index)))
	for ((i = 0; i < n; i++)); do
		[ $(($("$IMGTOOL" "$DEV" get "e$i.horizon"))) -eq 0 ] || return 1
	done
}

# --- without the feature: nothing of it on the media ----------------------------------
check "mkfs without -O" "$MKFS" "$DEV"
check_eq "superblock flags 0" 0 $(($("$IMGTOOL" "$DEV" get sb.flags)))
check "mkdir, creat, creat -r, cp" bash -c "'$FAMFS' --device '$DEV' mkdir -p a/b &&
	'$FAMFS' --device '$DEV' creat -s 3M a/f && '$FAMFS' --device '$DEV' creat -s 1M -r -S 2 a/b/g &&
	head -c 100000 /dev/urandom >'$T/src' && '$FAMFS' --device '$DEV' cp '$T/src' a/c"
track_mount "$M1"
check "mount, creat through it, umount" bash -c "'$FAMFS' mount '$DEV' '$M1' &&
	'$FAMFS' creat -s 2M '$M1/h' && '$FAMFS' umount '$M1'"
check "superblock region past the superblock: all zero" sbtail_zero
check "every entry's horizon field (upstream's padding): zero" horizons_zero
check_refused "$DEV" "famfs rm without the feature" "tune -O rm" famfs_d rm a/f
check "fsck clean" "$FAMFS" fsck "$DEV"

# --- famfs tune -O rm ---------------------------------------------------------------
check "mount" "$FAMFS" mount "$DEV" "$M1"
check_refused "$DEV" "tune refused while mounted" "mounted at" "$FAMFS" tune -O rm -y "$DEV"
check "umount" "$FAMFS" umount "$M1"
check_refused "$DEV" "tune refused on a client" "client" client "$FAMFS" tune -O rm -y "$DEV"
check_refused "$DEV" "tune without -y and no terminal: not done" "add -y" \
	"$FAMFS" tune -O rm "$DEV" </dev/null
cp "$T/out" "$T/tune.out"
check "... but it said what it costs" grep -q "upstream famfs tools replay this file system's log only up to the first" "$T/tune.out"
n=$(($("$IMGTOOL" "$DEV" get log.next_index)))
check "tune -O rm -y" "$FAMFS" tune -O rm -y "$DEV"
cp "$T/out" "$T/tune.out"
check "it says from which entry" grep -q "deletes from log entry $n" "$T/tune.out"
check_eq "superblock flag 0x100" $((0x100)) $(($("$IMGTOOL" "$DEV" get sb.flags)))
check "tune again: already on" "$FAMFS" tune -O rm -y "$DEV"
check "fsck clean after tune" "$FAMFS" fsck "$DEV"
check "the old files are all there" famfs_d verify -S 2 -f a/b/g
check "rm -r a works now" famfs_d rm -r a
check "fsck clean" "$FAMFS" fsck "$DEV"

# --- host list and evict ---------------------------------------------------------------
check "mount master" "$FAMFS" mount "$DEV" "$M1"
track_mount "$M2"
check "mount client" client "$FAMFS" mount "$DEV" "$M2"
check "host list shows both famfsd" bash -c "'$FAMFS' host list '$M1' | grep -c ' famfsd ' |
	grep -qx 2"
check "host list --json" bash -c "'$FAMFS' host list --json '$M1' |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d[\"hosts\"]) == 2'"
i=0
while "$FAMFS" creat -s 2M "$M1/fill$i" 2>/dev/null; do i=$((i + 1)); done
check "client sees fill0" wait_until 3 test -e "$M2/fill0"
# A process of the client holds fill0 open (not this shell: every process it
# starts would inherit the fd and FLUSH it through the client at exit).
hold_open "$M2/fill0"
check "rm fill0 (held open on the client)" rm "$M1/fill0"
check_fail "creat: ENOSPC while the client holds it" "still held" "$FAMFS" creat -s 2M "$M1/n"
# A host that stops answering (its famfsd stopped: no beat for over 10 s)
# keeps blocking reuse, and famfs stats, host list and fsck say so. (Nothing
# below touches the client's mount while its famfsd is stopped.)
cpid=$(famfsd_pid_of "$M2")
check "the client's famfsd is running" test -n "$cpid"
stale_n() { "$FAMFS" stats --json "$M1" | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)["rm"]["not_answering"])'; }
stale_is() { [ "$(stale_n)" = "$1" ]; }
check_eq "stats: every host answers" 0 "$(stale_n)"
kill -STOP "$cpid"
check "stats on the master: one host not answering, within 20 s" wait_until 20 stale_is 1
check "host list: the client is not answering" bash -c \
	"'$FAMFS' host list '$M1' | grep '$CLIENT_UUID' | grep -q 'not answering'"
"$FAMFS" fsck "$M1" >"$T/fsck.out" 2>&1
check "fsck names the host that is not answering" grep -q "host $CLIENT_UUID .* not answering" \
	"$T/fsck.out"
check_fail "creat: still ENOSPC (the silent host still blocks reuse)" "still held" \
	"$FAMFS" creat -s 2M "$M1/n"
kill -CONT "$cpid"
check "the client answers again" wait_until 10 stale_is 0
check_fail "evict without -y and no terminal: not done" "add -y" \
	"$FAMFS" host evict "$M1" "$CLIENT_UUID" </dev/null
cp "$T/out" "$T/evict.out"
check "... it said what it would evict and that it is a risk" grep -q "your risk" "$T/evict.out"
check_fail "... and the hold is still there" "still held" "$FAMFS" creat -s 2M "$M1/n"
check "host evict -y the client" "$FAMFS" host evict -y "$M1" "$CLIENT_UUID"
check "the memory is reused at once" "$FAMFS" creat -s 2M "$M1/n"
check "the evicted client refuses new opens (EIO)" wait_until 5 bash -c \
	"! cat '$M2/fill1' >/dev/null 2>'$T/cat.err' && grep -q 'Input/output error' '$T/cat.err'"
check "famfs stats of the client says evicted" bash -c "'$FAMFS' stats '$M2' | grep -q rm_evicted"
kill "$opener"
wait "$opener" 2>/dev/null
check "remount the client: it registers again" bash -c "'$FAMFS' umount '$M2' &&
	FAMFS_SYSTEM_UUID=$CLIENT_UUID '$FAMFS' mount '$DEV' '$M2' && cat '$M2/fill1' >/dev/null"
check_fail "evict of a host that is not there" "no such host" \
	"$FAMFS" host evict -y "$M1" aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
check "fsck clean" "$FAMFS" fsck "$M1"
done_testing
