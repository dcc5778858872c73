#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""famfs_python.py - read and write a famfs file from Python with the famfs
module: numpy views of the device memory itself, with no copy, no
LD_PRELOAD and no read request to famfsd.

    famfs_python.py FILE            print size, layout, sha256, byte sum
    famfs_python.py --fill N FILE   store byte N over the whole file, flush

The module comes with `make install` or the python3-famfs package; from a
build tree, run it with PYTHONPATH=build/python.
"""
import hashlib
import sys

import numpy as np

import famfs


def show(path):
    st = famfs.stat(path)
    print(f"{path}: {st.size} bytes, {'interleaved' if st.interleaved else 'simple'}, "
          f"{len(st.extents)} extent(s)")
    for e in st.extents:
        print(f"  file {e.file_offset:#x} -> device {e.device} offset "
              f"{e.device_offset:#x}, {e.length:#x} bytes")
    with famfs.map(path) as m:
        a = np.frombuffer(m, dtype=np.uint8)    # a view, not a copy
        print(f"sha256 {hashlib.sha256(m).hexdigest()} bytesum {int(a.sum(dtype=np.uint64))}")
        del a                                   # (a view keeps the mapping alive)


def fill(path, value):
    with famfs.map(path, writable=True) as m:
        a = np.frombuffer(m, dtype=np.uint8)
        a[:] = value
        del a
        famfs.flush(m)                          # make it visible to other hosts


def main():
    if len(sys.argv) == 2:
        show(sys.argv[1])
    elif len(sys.argv) == 4 and sys.argv[1] == "--fill":
        fill(sys.argv[3], int(sys.argv[2], 0))
    else:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
