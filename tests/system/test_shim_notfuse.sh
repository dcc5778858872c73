#!/bin/bash
# test_shim_notfuse.sh - the preload shim tells a file that is not on a
# FUSE mount (a real st_dev, major != 0) from the statx it makes anyway:
# no fstatfs, no fusectl lookup, no mount context per open, also with
# Linux < 6.8's old mount ids (FAMFS_MNT_ID_LEGACY=1), where a file with no
# fusectl witness used to get a context built and thrown away per open.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || { echo "FAIL: strace missing (scripts/install-deps.sh)"; exit 1; }
# A file on a block-device file system (ext4, xfs...: a real device number):
# the source tree, the build, or a system file. A root on tmpfs (make
# check-fresh) has none: there is nothing to test, and ctest shows the skip.
F=
for c in "$0" "$FAMFS_BUILD/CMakeCache.txt" /usr/bin/env /etc/hostname; do
	c=$(readlink -f "$c") || continue
	[ -f "$c" ] && [ "$(stat -c %Hd "$c")" -ne 0 ] && { F=$c; break; }
done
[ -n "$F" ] || { echo "SKIP: no file on a block-device file system here (all tmpfs)"; exit 77; }

# syscalls_after FILE: the statfs, fusectl and statx calls strace saw after
# the first open of $F.
syscalls_after() {
	awk -v f="\"$F\"" 'index($0, f) && /open/ { on = 1; next }
		on && /statfs\(|fuse\/connections|statx\(/' "$1"
}
for legacy in 0 1; do
	env FAMFS_MNT_ID_LEGACY=$legacy LD_PRELOAD="$SHIM" strace -f -o "$T/st.$legacy" \
		-e trace=statx,newfstatat,stat,fstatfs,statfs,openat cat "$F" "$F" "$F" \
		>/dev/null 2>"$T/err.$legacy"
	check_eq "legacy=$legacy: cat through the shim works" 0 "$?"
	syscalls_after "$T/st.$legacy" >"$T/calls.$legacy"
	check_eq "legacy=$legacy: no fstatfs for a non-FUSE file" 0 \
		"$(grep -c 'statfs(' "$T/calls.$legacy")"
	check_eq "legacy=$legacy: no fusectl lookup" 0 \
		"$(grep -c 'fuse/connections' "$T/calls.$legacy")"
	# cat opens each file as fd 3
	n=$(grep -c 'statx(3, ' "$T/calls.$legacy")
	[ "$n" -le 3 ] && pass "legacy=$legacy: one statx per open ($n for 3)" ||
		fail "legacy=$legacy: $n statx for 3 opens: $(head -c 600 "$T/calls.$legacy")"
done

# tmpfs has an anonymous st_dev like FUSE: with old mount ids its "not
# FUSE" verdict (one fstatfs) is kept for the next opens.
F=/dev/shm/famfs-notfuse.$$
echo x >"$F"
FAMFS_MNT_ID_LEGACY=1 LD_PRELOAD="$SHIM" strace -f -o "$T/st.tmpfs" \
	-e trace=statx,fstatfs,statfs,openat cat "$F" "$F" "$F" >/dev/null 2>&1
check_eq "tmpfs, legacy ids: cat through the shim works" 0 "$?"
check_eq "... one fstatfs for 3 opens" 1 "$(syscalls_after "$T/st.tmpfs" | grep -c 'statfs(')"
rm -f "$F"
done_testing
