# shellcheck shell=sh disable=SC2034
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/guest-lib.sh - sourced by the guest scripts (busybox sh): the
# names both guests agree on, the test data (generated, identical in both
# guests), the mailbox protocol and the STEP reporting the host parses.
#
# Console lines the host reads (after tr -d '\r'):
#   STEP n PASS: what       STEP n FAIL: why
#   VISIBLE_MS=n  STAT_MS=n  CREATED_MS=n  AFTER_CREATED_MS=n   (B, step 5)
#   A_CREATE_MS=n                                               (A, step 5)
# Everything else is context for a human.

DEV=/dev/dax0.0
DEV1=/dev/dax1.0	# the second nvdimm: added to the file system in step 9
MNT=/mnt/famfs
SHIM=/usr/lib/famfs/libfamfs-preload.so
NONCE=${VM_NONCE:-0}
export FAMFS_SYSTEM_UUID=${VM_UUID:-}

# The mailbox: a 2 MiB famfs file that A creates. Each guest stores its
# messages through a direct (shim) mapping; the other polls for them. Every
# message carries the run's nonce, so old bytes never count.
MBOX=$MNT/mailbox
MB_B_MOUNTED=0		# B: mounted, checked step 4
MB_B_PRIMED=28672	# B: listed $MNT, stat of late.txt failed (step 5)
MB_A_CREATING=32768	# A: about to create late.txt: B's clock starts (step 5)
MB_A_CREATED=4096	# A: late.txt is in the log (step 5)
MB_B_SAW=8192		# B: saw late.txt (step 5)
MB_A_WROTE=12288	# A: patched small.txt and flushed (step 6)
MB_B_DONE=16384		# B: finished (A keeps its mount until then)
MB_ABORT_A=20480	# A gave up: B stops waiting for A's messages
MB_ABORT_B=24576	# B gave up: A stops waiting for B's messages
MB_A_STRIPED=86016	# A: added /dev/dax1.0 and wrote md.bin over both devices (step 9)
case ${VM_ROLE:-} in
A) MB_MY_ABORT=$MB_ABORT_A; MB_PEER_ABORT=$MB_ABORT_B; PEER=B ;;
*) MB_MY_ABORT=$MB_ABORT_B; MB_PEER_ABORT=$MB_ABORT_A; PEER=A ;;
esac
PATCH="PATCHED-BY-A-$NONCE"

FAILED=0
LAST_STEP=0

# step_pass N WORDS... / step_fail N WORDS...: the verdict line of step N.
# The guest's uptime is appended, for timing.
up() { cut -d' ' -f1 /proc/uptime; }
step_pass() { _n=$1; shift; echo "STEP $_n PASS: $* [up $(up)s]"; LAST_STEP=$_n; }
step_fail() {
	_n=$1
	shift
	echo "STEP $_n FAIL: $* [up $(up)s]"
	LAST_STEP=$_n
	FAILED=$((FAILED + 1))
}
info() { echo "INFO $*"; }

# The last kernel messages (devdax explains a refused mmap there).
kmsg() { dmesg | tail -3 | sed 's/^/    kernel: /'; }

# Print the file $1 indented (the output of a command that went wrong).
show() { [ -s "$1" ] && sed 's/^/    | /' "$1" | head -40; return 0; }

# run LOGFILE CMD...: run CMD with stdout+stderr in LOGFILE; on failure
# print the command, its status and its output.
run() {
	_log=$1
	shift
	if "$@" >"$_log" 2>&1; then
		return 0
	else
		_rc=$?
		echo "    \$ $* -> exit $_rc"
		show "$_log"
		return $_rc
	fi
}

# Test data: the same bytes in both guests, different in every run.
gen_small() { echo "famfs-vm $NONCE small"; seq 1 400000; }
gen_big() { echo "famfs-vm $NONCE big"; seq 1000000 1900000; }
gen_late() { echo "famfs-vm $NONCE late"; seq 1 30000; }
# md.bin: striped over both devices (step 9, KSTEP 18 and 19); vmnative's data
SEED_MD=$((0x3D0 + ${NONCE%%-*}))
NMD=$((10 * 1048576 + 12345))
gen_files() {
	gen_small >/tmp/small.txt
	gen_big >/tmp/big.txt
	gen_late >/tmp/late.txt
	cp /tmp/small.txt /tmp/small-patched.txt
	printf '%s' "$PATCH" | dd of=/tmp/small-patched.txt conv=notrunc 2>/dev/null
}
md5() { md5sum "$1" | cut -d' ' -f1; }

# same_bytes WHAT FILE EXPECTED: md5 of FILE equals md5 of EXPECTED.
same_bytes() {
	_got=$(md5sum <"$2" | cut -d' ' -f1)
	_want=$(md5 "$3")
	[ "$_got" = "$_want" ] && return 0
	echo "    $1: md5 $_got, expected $_want ($3)"
	return 1
}

# Map FILE through the preload shim, copy it out and check that the mapping
# came from the device itself. Writes the bytes to $2.
shim_mapcat() {
	LD_PRELOAD=$SHIM vmpoke mapcat "$1" >"$2" 2>/tmp/shim.err || {
		echo "    shim mapcat $1 failed"
		show /tmp/shim.err
		kmsg
		return 1
	}
	direct_backing /tmp/shim.err "$1"
}

# direct_backing ERRFILE FILE: vmpoke's stderr says the mapping is /dev/dax*.
direct_backing() {
	grep -q 'backing=/dev/dax' "$1" && return 0
	echo "    $2 is not mapped from the device: $(grep backing= "$1")"
	return 1
}

# both_devices ERRFILE FILE: its first two chunks are mapped one from /dev/dax0.0
# and one from /dev/dax1.0 (md.bin: one strip per device).
both_devices() {
	# chunk 0 and chunk 1 (at 2M) from the two devices, in either order: the
	# allocator gives strip 0 to the device with the most free space
	grep -q 'backing=/dev/dax0.0' "$1" && grep -q 'backing@2M=/dev/dax1.0' "$1" && return 0
	grep -q 'backing=/dev/dax1.0' "$1" && grep -q 'backing@2M=/dev/dax0.0' "$1" && return 0
	echo "    $2 is not mapped from both devices: $(grep backing "$1" | tr '\n' ' ')"
	return 1
}

# mb_put OFF TEXT: store TEXT in the mailbox through the shim.
mb_put() {
	LD_PRELOAD=$SHIM vmpoke write "$MBOX" "$1" "$2" 2>/tmp/mb.err &&
		direct_backing /tmp/mb.err "$MBOX" && return 0
	show /tmp/mb.err
	return 1
}

# mb_wait OFF TEXT SECONDS: poll the mailbox until TEXT is at OFF; fail at
# once when the peer has posted its abort.
mb_wait() {
	LD_PRELOAD=$SHIM vmpoke wait "$MBOX" "$1" "$2" $(($3 * 1000)) \
		"$MB_PEER_ABORT" "$PEER-ABORT $NONCE" >/tmp/mbw.out 2>/tmp/mbw.err && return 0
	show /tmp/mbw.err
	return 1
}

# mb_abort: tell the peer to stop waiting for this guest's messages.
mb_abort() { mb_put "$MB_MY_ABORT" "$VM_ROLE-ABORT $NONCE" >/dev/null 2>&1 || true; }

# wait_for SECONDS CMD...: run CMD every 0.2 s until it succeeds.
wait_for() {
	_end=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
	return 0
}

# fsck_clean OUT: fsck's "result:" line, when it prints one, says 0 errors.
fsck_clean() { ! grep -q 'result:' "$1" || grep -Eq 'result: +0 errors' "$1"; }

is_mounted() { grep -q " $MNT " /proc/mounts; }

dax_info() {
	_d=/sys/bus/dax/devices/dax0.0
	if [ ! -e $DEV ]; then
		echo "INFO no $DEV; nd devices: $(ls /sys/bus/nd/devices 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	info "$DEV size=$(cat $_d/size) align=$(cat $_d/align 2>/dev/null)" \
		"uuid=$FAMFS_SYSTEM_UUID nonce=$NONCE"
}

# not_reached FROM TO: report steps FROM..TO as failed (an earlier step failed).
not_reached() {
	for _s in $(seq "$1" "$2"); do
		step_fail "$_s" "not reached"
	done
}

. /vm/guest-native.sh
. /vm/guest-rm.sh

finish() {
	echo "VM-RESULT failed=$FAILED"
	[ "$FAILED" = 0 ]
}
