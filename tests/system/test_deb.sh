#!/bin/bash
# test_deb.sh - make deb's packages: built from a copy of the tree with
# debhelper and passed by lintian (scripts/build-deb.sh fails on any lintian
# error), installed with dpkg --root into a scratch root, then run from
# there: famfs --help, a device round trip through an installed famfs mount
# (and the installed famfsd), the shim, the Python module (also through the
# packaged BPF resolver, with no GET_FMAP) and a program
# built against libfamfs-dev; dpkg --purge then leaves nothing behind.
. "$(dirname "$0")/lib.sh"

skip_if_sanitized
PY=/usr/bin/python3
OUT=$T/deb
ROOT=$T/root
ARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

make -C "$FAMFS_SRC" --no-print-directory deb DEB_OUT="$OUT" >"$T/deb.log" 2>&1
rc=$?
check_eq "make deb (dpkg-buildpackage, then lintian without errors)" 0 "$rc"
[ $rc -eq 0 ] || { tail -40 "$T/deb.log"; done_testing; }
for p in famfs libfamfs0 libfamfs-dev python3-famfs; do
	check "package $p built" compgen -G "$OUT/${p}_*.deb"
done
check "lintian printed no error" bash -c "! grep -q '^E:' '$OUT/lintian.log'"
check_eq "libfamfs0's shlibs: libfamfs.so.0 is libfamfs0" "libfamfs 0 libfamfs0" \
	"$(dpkg-deb -I "$OUT"/libfamfs0_*.deb shlibs | cut -d' ' -f1-3)"
check "libfamfs0 has a symbols file" dpkg-deb -I "$OUT"/libfamfs0_*.deb symbols
check_eq "libfamfs0 does not depend on libbpf (famfs does, for famfsd)" "no yes" \
	"$(for p in libfamfs0 famfs; do dpkg-deb -f "$OUT"/${p}_*.deb Depends |
		grep -q libbpf && echo yes || echo no; done | tr '\n' ' ' | sed 's/ $//')"

# A scratch root of our own: dpkg's database in it, the packages' own
# dependencies (libc, libfuse3 ...) come from this machine.
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates"
touch "$ROOT/var/lib/dpkg/status"
check "dpkg --root -i the four packages" dpkg --root="$ROOT" --force-depends \
	--force-script-chrootless -i "$OUT"/famfs_*.deb "$OUT"/libfamfs0_*.deb \
	"$OUT"/libfamfs-dev_*.deb "$OUT"/python3-famfs_*.deb
check_eq "dpkg says they are installed" "4" "$(dpkg-query --admindir="$ROOT/var/lib/dpkg" \
	-W -f='${Status}\n' famfs libfamfs0 libfamfs-dev python3-famfs | grep -c 'ok installed')"

U=$ROOT/usr
L=$U/lib/$ARCH
check "installed famfs --help" bash -c "'$U/bin/famfs' --help | grep -q 'usage: famfs'"
check "installed mkfs.famfs --help" "$U/sbin/mkfs.famfs" --help
check "installed famfsd --help" "$U/sbin/famfsd" --help
check_eq "installed mount.famfs is the famfs program" "../bin/famfs" "$(readlink "$U/sbin/mount.famfs")"
check "man pages are in place" test -f "$U/share/man/man8/mount.famfs.8.gz" -a \
	-f "$U/share/man/man3/libfamfs.3.gz" -a -f "$U/share/man/man1/famfs.1.gz"

# A device round trip with the installed programs only.
DEV=$(mkdev 256M)
chmod 600 "$DEV"
MNT=$T/mnt
mkdir -p "$MNT"
head -c $((3 * 1048576 + 12345)) /dev/urandom >"$T/data"
check "installed mkfs.famfs" "$U/sbin/mkfs.famfs" "$DEV"
check "installed famfs cp (offline)" "$U/bin/famfs" --device "$DEV" cp "$T/data" data
track_mount "$MNT"
check "installed famfs mount (finds the installed famfsd)" \
	env -u FAMFSD PATH=/usr/bin:/bin "$U/bin/famfs" mount "$DEV" "$MNT"
check "the bytes read back through the mount" cmp "$T/data" "$MNT/data"
check "and through the installed shim" bash -c \
	"LD_PRELOAD='$L/famfs/libfamfs-preload.so' cat '$MNT/data' | cmp - '$T/data'"
check "and through the installed Python module" env LD_LIBRARY_PATH="$L" \
	PYTHONPATH="$U/lib/python3/dist-packages" $PY -c "
import famfs, sys
with famfs.map('$MNT/data') as m:
    sys.exit(0 if bytes(memoryview(m)) == open('$T/data', 'rb').read() else 1)"
printf '#include <famfs/famfs.h>\n#include <fcntl.h>\nint main(int c, char **v) { struct famfs_map *m; if (famfs_map_open(v[1], O_RDONLY, &m)) return 1; int r = famfs_map_size(m) != %d; famfs_map_close(m); return r; }\n' \
	$((3 * 1048576 + 12345)) >"$T/app.c"
# shellcheck disable=SC2046
check "a program built against libfamfs-dev (pkg-config)" bash -c \
	"cc -Wall -Werror -o '$T/app' '$T/app.c' \$(PKG_CONFIG_PATH='$L/pkgconfig' PKG_CONFIG_SYSROOT_DIR='$ROOT' pkg-config --cflags --libs famfs)"
check "runs with the installed libfamfs.so.0" env LD_LIBRARY_PATH="$L" "$T/app" "$MNT/data"
check "installed famfs umount" "$U/bin/famfs" umount "$MNT"

# The packaged BPF object loads (strip and dwz left it whole): the
# installed famfsd finds it in the scratch root by itself (from /usr/sbin to
# /usr/lib/<triplet>/famfs, not at the absolute path), and the installed
# library maps through the BPF resolver with no GET_FMAP.
get_fmap() { "$U/bin/famfs" stats --json "$MNT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ops"]["get_fmap"])'; }
check "no BPF object at the absolute path: the root's own must be found" \
	test ! -e "/usr/lib/$ARCH/famfs/famfs_iomap.bpf.o"
check "installed famfs mount -o bpf finds the packaged BPF object" \
	env -u FAMFSD -u FAMFS_BPF_OBJ "$U/bin/famfs" mount -o bpf "$DEV" "$MNT"
check "the installed Python module maps through it" env LD_LIBRARY_PATH="$L" \
	PYTHONPATH="$U/lib/python3/dist-packages" $PY -c "
import famfs, sys
with famfs.map('$MNT/data') as m:
    sys.exit(0 if bytes(memoryview(m)) == open('$T/data', 'rb').read() else 1)"
check_eq "with no GET_FMAP" 0 "$(get_fmap)"
check "installed famfs umount (bpf)" "$U/bin/famfs" umount "$MNT"

check "dpkg --root --purge the four packages" dpkg --root="$ROOT" --force-depends \
	--force-script-chrootless --purge famfs libfamfs0 libfamfs-dev python3-famfs
check_eq "nothing left outside dpkg's own database" "" \
	"$(find "$ROOT" ! -type d ! -path "$ROOT/var/lib/dpkg/*" | head -5)"
done_testing
