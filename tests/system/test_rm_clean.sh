#!/bin/bash
# test_rm_clean.sh - famfsd's cache pass over a deleted file's memory
# (src/famfsd/rmclean.c) on the embedded device, a sparse file on tmpfs:
# it passes over resident pages only: deleting a large file that was never
# written (creat zeroes by punching holes) allocates nothing, whether the
# delete is applied with nothing open or the last release lets the file
# go, and the mount stays healthy.
# The flush audit test (tests/audit/test_rm_release_audit.sh) covers the
# lines that were written: they are still written back.
. "$(dirname "$0")/lib.sh"

M=$T/m
mkdir -p "$M"
track_mount "$M"
# allocated KiB of the device image
alloc_kib() { echo $(($(stat -c '%b * %B' "$1") / 1024)); }
# let_go MNT: the host table shows no deleted memory pending
let_go() { "$FAMFS" host list "$1" 2>/dev/null | grep -q '^space: .* pending 0 '; }
held() { "$FAMFS" host list "$1" 2>/dev/null | grep -q '^space: .* pending [1-9]'; }

newdev DEV 1G
check "mkfs -O rm (1 GiB sparse image)" "$MKFS" -O rm "$DEV"
check "mount" "$FAMFS" mount "$DEV" "$M"
check "creat keep (written)" "$FAMFS" creat -s 2M -r -S 3 "$M/keep"
check "creat big (512 MiB, holes)" "$FAMFS" creat -s 512M "$M/big"
before=$(alloc_kib "$DEV")
check "rm big (nothing has it open)" rm "$M/big"
check "famfsd let big's memory go" wait_until 20 let_go "$M"
after=$(alloc_kib "$DEV")
[ $((after - before)) -le 4096 ] && pass "the image did not grow (${before} -> ${after} KiB)" ||
	fail "deleting a never-written 512 MiB file allocated $(((after - before) / 1024)) MiB"

check "creat held (256 MiB, holes)" "$FAMFS" creat -s 256M "$M/held"
sleep 300 3<"$M/held" &
opener=$!
track_pid "$opener"
check "rm held while it is open" rm "$M/held"
check "the memory stays pending while it is open" held "$M"
before=$(alloc_kib "$DEV")
kill "$opener"
wait "$opener" 2>/dev/null
check "the last release let held's memory go" wait_until 20 let_go "$M"
after=$(alloc_kib "$DEV")
[ $((after - before)) -le 4096 ] && pass "the release did not grow the image (${before} -> ${after} KiB)" ||
	fail "the last release of a never-written 256 MiB file allocated $(((after - before) / 1024)) MiB"

check "read another file after the deletes" cmp <(dev_bytes "$DEV" keep) "$M/keep"
check "creat after the deletes" "$FAMFS" creat -s 2M "$M/new"
check_eq "no device failed" 0 "$("$FAMFS" stats "$M" | awk '$1 == "daxdev_failed" {print $2}')"
check "umount" "$FAMFS" umount "$M"

done_testing
