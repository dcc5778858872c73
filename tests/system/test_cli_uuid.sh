#!/bin/bash
# test_cli_uuid.sh - the system uuid file (/opt/famfs/system_uuid, here
# $FAMFS_SYSTEM_UUID_FILE): read-only verbs and every verb on a file system
# of another host never create it (a host without one is a client); mkfs
# creates it, whole, with no temporary file left beside it.
. "$(dirname "$0")/lib.sh"

newdev DEV 256M
"$MKFS" "$DEV" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
"$FAMFS" --device "$DEV" mkdir d >/dev/null || { echo "FAIL: mkdir"; exit 1; }
"$FAMFS" --device "$DEV" creat -s 1M d/f >/dev/null || { echo "FAIL: creat"; exit 1; }
U=$T/opt/famfs/system_uuid
unset FAMFS_SYSTEM_UUID
export FAMFS_SYSTEM_UUID_FILE=$U

check "ls without a uuid file" "$FAMFS" --device "$DEV" ls -l d
check "fsck without a uuid file" "$FAMFS" --device "$DEV" fsck
check "getmap without a uuid file" "$FAMFS" --device "$DEV" getmap d/f
check "chkread without a uuid file" "$FAMFS" --device "$DEV" chkread d/f
check_fail "creat without a uuid file: this host is a client" "client" \
	"$FAMFS" --device "$DEV" creat -s 1M d/g
check "no uuid file was created" test ! -e "$U"
check "not even its directory" test ! -e "$T/opt"

check "mkfs -f creates it" "$MKFS" -f "$DEV"
check "the uuid file exists" test -f "$U"
check_eq "37 bytes, mode 0444" "37 444" "$(stat -c '%s %a' "$U")"
check_eq "no temporary file beside it" "system_uuid" "$(ls -A "$T/opt/famfs")"
check "this host is the master now" "$FAMFS" --device "$DEV" mkdir e
done_testing
