#!/bin/bash
# test_rel_hostile_map.sh - issue 18's hostile interleaved map, end to end,
# with a real unprivileged user.
#
# Part 1: a 0666 interleaved file is hand-edited so that its strips are
# 2 MiB but its chunks 8 MiB: the strips still add up to the file size,
# but chunk 0 runs 6 MiB past strip 0, over the memory the allocator hands
# the next file. fsck must call the entry bad, replay must stop there (so
# root's next creat is refused instead of landing in that memory), the
# mount must not serve the file, and user nobody must never read or change
# the bytes of root's 0600 file through it.
#
# Part 2: the same map reaches a client anyway (a BPF map entry rewritten
# behind famfsd's back, as a buggy or compromised server could; cat then
# reads the file under the preload shim from a descriptor opened before the
# entry was changed): the shim refuses the file at open (reads pass through
# to famfsd) instead of mapping it from memory outside its strips.
. "$(dirname "$0")/lib.sh"

IMGTOOL=$BIN/famfs_imgtool
chmod 711 "$T"			# nobody must reach the mount points under $T
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
MIB=$((1024 * 1024))
LOGEND=$((0x200000 + 0x800000))	# first data byte: 2 MiB superblock + 8 MiB log

# --- part 1: the hostile log entry ---
D=$(mkdev 8G)
MNT=$T/mnt
mkdir -p "$MNT"
famfs_d() { "$FAMFS" --device "$D" "$@"; }
check "mkfs" "$MKFS" "$D"
check "creat a 0666 interleaved file (4 strips of 2 MiB)" \
	famfs_d creat -s 8M -N 4 -C 2M -m 0666 evil
check_eq "entry 0 is interleaved" 0x1 "$("$IMGTOOL" "$D" get e0.ext_type)"
check_eq "its strips are 2 MiB" 0x200000 "$("$IMGTOOL" "$D" get e0.strip0.len)"
# Strip 0 at the first data unit, the others far away; chunk 8 MiB.
"$IMGTOOL" "$D" set e0.strip0.offset $LOGEND -c &&
"$IMGTOOL" "$D" set e0.strip1.offset $((1 << 30)) -c &&
"$IMGTOOL" "$D" set e0.strip2.offset $((2 << 30)) -c &&
"$IMGTOOL" "$D" set e0.strip3.offset $((3 << 30)) -c &&
"$IMGTOOL" "$D" set e0.chunk 0x800000 -c || fail "imgtool could not craft entry 0"
check_eq "the crafted entry has a valid CRC" ok "$("$IMGTOOL" "$D" crcok e0)"

famfs_d fsck >"$T/fsck.out" 2>"$T/fsck.err"
check_eq "fsck exits 1 on the hostile entry" 1 "$?"
if grep -q "log entry 0 (evil).*not a multiple of the chunk size" "$T/fsck.err"; then
	pass "fsck names the entry and the rule: $(head -1 "$T/fsck.err" | cut -c1-120)"
else
	fail "fsck stderr: $(head -c 300 "$T/fsck.err")"
fi
SUM=$(meta_sum "$D")
check_refused "$D" "root's creat after the hostile entry is refused" "damaged" \
	famfs_d creat -s 6M -m 0600 -r -S 5 secret

if famfs mount "$D" "$MNT" >/dev/null 2>"$T/mount.err"; then
	track_mount "$MNT"
	pass "mount serves the valid prefix"
	grep -q "stopped at entry 0" "$T/mount.err" &&
		pass "famfsd says it stopped at entry 0" ||
		fail "famfsd did not report entry 0: $(head -c 200 "$T/mount.err")"
	check_fail "the hostile file is not served" "No such file" ls "$MNT/evil"
	check_fail "nobody cannot read through it" "No such file" as_nobody cat "$MNT/evil"
	# Had the creat gone through (today's bug), this is what nobody saw.
	if [ -e "$MNT/secret" ]; then
		as_nobody dd if="$MNT/evil" bs=1M skip=2 count=6 status=none >"$T/leak" 2>/dev/null
		if head -c $((6 * MIB)) "$MNT/secret" | cmp -s - "$T/leak"; then
			fail "nobody read root's 0600 file through the 0666 hostile file"
		fi
		head -c $((2 * MIB)) /dev/zero | as_nobody dd of="$MNT/evil" bs=1M seek=2 \
			conv=notrunc status=none 2>/dev/null
		"$FAMFS" verify -S 5 -f "$MNT/secret" >/dev/null 2>&1 ||
			fail "nobody overwrote root's 0600 file through the hostile file"
	fi
	famfs umount "$MNT" >/dev/null 2>&1 || umount -l "$MNT"
else
	fail "mount: $(head -c 300 "$T/mount.err")"
fi
check_eq "nothing changed the log" "$SUM" "$(meta_sum "$D")"

# --- part 2: the same map served to the shim through the BPF map ---
D2=$(mkdev 8G)
M2=$T/m2
mkdir -p "$M2"
check "mkfs (bpf)" "$MKFS" "$D2"
check "creat an interleaved file, 4 strips of 2 MiB, seeded bytes" \
	"$FAMFS" --device "$D2" creat -s 8M -N 4 -C 2M -r -S 9 -m 0644 inter
if "$FAMFS" mount -o bpf "$D2" "$M2" >/dev/null 2>"$T/m2.err"; then
	track_mount "$M2"
	cat "$M2/inter" >"$T/true" || fail "read through FUSE"
	# The tool's path with the entry as famfsd made it: the shim maps it.
	FAMFS_PRELOAD_DEBUG=1 LD_PRELOAD=$SHIM "$BIN/famfs_bpfpoke" "$M2/inter" 0x200000 cat \
		>"$T/good" 2>"$T/good.err"
	check_eq "cat of the entry as famfsd made it exits 0" 0 "$?"
	grep -q "adopted" "$T/good.err" && grep -q "mapped" "$T/good.err" &&
		pass "the shim adopted and mapped the file from the BPF entry" ||
		fail "the shim did not map the file: $(head -c 300 "$T/good.err")"
	cmp -s "$T/true" "$T/good" && pass "mapped bytes are the file's" ||
		fail "mapped bytes differ from the file's"
	# Now the hostile entry: 8 MiB chunks over 2 MiB strips.
	FAMFS_PRELOAD_DEBUG=1 LD_PRELOAD=$SHIM "$BIN/famfs_bpfpoke" "$M2/inter" 0x800000 cat \
		>"$T/bad" 2>"$T/bad.err"
	rc=$?
	[ $rc -lt 128 ] && pass "no crash reading the hostile map (exit $rc)" ||
		fail "cat died with signal $((rc - 128))"
	check_eq "cat exits 0 (reads pass through to famfsd)" 0 "$rc"
	if grep -q "not mapped, passing through.*not a multiple of the chunk size" "$T/bad.err"
	then
		pass "the shim refused the map at open: $(grep -o 'not mapped.*' "$T/bad.err" |
			head -1 | cut -c1-110)"
	else
		fail "the shim did not refuse the map: $(head -c 400 "$T/bad.err")"
	fi
	cmp -s "$T/true" "$T/bad" && pass "reads return the file's own bytes" ||
		fail "reads returned bytes that are not the file's (memory outside its strips)"
	famfs umount "$M2" >/dev/null 2>&1 || umount -l "$M2"
else
	fail "mount -o bpf: $(head -c 300 "$T/m2.err")"
fi
done_testing
