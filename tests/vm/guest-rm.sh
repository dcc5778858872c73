# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/guest-rm.sh - famfs rm across the two guests (docs/rm.md),
# sourced by guest-lib.sh. The file system is made with mkfs.famfs -O rm.
#
#   STEP 8 (A and B, shim scenario): B maps rmf through the preload shim
#     (a direct mapping of /dev/dax0.0, its fd closed); A fills the device
#     around rmf and deletes it through its mount. rmf is gone on both
#     guests, B's mapping still holds rmf's bytes, and A's creat gets
#     ENOSPC. B unmaps (and lives on); A's creat then succeeds within a few
#     seconds, its new file has exactly rmf's extent and reads zeros on both
#     guests. A prints RM_REUSE_MS: from A seeing B's B-UNMAPPED in the
#     mailbox to the creat that succeeded, on A's clock.
#   KSTEP 15 (A) and 16 (B), native scenario: the same with B's plain mmap
#     served by our fuse.ko: the kernel's mapping holds the file, so famfsd
#     sees RELEASE only after the munmap. A prints NRM_REUSE_MS.
MB_A_RMREADY=45056	# A: rmf is there and the device is full around it
MB_B_HOLDING=49152	# B: rmf is mapped
MB_A_RMDONE=53248	# A: rmf deleted, creat refused
MB_B_UNMAPPED=57344	# B: the mapping is gone; then: B checked the new file
MB_A_REUSED=61440	# A: the memory went to a new file
MB_A_NRMREADY=65536	# the same five for the native scenario
MB_B_NHOLDING=69632
MB_A_NRMDONE=73728
MB_B_NUNMAPPED=77824
MB_A_NREUSED=81920
RM_SEED=$((0x3a3 + ${NONCE%%-*}))
RM_SIZE=4194304

# Bytes a new file can get on $MNT now (statfs f_bavail).
avail_bytes() { stat -f -c '%a %S' $MNT | awk '{ printf "%.0f\n", $1 * $2 }'; }

# fill NAME: take every free byte of $MNT with files NAME.N (free space may
# be in pieces: interleaved files leave holes in every bucket).
fill() {
	_n=0
	_sz=$(avail_bytes)
	while [ "$(avail_bytes)" -gt 0 ]; do
		[ "$_sz" -le "$(avail_bytes)" ] || _sz=$(avail_bytes)
		if famfs creat -s "$_sz" "$1.$_n" >/dev/null 2>&1; then
			_n=$((_n + 1))
		elif [ "$_sz" -le 2097152 ]; then
			return 1
		else
			_sz=$((_sz / 2 / 2097152 * 2097152))
			[ "$_sz" -ge 2097152 ] || _sz=2097152
		fi
	done
}

zeros4m() { [ -s /tmp/zeros4m ] || dd if=/dev/zero of=/tmp/zeros4m bs=1M count=4 2>/dev/null; }

# rm_master MODE PUT WAIT READY HOLDING DONE UNMAPPED REUSED NAME: A's half.
# MODE is shim or native (the mailbox calls differ); prints the failure
# reason on stdout (empty: success) and RM_REUSE_MS= / NRM_REUSE_MS=.
rm_master() {
	_put=$2
	_wait=$3
	_f=$MNT/$9
	_g=$MNT/$9-new
	run /tmp/rm1.out famfs creat -s $RM_SIZE -r -S $RM_SEED "$_f" || { echo "creat $_f failed"; return; }
	_map=$(famfs getmap "$_f" | grep 'extent 0')
	fill "$_f-fill" || { echo "cannot fill the device"; return; }
	[ "$(avail_bytes)" = 0 ] || { echo "the device is not full ($(avail_bytes) bytes left)"; return; }
	$_put "$4" "A-${9}READY $NONCE" || { echo "mailbox"; return; }
	$_wait "$5" "B-${9}HOLDING $NONCE" 120 || { echo "B never mapped $_f"; return; }
	rm "$_f" 2>/tmp/rm3.out || { show /tmp/rm3.out; echo "rm $_f through the mount failed"; return; }
	[ ! -e "$_f" ] || { echo "$_f still there after rm"; return; }
	if famfs creat -s $RM_SIZE "$_g" >/tmp/rm4.out 2>&1; then
		echo "creat got memory while B maps the deleted file"
		return
	fi
	grep -q 'still held' /tmp/rm4.out || { show /tmp/rm4.out; echo "creat failed otherwise"; return; }
	$_put "$6" "A-${9}DONE $NONCE" || { echo "mailbox"; return; }
	$_wait "$7" "B-${9}UNMAPPED $NONCE" 120 || { echo "B never unmapped"; return; }
	_t0=$(vmpoke now)
	until famfs creat -s $RM_SIZE "$_g" >/tmp/rm5.out 2>&1; do
		[ $(($(vmpoke now) - _t0)) -lt 20000 ] ||
			{ show /tmp/rm5.out; echo "no reuse 20 s after B unmapped"; return; }
		sleep 0.05
	done
	_t1=$(vmpoke now)
	[ "$1" = shim ] && echo "RM_REUSE_MS=$((_t1 - _t0))" || echo "NRM_REUSE_MS=$((_t1 - _t0))"
	[ "$(famfs getmap "$_g" | grep 'extent 0')" = "$_map" ] ||
		{ echo "the new file does not have $_f's extent"; return; }
	zeros4m
	cmp "$_g" /tmp/zeros4m >/dev/null 2>&1 || { echo "the new file does not read zeros"; return; }
	$_put "$8" "A-${9}REUSED $NONCE" || { echo "mailbox"; return; }
	# B checks the new file on its side before it goes (B rewrites its slot)
	$_wait "$7" "B-${9}CHECKED $NONCE" 120 || { echo "B never checked the new file"; return; }
	# room again for what follows
	famfs rm "$_g" "$_f-fill".* >/dev/null 2>&1 || { echo "cleanup rm failed"; return; }
}

# rm_client MODE PUT WAIT READY HOLDING DONE UNMAPPED REUSED NAME: B's half.
rm_client() {
	_put=$2
	_wait=$3
	_f=$MNT/$9
	$_wait "$4" "A-${9}READY $NONCE" 200 || { echo "A never got $_f ready"; return; }
	wait_for 10 test -e "$_f" || { echo "$_f not visible on B"; return; }
	rm -f /tmp/rm.ready /tmp/rm.done /tmp/rm.go
	mkfifo /tmp/rm.go
	if [ "$1" = shim ]; then
		LD_PRELOAD=$SHIM famfs_rmhold mmap "$_f" $RM_SEED /tmp/rm.ready /tmp/rm.go \
			/tmp/rm.done >/tmp/rm.out 2>&1 &
	else
		famfs_rmhold mmap "$_f" $RM_SEED /tmp/rm.ready /tmp/rm.go /tmp/rm.done \
			>/tmp/rm.out 2>&1 &
	fi
	_h=$!
	# every way out kills the holder, which would otherwise wait for ever
	_bad() { kill $_h 2>/dev/null; echo "$*"; }
	_go() { timeout 10 sh -c 'echo go >/tmp/rm.go'; }
	wait_for 60 test -e /tmp/rm.ready || { show /tmp/rm.out; _bad "the holder never mapped $_f"; return; }
	if [ "$1" = shim ]; then
		grep -q dax "/proc/$_h/maps" || { _bad "the shim mapping is not of /dev/dax"; return; }
	fi
	$_put "$5" "B-${9}HOLDING $NONCE" || { _bad "mailbox"; return; }
	$_wait "$6" "A-${9}DONE $NONCE" 120 || { _bad "A never deleted $_f"; return; }
	_t0=$(vmpoke now)
	wait_for 5 sh -c "! test -e '$_f' && ! ls $MNT | grep -qx '$9'" ||
		{ _bad "$_f still visible on B"; return; }
	echo "    B: $9 gone $(($(vmpoke now) - _t0)) ms after B saw A-${9}DONE"
	famfs stats --json $MNT | tr -d ' \n' | grep -q '"held":1' ||
		{ _bad "famfsd on B does not count the held file"; return; }
	_go
	wait_for 10 test -s /tmp/rm.done || { show /tmp/rm.out; _bad "the holder never unmapped"; return; }
	grep -q '^kept' /tmp/rm.out || { show /tmp/rm.out; _bad "the mapping lost $_f's bytes"; return; }
	$_put "$7" "B-${9}UNMAPPED $NONCE" || { _bad "mailbox"; return; }
	$_wait "$8" "A-${9}REUSED $NONCE" 120 || { _bad "A never reused the memory"; return; }
	zeros4m
	wait_for 5 test -e "$_f-new" || { _bad "the new file is not visible on B"; return; }
	cmp "$_f-new" /tmp/zeros4m >/dev/null 2>&1 || { _bad "the new file does not read zeros on B"; return; }
	$_put "$7" "B-${9}CHECKED $NONCE" || { _bad "mailbox"; return; }
	_go
	wait $_h || { echo "holder exit $?"; return; }
}

step8_A() {
	_why=$(rm_master shim mb_put mb_wait $MB_A_RMREADY $MB_B_HOLDING $MB_A_RMDONE \
		$MB_B_UNMAPPED $MB_A_REUSED rmf | tee /tmp/rm.why | grep -v '^RM_REUSE_MS=')
	grep '^RM_REUSE_MS=' /tmp/rm.why
	[ -z "$_why" ] || { mb_abort; step_fail 8 "$_why"; return 1; }
	step_pass 8 "rm of rmf while B maps it (shim): ENOSPC until B unmapped, then the new" \
		"file got rmf's extent and reads zeros ($(sed -n 's/^RM_REUSE_MS=//p' /tmp/rm.why)" \
		"ms after A saw B-UNMAPPED)"
}

step8_B() {
	_why=$(rm_client shim mb_put mb_wait $MB_A_RMREADY $MB_B_HOLDING $MB_A_RMDONE \
		$MB_B_UNMAPPED $MB_A_REUSED rmf | tee /tmp/rm.why | grep -v '^    ')
	grep '^    ' /tmp/rm.why
	[ -z "$_why" ] || { mb_abort; step_fail 8 "$_why"; return 1; }
	step_pass 8 "rmf vanished on B, B's shim mapping kept its bytes after the delete," \
		"the reused memory reads zeros on B"
}

kstep15() {
	_why=$(rm_master native mb_native_put mb_native_wait $MB_A_NRMREADY $MB_B_NHOLDING \
		$MB_A_NRMDONE $MB_B_NUNMAPPED $MB_A_NREUSED nrm | tee /tmp/nrm.why |
		grep -v '^NRM_REUSE_MS=')
	grep '^NRM_REUSE_MS=' /tmp/nrm.why
	[ -z "$_why" ] || { kfail 15 "$_why"; return 1; }
	kpass 15 "native: rm of nrm while B maps it (plain mmap, our fuse.ko): ENOSPC until" \
		"B unmapped, then the new file got its extent and reads zeros" \
		"($(sed -n 's/^NRM_REUSE_MS=//p' /tmp/nrm.why) ms)"
}

kstep16() {
	_why=$(rm_client native mb_native_put mb_native_wait $MB_A_NRMREADY $MB_B_NHOLDING \
		$MB_A_NRMDONE $MB_B_NUNMAPPED $MB_A_NREUSED nrm | tee /tmp/nrm.why | grep -v '^    ')
	grep '^    ' /tmp/nrm.why
	[ -z "$_why" ] || { kfail 16 "$_why"; return 1; }
	kpass 16 "native: nrm vanished on B, the kernel's mapping kept its bytes (famfsd saw" \
		"RELEASE only after the munmap), the reused memory reads zeros"
}
