#!/bin/bash
# test_install.sh - make install and make uninstall into a DESTDIR, and what
# an application sees of the installed tree:
# - every part lands where GNUInstallDirs says under PREFIX (programs,
#   mount.famfs link, libfamfs.so.N with its SONAME, headers, famfs.pc, man
#   pages, bash completion, shim and BPF object, Python module, examples);
# - the installed headers stand alone and keep the handle opaque;
# - libfamfs.so.0 exports exactly the functions the headers declare, in
#   version FAMFS_0.1; the shim exports only libc names it interposes;
# - a program built with pkg-config against the installed tree maps a famfs
#   file and reads it with no READ request to famfsd;
# - libfamfs.so and the shim need no libbpf (only famfsd loads the BPF
#   resolver);
# - the installed programs run from DESTDIR (famfs mount finds the installed
#   famfsd by itself, famfsd -o bpf the installed BPF object);
# - make uninstall leaves no file behind.
. "$(dirname "$0")/lib.sh"

skip_if_sanitized
PY=/usr/bin/python3
ROOT=$T/root
PREFIX=/usr/local
P=$ROOT$PREFIX
IB=$T/build

# A build of its own: make install configures with the prefix it is given.
make -C "$FAMFS_SRC" --no-print-directory install BUILD="$IB" PREFIX=$PREFIX \
	DESTDIR="$ROOT" CMAKE_ARGS=-DFAMFS_TESTS=OFF JOBS=2 >"$T/install.log" 2>&1
rc=$?
check_eq "make install DESTDIR=... PREFIX=$PREFIX" 0 "$rc"
[ $rc -eq 0 ] || { tail -30 "$T/install.log"; done_testing; }

LIBDIR=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$IB/CMakeCache.txt")
PYDIR=$(sed -n 's/^FAMFS_PYTHON_DIR:STRING=//p' "$IB/CMakeCache.txt")
L=$P/$LIBDIR
for f in bin/famfs sbin/famfsd sbin/mkfs.famfs "$LIBDIR/famfs/libfamfs-preload.so" \
	"$LIBDIR/famfs/famfs_iomap.bpf.o" "$LIBDIR/libfamfs.so.0.1.0" \
	include/famfs/famfs.h include/famfs/sigbus.h "$LIBDIR/pkgconfig/famfs.pc" \
	share/man/man1/famfs.1 share/man/man3/libfamfs.3 share/man/man8/famfsd.8 \
	share/man/man8/mkfs.famfs.8 share/man/man8/mount.famfs.8 \
	share/bash-completion/completions/famfs share/bash-completion/completions/mkfs.famfs \
	share/bash-completion/completions/famfsd share/doc/famfs/examples/mnt-famfs.mount \
	share/doc/famfs/examples/famfs_python.py; do
	if [ -f "$P/$f" ]; then pass "installed $f"; else fail "missing $PREFIX/$f"; fi
done
check "the Python module in $PYDIR" compgen -G "$P/$PYDIR/famfs.cpython-*.so"
check_eq "mount.famfs is a relative link to famfs" "../bin/famfs" "$(readlink "$P/sbin/mount.famfs")"
check_eq "libfamfs.so.0 -> libfamfs.so.0.1.0" "libfamfs.so.0.1.0" "$(readlink "$L/libfamfs.so.0")"
check_eq "libfamfs.so (dev link) -> libfamfs.so.0" "libfamfs.so.0" "$(readlink "$L/libfamfs.so")"
check_eq "SONAME" "libfamfs.so.0" \
	"$(readelf -d "$L/libfamfs.so.0" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
check_eq "only the public headers are installed" "famfs.h sigbus.h" \
	"$(cd "$P/include/famfs" && echo *)"

# --- headers: each compiles alone, as C and as C++, with only the
# installed include directory; the handle's size is not known.
for h in famfs.h sigbus.h; do
	printf '#include <famfs/%s>\n#include <famfs/%s>\nint main(void) { return 0; }\n' \
		"$h" "$h" >"$T/h.c"
	check "$h compiles alone (C)" cc -std=c99 -Wall -Wextra -Werror -I"$P/include" \
		-c -o "$T/h.o" "$T/h.c"
	check "$h compiles alone (C++)" c++ -x c++ -Wall -Werror -I"$P/include" \
		-c -o "$T/h.o" "$T/h.c"
done
printf '#include <famfs/famfs.h>\nunsigned long n = sizeof(struct famfs_map);\n' >"$T/opaque.c"
check_fail "struct famfs_map is opaque" "incomplete|invalid application of .sizeof." \
	cc -I"$P/include" -c -o "$T/opaque.o" "$T/opaque.c"

# --- symbols: the exported names are exactly the functions the installed
# headers declare, all in version FAMFS_0.1.
echo '#include <famfs/famfs.h>' | cc -E -P -I"$P/include" - |
	grep -oE '\bfamfs_[a-z0-9_]+[[:space:]]*\(' | tr -d '( \t' | sort -u >"$T/declared"
nm -D --defined-only "$L/libfamfs.so.0" | awk '$2 == "T" {print $3}' |
	sed 's/@.*//' | sort -u >"$T/exported"
check_eq "libfamfs exports exactly what famfs.h declares" "" \
	"$(diff "$T/declared" "$T/exported" | grep '^[<>]' | tr '\n' ' ')"
check "every declared function was found ($(wc -l <"$T/declared"))" \
	test "$(wc -l <"$T/declared")" -ge 10
check_eq "every export is in version FAMFS_0.1" "" \
	"$(nm -D --defined-only "$L/libfamfs.so.0" | awk '$2 == "T" && $3 !~ /@@FAMFS_0\.1$/')"
check_eq "libfamfs.so needs neither zlib nor libuuid nor libelf nor libbpf" "" \
	"$(readelf -d "$L/libfamfs.so.0" | grep -E 'NEEDED.*(libz|libuuid|libelf|libbpf)')"

# The shim: every dynamic export is a libc function (it interposes them),
# none is famfs's own, and every libc function its objects define is
# exported (so a new interposer missing from preload.map fails here).
SHIMSO=$L/famfs/libfamfs-preload.so
LIBC=$(ldd "$SHIMSO" | awk '/libc\.so\.6/ {print $3}')
nm -D --defined-only "$LIBC" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$T/libc"
nm -D --defined-only "$SHIMSO" | awk '$2 == "T" || $2 == "W" {print $3}' |
	sed 's/@.*//' | sort -u >"$T/shim"
check_eq "the shim exports no famfs or preload name" "" \
	"$(grep -E '^(famfs|preload)_' "$T/shim" | tr '\n' ' ')"
check_eq "every shim export is a libc function" "" "$(comm -23 "$T/shim" "$T/libc" | tr '\n' ' ')"
check "the shim exports read, write, mmap, openat" \
	bash -c "grep -qx read '$T/shim' && grep -qx write '$T/shim' && grep -qx mmap '$T/shim' && grep -qx openat '$T/shim'"
nm --defined-only "$IB"/CMakeFiles/famfs_preload.dir/src/preload/*.o |
	awk '$2 == "T" {print $3}' | sort -u | comm -12 - "$T/libc" >"$T/interposed"
check_eq "every libc function the shim defines is exported" "" \
	"$(comm -23 "$T/interposed" "$T/shim" | tr '\n' ' ')"
check_eq "the shim needs neither zlib nor libuuid nor libelf nor libbpf" "" \
	"$(readelf -d "$SHIMSO" | grep -E 'NEEDED.*(libz|libuuid|libelf|libbpf)')"
check_eq "nor does any library it loads" "" \
	"$(ldd "$SHIMSO" | grep -E '(libz|libuuid|libelf|libbpf)\.')"
check "famfsd, which loads the BPF resolver, needs libbpf" \
	bash -c "readelf -d '$P/sbin/famfsd' | grep -q 'NEEDED.*libbpf'"

# --- an application: built with pkg-config against the installed tree.
cat >"$T/app.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <famfs/famfs.h>

int main(int argc, char **argv)
{
	struct famfs_map *m;
	struct famfs_stat st;
	struct famfs_extent ext[4];
	unsigned long long sum = 0;
	int err = famfs_map_open(argv[1], O_RDONLY, &m);

	if (err) {
		fprintf(stderr, "%s: %s\n", argv[1], *famfs_errmsg() ? famfs_errmsg() : strerror(-err));
		return 1;
	}
	const unsigned char *p = famfs_map_addr(m);
	for (size_t i = 0; i < famfs_map_size(m); i++)
		sum += p[i];
	err = famfs_stat(argv[1], &st, ext, 4);
	if (err || st.size != famfs_map_size(m) || st.nextents < 1)
		return 1;
	printf("%zu %llu %s\n", famfs_map_size(m), sum, famfs_map_writable(m) ? "rw" : "ro");
	famfs_map_close(m);
	return 0;
}
EOF
export PKG_CONFIG_PATH=$L/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT
check_eq "pkg-config --modversion famfs" "0.1.0" "$(pkg-config --modversion famfs)"
# shellcheck disable=SC2046
check "build an application with pkg-config" \
	cc -Wall -Werror -o "$T/app" "$T/app.c" $(pkg-config --cflags --libs famfs)
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
check_eq "it links the installed libfamfs.so.0" "$L/libfamfs.so.0" \
	"$(LD_LIBRARY_PATH=$L ldd "$T/app" | awk '/libfamfs/ {print $3}')"

# --- the installed programs, from DESTDIR, with no build tree on PATH and
# no $FAMFSD: famfs mount must find the installed famfsd.
DEV=$(mkdev 256M)
MNT=$T/mnt
mkdir -p "$MNT"
check "installed mkfs.famfs" "$P/sbin/mkfs.famfs" "$DEV"
check "installed famfs creat (offline)" "$P/bin/famfs" --device "$DEV" creat -s 3M -r -S 9 f
track_mount "$MNT"
check "installed famfs mount finds the installed famfsd" \
	env -u FAMFSD PATH=/usr/bin:/bin "$P/bin/famfs" mount "$DEV" "$MNT"
# the famfsd whose command line names this test's mount point
famfsd_exe() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = famfsd ] || continue
		tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF " $MNT " && readlink "$d/exe"
	done
}
check_eq "the famfsd serving it is the installed one" "$P/sbin/famfsd" "$(famfsd_exe)"
stat_read() { "$P/bin/famfs" stats --json "$MNT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ops"]["read"])'; }
want=$(cat "$MNT/f" | $PY -c '
import sys; b = sys.stdin.buffer.read(); print(len(b), sum(b), "ro")')
r0=$(stat_read)
check_eq "the application reads the file through its mapping" "$want" \
	"$(LD_LIBRARY_PATH=$L "$T/app" "$MNT/f")"
check_eq "no READ request while it did" "$r0" "$(stat_read)"
check_fail "the application's error names the file" "not-there" \
	env LD_LIBRARY_PATH="$L" "$T/app" "$MNT/not-there"
check "installed famfs umount" "$P/bin/famfs" umount "$MNT"
# -o bpf: the installed famfsd finds the installed BPF object under DESTDIR
# by itself ($PREFIX/$LIBDIR/famfs/ does not exist outside it).
check "no BPF object at the absolute path: the one under DESTDIR must be found" \
	test ! -e "$PREFIX/$LIBDIR/famfs/famfs_iomap.bpf.o"
check "installed famfs mount -o bpf finds the installed BPF object" \
	env -u FAMFSD -u FAMFS_BPF_OBJ PATH=/usr/bin:/bin "$P/bin/famfs" mount -o bpf "$DEV" "$MNT"
check "the installed shim reads the file through the BPF maps" \
	bash -c "LD_PRELOAD='$SHIMSO' cat '$MNT/f' | cmp - '$MNT/f'"
check_eq "with no GET_FMAP" 0 \
	"$("$P/bin/famfs" stats --json "$MNT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["ops"]["get_fmap"])')"
check "installed famfs umount (bpf)" "$P/bin/famfs" umount "$MNT"

# --- make uninstall with the same PREFIX and DESTDIR removes it all.
make -C "$FAMFS_SRC" --no-print-directory uninstall BUILD="$IB" PREFIX=$PREFIX \
	DESTDIR="$ROOT" CMAKE_ARGS=-DFAMFS_TESTS=OFF JOBS=2 >"$T/uninstall.log" 2>&1
check_eq "make uninstall" 0 $?
check_eq "no file or link left under DESTDIR" "" "$(find "$ROOT" ! -type d | head -5)"
check_eq "no famfs directory left" "" "$(find "$ROOT" -type d -name famfs)"
done_testing
