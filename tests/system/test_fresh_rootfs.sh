#!/bin/bash
# test_fresh_rootfs.sh - make check-fresh's remover (tests/fresh/rootfs.sh)
# never deletes through a mount. A scratch run directory gets what a fresh
# root has (a bind standing in for /dev with a tmpfs on its shm, proc, a
# bind with a space in its path) and a process chrooted into it that keeps
# its bind busy; rootfs_remove must kill it, unmount all and delete the run
# directory, and the files behind the binds must survive. A mount held busy
# from outside must make it refuse and leave everything in place. Only
# directories of this test are ever bound: no host directory is at risk.
. "$(dirname "$0")/lib.sh"
. "$FAMFS_SRC/tests/fresh/rootfs.sh"

inside=
holder=
trap 'kill -KILL $inside $holder 2>/dev/null; rootfs_unmount "$T" 2>/dev/null; famfs_cleanup' EXIT
S1=$T/sentinel-dev
S2=$T/sentinel-other
mkdir -p "$S1/shm" "$S2"
echo keep >"$S1/keep"
echo keep >"$S2/keep"
sentinels_intact() { [ -f "$S1/keep" ] && [ -f "$S2/keep" ]; }
nothing_mounted_under() { [ -z "$(rootfs_mounts "$1")" ]; }
procs_in() { [ -n "$(rootfs_procs "$1")" ]; }
cwd_is() { [ "$(readlink "/proc/$1/cwd")" = "$2" ]; }
dead() { case $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) in "" | Z) ;; *) false ;; esac; }

# --- only run directories are removed -------------------------------------------------
mkdir -p "$T/plain"
echo data >"$T/plain/f"
check_fail "a directory without the run marker is refused" "not a run directory" \
	rootfs_remove "$T/plain"
check "... and left alone" test -f "$T/plain/f"

# --- a root like check-fresh's, with a process chrooted into it ------------------------
RUN=$(rootfs_new "$T")
R=$RUN/root
mkdir -p "$R/dev" "$R/proc" "$R/mnt/my dir"
# /bin/sleep and the libraries it loads, so that a process can live in $R.
for f in /bin/sleep $(ldd /bin/sleep | grep -o '/[^ ]*'); do
	mkdir -p "$R$(dirname "$f")"
	cp -L "$f" "$R$f"
done
check "bind a stand-in for /dev" mount --bind "$S1" "$R/dev"
check "tmpfs on its shm" mount -t tmpfs tmpfs "$R/dev/shm"
check "proc" mount -t proc proc "$R/proc"
check "bind on a path with a space" mount --bind "$S2" "$R/mnt/my dir"
check_eq "rootfs_mounts lists the four, children first" \
	"$R/mnt/my dir|$R/proc|$R/dev/shm|$R/dev" "$(rootfs_mounts "$RUN" | paste -sd'|')"
unshare --root="$R" --wd=/dev /bin/sleep 600 &
inside=$!
check "a process chrooted into the root" wait_until 10 procs_in "$RUN"
check_eq "rootfs_procs finds it" "$inside" "$(rootfs_procs "$RUN")"
check "rootfs_remove takes it all down" rootfs_remove "$RUN"
if wait_until 5 dead "$inside"; then
	wait "$inside"
	check_eq "the chrooted process was killed" 137 "$?"
else
	fail "the chrooted process still runs"
fi
check "nothing mounted under the run directory" nothing_mounted_under "$RUN"
check "the run directory is gone" test ! -e "$RUN"
check "the files behind the binds survive" sentinels_intact

# --- a mount held busy from outside: refuse, delete nothing ----------------------------
RUN=$(rootfs_new "$T")
R=$RUN/root
mkdir -p "$R/dev"
check "bind a stand-in for /dev again" mount --bind "$S1" "$R/dev"
(cd "$R/dev" && exec sleep 600) &
holder=$!
check "a process outside holds the bind" wait_until 10 cwd_is "$holder" "$R/dev"
ROOTFS_UMOUNT_SECS=1	# how long rootfs_unmount retries a busy mount
check_fail "rootfs_remove refuses while the bind is busy" "still mounted under" \
	rootfs_remove "$RUN"
ROOTFS_UMOUNT_SECS=20
cp "$T/err" "$T/refusal"
check "... names the mount" grep -qF "$R/dev" "$T/refusal"
check "... keeps the run directory" test -f "$RUN/$ROOTFS_MARK"
check "... keeps the bind" test -n "$(rootfs_mounts "$RUN")"
check "... deletes nothing behind it" sentinels_intact
check "the holder is not killed (its root is not in the run directory)" kill -0 "$holder"
kill -KILL "$holder"
wait "$holder" 2>/dev/null
check "once free, rootfs_remove takes it down" rootfs_remove "$RUN"
check "the run directory is gone" test ! -e "$RUN"
check "the files behind the bind survive" sentinels_intact

# --- rm --one-file-system, the second line, stops at another file system ---------------
mkdir -p "$T/fs/m"
check "tmpfs in a tree" mount -t tmpfs tmpfs "$T/fs/m"
echo keep >"$T/fs/m/keep"
check_fail "rm --one-file-system does not cross it" "different device" \
	rm -rf --one-file-system "$T/fs"
check "... and its file survives" test -f "$T/fs/m/keep"
umount "$T/fs/m"
done_testing
