# shellcheck shell=bash
# tests/fresh/rootfs.sh - a scratch Debian root that can be entered and then
# removed without ever deleting through a mount: make a run directory, mount
# what a chroot needs, and take it all down again.
#
# Source it; it defines:
#   rootfs_new PARENT         make PARENT/run.XXXXXX (with its marker), print it
#   rootfs_mount_all ROOT     a fresh proc and sysfs, /dev (bind), a private
#                             tmpfs on /dev/shm, /dev/pts (bind)
#   rootfs_mounts DIR         mount points at or under DIR, children first
#   rootfs_unmount DIR        kill the processes whose root is under DIR, then
#                             unmount everything at or under DIR; fails, naming
#                             them, when mounts are left
#   rootfs_remove DIR         rootfs_unmount, check that nothing is mounted
#                             under DIR, then rm --one-file-system; refuses a
#                             DIR that rootfs_new did not make
#
# Removal never unmounts lazily: a mount that cannot be unmounted stays, and
# so does DIR, with a message saying what is left. rm --one-file-system is
# the second line of defence only: a bind mount of a directory of the same
# file system (the same device number) would not stop it, so the mount check
# before it is what protects a leftover bind of /dev or of anything else.
# The processes and mounts that the commands run in the root leave behind
# (daemons, FUSE mounts, bpffs, fusectl) are taken down the same way.

ROOTFS_MARK=.famfs-fresh-run
ROOTFS_UMOUNT_SECS=${ROOTFS_UMOUNT_SECS:-20}

_rootfs_say() { printf '[fresh] %s\n' "$*" >&2; }

# rootfs_new PARENT: a new, empty run directory in PARENT, marked as ours
# (the marker holds the pid of the run that made it).
rootfs_new() {
	local d
	mkdir -p "$1" || return 1
	d=$(mktemp -d "$(cd "$1" && pwd -P)/run.XXXXXX") || return 1
	echo "$$" >"$d/$ROOTFS_MARK" || return 1
	echo "$d"
}

# rootfs_mounts DIR: every mount point at or under DIR (absolute, no trailing
# slash), one a line, in reverse mount order so that children come before the
# mounts they sit on. mountinfo escapes space, tab, newline and backslash as
# octal; they are decoded.
rootfs_mounts() {
	awk -v dir="$1" '{
		m = $5
		gsub(/\\040/, " ", m); gsub(/\\011/, "\t", m)
		gsub(/\\012/, "\n", m); gsub(/\\134/, "\\", m)
		if (m == dir || index(m, dir "/") == 1)
			list[n++] = m
	} END { while (n > 0) print list[--n] }' /proc/self/mountinfo
}

# rootfs_procs DIR: pids of the processes whose root directory is DIR or
# under it (a chroot into DIR), one a line.
rootfs_procs() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		case $r in
		"$1" | "$1"/*) echo "${p#/proc/}" ;;
		esac
	done
}

# _rootfs_wait SECS CMD...: poll CMD every 50 ms until it succeeds, or fail
# after SECS seconds.
_rootfs_wait() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

_rootfs_no_procs() { [ -z "$(rootfs_procs "$1")" ]; }

# _rootfs_umount_pass DIR: try to unmount every mount under DIR once;
# succeed when none is left.
_rootfs_umount_pass() {
	local m
	while IFS= read -r m; do
		umount -- "$m" 2>/dev/null
	done < <(rootfs_mounts "$1")
	[ -z "$(rootfs_mounts "$1")" ]
}

rootfs_unmount() {
	local dir=$1 pids
	pids=$(rootfs_procs "$dir")
	if [ -n "$pids" ]; then
		_rootfs_say "killing what still runs in $dir: $(echo $pids)"
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		_rootfs_wait 10 _rootfs_no_procs "$dir" ||
			_rootfs_say "processes still in $dir: $(rootfs_procs "$dir" | tr '\n' ' ')"
	fi
	_rootfs_say "unmounting $(rootfs_mounts "$dir" | wc -l) mounts under $dir"
	_rootfs_wait "$ROOTFS_UMOUNT_SECS" _rootfs_umount_pass "$dir" && return 0
	_rootfs_say "still mounted under $dir:"
	rootfs_mounts "$dir" | sed 's/^/[fresh]   /' >&2
	return 1
}

rootfs_remove() {
	local dir
	dir=$(cd "$1" 2>/dev/null && pwd -P) || { _rootfs_say "no directory $1"; return 1; }
	if [ "$dir" = / ] || [ ! -f "$dir/$ROOTFS_MARK" ]; then
		_rootfs_say "refusing to remove $dir: not a run directory (no $ROOTFS_MARK)"
		return 1
	fi
	rootfs_unmount "$dir" || {
		_rootfs_say "left $dir in place: unmount the above, then remove it"
		return 1
	}
	if [ -n "$(rootfs_mounts "$dir")" ]; then
		_rootfs_say "refusing to remove $dir: something is mounted under it"
		return 1
	fi
	rm -rf --one-file-system -- "$dir"
}

# rootfs_mount_all ROOT: what a chroot running famfs's make check needs. The
# binds are made private, so nothing mounted under them reaches the host's
# /dev and nothing mounted on the host shows up in ROOT. /dev/shm gets its
# own tmpfs: files the root leaves there go away with it, and its fixed
# names (the demo device) cannot meet the host's.
rootfs_mount_all() {
	local r=$1
	mkdir -p "$r/proc" "$r/sys" "$r/dev" &&
		mount -t proc proc "$r/proc" &&
		mount -t sysfs sysfs "$r/sys" &&
		mount --bind /dev "$r/dev" && mount --make-private "$r/dev" &&
		mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/dev/shm" &&
		mount --bind /dev/pts "$r/dev/pts" && mount --make-private "$r/dev/pts"
}
