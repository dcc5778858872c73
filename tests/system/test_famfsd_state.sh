#!/bin/bash
# test_famfsd_state.sh - famfsd keeps its state in the session's userdata
# (struct famfsd, src/famfsd/famfsd.h), not in globals: none of famfsd's
# own object files has a writable variable (.data, .bss, or thread-local),
# except the two that hold what libfuse logs while opts.c parses the
# options (libfuse's log function has no context argument). Constant
# tables (.rodata, .data.rel.ro) are fine.
. "$(dirname "$0")/lib.sh"
# ASan and UBSan add writable globals of their own to every object file;
# the plain build (make check) checks famfsd's.
skip_if_sanitized

ALLOWED="fuse_msg fuse_msg_len"
objs=$(find "$FAMFS_BUILD/CMakeFiles/famfsd.dir" -name '*.c.o' | sort)
n=$(wc -w <<<"$objs")
[ "$n" -ge 10 ] && pass "found famfsd's $n object files" ||
	fail "famfsd's object files not found under $FAMFS_BUILD/CMakeFiles/famfsd.dir"

# writable OBJ: "file: symbol (section)" for each writable variable in OBJ.
writable() {
	objdump -t "$1" | awk -v f="$(basename "$1" .c.o)" '
		$3 == "O" && ($4 ~ /^\.(t?data|t?bss)($|\.)/) && $4 !~ /^\.data\.rel\.ro/ {
			print f ": " $NF " (" $4 ")"
		}'
}
found=
for o in $objs; do
	found+=$(writable "$o" | grep -vwE "$(tr ' ' '|' <<<"$ALLOWED")")
done
check_eq "no writable globals in famfsd's own code" "" "$found"
# The check itself sees a global: opts.c's log buffer is one.
check "the check finds opts.c's log buffer" \
	grep -q "opts: fuse_msg (.bss)" <(writable "$(grep '/opts.c.o$' <<<"$objs")")
done_testing
