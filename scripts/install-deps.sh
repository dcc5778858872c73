#!/bin/sh
# Install the Debian packages that famfs needs to build and to run every test
# of `make check`, if any is missing. Safe to run again: when all are
# present it does nothing, and touches no network.
#
# A test or build step that calls a program names its package here, even
# when another package happens to pull it in today. The Essential packages of
# every Debian system are not listed: bash, coreutils, dash, diffutils,
# findutils, grep, sed, tar, gzip, dpkg, and util-linux (setpriv, mountpoint,
# fallocate, findmnt). `make check-fresh` proves the list complete: it runs
# `make demo` and `make check` in a minimal Debian 12 root that has nothing
# else.
set -eu

# Build: compilers and the libraries famfs links with (libjansson-dev: the
# CLI's --json output; libyaml-dev: .meta/.alloc.cfg); python3-dev builds
# the Python module.
PKGS="build-essential cmake pkg-config libfuse3-dev zlib1g-dev uuid-dev
libbpf-dev libcmocka-dev libmount-dev libjansson-dev libyaml-dev python3-dev"
# clang-14 compiles the BPF resolver (bpf/build.sh) and the libFuzzer
# harnesses that the fuzz corpus test replays; -fsanitize=fuzzer,address
# links clang's own runtimes, which Debian ships in libclang-rt-14-dev.
PKGS="$PKGS clang-14 libclang-rt-14-dev"
# Tests: fusermount3 (fuse3); mount, umount (mount); useradd, userdel,
# groupadd (passwd); pgrep (procps); awk (mawk); /usr/bin/python3 with numpy;
# /usr/bin/time for peak RSS (time); strace: the syscalls the shim makes.
PKGS="$PKGS fuse3 mount passwd procps mawk python3 python3-numpy time strace"
# make deb and the tests of completion and packages: bash-completion,
# debhelper, dh-python, lintian, and clang by the name debian/control's
# Build-Depends gives it (dpkg-buildpackage checks that name).
PKGS="$PKGS bash-completion debhelper dh-python lintian clang"
[ -n "${FAMFS_EXTRA_PKGS:-}" ] && PKGS="$PKGS $FAMFS_EXTRA_PKGS"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "famfs: installing missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "famfs: not root and no sudo; run as root: apt-get install$missing" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
