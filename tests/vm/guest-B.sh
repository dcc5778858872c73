# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/guest-B.sh - guest B, a client with its own system uuid (busybox
# sh): steps 3 to 9 of make check-vm. It waits for A's file system, mounts
# the same /dev/dax0.0, checks A's files through FUSE and through the preload
# shim, checks that it cannot create anything, times how long A's new file
# takes to be listed, reads A's patch after famfs flush, runs fsck, and reads
# A's file striped over /dev/dax0.0 and /dev/dax1.0. Exit status = number of
# failed steps.
. /vm/guest-lib.sh

has_mailbox() { famfs --device $DEV ls 2>/dev/null | grep -q mailbox; }

# 3. Wait for A's superblock and files, then mount as a client.
step3() {
	dax_info || { step_fail 3 "no $DEV in the guest"; return 1; }
	gen_files
	info "waiting for A's file system (famfs --device $DEV ls shows mailbox)"
	wait_for 200 has_mailbox || {
		run /tmp/ls.out famfs --device $DEV ls
		step_fail 3 "A's file system never appeared on $DEV"
		return 1
	}
	mkdir -p $MNT
	run /tmp/mount.out famfs mount $DEV $MNT || { step_fail 3 "famfs mount failed"; return 1; }
	is_mounted || { step_fail 3 "famfs mount returned 0 but $MNT is not mounted"; return 1; }
	step_pass 3 "mounted A's $DEV as a client ($FAMFS_SYSTEM_UUID)"
}

# 4. A's files are there without any command, read right both ways, no
# creates. Every check runs even when an earlier one fails; B-MOUNTED is
# posted whenever the mailbox is reachable, so that steps 5-7 still run.
step4() {
	_why=
	for _n in small.txt big.txt mailbox; do
		[ -f $MNT/$_n ] || _why="$_why; $_n missing"
	done
	[ -z "$_why" ] || ls -la $MNT
	for _n in small big; do
		[ -f $MNT/$_n.txt ] || continue
		same_bytes "B: FUSE read $_n.txt" $MNT/$_n.txt /tmp/$_n.txt ||
			_why="$_why; FUSE read $_n.txt wrong"
		shim_mapcat $MNT/$_n.txt /tmp/$_n.shim &&
			same_bytes "B: shim mmap $_n.txt" /tmp/$_n.shim /tmp/$_n.txt ||
			_why="$_why; shim mmap $_n.txt wrong"
		if ! LD_PRELOAD=$SHIM cat $MNT/$_n.txt >/tmp/$_n.shimcat 2>/tmp/shimcat.err ||
			! same_bytes "B: shim read $_n.txt" /tmp/$_n.shimcat /tmp/$_n.txt; then
			show /tmp/shimcat.err
			_why="$_why; read(2) under the shim $_n.txt wrong"
		fi
	done
	_made=
	touch $MNT/b-touch 2>/dev/null && _made="$_made touch"
	mkdir $MNT/b-dir 2>/dev/null && _made="$_made mkdir"
	famfs creat -s 2M $MNT/b-creat >/tmp/creat.out 2>&1 && _made="$_made famfs-creat"
	famfs cp /tmp/late.txt $MNT/b-cp >/tmp/cp.out 2>&1 && _made="$_made famfs-cp"
	sed 's/^/    B creat refused: /' /tmp/creat.out | head -2
	for _n in b-touch b-dir b-creat b-cp; do
		[ -e $MNT/$_n ] && _made="$_made $_n-exists"
	done
	famfs --device $DEV ls 2>/dev/null | grep -q 'b-' && _made="$_made in-log"
	[ -z "$_made" ] || _why="$_why; client could create:$_made"
	mb_put $MB_B_MOUNTED "B-MOUNTED $NONCE" || {
		step_fail 4 "could not post B-MOUNTED to the mailbox$_why"
		return 1
	}
	if [ -n "$_why" ]; then
		step_fail 4 "${_why#; }"
	else
		step_pass 4 "B sees A's files with no command, FUSE read + shim mmap/read give" \
			"the right bytes, and touch/mkdir/creat/cp are refused"
	fi
	return 0
}

# 5. A creates late.txt; B sees it within a second. First B lists $MNT and
# stats the missing name, so that its kernel holds a cached directory and, if
# famfsd allowed it, a negative dentry: both must be invalidated or bypassed.
# Then vmpoke posts B-PRIMED (A waits for it before it creates), starts the
# clock when A-CREATING shows up in the mailbox and
# polls every 10 ms: stat of late.txt until it succeeds, then readdir of $MNT
# (what ls shows) until it lists late.txt. Both must happen within the limit.
step5() {
	if ! ls $MNT >/tmp/ls5.out 2>&1; then
		show /tmp/ls5.out
		step_fail 5 "ls $MNT failed before A's create"
		return 1
	fi
	if grep -qx late.txt /tmp/ls5.out || [ -e $MNT/late.txt ]; then
		step_fail 5 "late.txt exists on B before A created it"
		return 1
	fi
	_lim=${VM_VISIBLE_MS:-1000}
	LD_PRELOAD=$SHIM vmpoke visible $MNT late.txt 200000 $((_lim + 10000)) "$MBOX" \
		$MB_B_PRIMED "B-PRIMED $NONCE" $MB_A_CREATING "A-CREATING $NONCE" \
		$MB_A_CREATED "A-CREATED $NONCE" $MB_PEER_ABORT "$PEER-ABORT $NONCE" \
		>/tmp/vis.out 2>/tmp/vis.err
	_rc=$?
	cat /tmp/vis.out
	_ms=$(sed -n 's/^VISIBLE_MS=//p' /tmp/vis.out)
	_st=$(sed -n 's/^STAT_MS=//p' /tmp/vis.out)
	_after=$(sed -n 's/^AFTER_CREATED_MS=//p' /tmp/vis.out)
	case $_rc in
	0) ;;
	4) step_fail 5 "A gave up before late.txt appeared"; return 1 ;;
	3)
		show /tmp/vis.err
		step_fail 5 "late.txt not visible on B within $((_lim + 10000)) ms of A-CREATING" \
			"(stat at ${_st:-none} ms, listed at ${_ms:-none} ms)"
		return 1
		;;
	*)
		show /tmp/vis.err
		step_fail 5 "vmpoke visible failed (exit $_rc)"
		return 1
		;;
	esac
	direct_backing /tmp/vis.err "$MBOX" || { step_fail 5 "mailbox not mapped"; return 1; }
	same_bytes "B: FUSE read late.txt" $MNT/late.txt /tmp/late.txt ||
		{ step_fail 5 "late.txt has the wrong bytes on B"; return 1; }
	mb_put $MB_B_SAW "B-SAW-NEW $NONCE" || info "could not post B-SAW-NEW"
	[ "$_ms" -le "$_lim" ] && [ "$_st" -le "$_lim" ] || {
		step_fail 5 "late.txt took $_ms ms to be listed, $_st ms to stat (> $_lim ms)" \
			"after A-CREATING"
		return 1
	}
	case $_after in
	-*) _after="${_after#-} ms before B saw A-CREATED" ;;
	*) _after="$_after ms after B saw A-CREATED" ;;
	esac
	step_pass 5 "late.txt listed by readdir on B ${_ms} ms after B saw A-CREATING" \
		"($_after), stat at ${_st} ms, right bytes"
}

# 6. A patched small.txt through its mapping; B reads it after famfs flush.
step6() {
	mb_wait $MB_A_WROTE "A-WROTE $NONCE" 200 ||
		{ step_fail 6 "A never reported A-WROTE"; return 1; }
	run /tmp/flush.out famfs flush $MNT/small.txt ||
		{ step_fail 6 "famfs flush small.txt failed"; return 1; }
	shim_mapcat $MNT/small.txt /tmp/small.shim2 &&
		same_bytes "B: shim mmap patched small.txt" /tmp/small.shim2 /tmp/small-patched.txt ||
		{ step_fail 6 "B does not see A's patch through its mapping"; return 1; }
	same_bytes "B: FUSE read patched small.txt" $MNT/small.txt /tmp/small-patched.txt ||
		{ step_fail 6 "B does not see A's patch through FUSE read"; return 1; }
	step_pass 6 "B reads A's patch (\"$PATCH\") after famfs flush, mmap and read"
}

# 7. fsck of the mounted file system (its device) is clean.
step7() {
	if run /tmp/fsck.out famfs fsck $MNT && fsck_clean /tmp/fsck.out; then
		step_pass 7 "famfs fsck $MNT ($DEV) is clean on B"
	else
		show /tmp/fsck.out
		step_fail 7 "famfs fsck $MNT ($DEV) on B"
	fi
}

# 9. A added /dev/dax1.0: B's famfsd finds it by its uuid by itself, and B
# reads md.bin (striped over both devices) right through FUSE and the shim.
step9() {
	mb_wait $MB_A_STRIPED "A-STRIPED $NONCE" 200 ||
		{ step_fail 9 "A never reported A-STRIPED"; return 1; }
	vmnative gen /tmp/md.bin $NMD $SEED_MD || { step_fail 9 "cannot generate md.bin"; return 1; }
	wait_for 20 test -e $MNT/md.bin || { step_fail 9 "md.bin is not visible on B"; return 1; }
	run /tmp/dl.out famfs daxdev list $MNT &&
		grep -Eq "^  1 +secondary ok .* $DEV1\$" /tmp/dl.out ||
		{ show /tmp/dl.out; step_fail 9 "B's famfsd did not find $DEV1"; return 1; }
	same_bytes "B: FUSE read md.bin" $MNT/md.bin /tmp/md.bin ||
		{ step_fail 9 "md.bin reads wrong on B through FUSE"; return 1; }
	shim_mapcat $MNT/md.bin /tmp/md.shim && same_bytes "B: shim mmap md.bin" /tmp/md.shim \
		/tmp/md.bin && both_devices /tmp/shim.err $MNT/md.bin ||
		{ step_fail 9 "md.bin is wrong on B through the shim's mapping"; return 1; }
	run /tmp/fsck9.out famfs fsck $MNT && fsck_clean /tmp/fsck9.out &&
		grep -Eq 'devices: +2' /tmp/fsck9.out ||
		{ show /tmp/fsck9.out; step_fail 9 "famfs fsck of both devices on B"; return 1; }
	step_pass 9 "B's famfsd found $DEV1 by uuid; md.bin (striped over both devices) reads" \
		"right through FUSE and the shim (mapped from dax0.0 and dax1.0); fsck clean"
}

if step3; then
	if step4; then	# 0 also when only checks failed: the mailbox works
		step5 || mb_abort
		step6 || true
		step8_B || true
	else
		not_reached 5 6
		not_reached 8 8
	fi
	step7
	step9 || mb_abort
	mb_put $MB_B_DONE "B-DONE $NONCE" || true
	run /tmp/umount.out famfs umount $MNT || info "famfs umount failed"
else
	not_reached 4 9
fi
native_B
finish
