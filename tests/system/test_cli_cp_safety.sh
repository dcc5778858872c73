#!/bin/bash
# test_cli_cp_safety.sh - famfs cp run by root on trees other users own, and
# copies that must not half-fail or hold the log lock while data moves.
#
# 1. Links planted by user nobody in a tree root copies (one to a 0600 root
#    file, one to a root-only directory): skipped with a warning, and the
#    secret's bytes are nowhere on the device.
# 2. A file and a directory nobody swaps for links, and a file replaced by
#    another, after cp planned them:
#    made deterministic by holding the device's log flock, so cp stops at
#    its first lock after planning; nobody swaps; the lock is released.
#    The swapped sources are refused (not logged), the secret is nowhere.
# 3. A copy whose files fit the free bytes but not the free runs: refused
#    before anything is logged, naming the largest free run.
# 4. The log lock is not held while data is copied: cp copies from a famfs
#    mount whose famfsd is stopped after cp planned, so the copy waits;
#    meanwhile a mkdir on the target device must go through.
. "$(dirname "$0")/lib.sh"

chmod 711 "$T"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
D=$(mkdev 128M)
F() { "$FAMFS" --device "$D" "$@"; }
check "mkfs" "$MKFS" "$D"

TOKEN=famfs-secret-$RANDOM$RANDOM$RANDOM
mkdir -p "$T/secretdir"
chmod 700 "$T/secretdir"
printf '%s\n' "$TOKEN" >"$T/secret"
cp "$T/secret" "$T/secretdir/g"
chmod 600 "$T/secret" "$T/secretdir/g"
check "nobody cannot read the secret" bash -c "! as_nobody cat '$T/secret' 2>/dev/null"
# secret_nowhere WHAT: the token is in no byte of the device.
secret_nowhere() {
	if grep -aq "$TOKEN" "$D"; then
		fail "$1: root's 0600 file was copied onto the device"
	else
		pass "$1: the secret is nowhere on the device"
	fi
}
export -f as_nobody

# --- 1. links planted in the tree ---
U=$T/u1
mkdir -p "$U" && chown nobody:nogroup "$U"
as_nobody sh -c "echo mine >'$U/a' && mkdir '$U/sub' && echo deep >'$U/sub/b' &&
	ln -s '$T/secret' '$U/link' && ln -s '$T/secretdir' '$U/dlink' &&
	ln -s '$T/secret' '$U/sub/link2'" || fail "nobody could not build the tree"
F cp -r -m 0644 "$U" u1 >"$T/out1" 2>"$T/err1"
check_eq "cp -r of nobody's tree exits 0" 0 "$?"
for l in link dlink sub/link2; do
	grep -q "u1/$l: warning: symbolic link not copied" "$T/err1" &&
		pass "warns about $l" || fail "no warning about $l: $(cat "$T/err1")"
	check_fail "$l is not in famfs" "u1/$l" F getmap "u1/$l"
done
check_eq "the regular files were copied" "mine" "$(dev_bytes "$D" u1/a)"
check_eq "... below a directory too" "deep" "$(dev_bytes "$D" u1/sub/b)"
secret_nowhere "planted links"

# --- 2. a file and a directory swapped for links after planning ---
U=$T/u2
mkdir -p "$U" && chown nobody:nogroup "$U"
as_nobody sh -c "echo mine >'$U/f' && mkdir '$U/d' && echo deep >'$U/d/g' &&
	echo other >'$U/keep' && echo old >'$U/h' && echo new >'$U/.h2'" ||
	fail "nobody could not build the second tree"
INO=$(stat -c %i "$D")
exec {lk}<"$D"
flock -x "$lk" || fail "the test could not take the log lock"
F cp -r "$U" u2 >"$T/out2" 2>"$T/err2" &
cppid=$!
# cp has planned (opened f, d/g and keep) once it waits for the lock.
if wait_until 60 grep -q -- "-> FLOCK.*:$INO " /proc/locks; then
	pass "cp planned and waits for the log lock"
else
	fail "cp never waited for the log lock"
fi
as_nobody sh -c "rm '$U/f' && ln -s '$T/secret' '$U/f' && mv '$U/d' '$U/d.old' &&
	ln -s '$T/secretdir' '$U/d' && mv '$U/.h2' '$U/h'" || fail "nobody could not swap"
flock -u "$lk"
exec {lk}<&-
wait "$cppid"
check_eq "cp exits 1: three sources were swapped" 1 "$?"
grep -q "u2/f: .*now a symbolic link; not copied" "$T/err2" &&
	pass "names the swapped file" || fail "swapped file: $(cat "$T/err2")"
grep -q "u2/d/g: .*now a symbolic link; not copied" "$T/err2" &&
	pass "names the file below the swapped directory" || fail "swapped dir: $(cat "$T/err2")"
grep -q "u2/h: it was replaced by another file since the copy was planned; not copied" \
	"$T/err2" && pass "names the file replaced by another one" ||
	fail "replaced file: $(cat "$T/err2")"
check_fail "the swapped file was not logged" "u2/f" F getmap u2/f
check_fail "nor the replaced one" "u2/h" F getmap u2/h
check_fail "nor the file below the swapped directory" "u2/d/g" F getmap u2/d/g
check_eq "the untouched file was copied" "other" "$(dev_bytes "$D" u2/keep)"
secret_nowhere "swapped sources"
check "fsck is clean" F fsck

# --- 3. fits the free bytes, not the free runs ---
D3=$(mkdev 2G)
check "mkfs a 2 GiB device" "$MKFS" "$D3"
# Two buckets of 1 GiB: the strips sit at 10 MiB and at 1 GiB, leaving free
# runs of 1012 MiB and 1022 MiB (2034 MiB free).
check "an interleaved file splits the free space" "$FAMFS" --device "$D3" creat -s 4M \
	-N 2 -B 2 -C 2M ilv
mkdir -p "$T/big"
truncate -s 600M "$T/big/a600"
truncate -s 1100M "$T/big/b1100"
check_refused "$D3" "a copy of 1700 MiB that no layout fits is refused, nothing logged" \
	"device full: the copy needs 1782579200 bytes in 2 files; big/b1100 \(1153433600 bytes\) does not fit.*the largest free run was 1071644672 bytes \(2132803584 bytes free\); nothing was copied" \
	"$FAMFS" --device "$D3" cp -r "$T/big" big
check_fail "nothing of it is in famfs" "big" "$FAMFS" --device "$D3" getmap big/a600

# --- 4. no log lock while data moves ---
DA=$(mkdev 1G)
MA=$T/ma
mkdir -p "$MA"
check "mkfs the source device" "$MKFS" "$DA"
check "a 64 MiB source file" "$FAMFS" --device "$DA" creat -s 64M -r -S 3 big
check "mount the source" "$FAMFS" mount "$DA" "$MA"
track_mount "$MA"
FPID=$(famfsd_pid_of "$MA")
[ -n "$FPID" ] && pass "found the source's famfsd ($FPID)" || fail "no famfsd for $MA"
trap 'kill -CONT $FPID 2>/dev/null; famfs_cleanup' EXIT
INO=$(stat -c %i "$D")
exec {lk}<"$D"
flock -x "$lk"
F cp "$MA/big" big4 >"$T/out4" 2>"$T/err4" &
cppid=$!
wait_until 60 grep -q -- "-> FLOCK.*:$INO " /proc/locks ||
	fail "cp never waited for the log lock"
kill -STOP "$FPID"		# from now on reading the source waits
flock -u "$lk"
exec {lk}<&-
# cp logs big4, releases the lock and blocks reading the stopped mount.
if timeout 60 "$FAMFS" --device "$D" mkdir during >"$T/out" 2>"$T/err"; then
	pass "a mkdir on the device goes through while cp waits to copy data"
else
	fail "mkdir blocked (exit $?) while cp copied: cp holds the log lock"
fi
kill -0 "$cppid" 2>/dev/null && pass "cp was still copying meanwhile" ||
	fail "cp finished before the mkdir: the test proved nothing"
kill -CONT "$FPID"
wait "$cppid"
check_eq "cp exits 0 once the source answers" 0 "$?"
check "the copy is right" F verify -S 3 -f big4
check "fsck is clean" F fsck
done_testing
