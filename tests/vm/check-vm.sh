#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/check-vm.sh - make check-vm: famfs across two QEMU (TCG) guests,
# each with its own Debian kernel, that share two host memory files as real
# /dev/dax0.0 and /dev/dax1.0 (QEMU nvdimm -> ACPI NFIT -> libnvdimm ->
# devdax namespace): the second is the file system's second device.
#
#   tests/vm/check-vm.sh [BUILD]      BUILD defaults to build
#
# 1. setup.sh: host tools and guest debs (cached in $FAMFS_VM_DIR).
# 2. initramfs.sh: busybox, modules, ndctl, the famfs binaries from BUILD.
# 3. The shared files (sparse, /dev/shm): formatted once by a format guest
#    (devdax namespaces, labels inside the files); before every run the dax
#    ranges are punched back to zeroes, so each run starts from blank devices.
# 4. Guests A (master) and B (client) run at the same time; each step is
#    asserted inside the guests and reported as "STEP n PASS|FAIL" on the
#    serial console, which lands in $OUT/guest-<role>.log.
#    Then both guests swap Debian's fuse.ko for ours (kernel/, built by
#    kernel/build.sh for exactly the guest kernel during setup) and run the
#    native scenario (guest-native.sh), reported as "KSTEP n PASS|FAIL".
# 5. The summary: every expected step must PASS in its guest.
# Exit 0 only when all steps passed; 1 otherwise, including when QEMU cannot
# start and when the run is over its budget. QEMU is killed on every exit path.
#
# Time: setup.sh (first-run installs and downloads) and the module build
# have their own limit, FAMFS_VM_SETUP_TIMEOUT (900 s). Everything after them
# (initramfs, format guest, both guests, summary) must finish within
# FAMFS_VM_BUDGET (540 s: with setup, make check-vm stays under 10 minutes
# on 2 cores); past it every guest is killed and check-vm fails saying so.
#
# Knobs (environment): FAMFS_VM_DIR (/var/tmp/famfs-vm), FAMFS_VM_SHARED
# (/dev/shm/famfs-vm.img: /dev/dax0.0), FAMFS_VM_SHARED2 (FAMFS_VM_SHARED
# with -dax1 before .img: /dev/dax1.0), FAMFS_VM_TIMEOUT (480 s per guest),
# FAMFS_VM_BUDGET (540 s), FAMFS_VM_SETUP_TIMEOUT (900 s),
# FAMFS_KMOD_CACHE (/var/cache/famfs-kmod: kernel/build.sh's downloads),
# FAMFS_VM_VISIBLE_MS (1000: step 5's limit), FAMFS_VM_APPEND (more kernel
# command line, e.g. loglevel=7), FAMFS_VM_QEMU (qemu-system-x86_64) and
# FAMFS_VM_KERNEL (the guest kernel) to check the "QEMU cannot start" path.
set -euo pipefail

T_START=$(date +%s.%N)
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
export FAMFS_VM_DIR=${FAMFS_VM_DIR:-/var/tmp/famfs-vm}
VM_DIR=$FAMFS_VM_DIR
SHARED=${FAMFS_VM_SHARED:-/dev/shm/famfs-vm.img}
SHARED_SIZE=4100M	# -> /dev/dax0.0 of exactly 4 GiB (interleave needs 1 GiB buckets)
SHARED2=${FAMFS_VM_SHARED2:-${SHARED%.img}-dax1.img}
SHARED2_SIZE=$SHARED_SIZE	# -> /dev/dax1.0 of 4 GiB: the second device (devadd, step 9)
LABEL_SIZE=128K
GUEST_MEM=1G
MAXMEM=10G		# guest RAM + both nvdimms, rounded up
TIMEOUT=${FAMFS_VM_TIMEOUT:-480}
BUDGET=${FAMFS_VM_BUDGET:-540}
SETUP_TIMEOUT=${FAMFS_VM_SETUP_TIMEOUT:-900}
QEMU=${FAMFS_VM_QEMU:-qemu-system-x86_64}
DEADLINE=		# date +%s past which the run is over budget (set after setup)
OVER_BUDGET=0
DAX_SIZE=		# /dev/dax0.0's size as the format guest saw it (the stamp)
GRACE=30		# seconds a guest may run on after its peer failed
VISIBLE_MS=${FAMFS_VM_VISIBLE_MS:-1000}
UUID_A=a0a0a0a0-0000-4000-8000-00000000000a
UUID_B=b0b0b0b0-0000-4000-8000-00000000000b
STEPS_A="1 2 5 6 7 8 9"		# 8: famfs rm across the guests (guest-rm.sh); 9: two devices
STEPS_B="3 4 5 6 7 8 9"
KSTEPS_A="1 2 3 5 17 6 7 8 9 10 11 12 13 14 15 18"	# the native scenario (guest-native.sh); 15: rm
KSTEPS_B="4 16 19"
INITRD=$VM_DIR/initramfs.cpio.gz
STAMP=$SHARED.fmt
OUT=$VM_DIR/out/$(date +%Y%m%d-%H%M%S)-$$
NONCE=$$-$RANDOM

say() { printf 'check-vm: %s\n' "$*" | tee -a "$OUT/summary.txt" >&2; }
die() { say "ERROR: $*"; say "FAIL (logs in $OUT)"; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# Seconds left in the budget (at least 1, so it can be passed to timeout).
left() { local l=$((DEADLINE - $(date +%s))); [ "$l" -gt 0 ] && echo "$l" || echo 1; }
over_budget() { [ -n "$DEADLINE" ] && [ "$(date +%s)" -ge "$DEADLINE" ]; }
budget_fail() {
	die "over budget: check-vm must finish within ${BUDGET}s after setup" \
		"(FAMFS_VM_BUDGET) and did not ($*); everything was killed"
}

declare -A PID T0 STATE
cleanup() {
	local r

	for r in "${!PID[@]}"; do
		if [ "${STATE[$r]}" = running ] && kill -0 "${PID[$r]}" 2>/dev/null; then
			kill "${PID[$r]}" 2>/dev/null || true
		fi
	done
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# clean_log ROLE: the guest's console without carriage returns and escape codes.
clean_log() {
	tr -d '\r' <"$OUT/guest-$1.log" 2>/dev/null |
		sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[c78]//g' || true
}

# start_guest ROLE [KERNEL ARGS]: boot a guest in the background.
start_guest() {
	local role=$1 vmlinuz
	local -a argv

	shift
	vmlinuz=$VM_DIR/kroot/boot/vmlinux	# uncompressed, PVH entry (setup.sh)
	[ -e "$vmlinuz" ] || vmlinuz=$(ls "$VM_DIR"/kroot/boot/vmlinuz-* | head -1)
	vmlinuz=${FAMFS_VM_KERNEL:-$vmlinuz}
	argv=("$QEMU" -machine pc,nvdimm=on -accel tcg -cpu max -smp 1
		-m "$GUEST_MEM,slots=2,maxmem=$MAXMEM"
		-object "memory-backend-file,id=mem1,share=on,mem-path=$SHARED,size=$SHARED_SIZE,align=2M"
		-device "nvdimm,id=nv1,memdev=mem1,label-size=$LABEL_SIZE"
		-object "memory-backend-file,id=mem2,share=on,mem-path=$SHARED2,size=$SHARED2_SIZE,align=2M"
		-device "nvdimm,id=nv2,memdev=mem2,label-size=$LABEL_SIZE"
		-nographic -no-reboot -nic none -vga none
		-kernel "$vmlinuz" -initrd "$INITRD"
		-append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off vm.role=$role $* ${FAMFS_VM_APPEND:-}")
	printf '%q ' "${argv[@]}" >"$OUT/guest-$role.cmd"
	"${argv[@]}" </dev/null >"$OUT/guest-$role.log" 2>&1 &
	PID[$role]=$!
	echo "${PID[$role]}" >"$OUT/guest-$role.pid"
	T0[$role]=$(date +%s.%N)
	STATE[$role]=running
}

# guest_rc ROLE: the script status the guest printed, or "none".
guest_rc() {
	local rc

	rc=$(clean_log "$1" | sed -n 's/.*VM-EXIT role=[^ ]* rc=\([0-9]*\).*/\1/p' | tail -1)
	echo "${rc:-none}"
}

# wait_guests ROLE...: wait until every guest has powered off. A guest that
# outlives TIMEOUT is killed; so is one still running GRACE seconds after a
# peer ended with a failure (it would only wait for messages that never come),
# and every guest once the budget is spent (OVER_BUDGET=1).
wait_guests() {
	local r o left peer_failed_at=

	while :; do
		if over_budget; then
			OVER_BUDGET=1
			for r in "$@"; do
				[ "${STATE[$r]}" = running ] || continue
				kill "${PID[$r]}" 2>/dev/null || true
				say "guest $r still running at the ${BUDGET}s budget: killed"
				STATE[$r]=over-budget
				echo "$(elapsed "${T0[$r]}")" >"$OUT/guest-$r.wall"
			done
		fi
		left=0
		for r in "$@"; do
			[ "${STATE[$r]}" = running ] || continue
			if ! kill -0 "${PID[$r]}" 2>/dev/null; then
				wait "${PID[$r]}" 2>/dev/null && STATE[$r]=exit:0 || STATE[$r]=exit:$?
				echo "$(elapsed "${T0[$r]}")" >"$OUT/guest-$r.wall"
				[ "$(guest_rc "$r")" = 0 ] || peer_failed_at=${peer_failed_at:-$(date +%s)}
				continue
			fi
			left=$((left + 1))
			o=$(elapsed "${T0[$r]}")
			if [ "${o%.*}" -ge "$TIMEOUT" ]; then
				kill "${PID[$r]}" 2>/dev/null || true
				say "guest $r still running after ${TIMEOUT}s: killed"
				STATE[$r]=timeout
				echo "$o" >"$OUT/guest-$r.wall"
			elif [ -n "$peer_failed_at" ] &&
				[ $(($(date +%s) - peer_failed_at)) -ge "$GRACE" ]; then
				kill "${PID[$r]}" 2>/dev/null || true
				say "guest $r still running ${GRACE}s after its peer failed: killed"
				STATE[$r]=killed
				echo "$o" >"$OUT/guest-$r.wall"
			fi
		done
		[ "$left" -gt 0 ] || break
		sleep 0.25
	done
	for r in "$@"; do
		wait "${PID[$r]}" 2>/dev/null || true
	done
}

# qemu_started ROLE: the guest reached its /init; else explain and exit 1.
qemu_started() {
	clean_log "$1" | grep -q 'VM-READY role=' && return 0
	say "QEMU could not start guest $1 (state ${STATE[$1]}); its output ends with:"
	clean_log "$1" | tail -15 | sed 's/^/    /' | tee -a "$OUT/summary.txt" >&2
	say "the command is in $OUT/guest-$1.cmd"
	die "QEMU did not boot guest $1: make check-vm cannot run here"
}

# Build the famfs fuse.ko for exactly the guest's kernel (kernel/build.sh:
# incremental; the first run downloads linux-source and the headers into
# FAMFS_KMOD_CACHE). Part of setup: its time is outside the budget.
build_kmod() {
	local pkg rc=0 t0

	t0=$(date +%s.%N)
	pkg=$VM_DIR/debs/$(cat "$VM_DIR/kroot/.pkg" 2>/dev/null)
	[ -f "$pkg" ] || die "no guest kernel package in $VM_DIR/debs (setup.sh)"
	timeout --kill-after=10 "$SETUP_TIMEOUT" "$HERE/../../kernel/build.sh" \
		--image-deb "$pkg" --out "$VM_DIR/kmod" || rc=$?
	[ "$rc" = 0 ] || die "building the famfs fuse.ko failed (kernel/build.sh)"
	say "kernel/build.sh took $(elapsed "$t0")s"
}

# Create and format the shared files unless the stamp says they are ready.
prepare_shared() {
	local want="size=$SHARED_SIZE,$SHARED2_SIZE label=$LABEL_SIZE map=mem align=2M" l0 l1

	if [ -e "$SHARED" ] && [ -e "$SHARED2" ] &&
		[ "$(head -1 "$STAMP" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	say "formatting $SHARED ($SHARED_SIZE) and $SHARED2 ($SHARED2_SIZE), sparse, in a" \
		"format guest"
	rm -f "$SHARED" "$SHARED2" "$STAMP"
	truncate -s "$SHARED_SIZE" "$SHARED" || die "cannot create $SHARED"
	truncate -s "$SHARED2_SIZE" "$SHARED2" || die "cannot create $SHARED2"
	start_guest format
	wait_guests format
	[ "$OVER_BUDGET" = 0 ] || budget_fail "the format guest was still running"
	qemu_started format
	l0=$(clean_log format | grep -o 'VM-DAX dev=0 .*' | tail -1)
	l1=$(clean_log format | grep -o 'VM-DAX dev=1 .*' | tail -1)
	[ "$(guest_rc format)" = 0 ] && [ -n "$l0" ] && [ -n "$l1" ] || {
		clean_log format | grep -vE '^\s*$' | tail -20 | sed 's/^/    /' >&2
		die "the format guest failed (see $OUT/guest-format.log)"
	}
	printf '%s\n%s\n%s\n' "$want" "$l0" "$l1" >"$STAMP"
}

# blank DEV FILE STAMP-LINE: zero the dax range of FILE (punch it back to a
# sparse hole); prints the dax size.
blank() {
	local line size off

	line=$(sed -n "$3p" "$STAMP")
	size=$(sed -n 's/.*size=\([0-9]*\).*/\1/p' <<<"$line")
	off=$(sed -n 's/.*offset=\([0-9]*\).*/\1/p' <<<"$line")
	[ -n "$size" ] && [ -n "$off" ] || die "bad stamp $STAMP: '$line'"
	say "$1: $size bytes at offset $off of $2; punching it to zeroes"
	fallocate --punch-hole --keep-size --offset "$off" --length "$size" "$2" ||
		die "fallocate --punch-hole on $2 failed"
	echo "$size"
}

blank_device() {
	local s1

	DAX_SIZE=$(blank /dev/dax0.0 "$SHARED" 2)
	s1=$(blank /dev/dax1.0 "$SHARED2" 3)
	# Which nvdimm the guest makes region0 (/dev/dax0.0) is not the command
	# line's order, nor the ids': both have the same size and layout, so
	# each file's dax range is the same whichever it is. Check it.
	[ "$s1" = "$DAX_SIZE" ] ||
		die "/dev/dax0.0 ($DAX_SIZE bytes) and /dev/dax1.0 ($s1 bytes) differ in size"
}

# report ROLE STEPS KSTEPS: print the guest's console lines and its step
# verdicts; returns 1 if any expected step did not PASS.
report() {
	local r=$1 steps=$2 ksteps=$3 s line ok=0

	echo "----- guest $r: $OUT/guest-$r.log -----" >&2
	clean_log "$r" | sed -n '/VM-READY role=/,$p' | grep -vE '^\s*$' | sed "s/^/$r| /" >&2 || true
	for s in ${steps// / STEP:} ${ksteps:+KSTEP:${ksteps// / KSTEP:}}; do
		[[ $s == *:* ]] || s=STEP:$s
		line=$(clean_log "$r" | grep -E "^${s%%:*} ${s#*:} (PASS|FAIL)" | tail -1)
		[ -n "$line" ] || line="${s%%:*} ${s#*:} FAIL: no verdict (guest ${STATE[$r]}, script rc $(guest_rc "$r"))"
		case $line in *" PASS:"*) ;; *) ok=1 ;; esac
		say "guest $r: $line"
	done
	say "guest $r: script rc=$(guest_rc "$r"), qemu ${STATE[$r]}, wall $(cat "$OUT/guest-$r.wall")s"
	[ "$(guest_rc "$r")" = 0 ] || ok=1
	return $ok
}

main() {
	local ok=0 k native
	local -A ms

	mkdir -p "$OUT"
	BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build directory ${1:-build}"
	local t_setup rc=0
	t_setup=$(date +%s.%N)
	timeout --kill-after=10 "$SETUP_TIMEOUT" "$HERE/setup.sh" || rc=$?
	[ "$rc" != 124 ] && [ "$rc" != 137 ] ||
		die "setup.sh ran over its ${SETUP_TIMEOUT}s limit (FAMFS_VM_SETUP_TIMEOUT)"
	[ "$rc" = 0 ] || die "setup failed (host tools or guest packages)"
	build_kmod
	DEADLINE=$(($(date +%s) + BUDGET))
	say "setup took $(elapsed "$t_setup")s; the rest must finish within ${BUDGET}s"
	command -v "$QEMU" >/dev/null ||
		die "$QEMU is not installed (apt-get install qemu-system-x86)"
	local v
	v=$("$QEMU" --version 2>&1 | head -3) || {
		say "'$QEMU --version' failed; it printed:"
		printf '%s\n' "${v:-(nothing)}" | sed 's/^/    /' | tee -a "$OUT/summary.txt" >&2
		die "$QEMU does not run: make check-vm cannot run here"
	}
	rc=0
	timeout --kill-after=10 "$(left)" "$HERE/initramfs.sh" "$BUILD" "$INITRD" || rc=$?
	[ "$rc" != 124 ] && [ "$rc" != 137 ] || budget_fail "initramfs.sh was still running"
	[ "$rc" = 0 ] || die "building the initramfs failed"
	prepare_shared
	blank_device
	say "booting guest A (master) and guest B (client), nonce $NONCE"
	local t_run
	t_run=$(date +%s.%N)
	start_guest A "vm.nonce=$NONCE vm.uuid=$UUID_A vm.dax_size=$DAX_SIZE"
	start_guest B "vm.nonce=$NONCE vm.uuid=$UUID_B vm.visible_ms=$VISIBLE_MS"
	wait_guests A B
	say "guests ran ${t_run:+$(elapsed "$t_run")}s"
	[ "$OVER_BUDGET" = 0 ] || budget_fail "guests A and B were still running"
	qemu_started A
	qemu_started B
	report A "$STEPS_A" "$KSTEPS_A" || ok=1
	report B "$STEPS_B" "$KSTEPS_B" || ok=1
	clean_log A | grep -E '^UPCALLS ' | while read -r line; do say "$line"; done
	line=$(clean_log A | sed -n 's/^NATIVE-SUMMARY //p' | tail -1)
	if [ -n "$line" ]; then
		local f r w g
		f=$(sed -n 's/.*files=\([0-9]*\).*/\1/p' <<<"$line")
		r=$(sed -n 's/.*read=\([0-9]*\).*/\1/p' <<<"$line")
		w=$(sed -n 's/.*write=\([0-9]*\).*/\1/p' <<<"$line")
		g=$(sed -n 's/.*fuse_get_fmap=\([0-9]*\).*/\1/p' <<<"$line")
		native="native: $f files, READ $r, WRITE $w, fuse_get_fmap $g"
	else
		native="native: no NATIVE-SUMMARY from guest A"
		ok=1
	fi
	for k in VISIBLE_MS AFTER_CREATED_MS STAT_MS CREATED_MS; do
		ms[$k]=$(clean_log B | sed -n "s/^$k=\([-0-9a-z]*\).*/\1/p" | tail -1)
	done
	ms[A]=$(clean_log A | sed -n 's/^A_CREATE_MS=\([0-9]*\).*/\1/p' | tail -1)
	say "VISIBLE_MS=${ms[VISIBLE_MS]:-none} (step 5: late.txt listed on B, from B seeing" \
		"A-CREATING; includes A's famfs cp)"
	say "AFTER_CREATED_MS=${ms[AFTER_CREATED_MS]:-none} (from B seeing A-CREATED;" \
		"negative: listed before A's cp returned); STAT_MS=${ms[STAT_MS]:-none};" \
		"B saw A-CREATED at ${ms[CREATED_MS]:-none} ms; A_CREATE_MS=${ms[A]:-none}" \
		"(A's famfs cp on A's clock)"
	say "RM_REUSE_MS=$(clean_log A | sed -n 's/^RM_REUSE_MS=\([0-9]*\).*/\1/p' | tail -1)" \
		"NRM_REUSE_MS=$(clean_log A | sed -n 's/^NRM_REUSE_MS=\([0-9]*\).*/\1/p' | tail -1)" \
		"(step 8, KSTEP 15: from A seeing B's unmap in the mailbox to A's creat that got" \
		"the deleted file's memory, on A's clock; shim and native)"
	# keep the logs of the last 10 runs
	ls -d "$VM_DIR"/out/*/ 2>/dev/null | head -n -10 | xargs -r rm -rf
	if [ "$ok" = 0 ]; then
		say "PASS: all steps in both guests; total wall $(elapsed "$T_START")s; logs in $OUT"
	else
		say "FAIL: see the STEP lines above; total wall $(elapsed "$T_START")s; logs in $OUT"
	fi
	say "$native"
	return $ok
}

main "$@"
