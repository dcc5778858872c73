#!/bin/bash
# test_completion.sh - bash completion (scripts/bash-completion/famfs) offers
# every verb of famfs --help, every option that each verb's --help lists
# (and those of mkfs.famfs and famfsd), nothing after an option that takes
# a value, and skips --device DEV when it looks for the verb.
. "$(dirname "$0")/lib.sh"

BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || { echo "FAIL: $BC missing (apt-get install bash-completion)"; exit 1; }

# complete WORD... : what completing the last word offers, one per line.
complete_words() {
	bash -c '
		. "$1" && . "$2" || exit 1
		shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
		fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$BC" "$FAMFS_SRC/scripts/bash-completion/famfs" "$@"
}

# options PROGRAM [VERB]: the long and short options its --help lists (the
# option column of each line that starts with a dash).
options() {
	"$@" --help | grep -E '^ +-' | sed -E 's/^ +//; s/  .*//' |
		grep -oE '(^|[ ,])--?[a-zA-Z0-9][a-z0-9-]*' | tr -d ' ,' | sort -u
}

verbs=$("$FAMFS" --help | sed -n '/^Verbs:/,/^$/p' | awk 'NF > 1 {print $1}')
check "famfs --help lists verbs" test "$(echo "$verbs" | wc -w)" -ge 10
check_eq "'famfs <TAB>' offers every verb" "$(echo "$verbs" | sort)" "$(complete_words famfs '' | sort)"
check_eq "'famfs --device D <TAB>' too" "$(echo "$verbs" | sort)" \
	"$(complete_words famfs --device /dev/shm/x '' | sort)"
check_eq "'famfs --dev<TAB>'" "--device" "$(complete_words famfs --dev)"
for v in $verbs; do
	want=$(options "$FAMFS" "$v")
	got=$(complete_words famfs "$v" - | sort -u)
	missing=$(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')
	check_eq "famfs $v: every option of its --help is offered ($(echo "$want" | wc -l))" "" "$missing"
done
for p in "$MKFS" "$BIN/famfsd"; do
	name=$(basename "$p")
	want=$(options "$p")
	got=$(PATH="$BIN:$PATH" complete_words "$name" - | sort -u)
	check_eq "$name: every option of its --help is offered" "" \
		"$(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')"
done
check_eq "nothing is offered for a value (--size SIZE)" "" "$(complete_words famfs creat --size '')"
check_eq "nor after a short option with a value (-S SEED)" "" "$(complete_words famfs creat -S '')"
mkdir -p "$T/dir" && touch "$T/dir/devfile"
check_eq "files after an option whose value is a file (verify -f F)" "$T/dir/devfile" \
	"$(complete_words famfs verify -f "$T/dir/dev")"
check_eq "files as arguments" "$T/dir/devfile" "$(complete_words famfs getmap "$T/dir/dev")"
done_testing
