#!/bin/bash
# test_rel_concurrency.sh - two readers replay the log in a tight loop
# (raw famfs_log_read of every new entry, re-reads of old ones, and a
# famfs_fs catch-up) while the master appends 10,000 entries. They must
# see zero torn or invalid entries, no committed entry ever changing, and
# a namespace that agrees with the raw log. Every entry must be what the
# master wrote at its index (path, size, mode), and each reader must have
# seen the log partly written (it really ran alongside the master).
. "$(dirname "$0")/lib.sh"

N=${REL_ENTRIES:-10000}
D=$(mkdev 16G)
"$MKFS" "$D" >/dev/null || { fail mkfs; done_testing; }
STRESS=$BIN/famfs_logstress
"$STRESS" read "$D" "$N" 240 >"$T/r1" 2>"$T/r1.err" &
r1=$!
"$STRESS" read "$D" "$N" 240 >"$T/r2" 2>"$T/r2.err" &
r2=$!
track_pid $r1
track_pid $r2
check "readers opened the device" wait_until 60 \
	bash -c "grep -qx ready '$T/r1' && grep -qx ready '$T/r2'"
check "master appends $N entries" "$STRESS" append "$D" "$N"
wait $r1; rc1=$?
wait $r2; rc2=$?
cat "$T/r1" "$T/r2"
check_eq "reader 1: no torn, invalid, wrong or changed entry; ran concurrently" 0 "$rc1"
check_eq "reader 2: no torn, invalid, wrong or changed entry; ran concurrently" 0 "$rc2"
for r in r1 r2; do
	p=$(sed -n 's/.*passes (\([0-9]*\) while.*/\1/p' "$T/$r")
	check "$r: passes while the log was partly written: ${p:-none}" test "${p:-0}" -gt 0
done
head -3 "$T/r1.err" "$T/r2.err"
check "fsck clean after the stress" "$FAMFS" --device "$D" fsck
done_testing
