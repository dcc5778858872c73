#!/bin/bash
# test_upstream_view.sh - what upstream famfs's phase-1 reader makes of our
# images (famfs_upview states its documented behaviour independently).
# A one-device image is read as we read it: the same files with the same
# extents, and the format bytes that mark several devices are absent
# (superblock flags 0, no ADD_DAXDEV, plain CRCs). On a multi-device image
# upstream replays the prefix up to the first file with an extent on
# another device and stops there, never serving a file with another
# device's extents, and its bitmap rebuild sees no collision and writes
# nothing out of bounds. Without the CRC tag it would do both.
. "$(dirname "$0")/lib.sh"

UP=$BIN/famfs_upview
IMG=$BIN/famfs_imgtool
newdev ONE 4G
newdev D0 1G
newdev D1 4G
export FAMFS_DAXDEV_PATH="${_famfs_devprefix}*"

# ours: "file PATH SIZE D:OFF:LEN..." for every file, from famfs ls and getmap
ours() {
	local dev=$1 f
	for f in $2; do
		"$FAMFS" --device "$dev" getmap "$f" | awk -v f="$f" '
			/^  size:/ { size = $2 }
			/^  (extent|strip) [0-9]+:/ { x = x sprintf(" %d:%s:%s", $4, $6, $8) }
			END { print "file " f " " size x }'
	done
}

# --- one device ---------------------------------------------------------------------
check "mkfs (one device)" "$MKFS" "$ONE"
check "mkdir d" "$FAMFS" --device "$ONE" mkdir d
check "creat d/a" "$FAMFS" --device "$ONE" creat -s 3M d/a
check "creat i (interleaved)" "$FAMFS" --device "$ONE" creat -s 20M -N 2 -B 4 -C 4M i
head -c 5000 /dev/urandom >"$T/c"
check "cp c" "$FAMFS" --device "$ONE" cp "$T/c" c
check "upstream reads the image" bash -c "'$UP' '$ONE' >'$T/up1.txt'"
grep '^file ' "$T/up1.txt" | sort >"$T/up1"
ours "$ONE" "d/a i c" | sort >"$T/ours1"
check "... the same files with the same extents as ours" cmp "$T/up1" "$T/ours1"
check_eq "... replay does not stop" "entries 4 valid 4 replayed 3 stop none" \
	"$(grep '^entries' "$T/up1.txt")"
check_eq "... no collision, nothing out of bounds" "bitmap collisions 0 oob 0" \
	"$(grep '^bitmap' "$T/up1.txt")"
check_eq "superblock flags 0" 0x0 "$("$IMG" "$ONE" get sb.flags)"
for n in 0 1 2 3; do
	check_eq "entry $n: a plain CRC" ok "$("$IMG" "$ONE" crcok e$n)"
	check "entry $n: no tag above it" bash -c "[ \$(( \$('$IMG' '$ONE' get e$n.crc) >> 32 )) = 0 ]"
done

# --- several devices -------------------------------------------------------------------
check "mkfs D0" "$MKFS" "$D0"
check "creat a (device 0)" "$FAMFS" --device "$D0" creat -s 4M a
check "devadd D1 (4 GiB, larger than D0)" "$FAMFS" devadd "$D0" "$D1"
check "creat s (striped over both)" "$FAMFS" --device "$D0" creat -s 16M -N 2 s
check "creat b (device 1)" "$FAMFS" --device "$D0" creat -s 8M b
check "creat big (1200 MiB: device 1, past D0's end)" "$FAMFS" --device "$D0" creat -s 1200M big
for f in b big; do
	check_eq "$f is on device 1" 1 "$("$FAMFS" --device "$D0" getmap $f |
		awk '/extent 0:/ {print $4}')"
done
check "upstream reads the image" bash -c "'$UP' '$D0' >'$T/up2.txt'"
grep '^file ' "$T/up2.txt" >"$T/up2"
check "... serves a, as we do" grep -qxF "$(ours "$D0" a)" "$T/up2"
check_eq "... and nothing else" 1 "$(wc -l <"$T/up2")"
check_eq "... stops at s, the first multi-device file (entry 2)" \
	"entries 5 valid 2 replayed 1 stop 2" "$(grep '^entries' "$T/up2.txt")"
check_eq "... no collision, nothing out of bounds" "bitmap collisions 0 oob 0" \
	"$(grep '^bitmap' "$T/up2.txt")"
check_eq "the ADD_DAXDEV entry has upstream's plain CRC" ok "$("$IMG" "$D0" crcok e1)"
check_eq "D0's superblock flags stay 0" 0x0 "$("$IMG" "$D0" get sb.flags)"
check_eq "D1's superblock: SECONDARY" 0x2 "$("$IMG" "$D1" get sb.flags)"
check_eq "D1's superblock: no log" 0x0 "$("$IMG" "$D1" get sb.log_len)"
check "fsck is clean" "$FAMFS" fsck "$D0"

# Without the tag, upstream would serve device 1's extents as the primary's,
# and its bitmap rebuild would find false collisions and write past its end.
check "strip the tags (plain CRCs)" bash -c "for n in 2 3 4; do '$IMG' '$D0' fixcrc e\$n || exit 1; done"
check "upstream reads the untagged image" bash -c "'$UP' '$D0' >'$T/up3.txt'"
check "... would serve b with device 1's extent" grep -q '^file b 8388608 1:' "$T/up3.txt"
check "... and see collisions" bash -c "! grep -q 'collisions 0 ' '$T/up3.txt'"
check "... and write out of bounds" bash -c "! grep -q 'oob 0\$' '$T/up3.txt'"
check "we read the untagged entries too (as upstream's later phases would write them)" \
	"$FAMFS" --device "$D0" getmap b
done_testing
