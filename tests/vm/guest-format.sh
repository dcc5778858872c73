# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/guest-format.sh - the one-time format guest (busybox sh): turn the
# raw namespaces QEMU's two nvdimms show into devdax namespaces. The labels
# and the devdax info blocks live in the shared memory files, so every later
# guest finds /dev/dax0.0 and /dev/dax1.0 at boot without running anything.
#
# -M mem keeps each kernel's struct pages in its own RAM: with -M dev they
# would live in the shared file and every guest that probes the device would
# rewrite them under the others. The kernel's default region align (16 MiB)
# does not divide the region QEMU leaves after the label area, so the region
# align is lowered to 2 MiB first.
#
# Prints "VM-DAX dev=N size=S offset=O" for /dev/dax0.0 and /dev/dax1.0 (one
# nvdimm each): the dax device size and where dax byte 0 sits in its shared
# file (dax resource - region resource).
for n in 0 1; do
	R=/sys/bus/nd/devices/region$n
	if [ ! -e /dev/dax$n.0 ]; then
		[ -e $R ] || { echo "VM-WARN no nvdimm region$n: $(ls /sys/bus/nd/devices 2>&1)"; exit 1; }
		if [ $(($(cat $R/size) % $(cat $R/align))) != 0 ]; then
			echo "INFO region$n size $(cat $R/size) % align $(cat $R/align) != 0: align = 2 MiB"
			echo 2097152 >$R/align || exit 1
		fi
		ndctl create-namespace -f -e namespace$n.0 -m devdax -M mem -a 2M || exit 1
	fi
	[ -e /dev/dax$n.0 ] || { echo "VM-WARN still no /dev/dax$n.0"; ndctl list -RNu; exit 1; }
	D=/sys/bus/dax/devices/dax$n.0
	echo "VM-DAX dev=$n size=$(cat $D/size) offset=$(($(cat $D/resource) - $(cat $R/resource)))"
done
