#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel/build.sh - build fuse.ko with famfs (plus cuse.ko and virtiofs.ko,
# which must match its symbol versions) for one Debian 12 6.1 kernel.
#
#   kernel/build.sh [--image-deb FILE | --kver KVER] [--out DIR] [--stage-only]
#
# The repository holds only our code: kernel/*.c, *.h, the hooks into fs/fuse
# as fuse-famfs.patch, and lib/fmap.c with the headers it needs. This script
#   1. picks the target kernel: the linux-image deb given (check-vm's guest
#      kernel), else KVER, else the running kernel if it is a Debian 6.1,
#      else the kernel behind linux-image-amd64; and its exact Debian version
#      (for the running kernel, the one it was built as: uname -v);
#   2. apt-get downloads linux-source-6.1, linux-headers-KVER, its -common
#      and linux-kbuild-6.1 of exactly that version into the cache, once;
#   3. extracts fs/fuse and drivers/dax/dax-private.h from the source and
#      unpacks the headers (dpkg -x, no install) in the cache, once;
#   4. stages fs/fuse + the patch + our files, and copies into DIR only what
#      changed (so kbuild rebuilds only that), then builds out of tree.
# Result: DIR/fs/fuse/{fuse,cuse,virtiofs}.ko, DIR/kver, DIR/debver.
# --stage-only stops after 4's staging (DIR/fs/fuse is a complete DKMS tree).
#
# Cache: $FAMFS_KMOD_CACHE, default /var/cache/famfs-kmod (about 300 MB: the
# 139 MB source deb, its extract, the headers). Delete it to start over.
# Concurrent runs take turns on it (flock on $CACHE/.lock).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
CACHE=${FAMFS_KMOD_CACHE:-/var/cache/famfs-kmod}
OUT=$SRC/build/kmod
IMAGE_DEB=
KVER=${FAMFS_KMOD_KVER:-}
STAGE_ONLY=0
JOBS=${JOBS:-2}

say() { printf '[kmod] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--image-deb) IMAGE_DEB=$2; shift 2 ;;
	--kver) KVER=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--stage-only) STAGE_ONLY=1; shift ;;
	-h|--help) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
done

apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	say "apt-get update"
	apt-get update >/dev/null || die "apt-get update failed"
	apt_updated=1
}

# The Debian version of package $1 (installed, else the candidate).
pkg_version() {
	local v

	v=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true)
	[ -n "$v" ] || v=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ "$v" = "(none)" ] && v=
	echo "$v"
}

# Sets KVER (6.1.0-NN-amd64) and DEBVER (6.1.NNN-N).
pick_kernel() {
	local f

	if [ -n "$IMAGE_DEB" ]; then
		[ -e "$IMAGE_DEB" ] || die "no such file $IMAGE_DEB"
		f=$(basename "$IMAGE_DEB")
		KVER=$(sed -n 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\)\(-unsigned\)\{0,1\}_.*/\1/p' <<<"$f")
		DEBVER=$(dpkg-deb -f "$IMAGE_DEB" Version)
		[ -n "$KVER" ] || die "$f is not a Debian 12 linux-image-6.1.0-NN-amd64 package"
		return 0
	fi
	if [ -z "$KVER" ]; then
		case $(uname -r) in
		6.1.0-*-amd64) KVER=$(uname -r) ;;
		*)
			KVER=$(apt-cache depends linux-image-amd64 2>/dev/null |
				sed -n 's/^ *Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -1)
			if [ -z "$KVER" ]; then
				apt_update_once
				KVER=$(apt-cache depends linux-image-amd64 2>/dev/null |
					sed -n 's/^ *Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' |
					head -1)
			fi
			;;
		esac
	fi
	case $KVER in
	6.1.0-*-amd64) ;;
	*) die "kernel '${KVER:-none}' is not a Debian 12 6.1 kernel (6.1.0-NN-amd64); Debian's 6.12 kernels build fuse in (CONFIG_FUSE_FS=y), so no module can replace it" ;;
	esac
	# The running kernel says which build it is ("... Debian 6.1.192-2 (date)"):
	# the package may have been upgraded in place since it booted.
	DEBVER=
	[ "$KVER" = "$(uname -r)" ] &&
		DEBVER=$(uname -v | sed -n 's/.* Debian \([0-9][^ ]*\) .*/\1/p')
	[ -n "$DEBVER" ] || DEBVER=$(pkg_version "linux-image-$KVER")
	[ -n "$DEBVER" ] || DEBVER=$(pkg_version "linux-headers-$KVER")
	[ -n "$DEBVER" ] || die "cannot find the Debian version of linux-image-$KVER"
}

# One kernel/build.sh at a time downloads into and extracts in $CACHE
# (check-vm runs of several users share it); later ones wait, then find it
# ready.
lock_cache() {
	mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] ||
		die "cannot write the download cache $CACHE (set FAMFS_KMOD_CACHE to a writable directory)"
	exec 9>"$CACHE/.lock"
	if ! flock -n 9; then
		say "waiting for another kernel/build.sh to finish with $CACHE"
		flock 9
	fi
}

deb_of() { ls "$CACHE/debs/${1}_${2}_"*.deb 2>/dev/null | head -1; }

fetch() {
	local p miss=() abi=${KVER%-amd64}

	mkdir -p "$CACHE/debs"
	for p in linux-source-6.1 "linux-headers-$KVER" "linux-headers-$abi-common" linux-kbuild-6.1; do
		[ -n "$(deb_of "$p" "$DEBVER")" ] || miss+=("$p=$DEBVER")
	done
	[ ${#miss[@]} -eq 0 ] && return 0
	say "apt-get download ${miss[*]} (once; cached in $CACHE/debs)"
	if ! (cd "$CACHE/debs" && apt-get download "${miss[@]}" >/dev/null 2>&1); then
		apt_update_once
		(cd "$CACHE/debs" && apt-get download "${miss[@]}" >/dev/null) ||
			die "apt-get download ${miss[*]} failed (is $DEBVER still in the archive?)"
	fi
}

# $CACHE/src-$DEBVER/: fs/fuse and dax-private.h of exactly this kernel.
extract_source() {
	local d=$CACHE/src-$DEBVER tmp deb

	[ -e "$d/.done" ] && return 0
	say "extracting fs/fuse and drivers/dax/dax-private.h from linux-source-6.1 $DEBVER"
	rm -rf "$d" && mkdir -p "$d"
	tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
	deb=$(deb_of linux-source-6.1 "$DEBVER")
	if ! { dpkg --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/linux-source-6.1.tar.xz &&
		tar -xJf "$tmp/usr/src/linux-source-6.1.tar.xz" -C "$d" --strip-components=1 \
			linux-source-6.1/fs/fuse linux-source-6.1/drivers/dax/dax-private.h; }; then
		rm -rf "$tmp" "$d"
		rm -f "$deb"	# damaged (an interrupted download?): fetch it again next time
		die "cannot extract fs/fuse from $deb; removed it, run again to download it again"
	fi
	rm -rf "$tmp"
	touch "$d/.done"
}

# $CACHE/hdr-$DEBVER/: the headers unpacked (not installed); HDR is the tree.
extract_headers() {
	local d=$CACHE/hdr-$DEBVER p abi=${KVER%-amd64}

	HDR=$d/usr/src/linux-headers-$KVER
	[ -e "$d/.done" ] && return 0
	say "unpacking linux-headers-$KVER $DEBVER"
	rm -rf "$d" && mkdir -p "$d"
	for p in "linux-headers-$KVER" "linux-headers-$abi-common" linux-kbuild-6.1; do
		dpkg -x "$(deb_of "$p" "$DEBVER")" "$d"
	done
	# The flavour's Makefile includes the -common one by absolute path.
	sed -i "s|^include /usr/src/|include $d/usr/src/|" "$HDR/Makefile"
	touch "$d/.done"
}

# Copy $1 to $2 unless $2 already has the same bytes (keeps its mtime).
sync_file() {
	cmp -s "$1" "$2" 2>/dev/null && return 0
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2"
}

stage() {
	local st=$OUT/stage f rel

	rm -rf "$st" && mkdir -p "$st/fs"
	cp -r "$CACHE/src-$DEBVER/fs/fuse" "$st/fs/fuse"
	patch -s -d "$st" -p1 <"$HERE/fuse-famfs.patch" ||
		die "fuse-famfs.patch does not apply to fs/fuse of $DEBVER"
	cp "$HERE"/famfs.c "$HERE"/famfs_dax.c "$HERE"/famfs_fuse.h "$st/fs/fuse/"
	cp "$CACHE/src-$DEBVER/drivers/dax/dax-private.h" "$st/fs/fuse/"
	cp "$SRC/lib/fmap.c" "$st/fs/fuse/fmap.c"
	mkdir -p "$st/fs/fuse/include/famfs"
	for f in compat.h fmap.h le.h omf.h; do
		cp "$SRC/include/famfs/$f" "$st/fs/fuse/include/famfs/"
	done
	while read -r f; do
		rel=${f#"$st"/}
		sync_file "$f" "$OUT/$rel"
	done < <(find "$st/fs" -type f)
	# files that left the tree (a rebuilt stage has none of the old ones)
	while read -r f; do
		rel=${f#"$OUT"/}
		case $rel in *.o|*.ko|*.mod|*.mod.c|*.cmd|*.symvers|*.order|*.d) continue ;; esac
		[ -e "$st/$rel" ] || rm -f "$f"
	done < <(find "$OUT/fs/fuse" -maxdepth 3 -type f ! -name '.*')
	rm -rf "$st"
}

main() {
	local t0=$SECONDS

	command -v patch >/dev/null || die "patch is not installed (apt-get install patch)"
	command -v gcc-12 >/dev/null || die "gcc-12 is not installed (apt-get install gcc-12)"
	pick_kernel
	say "target kernel $KVER (Debian $DEBVER)"
	lock_cache
	fetch
	extract_source
	extract_headers
	exec 9>&-
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	stage
	echo "$KVER" >"$OUT/kver"
	echo "$DEBVER" >"$OUT/debver"
	[ "$STAGE_ONLY" = 1 ] && { say "staged $OUT/fs/fuse"; return 0; }
	if ! make -s -C "$HDR" M="$OUT/fs/fuse" CONFIG_FUSE_FS=m CONFIG_CUSE=m \
		CONFIG_VIRTIO_FS=m CONFIG_FUSE_DAX=y -j"$JOBS" modules >"$OUT/build.log" 2>&1; then
		grep -v 'Skipping BTF generation' "$OUT/build.log" >&2
		die "the module build failed (log: $OUT/build.log)"
	fi
	grep -v 'Skipping BTF generation' "$OUT/build.log" >&2 || true
	say "built $OUT/fs/fuse/fuse.ko for $KVER in $((SECONDS - t0)) s"
}

main
