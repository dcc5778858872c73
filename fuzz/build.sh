#!/bin/bash
# fuzz/build.sh - build the libFuzzer harnesses (fuzz/fuzz_*.c) with clang,
# -fsanitize=fuzzer,address,undefined, straight from the library sources
# (not the CMake build). Objects are rebuilt only when a source or header
# changed. Output: $FUZZ_BUILD (default build-fuzz/ in the repo).
#   fuzz/build.sh           build every harness
#   fuzz/build.sh --seeds   also regenerate fuzz/corpus/ from gen_seeds.c
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_BUILD:-$SRC/build-fuzz}
CC=${FUZZ_CC:-clang-14}
command -v "$CC" >/dev/null || CC=clang
LIBS="err crc32 omf omf_rm fmap path alloc allocset allocset_rm devtab devfind devuse ns cache dev role log meta fs fs_rm fs_dev hosts fsck fsck_rm crash sigbus zero alloccfg trust mounts rawsys"
HARNESSES="fuzz_sb fuzz_log_hdr fuzz_log_entry fuzz_replay fuzz_fmap fuzz_path fuzz_alloccfg"
CFLAGS=(-g -O1 -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -fno-omit-frame-pointer
	-fno-sanitize-recover=undefined -I"$SRC/include" -I"$SRC/fuzz")
SAN=-fsanitize=address,undefined
# lib/mounts.c (what lib/trust.c reads the mount table with) uses libmount
read -ra MOUNT_CFLAGS <<<"$(pkg-config --cflags mount)"
read -ra MOUNT_LIBS <<<"$(pkg-config --libs mount)"
CFLAGS+=("${MOUNT_CFLAGS[@]}")

mkdir -p "$OUT/obj"
newest_hdr=$(ls -t "$SRC"/include/famfs/*.h "$SRC"/fuzz/*.h | head -1)

# build_obj SRC OBJ FLAGS...: compile when OBJ is missing or older than SRC or any header.
build_obj() {
	local src=$1 obj=$2; shift 2
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_hdr" -nt "$obj" ]; then
		"$CC" "${CFLAGS[@]}" "$@" -c "$src" -o "$obj"
	fi
}

objs=()
for l in $LIBS; do
	build_obj "$SRC/lib/$l.c" "$OUT/obj/$l.o" $SAN -fsanitize=fuzzer-no-link &
	objs+=("$OUT/obj/$l.o")
done
wait
for h in $HARNESSES; do
	build_obj "$SRC/fuzz/$h.c" "$OUT/obj/$h.o" $SAN -fsanitize=fuzzer &
done
wait
for h in $HARNESSES; do
	newer=0
	for o in "$OUT/obj/$h.o" "${objs[@]}"; do
		[ "$o" -nt "$OUT/$h" ] && newer=1
	done
	if [ ! -e "$OUT/$h" ] || [ $newer = 1 ]; then
		"$CC" $SAN -fsanitize=fuzzer "$OUT/obj/$h.o" "${objs[@]}" -luuid -lyaml "${MOUNT_LIBS[@]}" -lpthread \
			-o "$OUT/$h"
	fi
done

if [ "${1:-}" = "--seeds" ]; then
	"$CC" "${CFLAGS[@]}" "$SRC/fuzz/gen_seeds.c" "$SRC/lib/omf.c" "$SRC/lib/fmap.c" \
		"$SRC/lib/err.c" "$SRC/lib/crc32.c" -o "$OUT/gen_seeds"
	"$OUT/gen_seeds" "$SRC/fuzz/corpus"
fi
echo "fuzz harnesses in $OUT: $HARNESSES"
