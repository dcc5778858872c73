#!/bin/bash
# test_rel_memory.sh - memory is bounded by the log, not by what its entries
# name (issue 18). Two crafted default (8 MiB) logs, made by famfs_logcraft:
#   deep:  15,000 files 39 levels deep, no two sharing a directory (570,000
#          implicit directories named; this took 558+ MiB before the cap);
#   worst: the most nodes replay accepts: implicit directories up to the cap
#          (one per log slot) and a file in every slot.
# Peak RSS of `famfs ls -R` and `famfs fsck` (with --device) and of famfsd
# (mounted, after `ls -R` of the whole tree) must stay under 100 MiB, and on
# the worst log under the stated cost: the empty-image baseline + the mapped
# log + FAMFS_NS_FILE_COST per file + FAMFS_NS_DIR_COST per implicit
# directory (lib/ns.c, include/famfs/ns.h) + 4 MiB of slack.
. "$(dirname "$0")/lib.sh"

CRAFT=$BIN/famfs_logcraft
LIMIT_KB=$((100 * 1024))
FILE_COST=1072	# FAMFS_NS_FILE_COST
DIR_COST=272	# FAMFS_NS_DIR_COST
LOG_KB=$((8 * 1024))
D=$(mkdev 40G)
MNT=$T/mnt
mkdir -p "$MNT"
rss_ok=1
if [ "$FAMFS_SANITIZED" = 1 ]; then
	# ASan's shadow memory and quarantine make RSS meaningless here: the
	# bounds are checked by the plain build; the behaviour is checked in both.
	echo "note: sanitizer build: RSS bounds not asserted, behaviour is"
	rss_ok=0
fi
famfs_d() { "$FAMFS" --device "$D" "$@"; }

# peak_kb CMD...: run CMD (output discarded), print its peak RSS in KiB.
peak_kb() {
	/usr/bin/time -o "$T/time" -f %M "$@" >/dev/null 2>"$T/cmd.err"
	tail -1 "$T/time"
}

# famfsd_kb: mount $D, walk the whole tree, print famfsd's peak RSS (KiB).
famfsd_kb() {
	local pid kb
	if ! famfs mount "$D" "$MNT" >/dev/null 2>"$T/mount.err"; then
		fail "mount: $(head -c 200 "$T/mount.err")"
		echo 0
		return
	fi
	track_mount "$MNT"
	pid=$(famfsd_pid_of "$MNT")
	ls -R "$MNT" >"$T/walk" 2>&1
	kb=$(awk '/^VmHWM:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
	echo "walk: $(wc -l <"$T/walk") lines" >&2
	famfs umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT"
	echo "${kb:-0}"
}

# bound NAME KB MAX: KB must be at most MAX (unless RSS is not measured).
bound() {
	echo "$1: peak RSS $2 KiB (bound $3 KiB)"
	[ "$rss_ok" = 1 ] || return 0
	if [ "$2" -gt 0 ] && [ "$2" -le "$3" ]; then
		pass "$1: $2 KiB <= $3 KiB"
	else
		fail "$1: peak RSS $2 KiB, bound $3 KiB"
	fi
}

check "mkfs" "$MKFS" "$D"
BASE_LS=$(peak_kb "$FAMFS" --device "$D" ls -R)
BASE_FSCK=$(peak_kb "$FAMFS" --device "$D" fsck)
BASE_D=$(famfsd_kb)
echo "empty image: ls $BASE_LS KiB, fsck $BASE_FSCK KiB, famfsd $BASE_D KiB"

# --- the hostile log: deep paths that share nothing ---
check "craft 15,000 deep paths" "$CRAFT" "$D" deep 15000
KB=$(peak_kb "$FAMFS" --device "$D" ls -R)
bound "deep: famfs ls -R" "$KB" $LIMIT_KB
check_eq "deep: ls exits 1 (replay stops at the cap)" 1 \
	"$("$FAMFS" --device "$D" ls >/dev/null 2>&1; echo $?)"
KB=$(peak_kb "$FAMFS" --device "$D" fsck)
bound "deep: famfs fsck" "$KB" $LIMIT_KB
if grep -q "log entry 405 .*needs 38 implicit directories; 15390 of at most 15420 exist" \
	"$T/cmd.err"; then
	pass "deep: fsck names the first entry past the cap"
else
	fail "deep: fsck stderr: $(head -c 300 "$T/cmd.err")"
fi
KB=$(famfsd_kb)
bound "deep: famfsd" "$KB" $LIMIT_KB
grep -q "stopped at entry 405" "$T/mount.err" && pass "deep: famfsd stopped at entry 405" ||
	fail "deep: famfsd: $(head -c 200 "$T/mount.err")"

# --- the worst log the limits accept ---
check "mkfs -f" "$MKFS" -f "$D"
"$CRAFT" "$D" worst >"$T/craft" || fail "craft worst"
read -r _ NENT _ NIMP <"$T/craft"
echo "worst: $NENT files, $NIMP implicit directories"
check "worst: fsck is clean" "$FAMFS" --device "$D" fsck
check_eq "worst: ls -R lists every node" $((NENT + NIMP)) \
	"$("$FAMFS" --device "$D" ls -R 2>/dev/null | wc -l)"
COST=$(((NENT * FILE_COST + NIMP * DIR_COST) / 1024 + LOG_KB + 4096))
KB=$(peak_kb "$FAMFS" --device "$D" ls -R)
bound "worst: famfs ls -R" "$KB" $LIMIT_KB
bound "worst: famfs ls -R, stated cost" "$KB" $((BASE_LS + COST))
KB=$(peak_kb "$FAMFS" --device "$D" fsck)
bound "worst: famfs fsck" "$KB" $LIMIT_KB
bound "worst: famfs fsck, stated cost" "$KB" $((BASE_FSCK + COST))
KB=$(famfsd_kb)
bound "worst: famfsd" "$KB" $LIMIT_KB
bound "worst: famfsd, stated cost" "$KB" $((BASE_D + COST))
check_eq "worst: the walk saw every node" $((NENT + NIMP)) \
	"$(grep -vc -e '^$' -e ':$' "$T/walk")"
done_testing
