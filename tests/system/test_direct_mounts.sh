#!/bin/bash
# test_direct_mounts.sh - device identity per mount. One process that uses
# files of two famfs mounts on two devices must read and write each file in
# its own device: the preload shim (cat, python) and famfs_map_open()
# (famfs_mapcat, famfs_maptool -k). A process that keeps running while a
# mount point is unmounted and remounted onto another device must see the
# new device, with the kernel's unique mount ids and with the old ids that
# kernels before 6.8 reuse (FAMFS_MNT_ID_LEGACY=1).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -f "$SHIM_SO" ] || { fail "$SHIM_SO not built"; done_testing; }
shim() { LD_PRELOAD=$SHIM "$@"; }

DA=$(mkdev 1G)
DB=$(mkdev 1G)
MA=$T/a
MB=$T/b
M=$T/m
mkdir -p "$MA" "$MB" "$M"
check "mkfs A" "$MKFS" "$DA"
check "mkfs B" "$MKFS" "$DB"
# The same name and size on both: the same extents, at the same device
# offsets, so a mix-up of the devices reads the wrong bytes.
check "creat A/f" "$FAMFS" --device "$DA" creat -s 4M -r -S 1 f
check "creat B/f" "$FAMFS" --device "$DB" creat -s 4M -r -S 2 f
check_eq "both files at the same device offset" \
	"$("$FAMFS" --device "$DA" getmap f | grep extent)" \
	"$("$FAMFS" --device "$DB" getmap f | grep extent)"
track_mount "$MA"
track_mount "$MB"
check "mount A" "$FAMFS" mount "$DA" "$MA"
check "mount B" "$FAMFS" mount "$DB" "$MB"
cat "$MA/f" >"$T/fa"
cat "$MB/f" >"$T/fb"
cat "$T/fa" "$T/fb" >"$T/fab"
cat "$T/fb" "$T/fa" >"$T/fba"
check "the two files differ" bash -c "! cmp -s '$T/fa' '$T/fb'"

# --- reads of both mounts in one process ---------------------------------------------
check "shim: cat A/f B/f" bash -c "LD_PRELOAD='$SHIM' cat '$MA/f' '$MB/f' | cmp - '$T/fab'"
check "shim: cat B/f A/f" bash -c "LD_PRELOAD='$SHIM' cat '$MB/f' '$MA/f' | cmp - '$T/fba'"
check "famfs_map_open: A/f then B/f" \
	bash -c "'$BIN/famfs_mapcat' '$MA/f' '$MB/f' | cmp - '$T/fab'"
check "famfs_map_open: B/f then A/f" \
	bash -c "'$BIN/famfs_mapcat' '$MB/f' '$MA/f' | cmp - '$T/fba'"

# --- writes: the store into B/f must land in device B ----------------------------------
head -c 65536 /dev/urandom >"$T/w"
# pyshim: read A/f (the process learns mount A first), pwrite w into B/f at
# 4096, then read both back in the same process.
cat >"$T/rw.py" <<'PYEOF'
import os, sys
a, b, w = sys.argv[1:4]
data = open(w, "rb").read()
fa = os.open(a, os.O_RDONLY)
before = os.pread(fa, 1 << 22, 0)
fb = os.open(b, os.O_RDWR)
assert os.pwrite(fb, data, 4096) == len(data)
assert os.pread(fb, len(data), 4096) == data, "B/f does not read back what was written"
assert os.pread(fa, 1 << 22, 0) == before, "A/f changed"
PYEOF
check "shim: python reads A/f, writes B/f" shim $PY "$T/rw.py" "$MA/f" "$MB/f" "$T/w"
check "A/f still holds its pattern" "$FAMFS" verify -S 1 -f "$MA/f"
check "B/f holds the shim's bytes (FUSE read)" \
	bash -c "dd if='$MB/f' bs=4096 skip=1 count=16 status=none | cmp - '$T/w'"
check "famfs_map_open: keep A/f mapped, store into B/f" \
	"$BIN/famfs_maptool" -k "$MA/f" store "$MB/f" $((1 << 20)) 65536 9
check "A/f still holds its pattern after the store" "$FAMFS" verify -S 1 -f "$MA/f"
check "B/f holds the stored bytes" \
	"$BIN/famfs_maptool" wait "$MB/f" $((1 << 20)) 65536 9 5
check "fsck A" "$FAMFS" fsck "$MA"
cat "$MA/f" >"$T/fa"	# what the files hold now (B/f was written)
cat "$MB/f" >"$T/fb"
cat "$T/fa" "$T/fb" >"$T/fab"
check "umount A" "$FAMFS" umount "$MA"
check "umount B" "$FAMFS" umount "$MB"

# --- one process across a remount onto another device ---------------------------------
# mount_key: the old mount id and st_dev of the mount on $M.
mount_key() { awk -v m="$M" '$5 == m {print $1, $3}' /proc/self/mountinfo | tail -1; }
# The reader opens $M/f, reads it whole and closes it, once per line "go" on
# the FIFO, writing what it read to out.N; "quit" ends it.
cat >"$T/reader.py" <<'PYEOF'
import os, sys
path, fifo, out = sys.argv[1:4]
n = 0
with open(fifo) as f:
    for line in f:
        if line.strip() == "quit":
            break
        fd = os.open(path, os.O_RDONLY)
        data = b""
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            data += chunk
        os.close(fd)
        with open("%s.%d" % (out, n), "wb") as o:
            o.write(data)
        n += 1
PYEOF
reused=0
for mode in unique legacy; do
	legacy=0
	[ $mode = legacy ] && legacy=1
	rm -f "$T/fifo" "$T/out".* && mkfifo "$T/fifo"
	track_mount "$M"
	check "$mode: mount A on m" "$FAMFS" mount "$DA" "$M"
	key_a=$(mount_key)
	FAMFS_MNT_ID_LEGACY=$legacy LD_PRELOAD=$SHIM $PY "$T/reader.py" "$M/f" "$T/fifo" \
		"$T/out" &
	rpid=$!
	track_pid $rpid
	exec 7<>"$T/fifo"	# read-write: never blocks, even if the reader died
	echo go >&7
	check "$mode: shim reader saw A's bytes" wait_until 20 cmp -s "$T/out.0" "$T/fa"
	check "$mode: umount A" "$FAMFS" umount "$M"
	check "$mode: mount B on m" "$FAMFS" mount "$DB" "$M"
	key_b=$(mount_key)
	[ "$key_a" = "$key_b" ] && reused=$((reused + 1))
	echo "note: $mode: mount id and st_dev before/after the remount: $key_a / $key_b"
	echo go >&7
	check "$mode: the same shim reader sees B's bytes" wait_until 20 cmp -s "$T/out.1" "$T/fb"
	echo quit >&7
	exec 7>&-
	wait $rpid
	check_eq "$mode: shim reader exit" 0 $?

	# famfs_map_open in one process across the same remount
	rm -f "$T/fifo" && mkfifo "$T/fifo"
	check "$mode: umount B" "$FAMFS" umount "$M"
	check "$mode: mount A on m again" "$FAMFS" mount "$DA" "$M"
	FAMFS_MNT_ID_LEGACY=$legacy "$BIN/famfs_mapcat" "$M/f" "--wait=$T/fifo" "$M/f" \
		>"$T/mapcat.out" 2>"$T/mapcat.err" &
	mpid=$!
	track_pid $mpid
	check "$mode: famfs_mapcat mapped A/f" wait_until 20 \
		bash -c "[ \$(stat -c %s '$T/mapcat.out') -ge $((4 << 20)) ]"
	check "$mode: umount A" "$FAMFS" umount "$M"
	check "$mode: mount B on m" "$FAMFS" mount "$DB" "$M"
	timeout 20 sh -c "echo go >'$T/fifo'"
	wait $mpid
	check_eq "$mode: famfs_mapcat exit ($(head -c 300 "$T/mapcat.err"))" 0 $?
	check "$mode: famfs_mapcat read A's bytes, then B's" cmp "$T/mapcat.out" "$T/fab"
	check "$mode: umount" "$FAMFS" umount "$M"
done
echo "note: the remount reused the old mount id and st_dev in $reused of 2 runs"

done_testing
