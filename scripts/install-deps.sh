#!/bin/sh
# Install the Debian packages that famfs needs to build and test, if any is
# missing. Safe to run again: it does nothing when all are present.
set -eu

# python3-dev builds the Python module; bash-completion, debhelper, dh-python
# and lintian are for make deb and the tests of completion and packages.
PKGS="build-essential cmake pkg-config libfuse3-dev fuse3 zlib1g-dev uuid-dev
libcmocka-dev libbpf-dev libmount-dev clang python3 python3-dev python3-numpy util-linux
bash-completion debhelper dh-python lintian"
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
