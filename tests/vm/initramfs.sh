#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/initramfs.sh - build the initramfs that both make check-vm guests
# boot: static busybox, the nvdimm/devdax/fuse kernel modules (dependencies
# first), ndctl and daxctl, the project's famfs binaries and preload shim with
# every shared library they need (readelf NEEDED, recursively), the vmpoke
# helper, the guest scripts and an /init.
#
#   tests/vm/initramfs.sh BUILD OUT.cpio.gz
#
# Needs tests/vm/setup.sh to have run (same FAMFS_VM_DIR). Missing famfs
# binaries are a warning, not an error: the guests then boot and report the
# famfs steps as failed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
VM_DIR=${FAMFS_VM_DIR:-/var/tmp/famfs-vm}
KROOT=$VM_DIR/kroot
SYSROOT=$VM_DIR/sysroot
IRD=$VM_DIR/initramfs
MODULES="nfit nd_pmem dax_pmem device_dax fuse"
FAMFS_PROGS="famfs mkfs.famfs famfsd famfs_mapcat famfs_fmapcheck famfs_rmhold"
# The famfs fuse.ko for the native scenario (kernel/build.sh), if built.
KMOD_DIR=${FAMFS_VM_KMOD:-$VM_DIR/kmod/fs/fuse}

say() { printf '[vm-initramfs] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ $# -eq 2 ] || die "usage: $0 BUILD OUT.cpio.gz"
BUILD=$(cd "$1" 2>/dev/null && pwd) || die "no build directory $1"
OUT=$2
KVER=$(basename "$(ls -d "$KROOT"/lib/modules/* 2>/dev/null | head -1)")
[ -n "$KVER" ] && [ "$KVER" != '*' ] || die "no guest kernel in $KROOT (run tests/vm/setup.sh)"
MODDIR=$KROOT/lib/modules/$KVER

# Library search order: the project's build, the host (what the famfs
# binaries were linked against), then the unpacked ndctl/daxctl packages.
LIBDIRS=("$BUILD/lib" /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64
	"$SYSROOT/lib/x86_64-linux-gnu" "$SYSROOT/usr/lib/x86_64-linux-gnu"
	/usr/lib/x86_64-linux-gnu/ceph)	# librados (fio) finds libceph-common by RUNPATH

unpack_ko() {  # $1 = module file (maybe compressed) -> stdout
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

declare -A KO_PATH KO_SEEN
KO_ORDER=()

index_modules() {
	local f n

	while read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		KO_PATH[${n//-/_}]=$f
	done < <(find "$MODDIR/kernel" -name '*.ko*')
}

# Append module $1 to KO_ORDER after its dependencies (from .modinfo).
add_module() {
	local n=${1//-/_} d

	[ -n "${KO_SEEN[$n]:-}" ] && return 0
	KO_SEEN[$n]=1
	if [ -z "${KO_PATH[$n]:-}" ]; then
		grep -qE "/${n}\.ko|/${n//_/-}\.ko" "$MODDIR/modules.builtin" ||
			die "kernel module $n is neither a module nor built in"
		return 0
	fi
	for d in $(unpack_ko "${KO_PATH[$n]}" | tr '\0' '\n' | sed -n 's/^depends=//p' |
		head -1 | tr ',' ' '); do
		add_module "$d"
	done
	KO_ORDER+=("$n")
}

install_modules() {
	local m src rel

	index_modules
	for m in $MODULES; do
		add_module "$m"
	done
	mkdir -p "$IRD/etc/vm"
	: >"$IRD/etc/vm/modules"
	for m in "${KO_ORDER[@]}"; do
		src=${KO_PATH[$m]}
		rel=${src#"$KROOT"/}
		rel=${rel%.xz}
		rel=${rel%.zst}
		rel=${rel%.gz}
		mkdir -p "$IRD/$(dirname "$rel")"
		unpack_ko "$src" >"$IRD/$rel"
		echo "/$rel" >>"$IRD/etc/vm/modules"
	done
	cp "$MODDIR"/modules.builtin "$MODDIR"/modules.order "$IRD/lib/modules/$KVER/" 2>/dev/null ||
		true
	say "modules: ${KO_ORDER[*]}"
}

# Copy the interpreter and the shared libraries ELF file $1 needs, recursively.
add_libs() {
	local f=$1 lib d src interp

	interp=$(readelf -l "$f" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	if [ -n "$interp" ] && [ ! -e "$IRD/lib/x86_64-linux-gnu/${interp##*/}" ]; then
		cp -L "$interp" "$IRD/lib/x86_64-linux-gnu/"
		mkdir -p "$IRD/lib64"
		ln -sf "../lib/x86_64-linux-gnu/${interp##*/}" "$IRD/lib64/${interp##*/}"
	fi
	for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -e "$IRD/lib/x86_64-linux-gnu/$lib" ] && continue
		src=
		for d in "${LIBDIRS[@]}"; do
			if [ -e "$d/$lib" ]; then
				src=$d/$lib
				break
			fi
		done
		[ -n "$src" ] || die "$lib (needed by ${f#"$IRD"}) not found"
		cp -L "$src" "$IRD/lib/x86_64-linux-gnu/$lib"
		add_libs "$IRD/lib/x86_64-linux-gnu/$lib"
	done
}

install_famfs() {
	local p found=()

	for p in $FAMFS_PROGS; do
		if [ -x "$BUILD/bin/$p" ]; then
			cp -L "$BUILD/bin/$p" "$IRD/usr/bin/"
			found+=("$p")
		fi
	done
	mkdir -p "$IRD/usr/lib/famfs"
	if [ -e "$BUILD/lib/libfamfs-preload.so" ]; then
		cp -L "$BUILD/lib/libfamfs-preload.so" "$IRD/usr/lib/famfs/"
		found+=(libfamfs-preload.so)
	fi
	say "famfs pieces from $BUILD: ${found[*]:-none}"
	for p in famfs mkfs.famfs famfsd; do
		[ -x "$BUILD/bin/$p" ] || say "WARNING: $BUILD/bin/$p is missing; its steps will fail"
	done
	[ -e "$BUILD/lib/libfamfs-preload.so" ] ||
		say "WARNING: $BUILD/lib/libfamfs-preload.so is missing; its steps will fail"
}

install_guest_files() {
	local f

	cp "$HERE/guest-init.sh" "$IRD/init"
	chmod 755 "$IRD/init"
	mkdir -p "$IRD/vm"
	for f in guest-lib.sh guest-native.sh guest-rm.sh guest-format.sh guest-A.sh guest-B.sh; do
		cp "$HERE/$f" "$IRD/vm/$f"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$IRD/etc/passwd"
	printf 'root:x:0:\n' >"$IRD/etc/group"
	ln -sf /proc/mounts "$IRD/etc/mtab"
}

# The native scenario: our fuse.ko, fio (from Debian; its libraries come
# with the ELF scan below) and the fuzz corpus' GET_FMAP replies.
install_native() {
	mkdir -p "$IRD/vm/kmod" "$IRD/vm/corpus"
	if [ -e "$KMOD_DIR/fuse.ko" ]; then
		cp "$KMOD_DIR/fuse.ko" "$IRD/vm/kmod/"
	else
		say "WARNING: no $KMOD_DIR/fuse.ko; the native steps will fail"
	fi
	if command -v fio >/dev/null; then
		cp -L "$(command -v fio)" "$IRD/usr/bin/"
	else
		say "WARNING: fio is not installed; the native fio checks will fail"
	fi
	cp "$HERE/../../fuzz/corpus/fuzz_fmap/"* "$IRD/vm/corpus/"
}

main() {
	local p f

	rm -rf "$IRD"
	mkdir -p "$IRD"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,proc,sys,dev,tmp,run,root} \
		"$IRD"/{mnt,opt/famfs,etc}
	cp /bin/busybox "$IRD/bin/busybox"
	for p in $("$IRD/bin/busybox" --list); do
		[ "$p" = busybox ] || ln -sf busybox "$IRD/bin/$p"
	done
	install_modules
	cp "$SYSROOT/usr/bin/ndctl" "$SYSROOT/usr/bin/daxctl" "$IRD/usr/bin/"
	install_famfs
	gcc -O2 -Wall -Wextra -o "$IRD/usr/bin/vmpoke" "$HERE/vmpoke.c"
	gcc -O2 -Wall -Wextra -o "$IRD/usr/bin/vmnative" "$HERE/vmnative.c"
	gcc -O2 -Wall -Wextra -o "$IRD/usr/bin/vmfuse" "$HERE/vmfuse.c"
	install_native
	[ -x /usr/bin/fusermount3 ] && cp /usr/bin/fusermount3 "$IRD/usr/bin/"
	install_guest_files
	while read -r f; do
		[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
		add_libs "$f"
	done < <(find "$IRD" -path "$IRD/lib/modules" -prune -o -type f -print)
	printf '/lib/x86_64-linux-gnu\n/usr/lib/famfs\n' >"$IRD/etc/ld.so.conf"
	ldconfig -r "$IRD" 2>/dev/null || true
	mkdir -p "$(dirname "$OUT")"
	(cd "$IRD" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
	say "$OUT ($(du -h "$OUT" | cut -f1)), kernel $KVER"
}

main
