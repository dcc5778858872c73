#!/bin/bash
# tests/fresh/check-fresh.sh - make check-fresh: the README's two commands on
# a really fresh Debian 12, as a new user runs them. In a minimal root
# (debootstrap --variant=minbase bookworm) with only git and make added, as
# root: clone HEAD of this checkout into /root/famfs, then `make demo` and
# `make check`. Any Debian package that the build or a test needs must be
# installed by the project's own scripts (scripts/install-deps.sh), because
# nothing else is there.
#
#   tests/fresh/check-fresh.sh          (root; needs /dev/fuse, as make check)
#
# Steps, each timed; a failing step prints its failing lines (for make check,
# the failing tests and their FAIL: lines) and check-fresh exits 1:
#   1. the base root: debootstrap, or the cached result of today's
#      debootstrap from the same mirror (a tarball), unpacked afresh
#   2. apt-get update, with the Debian sources configured on this machine
#      (/etc/apt/sources.list*: the bookworm, -updates and -security mirrors)
#   3. cached .deb files whose SHA256 matches those fresh lists are put in
#      the root's /var/cache/apt/archives: apt still installs every package
#      in the root, it only skips downloading it again
#   4. apt-get install git make (nothing else, no recommends)
#   5. git clone of HEAD (from a bundle of this checkout) into /root/famfs
#   6. make demo: installs the missing packages, builds, runs the demo
#   7. make check, with no network (a network namespace of its own): once
#      the packages are installed, building and testing download nothing
#   8. removal: unmount everything (tests/fresh/rootfs.sh), then delete
# The root is a tmpfs, with a fresh proc and sysfs, binds of /dev and
# /dev/pts, and its own tmpfs on /dev/shm. Logs of the last runs stay in
# $FAMFS_FRESH_DIR/logs, with the list of packages the root gained.
#
# Environment: FAMFS_FRESH_DIR (cache, logs and run directories; default
# /var/tmp/famfs-fresh), FAMFS_FRESH_MIRROR (Debian mirror, default: the one
# configured for bookworm), FAMFS_FRESH_TIMEOUT (per step, default 1500 s),
# FAMFS_FRESH_ROOT_SIZE (the root's tmpfs, default 8G; it holds about 2 GB).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
. "$HERE/rootfs.sh"
SUITE=bookworm
DIR=${FAMFS_FRESH_DIR:-/var/tmp/famfs-fresh}
STEP_TIMEOUT=${FAMFS_FRESH_TIMEOUT:-1500}
ROOT_SIZE=${FAMFS_FRESH_ROOT_SIZE:-8G}
ROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
T_START=$EPOCHREALTIME
RUN=
ROOT=
STEPS=()

say() { printf '[fresh] %s\n' "$*"; }
die() { say "ERROR: $*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" -eq 0 ] || die "make check-fresh runs as root (chroot, mounts)"
[ -c /dev/fuse ] || die "no /dev/fuse: make check in the fresh root needs FUSE"
git -C "$SRC" rev-parse --verify -q HEAD >/dev/null ||
	die "$SRC is not a git checkout with a commit: check-fresh clones its HEAD"

# --- the Debian sources of this machine -----------------------------------------------
# "URI SUITE COMPONENT..." for each Debian bookworm source configured here
# (bookworm, bookworm-updates, bookworm-security), as apt reads them.
debian_sources() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(CREATED_BY)' |
		awk -v s="$SUITE" '$4 == "Packages" &&
			($2 == s || $2 == s "-updates" || $2 == s "-security") {
				k = $1 " " $2
				if (!(k in comp)) { order[n++] = k; comp[k] = $3 }
				else if (index(" " comp[k] " ", " " $3 " ") == 0) comp[k] = comp[k] " " $3
			} END { for (i = 0; i < n; i++) print order[i], comp[order[i]] }'
}
SOURCES=$(debian_sources)
MIRROR=${FAMFS_FRESH_MIRROR:-$(awk -v s="$SUITE" '$2 == s { print $1; exit }' <<<"$SOURCES")}
[ -n "$MIRROR" ] ||
	die "no Debian $SUITE source in /etc/apt/sources.list*; set FAMFS_FRESH_MIRROR"
[ -n "$SOURCES" ] || SOURCES="$MIRROR $SUITE main"
PROXY=$(apt-config dump | grep -E '^Acquire::https?::Proxy ' || true)

# --- host tools -----------------------------------------------------------------------
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
	say "installing on the host: ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${need[@]}" >/dev/null 2>&1 || {
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${need[@]}" >/dev/null
	} || die "apt-get install ${need[*]} failed"
fi

# The cache feeds a root that runs as root: it must be ours alone.
mkdir -p "$DIR/debs" "$DIR/logs"
for d in "$DIR" "$DIR/debs" "$DIR/logs"; do
	[ "$(stat -c %u "$d")" = 0 ] && [ $((0$(stat -c %a "$d") & 022)) = 0 ] ||
		die "$d must belong to root and be writable by root only"
done
LOGS=$(mktemp -d "$DIR/logs/$(date +%Y%m%d-%H%M%S).XXXXXX")
# Keep the logs of the last 5 runs.
ls -1dt "$DIR"/logs/*/ 2>/dev/null | tail -n +6 | xargs -r rm -rf --

# Run directories of earlier runs that died (their pid is gone) are removed
# the safe way; those of a run still going are left alone.
for old in "$DIR"/run.*/; do
	[ -f "$old$ROOTFS_MARK" ] || continue
	pid=$(cat "$old$ROOTFS_MARK")
	kill -0 "$pid" 2>/dev/null && continue
	say "removing the run directory of an earlier run: $old"
	rootfs_remove "$old" || die "cannot remove $old safely (see above)"
done

cleanup() {
	local rc=$? t0=$EPOCHREALTIME
	trap - EXIT INT TERM
	[ -n "$RUN" ] || exit $rc
	[ -n "$ROOT" ] && save_debs
	echo "$(date +%T) saved the .deb files" >>"$LOGS/removal.log"
	if rootfs_remove "$RUN" 2> >(while IFS= read -r l; do echo "$(date +%T) $l"; done \
		>>"$LOGS/removal.log"); then
		say "$(printf '%-44s %7s s' "removed the root" "$(elapsed "$t0")")"
	else
		say "ERROR: could not remove $RUN safely (see above)"
		rc=1
	fi
	say "$(printf '%-44s %7s s' "total" "$(elapsed "$T_START")")"
	[ $rc -eq 0 ] && say "PASS" || say "FAIL (logs: $LOGS)"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_root [--offline] CMD: run the shell command CMD in the root, as root, in
# /root, with the environment of a fresh login (HOME, PATH, TERM) and nothing
# of ours. --offline: in a network namespace of its own (no network at all).
in_root() {
	local pre=()
	if [ "$1" = --offline ]; then pre=(unshare --net); shift; fi
	timeout --kill-after=10 "$STEP_TIMEOUT" "${pre[@]}" chroot "$ROOT" /usr/bin/env -i \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM="${TERM:-dumb}" \
		PATH="$ROOT_PATH" /bin/bash -c "cd /root && $1"
}

# step NAME CMD...: run CMD, its output into a log of its own; print the time
# it took; on failure print what failed and stop.
step() {
	local name=$1 log t0 rc=0
	shift
	log=$(tr -c 'a-z0-9\n' - <<<"${name%% (*}" | tr -s -)
	log=$LOGS/$(printf '%02d' $((${#STEPS[@]} + 1)))-$log.log
	t0=$EPOCHREALTIME
	"$@" >"$log" 2>&1 || rc=$?
	STEPS+=("$name")
	if [ $rc -eq 0 ]; then
		say "$(printf '%-44s %7s s' "$name" "$(elapsed "$t0")")"
		return 0
	fi
	say "$(printf '%-44s %7s s  FAILED (exit %d)' "$name" "$(elapsed "$t0")" $rc)"
	[ $rc -eq 124 ] && say "  over its time limit of $STEP_TIMEOUT s (FAMFS_FRESH_TIMEOUT)"
	failing_lines "$log" | sed 's/^/[fresh]   /'
	say "  whole log: $log"
	exit 1
}

# failing_lines LOG: what to show of a failed step: ctest's list of failed
# tests and the tests' FAIL: lines, else make's errors, else the log's end.
failing_lines() {
	local out
	out=$(sed -n '/^The following tests FAILED:/,/^Errors while running CTest/p' "$1"
		grep -E '^([0-9]+: )?FAIL[: ]' "$1" | head -20)
	[ -n "$out" ] || out=$(grep -E '\*\*\*|error:|^E: ' "$1" | head -20)
	[ -n "$out" ] || out=$(tail -n 20 "$1")
	printf '%s\n' "$out"
}

# --- 1. the base root ------------------------------------------------------------------
KEY="$SUITE-minbase-$(dpkg --print-architecture)-$(tr -c 'A-Za-z0-9.\n' _ <<<"${MIRROR%/}")"
BASE=$DIR/base-$KEY-$(date -u +%Y%m%d).tar

make_base() {
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" || return 1
	# What a fresh machine has: no .deb files left over from the install.
	find "$ROOT/var/cache/apt/archives" -name '*.deb' -delete
	tar -C "$ROOT" -cf "$BASE.$$" . && mv "$BASE.$$" "$BASE" || { rm -f "$BASE.$$"; return 1; }
	find "$DIR" -maxdepth 1 -name "base-$KEY-*.tar" ! -path "$BASE" -delete
}

# The root lives on a tmpfs of its own: dpkg's many fsyncs cost nothing, and
# removing its 2 GB is an unmount instead of a long rm on a busy disk.
RUN=$(rootfs_new "$DIR")
ROOT=$RUN/root
mkdir "$ROOT"
mount -t tmpfs -o "size=$ROOT_SIZE,mode=0755" tmpfs "$ROOT" || die "cannot mount a tmpfs on $ROOT"
say "HEAD $(git -C "$SRC" rev-parse --short HEAD) of $SRC; logs in $LOGS"
[ -z "$(git -C "$SRC" status --porcelain --untracked-files=no)" ] ||
	say "note: uncommitted changes in $SRC are not tested (the root clones HEAD)"
say "Debian sources: $(awk '{ print $1, $2 }' <<<"$SOURCES" | paste -sd, | sed 's/,/, /g')"
if [ -f "$BASE" ]; then
	step "unpack today's debootstrap (cached)" tar -C "$ROOT" --numeric-owner -xpf "$BASE"
else
	step "debootstrap --variant=minbase $SUITE" make_base
fi

# --- 2. apt sources, mounts, git and make ------------------------------------------------
awk '{ printf "deb %s %s", $1, $2; for (i = 3; i <= NF; i++) printf " %s", $i; print "" }' \
	<<<"$SOURCES" >"$ROOT/etc/apt/sources.list"
[ -n "$PROXY" ] && printf '%s\n' "$PROXY" >"$ROOT/etc/apt/apt.conf.d/01proxy"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
rootfs_mount_all "$ROOT" || die "cannot mount proc, sysfs, /dev in $ROOT"

# load_debs: put the cached .deb files whose SHA256 matches the root's
# freshly downloaded (signed) package lists into its apt archive directory.
# apt trusts a file found there when its size is right, so a damaged or
# altered cache entry must never reach it: those are dropped from the cache.
load_debs() {
	local a=$ROOT/var/cache/apt/archives sum f n=0
	[ -n "$(ls "$DIR"/debs/ 2>/dev/null)" ] || return 0
	# apt names the file PACKAGE_VERSION_ARCH.deb, with the epoch's colon
	# written %3a.
	awk '/^Package: / { p = $2 } /^Version: / { v = $2 } /^Architecture: / { a = $2 }
		/^SHA256: / { s = $2 }
		/^$/ { if (s != "") { sub(/:/, "%3a", v); print s "  " p "_" v "_" a ".deb" }
			p = v = a = s = "" }' \
		"$ROOT"/var/lib/apt/lists/*_Packages 2>/dev/null | sort -u >"$LOGS/sha256-lists"
	(cd "$DIR/debs" && sha256sum -- *.deb) | sort >"$LOGS/sha256-cache"
	while read -r sum f; do
		if grep -qxF "$sum  $f" "$LOGS/sha256-lists"; then
			cp "$DIR/debs/$f" "$a/"
			n=$((n + 1))
		else
			rm -f "$DIR/debs/$f"
		fi
	done <"$LOGS/sha256-cache"
	echo "$n cached .deb files checked and loaded"
}
# Keep in the cache exactly the .deb files of the packages installed in the
# root (what the next run will need), whoever downloaded them.
save_debs() {
	local a=$ROOT/var/cache/apt/archives keep f
	[ -d "$a" ] || return 0
	keep=$(chroot "$ROOT" dpkg-query -W -f '${Package}_${Version}_${Architecture}.deb\n' \
		2>/dev/null | sed 's/:/%3a/g') || return 0
	for f in "$a"/*.deb; do
		[ -e "$f" ] || continue
		grep -qxF "${f##*/}" <<<"$keep" || continue
		[ -e "$DIR/debs/${f##*/}" ] || cp "$f" "$DIR/debs/"
	done
	for f in "$DIR"/debs/*.deb; do
		[ -e "$f" ] || continue
		grep -qxF "${f##*/}" <<<"$keep" || rm -f "$f"
	done
}
installed() {
	chroot "$ROOT" dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' |
		awk '$1 == "ii" { print $2 }' | sort
}

step "apt-get update" in_root "apt-get update"
step "load cached .deb files (SHA256 checked)" load_debs
say "  $(tail -n 1 "$LOGS"/*-load-cached-deb-files.log)"
step "apt-get install git make" in_root \
	"DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git make"

# --- 3. the clone ------------------------------------------------------------------------
git -C "$SRC" bundle create "$ROOT/tmp/famfs.bundle" HEAD >"$LOGS/bundle.log" 2>&1 ||
	die "git bundle of HEAD failed: $(tail -1 "$LOGS/bundle.log")"
step "git clone into /root/famfs" in_root \
	"git -c advice.detachedHead=false clone /tmp/famfs.bundle famfs && rm /tmp/famfs.bundle"

# --- 4, 5. the two commands --------------------------------------------------------------
installed >"$LOGS/packages-before"
step "make demo" in_root "cd famfs && make demo"
installed >"$LOGS/packages-after"
asked=$(sed -n 's/^famfs: installing missing Debian packages: *//p' "$LOGS"/*-make-demo.log)
comm -13 "$LOGS/packages-before" "$LOGS/packages-after" >"$LOGS/packages-gained"
say "  install-deps installed: ${asked:-nothing}"
say "  the root gained $(wc -l <"$LOGS/packages-gained") packages with their dependencies" \
	"(list: $LOGS/packages-gained)"
step "make check (offline)" in_root --offline "cd famfs && make check"
grep -h "tests passed" "$LOGS"/*-make-check.log | sed 's/^/[fresh]   /'
