#!/bin/sh
# bpf/build.sh [OUT] - compile bpf/famfs_iomap.bpf.c into a BPF object
# (default OUT: $FAMFS_BUILD/bin/famfs_iomap.bpf.o, or ./famfs_iomap.bpf.o).
# The CMake build does the same; this script is for working without it.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${FAMFS_BUILD:+$FAMFS_BUILD/bin/}famfs_iomap.bpf.o}
clang=${CLANG:-$(command -v clang-14 || command -v clang)}
arch=$(uname -m)
mkdir -p "$(dirname "$out")"
exec "$clang" -O2 -g -target bpf -D__TARGET_ARCH_x86 \
	-I"$src/include" -I"/usr/include/$arch-linux-gnu" \
	-Wall -Werror -c "$src/bpf/famfs_iomap.bpf.c" -o "$out"
