# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/guest-A.sh - guest A, the master (busybox sh): steps 1, 2, 5, 6,
# 8, 7 and 9 of make check-vm. It formats /dev/dax0.0 (with deletes), fills
# and mounts it, waits for B's "mounted" message in the mailbox, creates a
# file while B watches, patches a file through its direct mapping, deletes
# a file B maps and reuses its memory (guest-rm.sh), runs fsck, then adds
# /dev/dax1.0 and writes a file striped over both devices. Exit status =
# number of failed steps.
. /vm/guest-lib.sh

# 1. mkfs.famfs on the real devdax device: the size comes from sysfs, and the
# "device size" mkfs reports must be exactly the size sysfs gives (which must
# be the size the format guest saw, vm.dax_size).
step1() {
	dax_info || { step_fail 1 "no $DEV in the guest"; return 1; }
	run /tmp/mkfs.out mkfs.famfs -O rm $DEV || { step_fail 1 "mkfs.famfs $DEV failed"; return 1; }
	sed 's/^/    mkfs: /' /tmp/mkfs.out | head -8
	_sys=$(cat /sys/bus/dax/devices/dax0.0/size)
	_mk=$(sed -n 's/^ *device size: *\([0-9][0-9]*\).*/\1/p' /tmp/mkfs.out | head -1)
	[ -n "$_mk" ] || { step_fail 1 "mkfs.famfs printed no 'device size:' line"; return 1; }
	[ "$_mk" = "$_sys" ] ||
		{ step_fail 1 "mkfs.famfs device size $_mk != sysfs dax0.0/size $_sys"; return 1; }
	[ -z "${VM_DAX_SIZE:-}" ] || [ "$_sys" = "$VM_DAX_SIZE" ] ||
		{ step_fail 1 "sysfs dax0.0/size $_sys != $VM_DAX_SIZE at format time"; return 1; }
	run /tmp/ls.out famfs --device $DEV ls ||
		{ step_fail 1 "famfs --device $DEV ls after mkfs failed"; return 1; }
	step_pass 1 "mkfs.famfs $DEV: device size $_mk bytes = sysfs dax0.0/size"
}

# 2. Mount, copy a simple and an interleaved file in, check them, make the mailbox.
step2() {
	gen_files
	mkdir -p $MNT
	run /tmp/mount.out famfs mount $DEV $MNT || { step_fail 2 "famfs mount failed"; return 1; }
	is_mounted || { step_fail 2 "famfs mount returned 0 but $MNT is not mounted"; return 1; }
	run /tmp/cp1.out famfs cp /tmp/small.txt $MNT/small.txt ||
		{ step_fail 2 "famfs cp small.txt failed"; return 1; }
	run /tmp/cp2.out famfs cp -B 4 -N 2 -C 2M /tmp/big.txt $MNT/big.txt ||
		{ step_fail 2 "famfs cp -B 4 -N 2 -C 2M big.txt (interleaved) failed"; return 1; }
	run /tmp/getmap.out famfs getmap $MNT/big.txt && sed 's/^/    getmap big.txt: /' \
		/tmp/getmap.out | head -6
	same_bytes "A: FUSE read small.txt" $MNT/small.txt /tmp/small.txt || {
		famfs stats $MNT 2>&1 | grep -E 'daxdev_failed|rm_' | sed 's/^/    stats: /'
		famfs host list $MNT 2>&1 | sed 's/^/    hosts: /'
		kmsg
		step_fail 2 "small.txt reads back wrong through the mount"
		return 1
	}
	same_bytes "A: FUSE read big.txt" $MNT/big.txt /tmp/big.txt ||
		{ step_fail 2 "big.txt reads back wrong through the mount"; return 1; }
	run /tmp/creat.out famfs creat -s 2M $MBOX ||
		{ step_fail 2 "famfs creat -s 2M mailbox failed"; return 1; }
	step_pass 2 "famfs mount + cp small.txt (simple) + cp big.txt (interleaved, -B 4 -N 2" \
		"-C 2M) read back right; mailbox created"
}

# 5. Create late.txt while B is mounted and watching. A-CREATING goes out
# just before the create (B's clock starts when it sees it), A-CREATED just
# after. A_CREATE_MS is the create alone, on A's own clock.
step5() {
	info "waiting for B to mount (mailbox)"
	mb_wait $MB_B_MOUNTED "B-MOUNTED $NONCE" 200 ||
		{ step_fail 5 "B never reported B-MOUNTED in the mailbox"; return 1; }
	mb_wait $MB_B_PRIMED "B-PRIMED $NONCE" 60 ||
		{ step_fail 5 "B never reported B-PRIMED (listed $MNT, no late.txt)"; return 1; }
	mb_put $MB_A_CREATING "A-CREATING $NONCE" ||
		{ step_fail 5 "could not post A-CREATING to the mailbox"; return 1; }
	_t0=$(vmpoke now)
	run /tmp/cp3.out famfs cp /tmp/late.txt $MNT/late.txt ||
		{ step_fail 5 "famfs cp late.txt failed"; return 1; }
	_t1=$(vmpoke now)
	mb_put $MB_A_CREATED "A-CREATED $NONCE" ||
		{ step_fail 5 "could not post A-CREATED to the mailbox"; return 1; }
	echo "A_CREATE_MS=$((_t1 - _t0))"
	step_pass 5 "created late.txt while B is mounted (famfs cp took $((_t1 - _t0)) ms)"
}

# 6. Patch small.txt through the direct mapping, flush, tell B.
step6() {
	mb_wait $MB_B_SAW "B-SAW-NEW $NONCE" 120 || info "B did not confirm late.txt"
	LD_PRELOAD=$SHIM vmpoke write $MNT/small.txt 0 "$PATCH" 2>/tmp/w.err ||
		{ show /tmp/w.err; kmsg; step_fail 6 "store into small.txt through the shim failed"; return 1; }
	direct_backing /tmp/w.err $MNT/small.txt ||
		{ step_fail 6 "small.txt was not mapped from the device"; return 1; }
	run /tmp/flush.out famfs flush $MNT/small.txt ||
		{ step_fail 6 "famfs flush small.txt failed"; return 1; }
	same_bytes "A: FUSE read patched small.txt" $MNT/small.txt /tmp/small-patched.txt ||
		{ step_fail 6 "A does not read its own patch back"; return 1; }
	mb_put $MB_A_WROTE "A-WROTE $NONCE" ||
		{ step_fail 6 "could not post A-WROTE to the mailbox"; return 1; }
	step_pass 6 "patched small.txt through the direct mapping and flushed it"
}

# 7. fsck of the mounted file system (its device) is clean.
step7() {
	if run /tmp/fsck.out famfs fsck $MNT && fsck_clean /tmp/fsck.out; then
		sed 's/^/    fsck: /' /tmp/fsck.out | head -12
		step_pass 7 "famfs fsck $MNT ($DEV) is clean on A"
	else
		show /tmp/fsck.out
		step_fail 7 "famfs fsck $MNT ($DEV) on A"
	fi
}

# 9. A second device: /dev/dax1.0 added online, and md.bin striped over both
# devices (one strip each), right through FUSE and through the shim's mapping,
# which maps its first chunk from /dev/dax0.0 and its second from /dev/dax1.0.
step9() {
	vmnative gen /tmp/md.bin $NMD $SEED_MD || { step_fail 9 "cannot generate md.bin"; return 1; }
	run /tmp/devadd.out famfs devadd $MNT $DEV1 ||
		{ step_fail 9 "famfs devadd $MNT $DEV1 failed"; return 1; }
	sed 's/^/    devadd: /' /tmp/devadd.out
	run /tmp/dl.out famfs daxdev list $MNT &&
		grep -Eq "^  1 +secondary ok .* $DEV1\$" /tmp/dl.out ||
		{ show /tmp/dl.out; step_fail 9 "famfsd does not use $DEV1 after devadd"; return 1; }
	run /tmp/cp9.out famfs cp -N 2 -C 2M /tmp/md.bin $MNT/md.bin ||
		{ step_fail 9 "famfs cp -N 2 md.bin failed"; return 1; }
	run /tmp/gm9.out famfs getmap $MNT/md.bin && sed 's/^/    getmap md.bin: /' /tmp/gm9.out
	# one strip per device; strip 0 on the one with the most free space
	[ "$(sed -n 's/.*strip [01]: devindex \([0-9]*\) .*/\1/p' /tmp/gm9.out | sort | xargs)" = "0 1" ] ||
		{ step_fail 9 "md.bin is not striped over devices 0 and 1"; return 1; }
	same_bytes "A: FUSE read md.bin" $MNT/md.bin /tmp/md.bin ||
		{ step_fail 9 "md.bin reads back wrong through the mount"; return 1; }
	shim_mapcat $MNT/md.bin /tmp/md.shim && same_bytes "A: shim mmap md.bin" /tmp/md.shim \
		/tmp/md.bin && both_devices /tmp/shim.err $MNT/md.bin ||
		{ step_fail 9 "md.bin is wrong through the shim's mapping"; return 1; }
	mb_put $MB_A_STRIPED "A-STRIPED $NONCE" ||
		{ step_fail 9 "could not post A-STRIPED"; return 1; }
	run /tmp/fsck9.out famfs fsck $MNT && fsck_clean /tmp/fsck9.out &&
		grep -Eq 'devices: +2' /tmp/fsck9.out ||
		{ show /tmp/fsck9.out; step_fail 9 "famfs fsck of both devices"; return 1; }
	step_pass 9 "devadd $DEV1 online; md.bin striped over both devices reads right through" \
		"FUSE and the shim (mapped from dax0.0 and dax1.0); fsck of both devices clean"
}

if step1; then
	if step2; then
		if step5; then
			step6 || mb_abort
			step8_A
		else
			mb_abort
		fi
		[ "$LAST_STEP" -ge 5 ] || not_reached 5 5
		[ "$LAST_STEP" -ge 6 ] || not_reached 6 6
		[ "$LAST_STEP" -ge 8 ] || not_reached 8 8
		step7
		step9 || mb_abort
		mb_wait $MB_B_DONE "B-DONE $NONCE" 120 || info "B did not report B-DONE"
		run /tmp/umount.out famfs umount $MNT || info "famfs umount failed"
	else
		not_reached 5 9
	fi
else
	not_reached 2 2
	not_reached 5 9
fi
native_A
finish
