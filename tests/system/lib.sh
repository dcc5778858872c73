# shellcheck shell=bash
# tests/system/lib.sh - shared helpers for the system tests.
#
# Source it at the top of a test:  . "$(dirname "$0")/lib.sh"
# It gives: $BIN (the built binaries), a private $T work dir, devices on
# /dev/shm that are removed on exit, mounts that are unmounted on exit and
# daemons that are killed on exit (even when the test fails), and small
# assertion helpers that count checks and print "N passed, M failed".
set -u

FAMFS_SRC=${FAMFS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FAMFS_BUILD=${FAMFS_BUILD:-$FAMFS_SRC/build}
BIN=$FAMFS_BUILD/bin
FAMFS=$BIN/famfs
MKFS=$BIN/mkfs.famfs

# The preload shim: SHIM_SO is the library, SHIM the value for LD_PRELOAD.
# In a sanitizer build (make check-asan) the shim needs the ASan and UBSan
# runtimes loaded first in programs that were not built with them (cat,
# python3), and their leak reports would fail those programs' exit codes.
SHIM_SO=$FAMFS_BUILD/lib/libfamfs-preload.so
SHIM=$SHIM_SO
if grep -qs '^FAMFS_SANITIZE:BOOL=ON' "$FAMFS_BUILD/CMakeCache.txt"; then
	SHIM="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $SHIM_SO"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:verify_asan_link_order=0}
	FAMFS_SANITIZED=1
else
	FAMFS_SANITIZED=0
fi
export PATH="$BIN:$PATH"

# Two emulated hosts. Tests pick a role by exporting FAMFS_SYSTEM_UUID.
MASTER_UUID=11111111-2222-3333-4444-555555555555
CLIENT_UUID=99999999-8888-7777-6666-555555555555
CLIENT2_UUID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
export FAMFS_SYSTEM_UUID=$MASTER_UUID

T=$(mktemp -d /tmp/famfs-test.XXXXXX)
# Where as_user puts the copy of the build's programs that every user can
# read (filled on first use; made here so that cleanup knows it even when
# as_user ran in a subshell).
UBUILD=$(mktemp -d /tmp/famfs-ubuild.XXXXXX)
chmod 0755 "$UBUILD"
_famfs_mounts=()
_famfs_pids=()
_famfs_users=()
_famfs_groups=()
_famfs_pass=0
_famfs_fail=0

famfs_cleanup() {
	local m p d
	for ((i = ${#_famfs_mounts[@]} - 1; i >= 0; i--)); do
		m=${_famfs_mounts[$i]}
		if mountpoint -q "$m" 2>/dev/null || grep -q " $m " /proc/self/mounts; then
			"$FAMFS" umount "$m" >/dev/null 2>&1 || umount -l "$m" >/dev/null 2>&1 || true
		fi
	done
	for p in "${_famfs_pids[@]}"; do
		kill -9 "$p" >/dev/null 2>&1 || true
	done
	rm -f "${_famfs_devprefix}"*
	for p in "${_famfs_users[@]}"; do
		userdel "$p" >/dev/null 2>&1 || true
	done
	for p in "${_famfs_groups[@]}"; do
		groupdel "$p" >/dev/null 2>&1 || true
	done
	rm -rf "$T" "$UBUILD"
}
trap famfs_cleanup EXIT
trap 'exit 130' INT TERM

# Devices made by a test are named /dev/shm/famfs-test-<pid>-*, so that
# cleanup finds them even when they were made in a subshell ($(mkdev ...)).
_famfs_devprefix=/dev/shm/famfs-test-$$-

# mkdev SIZE -> prints the path of a new sparse device file on /dev/shm.
mkdev() {
	local d
	d=$(mktemp "${_famfs_devprefix}XXXXXX")
	truncate -s "$1" "$d"
	echo "$d"
}

# newdev VAR SIZE: make a device and store its path in VAR.
newdev() {
	printf -v "$1" %s "$(mkdev "$2")"
}

# audit_device SIZE: for a flush audit test (ends the test unless this is
# an audit build): export FAMFS_FLUSH_AUDIT, make the device DEV of SIZE
# and its shadow SHADOW (what another host sees), as large as the device
# and, like it, all zeros.
audit_device() {
	grep -qs '^FAMFS_FLUSH_AUDIT:BOOL=ON' "$FAMFS_BUILD/CMakeCache.txt" ||
		{ fail "$FAMFS_BUILD is not a flush audit build (cmake -DFAMFS_FLUSH_AUDIT=ON)"; done_testing; }
	export FAMFS_FLUSH_AUDIT=$T/audit
	mkdir -p "$FAMFS_FLUSH_AUDIT"
	DEV=$(mkdev "$1")
	SHADOW=$FAMFS_FLUSH_AUDIT/$(stat -c 'dev-%d-ino-%i' "$DEV")
	truncate -s "$1" "$SHADOW"
}

# audit_clean PROGRAM...: the flush audit was on in each PROGRAM (it ran
# there) and found nothing anywhere.
audit_clean() {
	local who
	for who in "$@"; do
		check "the audit ran in $who" grep -q "^$who " "$FAMFS_FLUSH_AUDIT/active"
	done
	check_eq "no audit failures" "" "$(cat "$FAMFS_FLUSH_AUDIT/failures" 2>/dev/null)"
}

# Register a mount point / pid for cleanup.
track_mount() { _famfs_mounts+=("$1"); }
track_pid() { _famfs_pids+=("$1"); }

pass() { _famfs_pass=$((_famfs_pass + 1)); echo "ok: $*"; }
fail() { _famfs_fail=$((_famfs_fail + 1)); echo "FAIL: $*"; }

# as_user USER CMD [ARG...]: run CMD as USER (a name or uid: its uid, primary
# gid and groups, no capabilities). Every test that runs something as an
# unprivileged user goes through here. The checkout may live where only root
# can read it (a clone in /root, mode 0700), so programs and libraries of the
# build are run from a copy that every user can read: each "$FAMFS_BUILD/bin/"
# or "$FAMFS_BUILD/lib/" in CMD and the ARGs ("$FAMFS", LD_PRELOAD=$SHIM_SO,
# a sh -c script) becomes "$UBUILD/bin/" or "$UBUILD/lib/", and PATH leads
# to "$UBUILD/bin" instead of "$BIN".
as_user() {
	local user=$1 gid a args=()
	shift
	gid=$(id -g "$user") || return 1
	if [ ! -d "$UBUILD/bin" ]; then
		cp -a "$FAMFS_BUILD/bin" "$FAMFS_BUILD/lib" "$UBUILD/" &&
			chmod -R a+rX,go-w "$UBUILD" || return 1
	fi
	for a in "$@"; do
		a=${a//"$FAMFS_BUILD/bin/"/"$UBUILD/bin/"}
		args+=("${a//"$FAMFS_BUILD/lib/"/"$UBUILD/lib/"}")
	done
	# setpriv keeps root's capabilities up to its own exec, so it execs env,
	# which runs CMD with none: the exec of CMD is checked as USER's.
	setpriv --reuid="$user" --regid="$gid" --init-groups -- \
		env PATH="$UBUILD/bin:${PATH#"$BIN":}" "${args[@]}"
}

# check DESCRIPTION CMD... : CMD must succeed.
check() {
	local what=$1; shift
	if "$@" >"$T/out" 2>"$T/err"; then
		pass "$what"
	else
		fail "$what (exit $?): $(head -c 400 "$T/err")"
	fi
}

# check_fail DESCRIPTION PATTERN CMD... : CMD must exit non-zero and print
# a message on stderr matching the extended regex PATTERN.
check_fail() {
	local what=$1 pat=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ]; then
		fail "$what: expected failure, got exit 0"
	elif ! grep -Eq -- "$pat" "$T/err"; then
		fail "$what: stderr does not match /$pat/: $(head -c 400 "$T/err")"
	else
		pass "$what (exit $rc)"
	fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# wait_until SECONDS CMD... : poll CMD every 10 ms until it succeeds.
wait_until() {
	local secs=$1 end; shift
	end=$(($(date +%s%N) + secs * 1000000000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.01
	done
}

# meta_sum DEV [LOGLEN]: checksum of the superblock and log regions, to
# prove a failed command changed nothing.
meta_sum() {
	local len=${2:-$((8 * 1024 * 1024))}
	head -c $((2 * 1024 * 1024 + len)) "$1" | md5sum | cut -d' ' -f1
}

# skip_if_sanitized: install and packaging tests run in the plain build
# only; in the sanitizer build (make check-asan) they would check the same
# files again. Exits 77, which ctest reports as skipped.
skip_if_sanitized() {
	if [ "$FAMFS_SANITIZED" = 1 ]; then
		echo "skip: install and packaging are checked in the plain build (make check)"
		exit 77
	fi
}

# done_testing: print the closing line and exit non-zero on any failure.
done_testing() {
	echo "$_famfs_pass passed, $_famfs_fail failed"
	[ "$_famfs_fail" -eq 0 ] && [ "$_famfs_pass" -gt 0 ]
	exit $?
}

[ "$(id -u)" -eq 0 ] || echo "note: not root; tests that need root will fail" >&2
[ -x "$FAMFS" ] || { echo "FAIL: $FAMFS not built"; exit 1; }

# --- helpers added by the CLI tests ---

# check_refused DEV DESCRIPTION PATTERN CMD... : CMD must fail with exactly
# one line on stderr matching PATTERN and leave DEV's metadata unchanged.
check_refused() {
	local dev=$1 what=$2 pat=$3 before after lines; shift 3
	before=$(meta_sum "$dev")
	check_fail "$what" "$pat" "$@"
	lines=$(wc -l <"$T/err")
	[ "$lines" -eq 1 ] || fail "$what: $lines lines on stderr: $(head -c 400 "$T/err")"
	after=$(meta_sum "$dev")
	[ "$before" = "$after" ] || fail "$what: the metadata changed"
}

# famfsd_pid_of MNT: the pid of the famfsd serving MNT (its command line names
# MNT), or nothing.
famfsd_pid_of() {
	local p argv
	for p in /proc/[0-9]*; do
		argv=$(tr '\0' '\n' 2>/dev/null <"$p/cmdline") || continue
		grep -qx -- "$1" <<<"$argv" || continue
		[ "$(basename "$(head -1 <<<"$argv")")" = famfsd ] && echo "${p#/proc/}" && return
	done 2>/dev/null
}

# hold_log_lock DEV: another process holds DEV's log lock: flock(1) takes
# it, then runs sleep (-o: the lock stays with flock itself). $sleeper is
# the sleep: killing it frees the lock. Fails unless the sleep started
# within 20 s.
hold_log_lock() {
	local holder
	flock -o "$1" sleep 300 &
	holder=$!
	track_pid "$holder"
	sleeper=
	wait_until 20 bash -c "[ \"\$(ps -o comm= --ppid $holder)\" = sleep ]" &&
		sleeper=$(ps -o pid= --ppid "$holder" | tr -d ' ')
	[ -n "$sleeper" ] && track_pid "$sleeper"
	[ -n "$sleeper" ]
}

# hold_open FILE: a background process holds FILE open (its fd 3) until it
# is killed or the test ends; $opener is its pid. Returns once the file is
# open, so that what follows (an rm) cannot run before the open.
hold_open() {
	sleep 300 3<"$1" &
	opener=$!
	track_pid "$opener"
	check "the opener has it open" wait_until 20 test -e "/proc/$opener/fd/3"
}

# famfsd_waits_log_lock MNT: true while the famfsd serving MNT has taken a
# mkdir, unlink or rmdir and polls for the log lock another process holds
# (a famfs creat never waits in famfsd): its appender thread sleeps in
# clock_nanosleep(2) (appender.c's poll is famfsd's only sleep). The FUSE
# "waiting" count alone is also true while the LOOKUPs that precede the
# request are in flight.
famfsd_waits_log_lock() {
	local pid t s sys
	case $(uname -m) in
	x86_64) sys=" 35 230 " ;;
	aarch64) sys=" 101 115 " ;;
	*) return 1 ;;
	esac
	pid=$(famfsd_pid_of "$1")
	[ -n "$pid" ] || return 1
	for t in /proc/"$pid"/task/*; do
		read -r s _ <"$t/syscall" 2>/dev/null && [[ $sys == *" $s "* ]] && return 0
	done
	return 1
}

# dev_bytes DEV FILE : the bytes of the simple (not interleaved) famfs file FILE read
# from the device file with dd at the offsets `famfs getmap` prints.
dev_bytes() {
	local dev=$1 f=$2 size off len
	size=$("$FAMFS" --device "$dev" getmap "$f" | awk '/^  size:/ {print $2}')
	"$FAMFS" --device "$dev" getmap "$f" |
		awk '/^  (extent|strip) [0-9]+:/ {print $6, $8}' |
		while read -r off len; do
			dd if="$dev" bs=1M iflag=skip_bytes,count_bytes skip=$((off)) \
				count=$((len)) status=none
		done | head -c "$size"
}


# --- real unprivileged users ---
# Named famfs-t<pid>-<n>, so that tests running at the same time never share
# one; removed on exit. The caller makes its mount point reachable (chmod
# 0755 "$T").

# mkfs_dev VAR SIZE: a new device only root may read, with a file system on
# it; its path goes into VAR. A failure ends the test.
mkfs_dev() {
	newdev "$1" "$2"
	chmod 0600 "${!1}"
	"$MKFS" "${!1}" >/dev/null || { fail "mkfs ${!1}"; done_testing; }
}

# add_test_group VAR: a new group; its name goes into VAR.
add_test_group() {
	local name=famfs-t$$-g${#_famfs_groups[@]}
	if ! groupadd "$name" 2>"$T/uerr"; then
		fail "groupadd $name: $(cat "$T/uerr")"
		return 1
	fi
	_famfs_groups+=("$name")
	printf -v "$1" %s "$name"
}

# add_test_user VAR [GROUP]: a new user without a home, with its own primary
# group and, if given, the supplementary group GROUP; its name goes into VAR.
add_test_user() {
	local name=famfs-t$$-u${#_famfs_users[@]} opt=()
	[ $# -gt 1 ] && opt=(-G "$2")
	if ! useradd -M -s /bin/sh "${opt[@]}" "$name" 2>"$T/uerr"; then
		fail "useradd $name: $(cat "$T/uerr")"
		return 1
	fi
	_famfs_users+=("$name")
	printf -v "$1" %s "$name"
}
