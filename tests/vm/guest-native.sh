# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/guest-native.sh - the native scenario of make check-vm (busybox
# sh, sourced by guest-A.sh and guest-B.sh after the shim scenario): the
# guest swaps Debian's fuse.ko for ours (kernel/, with famfs), mounts
# natively and checks that unmodified programs reach file data with no
# upcall and no page cache. Each step prints "KSTEP n PASS: ..." or
# "KSTEP n FAIL: why"; A also prints the NATIVE-SUMMARY and UPCALLS lines
# the host reports.
#
#   A: KSTEP 1 mount natively, 2 unmodified programs, 3 counters and Cached,
#      5 interleave chunk boundaries, 6 malformed fmaps, 7 upcalls per open
#      and fault (native, shim, FUSE read), 8 poison, 9 unload and reload,
#      10 famfsd killed under a mapping, 11 the edges of a file (EOF,
#      read-only opens, private mappings), 12 device names resolve as famfsd
#      sees them, 13 FUSE_DAX_FMAP only for a server with CAP_SYS_RAWIO,
#      14 a file made by CREATE gets its map at once, 17 the .meta files,
#      18 a file striped over two devices
#   B: KSTEP 4 a client mounts natively and reads A's bytes through its own
#      mapping, 19 and a file striped over two devices
#   A: KSTEP 15, B: KSTEP 16 rm of a file B maps natively (guest-rm.sh)
KMOD=/vm/kmod/fuse.ko
CORPUS=/vm/corpus
# A second mount of the device on one guest runs as another (emulated) host:
# a host mounts a device once.
OTHER_UUID=c0c0c0c0-0000-4000-8000-00000000000c
MB_A_NATIVE=36864	# A: the native files are there
MB_B_NATIVE=40960	# B: done with them
SEED_SMALL=$((0x5111 + ${NONCE%%-*}))
SEED_BIG=$((0xB16 + ${NONCE%%-*}))
SEED_ILV=$((0x117 + ${NONCE%%-*}))
SEED_CNT=$((0xC0 + ${NONCE%%-*}))
NSMALL=$((3 * 1048576 + 123))
NBIG=$((8 * 1048576))
NILV=$((16 * 1048576))
NCNT=$((2 * 1048576))
KFAILED=0

kpass() { _n=$1; shift; echo "KSTEP $_n PASS: $* [up $(up)s]"; }
kfail() {
	_n=$1
	shift
	echo "KSTEP $_n FAIL: $* [up $(up)s]"
	KFAILED=$((KFAILED + 1))
	FAILED=$((FAILED + 1))
}

# The kernel log must never show a bug, an oops or a warning.
klog_clean() { ! dmesg | grep -Eq 'BUG:|Oops|WARNING:|general protection'; }
klog_show() { dmesg | grep -E 'famfs|BUG:|Oops|WARNING:|fuse' | tail -${1:-6} | sed 's/^/    kernel: /'; }

# stat_of NAME: famfsd's counter NAME (an op or a top-level field) on $MNT.
stats_json() { famfs stats --json "${1:-$MNT}" >/tmp/stats.json 2>/dev/null; }
stat_of() {
	tr ',{}' '\n\n\n' </tmp/stats.json | sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" |
		head -1
}
# total upcalls in /tmp/stats.json: the sum of every op counter
upcalls() {
	sed -n '/"ops"/p' /tmp/stats.json | tr ',' '\n' |
		sed -n 's/.*"[a-z_]*": *\([0-9][0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

# The page cache of files, without tmpfs (/tmp holds the test data): Cached
# counts both, Shmem only tmpfs and shared memory.
cached_kb() {
	awk '/^Cached:/ { c = $2 } /^Shmem:/ { s = $2 } END { print c - s }' /proc/meminfo
}

# Swap Debian's fuse.ko for ours (no famfs mount may be left).
load_kmod() {
	grep -q fusectl /proc/mounts && umount /sys/fs/fuse/connections 2>/dev/null
	if grep -q '^fuse ' /proc/modules; then
		rmmod fuse 2>/tmp/rmmod.err || { show /tmp/rmmod.err; return 1; }
	fi
	insmod $KMOD 2>/tmp/insmod.err || { show /tmp/insmod.err; return 1; }
	mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null
	grep -q '^fuse ' /proc/modules
}

native_mount() {
	famfs mount "$@" >/tmp/nmount.out 2>&1 || { show /tmp/nmount.out; return 1; }
	sed 's/^/    mount: /' /tmp/nmount.out | head -3
	grep -q 'mounted, native' /tmp/nmount.out
}

# mb_native_put OFF TEXT / mb_native_wait OFF TEXT SECS: the mailbox through a
# plain (native) mapping.
mb_native_put() { vmpoke write "$MBOX" "$1" "$2" 2>/dev/null; }
mb_native_wait() {
	vmpoke wait "$MBOX" "$1" "$2" $(($3 * 1000)) "$MB_PEER_ABORT" "$PEER-ABORT $NONCE" \
		>/dev/null 2>/tmp/mbw.err && return 0
	show /tmp/mbw.err
	return 1
}

# ---- guest A ----

kstep1() {
	load_kmod || { kfail 1 "cannot load $KMOD"; return 1; }
	info "our fuse.ko: $(dmesg | grep -E 'fuse: init|taint' | tail -2 | tr '\n' ' ')"
	mkdir -p $MNT
	native_mount $DEV $MNT || { kfail 1 "famfs mount did not get native mode"; return 1; }
	stats_json
	[ "$(stat_of fuse_mode)" = native ] ||
		{ kfail 1 "famfs stats says fuse_mode $(stat_of fuse_mode)"; return 1; }
	kpass 1 "our fuse.ko loaded; famfs mount $DEV: native (FUSE_DAX_FMAP negotiated)"
}

# Unmodified programs, no LD_PRELOAD: busybox (static) dd, cmp, md5sum; fio
# with the mmap and psync engines and verify; our mmap tool.
kstep2() {
	_why=
	CACHED0=$(cached_kb)
	vmnative gen /tmp/n-small.bin $NSMALL $SEED_SMALL &&
		vmnative gen /tmp/n-big.bin $NBIG $SEED_BIG &&
		vmnative gen /tmp/n-ilv.bin $NILV $SEED_ILV &&
		vmnative gen /tmp/n-cnt.bin $NCNT $SEED_CNT ||
		{ kfail 2 "cannot generate the test data"; return 1; }
	run /tmp/ncp.out famfs cp /tmp/n-small.bin $MNT/n-small.bin &&
		run /tmp/ncp.out famfs cp /tmp/n-big.bin $MNT/n-big.bin &&
		run /tmp/ncp.out famfs cp -B 4 -N 4 -C 2M /tmp/n-ilv.bin $MNT/n-ilv.bin &&
		run /tmp/ncp.out famfs cp /tmp/n-cnt.bin $MNT/n-cnt.bin &&
		run /tmp/ncp.out famfs creat -s 4M $MNT/n-dd.bin &&
		run /tmp/ncp.out famfs creat -s 4M $MNT/n-fio.dat ||
		{ kfail 2 "famfs cp/creat of the native files failed"; return 1; }
	NFILES=4	# opened through the mount below: n-small, n-big, n-dd, n-fio
	# busybox: read by cmp and md5sum, write by dd, read back by cmp
	/bin/busybox cmp $MNT/n-small.bin /tmp/n-small.bin || _why="$_why; busybox cmp n-small"
	[ "$(/bin/busybox md5sum <$MNT/n-big.bin | cut -d' ' -f1)" = "$(md5 /tmp/n-big.bin)" ] ||
		_why="$_why; busybox md5sum n-big"
	/bin/busybox dd if=/tmp/n-big.bin of=$MNT/n-dd.bin bs=64k count=64 conv=notrunc \
		2>/tmp/dd.err || { show /tmp/dd.err; _why="$_why; busybox dd write"; }
	head -c 4194304 /tmp/n-big.bin >/tmp/n-big.4m
	/bin/busybox dd if=$MNT/n-dd.bin of=/tmp/n-dd.back bs=1M 2>/dev/null &&
		/bin/busybox cmp /tmp/n-dd.back /tmp/n-big.4m || _why="$_why; busybox dd read-back"
	# our mmap tool, plain mmap: every page of n-big, and a store through it
	vmnative faults $MNT/n-big.bin $SEED_BIG >/tmp/faults.out 2>/tmp/faults.err ||
		{ show /tmp/faults.err; _why="$_why; mmap of n-big wrong"; }
	info "n-big.bin through mmap: $(cat /tmp/faults.out) (2 MiB faults: 512 pages each)"
	# 2 MiB faults: n-big is four whole, aligned 2 MiB pieces; 4 KiB faults
	# would take one fault per page
	_pg=$(sed -n 's/.*pages=\([0-9]*\).*/\1/p' /tmp/faults.out)
	_ft=$(sed -n 's/.*faults=\([0-9]*\).*/\1/p' /tmp/faults.out)
	[ -n "$_pg" ] && [ -n "$_ft" ] && [ $((_ft * 64)) -le "$_pg" ] ||
		_why="$_why; n-big took ${_ft:-?} faults for ${_pg:-?} pages: no 2 MiB faults"
	vmnative check $MNT/n-small.bin 0 $NSMALL $SEED_SMALL mmap 2>/tmp/chk.err ||
		{ show /tmp/chk.err; _why="$_why; mmap of n-small wrong"; }
	vmnative poke $MNT/n-dd.bin 4096 $SEED_CNT &&
		vmnative check $MNT/n-dd.bin 4096 8 $SEED_CNT read ||
		_why="$_why; a store through mmap is not what read(2) sees"
	# fio, psync then mmap engine, each writing and verifying
	for _eng in psync mmap; do
		fio --name=n-$_eng --filename=$MNT/n-fio.dat --size=4M --bs=64k --rw=randwrite \
			--ioengine=$_eng --verify=crc32c --do_verify=1 --fallocate=none \
			--overwrite=1 --direct=0 --randrepeat=0 >/tmp/fio.out 2>&1 ||
			{ show /tmp/fio.out; _why="$_why; fio $_eng (write + verify)"; }
	done
	CACHED1=$(cached_kb)
	if [ -n "$_why" ]; then
		kfail 2 "${_why#; }"
		return 1
	fi
	kpass 2 "busybox cmp/md5sum/dd, fio psync+mmap with verify and vmnative mmap read" \
		"and write famfs files right with no LD_PRELOAD"
}

kstep3() {
	stats_json
	_r=$(stat_of read)
	_w=$(stat_of write)
	_g=$(stat_of fuse_get_fmap)
	_d=$(stat_of fuse_get_daxdev)
	_grow=$((CACHED1 - CACHED0))
	_bytes_kb=$(((NSMALL + NBIG + NILV + NCNT + 8 * 1048576) / 1024))
	echo "NATIVE-SUMMARY files=$NFILES read=$_r write=$_w fuse_get_fmap=$_g" \
		"fuse_get_daxdev=$_d cached_growth_kb=$_grow files_kb=$_bytes_kb"
	_why=
	[ "$_r" = 0 ] || _why="$_why; famfsd served $_r READs"
	[ "$_w" = 0 ] || _why="$_why; famfsd served $_w WRITEs"
	# several opens each, one GET_FMAP per file (famfs cp opens nothing here)
	[ "$_g" = $NFILES ] ||
		_why="$_why; fuse_get_fmap $_g, expected $NFILES (one per opened file)"
	[ "$_d" = 1 ] || _why="$_why; fuse_get_daxdev $_d, expected 1"
	[ "$_grow" -lt $((_bytes_kb / 4)) ] ||
		_why="$_why; Cached grew by $_grow kB for $_bytes_kb kB of files"
	if [ -n "$_why" ]; then
		kfail 3 "${_why#; }"
		return 1
	fi
	kpass 3 "famfsd READ 0, WRITE 0, fuse_get_fmap $_g for $NFILES opened files, one" \
		"GET_DAXDEV; Cached grew $_grow kB for $_bytes_kb kB written and read"
}

# Every chunk boundary of the interleaved file (4 strips of 2 MiB chunks),
# through read(2) and through mmap.
kstep5() {
	_why=
	_k=1
	while [ $_k -lt $((NILV / 2097152)) ]; do
		_o=$((_k * 2097152 - 64))
		vmnative check $MNT/n-ilv.bin $_o 128 $SEED_ILV read 2>>/tmp/ilv.err ||
			_why="$_why; read at chunk $_k"
		vmnative check $MNT/n-ilv.bin $_o 128 $SEED_ILV mmap 2>>/tmp/ilv.err ||
			_why="$_why; mmap at chunk $_k"
		_k=$((_k + 1))
	done
	vmnative check $MNT/n-ilv.bin 0 $NILV $SEED_ILV read 2>>/tmp/ilv.err ||
		_why="$_why; whole file"
	famfs getmap $MNT/n-ilv.bin 2>/dev/null | head -4 | sed 's/^/    getmap n-ilv: /'
	if [ -n "$_why" ]; then
		show /tmp/ilv.err
		kfail 5 "${_why#; }"
		return 1
	fi
	kpass 5 "interleaved n-ilv.bin (4 strips, 2 MiB chunks) reads right at all" \
		"$((NILV / 2097152 - 1)) chunk boundaries, by read(2) and by mmap"
}

# The .meta files natively: the kernel maps them from their GET_FMAP (one
# each), read-only since famfsd refuses every writable open.
kstep17() {
	_why=
	stats_json
	_g0=$(stat_of fuse_get_fmap)
	# chkread compares read(2) (the kernel's, from its map) with famfs's own
	# mapping of the device, then checks the superblock or the whole log.
	famfs chkread -s $MNT/.meta/.superblock >/tmp/chk.out 2>&1 &&
		famfs chkread -l $MNT/.meta/.log >>/tmp/chk.out 2>&1 ||
		{ show /tmp/chk.out; _why="$_why; chkread -s/-l"; }
	_sum=$(md5 $MNT/.meta/.superblock)
	if echo x 2>/dev/null >>$MNT/.meta/.superblock; then
		_why="$_why; .superblock opened for writing"
	fi
	[ "$(md5 $MNT/.meta/.superblock)" = "$_sum" ] || _why="$_why; .superblock changed"
	stats_json
	[ "$(stat_of fuse_get_fmap)" = $((_g0 + 2)) ] ||
		_why="$_why; fuse_get_fmap $_g0 -> $(stat_of fuse_get_fmap), want +2"
	if [ -n "$_why" ]; then
		kfail 17 "${_why#; }"
		return 1
	fi
	kpass 17 ".meta/.superblock and .meta/.log mapped natively (2 GET_FMAP): read(2)" \
		"gives the device's bytes, valid superblock and log, no writable open"
}

# famfsd -o test_fmap answers GET_FMAP with the fuzz corpus' replies.
kstep6() {
	_why=
	_n=0
	famfs mkdir $MNT/fuzz >/dev/null 2>&1
	for _f in $CORPUS/*; do
		famfs creat -s 2M "$MNT/fuzz/${_f##*/}" >/dev/null 2>&1 ||
			{ kfail 6 "famfs creat fuzz/${_f##*/} failed"; return 1; }
	done
	mkdir -p /mnt/ftest
	# A host mounts a device once: the second mount is an emulated host's.
	FAMFS_SYSTEM_UUID=$OTHER_UUID famfs mount -r -o test_fmap=$CORPUS $DEV /mnt/ftest \
		>/tmp/ftest.out 2>&1 ||
		{ show /tmp/ftest.out; kfail 6 "test-mode mount failed"; return 1; }
	famfs_fmapcheck "$(cat /sys/bus/dax/devices/dax0.0/size),$(cat /sys/bus/dax/devices/dax1.0/size)" \
		$CORPUS/* >/tmp/expect.txt
	while read -r _name _want; do
		_got=$(vmnative openerr "/mnt/ftest/fuzz/$_name")
		echo "    fmap $_name: open errno $_got, V10 rules say $_want"
		[ "$_got" = "$_want" ] || _why="$_why; $_name: errno $_got, expected $_want"
		_n=$((_n + 1))
	done </tmp/expect.txt
	famfs umount /mnt/ftest >/dev/null 2>&1 || umount /mnt/ftest
	klog_clean || { klog_show 20; _why="$_why; BUG/Oops/WARNING in the kernel log"; }
	if [ -n "$_why" ]; then
		kfail 6 "${_why#; }"
		return 1
	fi
	kpass 6 "$_n corpus fmaps sent as GET_FMAP replies: open(2) got the validator's errno" \
		"for each; no BUG/Oops/WARNING"
}

# delta NAME: upcalls since the last snapshot (famfs stats on mount $1)
snap() { stats_json "$1"; upcalls; }

kstep7() {
	_why=
	# native: n-cnt.bin has never been opened
	_u0=$(snap $MNT)
	cat $MNT/n-cnt.bin >/dev/null
	_u1=$(snap $MNT)
	cat $MNT/n-cnt.bin >/dev/null
	_u2=$(snap $MNT)
	vmnative faults $MNT/n-cnt.bin $SEED_CNT >/tmp/f.out 2>&1 || _why="$_why; native faults"
	_u3=$(snap $MNT)
	echo "UPCALLS native: first open+read+close $((_u1 - _u0)), again $((_u2 - _u1))," \
		"open+mmap+faults+close $((_u3 - _u2)) for $(cat /tmp/f.out)"
	# a mapping costs what an open costs: the faults themselves none
	[ $((_u3 - _u2)) -le $((_u2 - _u1)) ] ||
		_why="$_why; open+mmap+faults made $((_u3 - _u2)) upcalls, an open $((_u2 - _u1))"
	# the same file on a second mount that refuses native mode
	mkdir -p /mnt/fshim
	FAMFS_SYSTEM_UUID=$OTHER_UUID famfs mount -o nonative $DEV /mnt/fshim >/tmp/shimm.out 2>&1 ||
		{ show /tmp/shimm.out; kfail 7 "famfs mount -o nonative failed"; return 1; }
	_s0=$(snap /mnt/fshim)
	LD_PRELOAD=$SHIM vmnative faults /mnt/fshim/n-cnt.bin $SEED_CNT >/tmp/f2.out 2>&1 ||
		_why="$_why; shim faults"
	_s1=$(snap /mnt/fshim)
	cat /mnt/fshim/n-cnt.bin >/dev/null
	_s2=$(snap /mnt/fshim)
	_rd=$(stat_of read)
	echo "UPCALLS shim: open+mmap+faults+close $((_s1 - _s0)) for $(cat /tmp/f2.out)"
	echo "UPCALLS fuse-read: cat of $NCNT bytes $((_s2 - _s1)) ($_rd READ)"
	famfs umount /mnt/fshim >/dev/null 2>&1 || umount /mnt/fshim
	if [ -n "$_why" ]; then
		kfail 7 "${_why#; }"
		return 1
	fi
	kpass 7 "upcalls counted: native open $((_u1 - _u0)) then $((_u2 - _u1)), native" \
		"faults $((_u3 - _u2)); shim $((_s1 - _s0)); FUSE read $((_s2 - _s1))"
}

# The kernel blocks the device: an fd and a mapping made before the poison
# fail after it (famfsd itself refuses new opens).
kstep8() {
	vmnative check $MNT/n-cnt.bin 0 4096 $SEED_CNT read ||
		{ kfail 8 "n-cnt.bin unreadable before the poison"; return 1; }
	rm -f /tmp/lazy.ready /tmp/lazy.go /tmp/rd.ready
	vmnative hold $MNT/n-ilv.bin $SEED_ILV /tmp/lazy.ready /tmp/lazy.go lazy \
		>/tmp/lazy.out 2>&1 &
	_h=$!
	vmnative readafter $MNT/n-cnt.bin /tmp/rd.ready /tmp/lazy.go >/tmp/rd.out 2>&1 &
	_r=$!
	wait_for 60 test -e /tmp/lazy.ready -a -e /tmp/rd.ready ||
		{ kfail 8 "no mapping or fd before the poison"; return 1; }
	# the device n-cnt.bin is on (n-ilv.bin has strips on both devices)
	_pd=$(famfs getmap $MNT/n-cnt.bin | sed -n 's/.*extent 0: devindex \([0-9]*\).*/\1/p')
	run /tmp/poison.out famfs poison $MNT "${_pd:-0}" || { kfail 8 "famfs poison failed"; return 1; }
	_why=
	touch /tmp/lazy.go
	wait $_h
	_rc=$?
	wait $_r
	[ "$(cat /tmp/rd.out)" = 133 ] ||
		_why="$_why; read(2) on an fd opened before: $(cat /tmp/rd.out), not EHWPOISON (133)"
	[ $_rc -ge 128 ] || _why="$_why; a fault after poison did not get SIGBUS (exit $_rc)"
	klog_clean || { klog_show 10; _why="$_why; BUG/Oops/WARNING in the kernel log"; }
	famfs umount $MNT >/dev/null 2>&1 || _why="$_why; umount after poison failed"
	if [ -n "$_why" ]; then
		kfail 8 "${_why#; }"
		return 1
	fi
	kpass 8 "after famfs poison: read(2) on an fd opened before gets EHWPOISON, a fault" \
		"in a mapping made before gets SIGBUS (exit $_rc), the guest lives and unmounts"
}

kstep9() {
	grep -q " $MNT " /proc/mounts && famfs umount $MNT >/dev/null 2>&1
	umount /sys/fs/fuse/connections 2>/dev/null
	rmmod fuse 2>/tmp/rmmod.err || { show /tmp/rmmod.err; kfail 9 "rmmod fuse failed"; return 1; }
	grep -q '^fuse ' /proc/modules && { kfail 9 "fuse still loaded"; return 1; }
	load_kmod || { kfail 9 "reload failed"; return 1; }
	native_mount $DEV $MNT || { kfail 9 "native mount after reload failed"; return 1; }
	vmnative check $MNT/n-big.bin 0 $NBIG $SEED_BIG mmap ||
		{ kfail 9 "n-big.bin wrong after reload"; return 1; }
	kpass 9 "after umount the module unloads, reloads, and mounts natively again"
}

kstep10() {
	rm -f /tmp/hold.ready /tmp/hold.go
	vmnative hold $MNT/n-big.bin $SEED_BIG /tmp/hold.ready /tmp/hold.go >/tmp/hold.out 2>&1 &
	_h=$!
	wait_for 60 test -e /tmp/hold.ready || { kfail 10 "holder never mapped"; return 1; }
	_p=$(pidof famfsd)
	kill -9 $_p
	wait_for 20 sh -c "! kill -0 $_p" || { kfail 10 "famfsd did not die"; return 1; }
	touch /tmp/hold.go
	wait $_h
	_rc=$?
	show /tmp/hold.out
	_err=$(vmnative openerr $MNT/n-small.bin)
	famfs umount $MNT >/dev/null 2>&1 || umount -l $MNT
	klog_clean || { klog_show 10; kfail 10 "BUG/Oops/WARNING in the kernel log"; return 1; }
	[ $_rc = 0 ] || { kfail 10 "the mapping broke when famfsd died (exit $_rc)"; return 1; }
	[ "$_err" = 107 ] || { kfail 10 "a new open got errno $_err, not ENOTCONN (107)"; return 1; }
	kpass 10 "famfsd killed under a mapping: the mapping keeps the right bytes and takes" \
		"stores (no upcall needed); a new open gets errno $_err; umount works"
}

# A fresh native mount where no file has been opened: the first open comes
# from a process in a mount namespace of its own, where /dev/dax0.0 is
# /dev/null, running as nobody. The kernel must open the device famfsd
# named as famfsd sees it, with famfsd's credentials. And a relative device
# name (vmfuse's GET_DAXDEV answers dax0.0 to an opener whose working
# directory is /dev) must be refused, not looked up where the opener is.
kstep12() {
	grep -q " $MNT " /proc/mounts || native_mount $DEV $MNT ||
		{ kfail 12 "native mount failed"; return 1; }
	stats_json
	[ "$(stat_of fuse_get_daxdev)" = 0 ] ||
		{ kfail 12 "the mount opened a device before the test"; return 1; }
	_why=
	_e=$(vmnative nsopen $MNT/n-big.bin $SEED_BIG 2>/tmp/ns.err)
	_rc=$?
	if [ "$_e" != 0 ] || [ $_rc != 0 ]; then
		show /tmp/ns.err
		_why="$_why; open from another mount namespace got errno ${_e:-?} (exit $_rc):"
		_why="$_why the device name was resolved there"
	fi
	mkdir -p /mnt/raw
	_off=$(($(cat /sys/bus/dax/devices/dax0.0/size) - 2097152))
	_rel=$(vmfuse file /mnt/raw $_off dax0.0 old 2>/tmp/raw.err)
	case $_rel in
	"open=22 "*) ;;
	*) show /tmp/raw.err; _why="$_why; relative name dax0.0: $_rel (want open=22)" ;;
	esac
	if [ -n "$_why" ]; then
		klog_show 3
		kfail 12 "${_why#; }"
		return 1
	fi
	kpass 12 "a first open from a mount namespace where /dev/dax0.0 is /dev/null, as" \
		"nobody, reads the right bytes; a relative name is refused (EINVAL): names" \
		"resolve as famfsd sees them"
}

kstep11() {
	vmnative edges $MNT/n-small.bin $SEED_SMALL >/tmp/edges.out 2>&1 ||
		{ show /tmp/edges.out; kfail 11 "$(grep -c FAILED /tmp/edges.out) edge checks failed"; \
		  return 1; }
	klog_clean || { klog_show 10; kfail 11 "BUG/Oops/WARNING in the kernel log"; return 1; }
	kpass 11 "reads at/across/past EOF, EFBIG at EOF and a write cut at EOF, no write" \
		"through an O_RDONLY open (write, shared mmap, mprotect), private stores stay" \
		"private, SIGBUS past EOF"
}

# A raw FUSE server (vmfuse) that accepts FUSE_DAX_FMAP, keeping or dropping
# CAP_SYS_RAWIO before it answers INIT. fusectl's famfs_poison says whether
# famfs was negotiated: EINVAL for slot 99 if so, EOPNOTSUPP if not.
kstep13() {
	mkdir -p /mnt/raw
	_keep=$(vmfuse init /mnt/raw keep 2>/tmp/raw.err)
	_drop=$(vmfuse init /mnt/raw drop 2>>/tmp/raw.err)
	if [ "$_keep" != 22 ] || [ "$_drop" != 95 ]; then
		show /tmp/raw.err
		kfail 13 "famfs_poison errno: server with CAP_SYS_RAWIO ${_keep:-?} (want 22," \
			"negotiated), without ${_drop:-?} (want 95, refused)"
		return 1
	fi
	kpass 13 "a root-owned mount gets FUSE_DAX_FMAP only if the server that accepts it" \
		"holds CAP_SYS_RAWIO (mount.fuse3 -o drop_privileges does not)"
}

# vmfuse serves one 2 MiB file at the device's last 2 MiB (no famfs file
# lives there). A file that CREATE made must be native from its first read.
kstep14() {
	_off=$(($(cat /sys/bus/dax/devices/dax0.0/size) - 2097152))
	_why=
	mkdir -p /mnt/raw
	_new=$(vmfuse file /mnt/raw $_off /dev/dax0.0 new 2>/tmp/raw.err)
	[ "$_new" = "open=0 match=1 read=0 get_fmap=1" ] ||
		_why="$_why; O_CREAT: $_new (want open=0 match=1 read=0 get_fmap=1)"
	klog_clean || { klog_show 10; _why="$_why; BUG/Oops/WARNING in the kernel log"; }
	if [ -n "$_why" ]; then
		show /tmp/raw.err
		kfail 14 "${_why#; }"
		return 1
	fi
	kpass 14 "a file made by CREATE reads the device with no READ upcall (GET_FMAP" \
		"right after CREATE)"
}

# md.bin (step 9) is striped over /dev/dax0.0 and /dev/dax1.0: the kernel has
# asked GET_DAXDEV for each device once (device 1 at the first open of a file
# on it), and read(2) and mmap serve every chunk from its own device, with no
# READ upcall.
kstep18() {
	_why=
	stats_json
	_d0=$(stat_of fuse_get_daxdev)
	vmnative check $MNT/md.bin 0 $NMD $SEED_MD read 2>/tmp/k18.err || _why="$_why; read(2)"
	vmnative check $MNT/md.bin 0 $NMD $SEED_MD mmap 2>>/tmp/k18.err || _why="$_why; mmap"
	stats_json
	_d1=$(stat_of fuse_get_daxdev)
	# each device once per connection: device 1 now, or earlier for a file
	# placed on it (the allocator puts files where the most space is free)
	[ "$_d1" = 2 ] ||
		_why="$_why; fuse_get_daxdev went from $_d0 to $_d1 (want 2: each device once)"
	[ "$(stat_of read)" = 0 ] || _why="$_why; famfsd served $(stat_of read) READs"
	klog_clean || { klog_show 18; _why="$_why; BUG/Oops/WARNING in the kernel log"; }
	if [ -n "$_why" ]; then
		show /tmp/k18.err
		kfail 18 "${_why#; }"
		return 1
	fi
	kpass 18 "md.bin, striped over dax0.0 and dax1.0, reads right natively by read(2) and" \
		"mmap; the kernel asked GET_DAXDEV for each device once; famfsd READ 0"
}

native_A() {
	info "native scenario: our fuse.ko from kernel/"
	if ! kstep1; then
		mb_native_put $MB_A_NATIVE "A-ABORT $NONCE" 2>/dev/null
		for _s in 2 3 5 17 6 7 8 9 10 11 12 13 14 15 18; do kfail $_s "not reached"; done
		return 1
	fi
	if kstep2; then
		kstep3
		mb_native_put $MB_A_NATIVE "A-NATIVE $NONCE" || info "could not post A-NATIVE"
		kstep5
		kstep17
	else
		mb_native_put $MB_A_NATIVE "A-ABORT $NONCE" 2>/dev/null
		kfail 3 "not reached"
		kfail 5 "not reached"
		kfail 17 "not reached"
	fi
	kstep18
	kstep6
	kstep7
	kstep15
	mb_native_wait $MB_B_NATIVE "B-NATIVE $NONCE" 120 || info "B did not report B-NATIVE"
	kstep8
	kstep9 && kstep10 || kfail 10 "not reached"
	kstep12
	if grep -q " $MNT " /proc/mounts; then
		kstep11
	else
		kfail 11 "not reached (no mount)"
	fi
	grep -q " $MNT " /proc/mounts && { famfs umount $MNT >/dev/null 2>&1 || umount -l $MNT; }
	kstep13
	kstep14
}

# ---- guest B ----

kstep4() {
	load_kmod || { kfail 4 "cannot load $KMOD"; return 1; }
	mkdir -p $MNT
	native_mount $DEV $MNT || { kfail 4 "client famfs mount did not get native mode"; return 1; }
	mb_native_wait $MB_A_NATIVE "A-NATIVE $NONCE" 200 ||
		{ kfail 4 "A never reported A-NATIVE"; return 1; }
	wait_for 20 test -e $MNT/n-ilv.bin || { kfail 4 "A's native files are not listed"; return 1; }
	_why=
	vmnative check $MNT/n-big.bin 0 $NBIG $SEED_BIG mmap 2>/tmp/b.err || _why="$_why; n-big mmap"
	vmnative check $MNT/n-small.bin 0 $NSMALL $SEED_SMALL mmap 2>>/tmp/b.err ||
		_why="$_why; n-small mmap"
	vmnative check $MNT/n-ilv.bin 0 $NILV $SEED_ILV mmap 2>>/tmp/b.err || _why="$_why; n-ilv mmap"
	vmnative check $MNT/n-ilv.bin 0 $NILV $SEED_ILV read 2>>/tmp/b.err || _why="$_why; n-ilv read"
	stats_json
	[ "$(stat_of read)" = 0 ] || _why="$_why; famfsd served READs"
	if [ -n "$_why" ]; then
		show /tmp/b.err
		kfail 4 "${_why#; }"
		return 1
	fi
	kpass 4 "client B mounted natively and read A's n-big, n-small and interleaved n-ilv" \
		"through its own mappings (its famfsd: READ 0)"
}

# B reads md.bin (striped over both devices) natively: its own kernel opens
# /dev/dax1.0, by the name its own famfsd found by uuid.
kstep19() {
	_why=
	vmnative check $MNT/md.bin 0 $NMD $SEED_MD mmap 2>/tmp/k19.err || _why="$_why; mmap"
	vmnative check $MNT/md.bin 0 $NMD $SEED_MD read 2>>/tmp/k19.err || _why="$_why; read(2)"
	stats_json
	[ "$(stat_of fuse_get_daxdev)" -ge 2 ] ||
		_why="$_why; fuse_get_daxdev $(stat_of fuse_get_daxdev) (want both devices)"
	[ "$(stat_of read)" = 0 ] || _why="$_why; famfsd served READs"
	if [ -n "$_why" ]; then
		show /tmp/k19.err
		kfail 19 "${_why#; }"
		return 1
	fi
	kpass 19 "client B read md.bin (striped over dax0.0 and dax1.0) natively, by mmap and" \
		"read(2); its kernel opened both devices (its famfsd: READ 0)"
}

native_B() {
	info "native scenario: our fuse.ko from kernel/"
	if kstep4; then
		kstep16
	else
		kfail 16 "not reached"
	fi
	if grep -q " $MNT " /proc/mounts; then
		kstep19
	else
		kfail 19 "not reached (no native mount)"
	fi
	mb_native_put $MB_B_NATIVE "B-NATIVE $NONCE" || info "could not post B-NATIVE"
	grep -q " $MNT " /proc/mounts && { famfs umount $MNT >/dev/null 2>&1 || info "client umount failed"; }
}
