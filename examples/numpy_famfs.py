#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""numpy_famfs.py - read a famfs file with Python's mmap and numpy.

Run it under the preload shim, and every load goes straight to the famfs
device memory (no FUSE read, no copy):

    LD_PRELOAD=/path/to/libfamfs-preload.so /usr/bin/python3 \
        examples/numpy_famfs.py /mnt/famfs/data.bin

It prints the file size, a sha256 over the mapped bytes and two numpy
reductions (the sum of all bytes, and a wrapping 64-bit word sum over the
whole 8-byte words), so that the output can be compared with the same
script run on any ordinary copy of the file.
"""
import hashlib
import mmap
import os
import sys

import numpy as np


def checksum(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, hashlib.sha256().hexdigest(), 0, 0
        m = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
    finally:
        os.close(fd)            # the mapping outlives the descriptor
    try:
        b = np.frombuffer(m, dtype=np.uint8)
        byte_sum = int(b.sum(dtype=np.uint64))
        nwords = size // 8
        words = np.frombuffer(m, dtype="<u8", count=nwords)
        word_sum = int(words.sum(dtype=np.uint64)) if nwords else 0
        digest = hashlib.sha256(m).hexdigest()
        del b, words
    finally:
        m.close()
    return size, digest, byte_sum, word_sum


def main():
    if len(sys.argv) != 2:
        print("usage: numpy_famfs.py FILE", file=sys.stderr)
        return 2
    size, digest, byte_sum, word_sum = checksum(sys.argv[1])
    print(f"size {size} sha256 {digest} bytesum {byte_sum} wordsum {word_sum}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
