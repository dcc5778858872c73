#!/bin/bash
# test_cli_json.sh - every --json output (ls, getmap, fsck, stats) is valid
# JSON (a strict parser reads the raw bytes) also when names are not UTF-8:
# such a string carries U+FFFD for each stray byte and its exact bytes in
# the sibling KEY_hex, which must give the name back; valid UTF-8 names and
# control characters come through as they are, with no _hex member.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
newdev DEV 256M
chmod 600 "$DEV"
"$MKFS" "$DEV" >/dev/null 2>&1 || { echo "FAIL: mkfs"; exit 1; }
BAD=$(printf 'bad\xffname')
FILE=$(printf 'caf\xc3\xa9 \xc0\x80 \xed\xa0\x80')	# UTF-8 é, an overlong NUL, a surrogate
"$FAMFS" --device "$DEV" mkdir "$BAD" && "$FAMFS" --device "$DEV" creat -s 1 "$BAD/$FILE" &&
	"$FAMFS" --device "$DEV" mkdir "$(printf 'ok-\xe2\x82\xac')" || { echo "FAIL: setup"; exit 1; }

# strict FILE: parse FILE's bytes as UTF-8 JSON (fails on invalid UTF-8).
strict() { $PY -c 'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$1"; }

"$FAMFS" --device "$DEV" ls -R --json >"$T/ls.json"
check "ls --json of non-UTF-8 names is valid JSON" strict "$T/ls.json"
printf '%s\n%s\n' "$BAD" "$BAD/$FILE" >"$T/want"
$PY - "$T/ls.json" >"$T/got" 2>"$T/py.err" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], "rb"))
for e in d["entries"]:
    if "name_hex" in e:
        assert "\ufffd" in e["name"], e
        sys.stdout.buffer.write(bytes.fromhex(e["name_hex"]) + b"\n")
    else:
        assert e["name"] == "ok-\u20ac", e
PY
check_eq "ls --json: name_hex gives the exact bytes back ($(cat "$T/py.err"))" \
	"$(md5sum <"$T/want")" "$(md5sum <"$T/got")"

"$FAMFS" --device "$DEV" getmap --json "$BAD/$FILE" >"$T/gm.json"
check "getmap --json of a non-UTF-8 path is valid JSON" strict "$T/gm.json"
check_eq "getmap --json: path_hex" "$(printf '%s' "$BAD/$FILE" | od -An -tx1 | tr -d ' \n')" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["path_hex"])' "$T/gm.json")"

"$FAMFS" --device "$DEV" fsck --json >"$T/fsck.json"
check "fsck --json is valid JSON" strict "$T/fsck.json"

M=$T/$BAD
mkdir -p "$M"
track_mount "$M"
check "mount on a non-UTF-8 mount point" "$FAMFS" mount "$DEV" "$M"
"$FAMFS" stats --json "$M" >"$T/stats.json"
check "stats --json of a non-UTF-8 mount point is valid JSON" strict "$T/stats.json"
check_eq "stats --json: mount_hex" "$(printf '%s' "$M" | od -An -tx1 | tr -d ' \n')" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["mount_hex"])' "$T/stats.json")"
"$FAMFS" fsck --json "$M" >"$T/fsck2.json"
check "fsck --json of the mount is valid JSON" strict "$T/fsck2.json"
check "umount" "$FAMFS" umount "$M"
done_testing
