#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/vm/selftest.sh - checks that make check-vm fails when it must: runs
# check-vm.sh with knobs that break it and asserts exit status 1 and the
# message a user would need. It does not test famfs.
#
#   tests/vm/selftest.sh [BUILD] [CASE...]     BUILD defaults to build
#
# Cases (all by default; the first three take seconds, "visible" a full run):
#   noqemu   FAMFS_VM_QEMU=/bin/false: "... does not run: make check-vm cannot run here"
#   nokernel FAMFS_VM_KERNEL=/nonexistent: QEMU exits at once; "QEMU did not boot guest"
#            and QEMU's own message
#   budget   FAMFS_VM_BUDGET=12: "over budget", and no guest QEMU left running
#   visible  FAMFS_VM_VISIBLE_MS=0: step 5 on B must FAIL ("took N ms to be listed")
# Exit 0 only when every case behaved. Honours FAMFS_VM_DIR and FAMFS_VM_SHARED.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
[ $# -gt 0 ] && shift
CASES=${*:-noqemu nokernel budget visible}
LOG=$(mktemp /tmp/famfs-vm-selftest.XXXXXX)
trap 'rm -f "$LOG"' EXIT
npass=0
nfail=0

# run_case NAME PATTERNS ENV...: check-vm with ENV must exit 1 and print a
# line matching each of the newline-separated extended regexps PATTERNS.
run_case() {
	local name=$1 pats=$2 pat rc t0
	shift 2

	t0=$(date +%s)
	env "$@" "$HERE/check-vm.sh" "$BUILD" >"$LOG" 2>&1 </dev/null
	rc=$?
	echo "--- $name ($*): exit $rc after $(($(date +%s) - t0))s; last lines:"
	grep -E '^(check-vm:|    )' "$LOG" | tail -7 | sed 's/^/    /'
	if [ "$rc" != 1 ]; then
		echo "selftest $name: FAIL: exit status $rc, expected 1"
		nfail=$((nfail + 1))
		return 1
	fi
	while read -r pat; do
		grep -Eq -- "$pat" "$LOG" && continue
		echo "selftest $name: FAIL: no line matching '$pat'"
		nfail=$((nfail + 1))
		return 1
	done <<<"$pats"
	echo "selftest $name: PASS"
	npass=$((npass + 1))
}

# no_guest_left: the QEMUs of the last run (pids in its log dir) are gone.
no_guest_left() {
	local out f pid

	out=$(sed -n 's/.*logs in \([^ ;)]*\).*/\1/p' "$LOG" | tail -1)
	[ -d "$out" ] || { echo "selftest budget: FAIL: no log dir in the output"; return 1; }
	for f in "$out"/guest-*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		if kill -0 "$pid" 2>/dev/null; then
			echo "selftest budget: FAIL: guest QEMU $pid ($f) still runs"
			return 1
		fi
	done
}

for c in $CASES; do
	case $c in
	noqemu)
		run_case noqemu "'/bin/false --version' failed
/bin/false does not run: make check-vm cannot run here" FAMFS_VM_QEMU=/bin/false
		;;
	nokernel)
		run_case nokernel "QEMU did not boot guest A: make check-vm cannot run here
could not open kernel file '/nonexistent/vmlinux'" FAMFS_VM_KERNEL=/nonexistent/vmlinux
		;;
	budget)
		if run_case budget "ERROR: over budget: check-vm must finish within 12s
still running" FAMFS_VM_BUDGET=12 && ! no_guest_left; then
			npass=$((npass - 1))
			nfail=$((nfail + 1))
		fi
		;;
	visible)
		run_case visible "guest B: STEP 5 FAIL: late.txt took [0-9]+ ms to be listed
guest A: STEP 1 PASS" FAMFS_VM_VISIBLE_MS=0
		;;
	*)
		echo "selftest: unknown case '$c'"
		nfail=$((nfail + 1))
		;;
	esac
done
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
