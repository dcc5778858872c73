#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/guest-init.sh - /init of the make check-vm guests (busybox sh).
# Mounts the pseudo file systems, loads the nvdimm/devdax/fuse modules in
# dependency order, waits for /dev/dax0.0 and /dev/dax1.0, runs
# /vm/guest-$VM_ROLE.sh and
# powers off. Every vm.foo=bar on the kernel command line is exported as
# VM_FOO=bar. The host parses these console lines:
#   VM-READY role=R up=S dax=...      the guest is up, the script starts
#   VM-EXIT role=R rc=N up=S          the script ended with status N
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
for x in $(cat /proc/cmdline); do
	case $x in
	vm.*=*)
		k=${x%%=*}
		k=$(echo "${k#vm.}" | tr 'a-z.-' 'A-Z__')
		export "VM_$k=${x#*=}"
		;;
	esac
done
while read -r m; do
	[ -n "$m" ] || continue
	insmod "$m" 2>/dev/null || echo "VM-WARN insmod $m failed"
done </etc/vm/modules
# /dev/dax0.0 and /dev/dax1.0 appear by themselves once libnvdimm has read
# the labels written by the format guest; a raw namespace has a region and
# no dax device.
i=0
while { [ ! -e /dev/dax0.0 ] || [ ! -e /dev/dax1.0 ]; } && [ $i -lt 200 ]; do
	if [ $i -ge 40 ] && [ ! -e /sys/bus/nd/devices/region0 ]; then
		break
	fi
	sleep 0.05
	i=$((i + 1))
done
echo "VM-READY role=${VM_ROLE:-?} up=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)" \
	"dax=$(ls /dev/dax* 2>/dev/null | tr '\n' ' ')"
s=/vm/guest-${VM_ROLE:-none}.sh
if [ -f "$s" ]; then
	sh "$s"
	rc=$?
else
	echo "VM-WARN no script $s"
	rc=127
fi
echo "VM-EXIT role=${VM_ROLE:-?} rc=$rc up=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
