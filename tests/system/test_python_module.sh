#!/bin/bash
# test_python_module.sh - the Python module famfs (python/famfsmodule.c),
# from the build tree, in Debian's python3 with numpy and no LD_PRELOAD:
# zero-copy memoryview and numpy views of device memory with no READ
# request, writable maps with flush, stat's extents checked against the
# device bytes, errors (python_module.py holds the checks).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PYMOD=$FAMFS_BUILD/python
compgen -G "$PYMOD/famfs.cpython-*.so" >/dev/null || { echo "FAIL: $PYMOD: no famfs module built"; exit 1; }
# A sanitizer build's module needs the sanitizer runtimes loaded first in
# a python3 that was not built with them.
PRELOAD=(env -u LD_PRELOAD)
if [ "$FAMFS_SANITIZED" = 1 ]; then
	PRELOAD=(env LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)")
fi

DEV=$(mkdev 4G)
chmod 600 "$DEV"
MNT=$T/mnt
mkdir -p "$MNT"
check "mkfs" "$MKFS" "$DEV"
check "creat s (simple, 5 MiB)" "$FAMFS" --device "$DEV" creat -s 5M -r -S 11 s
check "creat i (interleaved over 2 strips, 9 MiB)" \
	"$FAMFS" --device "$DEV" creat -s 9M -N 2 -B 2 -C 2M -r -S 12 i
check "creat w (2 MiB)" "$FAMFS" --device "$DEV" creat -s 2M w
check "creat e (1 byte)" "$FAMFS" --device "$DEV" creat -s 1 -r -S 13 e
track_mount "$MNT"
check "mount" "$FAMFS" mount "$DEV" "$MNT"

"${PRELOAD[@]}" PYTHONPATH="$PYMOD" FAMFS="$FAMFS" $PY "$(dirname "$0")/python_module.py" "$MNT" "$DEV" >"$T/py.out" 2>&1
rc=$?
cat "$T/py.out"
check_eq "python_module.py exit status" 0 "$rc"
check "all its checks ran" grep -Eq '^[0-9]{2,} passed, 0 failed$' "$T/py.out"
check "the file written from Python still reads back after a remount" bash -c \
	"'$FAMFS' umount '$MNT' && '$FAMFS' mount '$DEV' '$MNT' && head -c 4 '$MNT/w' | grep -q famf"
check "the pattern files were not touched" "$FAMFS" verify -S 11 -f "$MNT/s"
check "umount" "$FAMFS" umount "$MNT"
done_testing
