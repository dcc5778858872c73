#!/bin/bash
# build-deb.sh [OUT] - make deb: build the Debian packages famfs, libfamfs0,
# libfamfs-dev and python3-famfs with debhelper, then check them with
# lintian (any error fails; the warnings we accept are explained in
# debian/README.source). The source tree is copied to OUT/src first (the
# files git knows, committed or not, or the whole tree outside git), so the
# build never writes into the checkout; the .debs land in OUT (default
# build-deb/).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
tree=$out/src/famfs-$ver

rm -rf "$out/src" "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && xargs -0 -r tar -cf - --no-recursion --ignore-failed-read) |
		tar -xif - -C "$tree"
else
	tar -cf - -C "$src" --exclude='./build*' --exclude=./.git . | tar -xf - -C "$tree"
fi

echo "famfs: dpkg-buildpackage in $tree"
(cd "$tree" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}" \
	dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	echo "famfs: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/
mv "$out"/src/*.ddeb "$out"/ 2>/dev/null || true

echo "famfs: lintian"
changes=$(ls "$out"/famfs_"$ver"_*.changes)
lintian --fail-on error "$changes" | tee "$out/lintian.log"
echo "famfs: packages in $out:"
ls -1 "$out"/*.deb
