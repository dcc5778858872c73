#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/setup.sh - host side of make check-vm: install the host tools that
# are missing (apt-get install) and fetch the guest's Debian packages into a
# cache (apt-get download + dpkg -x), never touching the host's /boot.
#
#   tests/vm/setup.sh            idempotent; a warm run does no network I/O
#
# Environment: FAMFS_VM_DIR (cache, default /var/tmp/famfs-vm).
# Result, under $FAMFS_VM_DIR:
#   debs/      the .deb files
#   kroot/     the unpacked guest kernel (boot/vmlinuz-*, lib/modules/<ver>/) and
#              boot/vmlinux, the same kernel uncompressed, when it can boot by PVH
#   sysroot/   the unpacked ndctl, daxctl and their direct library packages
set -euo pipefail

VM_DIR=${FAMFS_VM_DIR:-/var/tmp/famfs-vm}
DEBS=$VM_DIR/debs
KROOT=$VM_DIR/kroot
SYSROOT=$VM_DIR/sysroot
KERNEL_META=${FAMFS_VM_KERNEL_META:-linux-image-amd64}

say() { printf '[vm-setup] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

is_static() { ! readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; }

apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	say "apt-get update"
	apt-get update >/dev/null || die "apt-get update failed"
	apt_updated=1
}

# Install the host packages whose commands are missing.
install_host_tools() {
	local need=()

	command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
	if ! [ -x /bin/busybox ] || ! is_static /bin/busybox; then
		need+=(busybox-static)
	fi
	command -v gcc >/dev/null || need+=(gcc libc6-dev)
	command -v cpio >/dev/null || need+=(cpio)
	command -v xz >/dev/null || need+=(xz-utils)
	command -v zstd >/dev/null || need+=(zstd)
	command -v readelf >/dev/null || need+=(binutils)
	command -v fio >/dev/null || need+=(fio)
	command -v patch >/dev/null || need+=(patch)
	command -v gcc-12 >/dev/null || need+=(gcc-12)
	[ ${#need[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing host packages; as root run: apt-get install ${need[*]}"
	say "apt-get install ${need[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${need[@]}" >/dev/null 2>&1; then
		apt_update_once
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			"${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
	fi
}

# The versioned package behind the kernel meta package (linux-image-6.1.0-NN-amd64).
kernel_pkg() {
	apt-cache depends "$KERNEL_META" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1
}

# ndctl, daxctl and the library packages they depend on directly.
tool_pkgs() {
	{
		echo ndctl
		echo daxctl
		apt-cache depends ndctl daxctl 2>/dev/null |
			sed -n 's/^ *Depends: \(lib[^ <>]*\)$/\1/p'
	} | sort -u
}

deb_of() { ls -t "$DEBS/${1}_"*.deb 2>/dev/null | head -1; }

# Download (one apt-get call) the packages that are not in the cache yet.
fetch() {
	local p miss=()

	for p in "$@"; do
		[ -n "$(deb_of "$p")" ] || miss+=("$p")
	done
	[ ${#miss[@]} -eq 0 ] && return 0
	say "apt-get download ${miss[*]}"
	if ! (cd "$DEBS" && apt-get download "${miss[@]}" >/dev/null 2>&1); then
		apt_update_once
		(cd "$DEBS" && apt-get download "${miss[@]}" >/dev/null 2>&1) || true
	fi
	for p in "${miss[@]}"; do
		[ -n "$(deb_of "$p")" ] || die "apt-get download $p failed"
	done
}

# Write $KROOT/boot/vmlinux: the ELF kernel inside the xz-compressed bzImage.
# QEMU boots an ELF kernel with a PVH entry note directly, which skips the
# decompressor: under TCG that saves about 10 s per guest boot. Without a
# PVH note (or on any failure) there is no vmlinux and the bzImage is used.
extract_vmlinux() {
	local z=$1 off

	rm -f "$KROOT/boot/vmlinux"
	grep -q '^CONFIG_PVH=y' "$KROOT"/boot/config-* 2>/dev/null || return 0
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$z" | head -1 | cut -d: -f1)
	[ -n "$off" ] || return 0
	tail -c +$((off + 1)) "$z" | xz -dc >"$KROOT/boot/vmlinux.tmp" 2>/dev/null || true
	if readelf -n "$KROOT/boot/vmlinux.tmp" 2>/dev/null | grep -q 'Xen.*type: (0x00000012)'; then
		mv "$KROOT/boot/vmlinux.tmp" "$KROOT/boot/vmlinux"
	else
		rm -f "$KROOT/boot/vmlinux.tmp"
	fi
}

main() {
	local kp p pkgs

	install_host_tools
	mkdir -p "$DEBS" "$SYSROOT"
	kp=$(kernel_pkg)
	if [ -z "$kp" ]; then
		apt_update_once
		kp=$(kernel_pkg)
	fi
	[ -n "$kp" ] || die "no kernel package behind $KERNEL_META (apt-cache depends)"
	pkgs=$(tool_pkgs)
	# shellcheck disable=SC2086
	fetch "$kp" $pkgs
	if [ "$(cat "$KROOT/.pkg" 2>/dev/null)" != "$(basename "$(deb_of "$kp")")" ]; then
		say "dpkg -x $kp"
		rm -rf "$KROOT"
		mkdir -p "$KROOT"
		dpkg -x "$(deb_of "$kp")" "$KROOT"
		extract_vmlinux "$(ls "$KROOT"/boot/vmlinuz-* | head -1)"
		basename "$(deb_of "$kp")" >"$KROOT/.pkg"
	fi
	for p in $pkgs; do
		[ -e "$SYSROOT/.x.$(basename "$(deb_of "$p")")" ] && continue
		dpkg -x "$(deb_of "$p")" "$SYSROOT"
		touch "$SYSROOT/.x.$(basename "$(deb_of "$p")")"
	done
	ls "$KROOT"/boot/vmlinuz-* >/dev/null 2>&1 || die "no vmlinuz in $KROOT/boot"
	say "ready: kernel $(basename "$(ls -d "$KROOT"/lib/modules/*)"), cache $VM_DIR"
}

main "$@"
