#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel/dkms.sh - install or remove the famfs fuse.ko (with cuse.ko and
# virtiofs.ko, which must match its symbol versions) with Debian's dkms, so
# that it overrides the in-tree fuse module of one Debian 12 6.1 kernel.
#
#   kernel/dkms.sh install [--kver KVER]     (make kmod-install)
#   kernel/dkms.sh uninstall                 (make kmod-uninstall)
#
# install: stages the patched fs/fuse tree with kernel/build.sh (same kernel
# choice: KVER, else the running 6.1 kernel, else the one behind
# linux-image-amd64), copies it to /usr/src/famfs-fuse-1/ with a dkms.conf
# limited to that kernel, apt-get installs dkms and linux-headers-KVER when
# missing, then dkms add, build and install. dkms puts the modules under
# /lib/modules/KVER/updates/dkms/, which depmod prefers to kernel/fs/fuse/.
# The running kernel keeps its loaded fuse until "rmmod fuse; modprobe fuse"
# (no FUSE mount may be active) or a reboot.
# uninstall: dkms remove --all and /usr/src/famfs-fuse-1/; the in-tree
# module is used again (after the same rmmod/modprobe or a reboot).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
NAME=famfs-fuse
VER=1
USRC=/usr/src/$NAME-$VER

say() { printf '[kmod-dkms] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (dkms installs into /lib/modules)"

install_deps() {
	local need=()

	command -v dkms >/dev/null || need+=(dkms)
	[ -e "/usr/src/linux-headers-$1/Makefile" ] || need+=("linux-headers-$1")
	[ ${#need[@]} -eq 0 ] && return 0
	say "apt-get install ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" \
		>/dev/null || { apt-get update >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			"${need[@]}" >/dev/null; } || die "apt-get install ${need[*]} failed"
}

do_install() {
	local out=$SRC/build/kmod-dkms kver

	"$HERE/build.sh" --stage-only --out "$out" "$@"
	kver=$(cat "$out/kver")
	install_deps "$kver"
	if dkms status -m "$NAME" -v "$VER" 2>/dev/null | grep -q .; then
		dkms remove -m "$NAME" -v "$VER" --all >/dev/null
	fi
	rm -rf "$USRC"
	mkdir -p "$USRC"
	cp -r "$out/fs/fuse/." "$USRC/"
	cat >"$USRC/dkms.conf" <<EOF
# famfs fuse.ko for $kver only: its fs/fuse is that kernel's ($(cat "$out/debver")).
PACKAGE_NAME="$NAME"
PACKAGE_VERSION="$VER"
BUILT_MODULE_NAME[0]="fuse"
DEST_MODULE_LOCATION[0]="/updates/dkms"
BUILT_MODULE_NAME[1]="cuse"
DEST_MODULE_LOCATION[1]="/updates/dkms"
BUILT_MODULE_NAME[2]="virtiofs"
DEST_MODULE_LOCATION[2]="/updates/dkms"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/$NAME/$VER/build CONFIG_FUSE_FS=m CONFIG_CUSE=m CONFIG_VIRTIO_FS=m CONFIG_FUSE_DAX=y modules"
CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/$NAME/$VER/build clean"
BUILD_EXCLUSIVE_KERNEL="^${kver//./\\.}\$"
AUTOINSTALL="yes"
EOF
	dkms add -m "$NAME" -v "$VER" >/dev/null
	dkms build -m "$NAME" -v "$VER" -k "$kver" || die "dkms build failed"
	dkms install -m "$NAME" -v "$VER" -k "$kver" --force || die "dkms install failed"
	say "installed: $(modinfo -k "$kver" -n fuse 2>/dev/null || echo "/lib/modules/$kver/updates/dkms/fuse.ko")"
	[ "$(uname -r)" = "$kver" ] &&
		say "load it: umount every FUSE mount, then rmmod fuse; modprobe fuse"
	return 0
}

do_uninstall() {
	if command -v dkms >/dev/null && dkms status -m "$NAME" 2>/dev/null | grep -q .; then
		dkms remove -m "$NAME" -v "$VER" --all >/dev/null || die "dkms remove failed"
	fi
	rm -rf "$USRC"
	say "removed; the in-tree fuse.ko is used again (after rmmod fuse; modprobe fuse)"
}

case ${1:-} in
install) shift; do_install "$@" ;;
uninstall) do_uninstall ;;
*) die "usage: $0 install [--kver KVER] | uninstall" ;;
esac
