#!/bin/bash
# test_rm_crash.sh - crash safety of deletes and of reuse (docs/rm.md,
# section 9). The master is killed (SIGKILL, by the FAMFS_CRASH_POINT test
# hook) at every step of a delete and of a reuse; after each kill fsck is
# clean (so no memory belongs to two live files), the file is there or
# gone exactly as the step says, the dead command's host record is cleaned
# by the next famfs command of the host, and the operation then works.
# famfsd is killed in the middle of an unlink through its mount too.
# Finally fsck must catch a reuse that broke the rule in a hand-made image
# (a FILE over a deleted file's memory with a horizon that does not pass
# the delete), exit 1 and name both files, and famfsd must refuse it.
. "$(dirname "$0")/lib.sh"

IMGTOOL=$BIN/famfs_imgtool
newdev DEV 256M
chmod 600 "$DEV"
famfs_d() { "$FAMFS" --device "$DEV" "$@"; }
next_index() { echo $(($("$IMGTOOL" "$DEV" get log.next_index))); }
uncommitted_delete() {	# slot next_index holds a whole DELETE the header does not cover
	local n
	n=$(next_index)
	[ $(($("$IMGTOOL" "$DEV" get "e$n.type"))) -eq 2 ] &&
		[ "$("$IMGTOOL" "$DEV" crcok "e$n")" = ok ]
}
uncommitted_file() {
	local n
	n=$(next_index)
	[ $(($("$IMGTOOL" "$DEV" get "e$n.type"))) -eq 0 ] &&
		[ "$("$IMGTOOL" "$DEV" crcok "e$n")" = ok ]
}
no_host() { famfs_d host list | grep -q ' 0 in use'; }
exists() { famfs_d ls | grep -qx "$1"; }

check "mkfs.famfs -O rm" "$MKFS" -O rm "$DEV"

# --- every step of a delete -----------------------------------------------------------
for p in delete-checked append-written append-seqnum delete-committed; do
	check "$p: creat a_$p" famfs_d creat -s 3M -r -S 5 "a_$p"
	FAMFS_CRASH_POINT=$p "$FAMFS" --device "$DEV" rm "a_$p" >/dev/null 2>&1
	check_eq "$p: rm was killed" 137 "$?"
	case $p in
	append-*) check "$p: the DELETE was written but not committed" uncommitted_delete ;;
	esac
	check "$p: fsck clean" "$FAMFS" fsck "$DEV"
	if [ $p = delete-committed ]; then
		check "$p: a_$p is gone" bash -c "! '$FAMFS' --device '$DEV' ls | grep -qx 'a_$p'"
	else
		check "$p: a_$p is still there, its bytes intact" famfs_d verify -S 5 -f "a_$p"
		check "$p: rm again" famfs_d rm "a_$p"
	fi
	check "$p: the killed rm's host record was cleaned" no_host
done

# --- every step of a reuse ------------------------------------------------------------
i=0
while famfs_d creat -s 2M "fill$i" 2>/dev/null; do i=$((i + 1)); done
check "creat x (8M, pattern 7) after making room" bash -c "'$FAMFS' --device '$DEV' rm fill0 fill1 fill2 fill3 &&
	'$FAMFS' --device '$DEV' creat -s 8M -r -S 7 x"
x_map=$(famfs_d getmap x | grep 'extent 0')
check "rm x: its memory is pending, reusable (no host holds it)" famfs_d rm x
# --no-zero: the memory a deleted file left is zeroed even so (reuse-zeroing
# stops it halfway through); zeroed-creat: a plain creat, which zeroes the
# whole file first, killed after that.
for p in reuse-horizon reuse-zeroing reuse-zeroed zeroed-creat append-written append-seqnum; do
	case $p in
	zeroed-creat) FAMFS_CRASH_POINT=reuse-zeroed "$FAMFS" --device "$DEV" creat -s 8M \
			"g_$p" >/dev/null 2>&1 ;;
	*) FAMFS_CRASH_POINT=$p "$FAMFS" --device "$DEV" creat -s 8M --no-zero "g_$p" \
			>/dev/null 2>&1 ;;
	esac
	check_eq "$p: creat was killed" 137 "$?"
	case $p in
	append-*) check "$p: the FILE was written but not committed" uncommitted_file ;;
	esac
	check "$p: fsck clean" "$FAMFS" fsck "$DEV"
	check "$p: g_$p does not exist" bash -c "! '$FAMFS' --device '$DEV' ls | grep -qx 'g_$p'"
	check "$p: the killed creat's host record was cleaned" no_host
done
check "creat g --no-zero: it reuses x's memory" famfs_d creat -s 8M --no-zero g
check_eq "g has exactly x's extent" "$x_map" "$(famfs_d getmap g | grep 'extent 0')"
check "g reads zeros (after a kill halfway through zeroing)" bash -c \
	"cmp <($(declare -f dev_bytes); FAMFS='$FAMFS' dev_bytes '$DEV' g) <(head -c 8388608 /dev/zero)"
check "fsck clean" "$FAMFS" fsck "$DEV"

# --- famfsd killed in the middle of an unlink through its mount -------------------------
M=$T/mnt
mkdir -p "$M"
track_mount "$M"
check "mount (famfsd will die after committing a delete)" env FAMFS_CRASH_POINT=delete-committed \
	"$FAMFS" mount "$DEV" "$M"
fpid=$(pgrep -f "famfsd .*$M\$" | head -1)
check_fail "rm through the mount: famfsd dies" "connected|abort" rm "$M/fill4"
check "famfsd is gone" wait_until 5 bash -c "! kill -0 $fpid 2>/dev/null"
check "umount the dead mount" "$FAMFS" umount "$M"
check "fsck clean" "$FAMFS" fsck "$DEV"
check "fill4 is gone (its delete was committed)" bash -c "! '$FAMFS' --device '$DEV' ls | grep -qx fill4"
check "mount again" "$FAMFS" mount "$DEV" "$M"
# The new famfsd cleans dead records when it registers, unless another
# famfs process holds the host-local lock at that moment (it never waits
# for it); then the next allocation cleans them. So: reuse first, which
# needs the dead record gone, then count.
check "fill4's memory is reused" "$FAMFS" creat -s 2M "$M/h"
check_eq "the dead famfsd's record was cleaned: one host in the table" 1 \
	"$("$FAMFS" host list --json "$M" | grep -c '"kind"')"
check "umount" "$FAMFS" umount "$M"

# --- fsck and replay catch a reuse that broke the rule ----------------------------------
check "rm fill5 (room for p1)" famfs_d rm fill5
check "creat p1" famfs_d creat -s 2M p1
j=$(next_index)
check "rm p1" famfs_d rm p1
check "creat p2: reuses p1's memory (no host holds it)" famfs_d creat -s 2M p2
k=$((j + 1))
check_eq "p2 is entry $k with horizon $((j + 1))" $((j + 1)) $(($("$IMGTOOL" "$DEV" get "e$k.horizon")))
check "hand-made: p2's horizon stops at the delete ($j)" "$IMGTOOL" "$DEV" set "e$k.horizon" "$j" -c
"$FAMFS" fsck "$DEV" >"$T/fsck.out" 2>"$T/fsck.err"
check_eq "fsck exits 1" 1 "$?"
check "fsck names both files" grep -q "log entry $k (p2) reuses memory of log entry $((j - 1)) (p1), deleted but not reusable yet (horizon $j)" "$T/fsck.out"
check "a mount does not serve p2" bash -c "'$FAMFS' mount '$DEV' '$M' 2>/dev/null;
	! stat '$M/p2' >/dev/null 2>&1"
"$FAMFS" umount "$M" >/dev/null 2>&1
check "put the horizon back" "$IMGTOOL" "$DEV" set "e$k.horizon" $((j + 1)) -c
check "fsck clean again" "$FAMFS" fsck "$DEV"
done_testing
