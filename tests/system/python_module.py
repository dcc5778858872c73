#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""python_module.py MNT DEV - the checks of test_python_module.sh, run by
Debian's python3 with the module famfs on PYTHONPATH and no LD_PRELOAD.

MNT is a famfs mount of the device file DEV holding: s (simple, 5 MiB,
pattern), i (interleaved, 9 MiB), w (2 MiB, zeros, to write), e (1 byte).
Prints one 'ok: ...' or 'FAIL: ...' line per check and the closing
'N passed, M failed' line; exits 1 on any failure.
"""
import errno
import hashlib
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

import famfs

MNT, DEV = sys.argv[1], sys.argv[2]
FAMFS = os.environ.get("FAMFS", "famfs")
PASS = FAIL = 0


def check(what, cond, detail=""):
    global PASS, FAIL
    if cond:
        PASS += 1
        print(f"ok: {what}")
    else:
        FAIL += 1
        print(f"FAIL: {what} {detail}")


def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    return None


def ops():
    out = subprocess.run([FAMFS, "stats", "--json", MNT], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["ops"]


def mapped_from(addr, path):
    """True if addr lies in a mapping of the file path in /proc/self/maps."""
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if lo <= addr < hi and len(parts) >= 6 and parts[5] == path:
                return True
    return False


def fuse_bytes(path):
    with open(path, "rb") as f:
        return f.read()


s, i, w, e = (os.path.join(MNT, n) for n in "siwe")
check("no famfs preload shim in LD_PRELOAD", "famfs" not in os.environ.get("LD_PRELOAD", ""))
with open("/proc/self/maps") as f:
    check("no preload shim mapped", "libfamfs-preload" not in f.read())

# Expected bytes through FUSE first: READ requests are counted only after.
want_s, want_i = fuse_bytes(s), fuse_bytes(i)
o0 = ops()

# --- read-only map: zero-copy views of the device memory
with famfs.map(s) as m:
    check("len(map) is the file size", len(m) == len(want_s) == m.size)
    check("read-only map", m.writable is False)
    mv = memoryview(m)
    check("memoryview is read-only", mv.readonly)
    check("memoryview bytes equal the file", mv.tobytes() == want_s)
    a = np.frombuffer(m, dtype=np.uint8)
    check("numpy array is a view at the map's address (no copy)",
          a.ctypes.data == m.address and a.base is not None)
    check("the address is a mapping of the device file", mapped_from(m.address, DEV))
    check("numpy array is not writable", not a.flags.writeable)
    check("numpy sum equals the file's", int(a.sum(dtype=np.uint64)) == sum(want_s))
    words = np.frombuffer(m, dtype="<u8", count=len(m) // 8)
    check("uint64 view", words[:4].tobytes() == want_s[:32])
    check("storing through the numpy view is refused", raises(ValueError, a.__setitem__, 0, 1) is not None)
    check("the numpy view cannot be made writable",
          raises(ValueError, a.setflags, write=True) is not None)
    check("storing through the memoryview is refused",
          raises(TypeError, mv.__setitem__, 0, 1) is not None)
    check("hashlib reads the buffer", hashlib.sha256(m).digest() == hashlib.sha256(want_s).digest())
    addr = m.address
    del mv, words
# a is still alive: the mapping must still be there and readable
check("closed after the with block", m.closed)
check("a live view keeps the mapping", mapped_from(addr, DEV) and bytes(a[:64]) == want_s[:64])
check("no new view of a closed map", raises(ValueError, memoryview, m) is not None)
del a
check("the last view released unmaps it", not mapped_from(addr, DEV))

with famfs.map(i) as m:
    check("interleaved file through its map", bytes(memoryview(m)) == want_i)
    check("interleaved map is at the device", mapped_from(m.address, DEV))

o1 = ops()
check("no READ request for any of it", o1["read"] == o0["read"], f"{o0['read']} -> {o1['read']}")
check("no GET_FMAP: the maps come from the log in memory",
      o1["get_fmap"] == o0["get_fmap"], f"{o0['get_fmap']} -> {o1['get_fmap']}")

# --- writable map: stores are the file's bytes
with famfs.map(w, writable=True) as m:
    a = np.frombuffer(m, dtype=np.uint8)
    check("writable map gives a writable numpy view", a.flags.writeable and m.writable)
    a[:] = np.arange(len(a), dtype=np.uint64).astype(np.uint8) ^ 0x5A
    mv = memoryview(m)
    mv[0:4] = b"famf"
    famfs.flush(m)
    famfs.flush(m, 4096, 8192)
    famfs.invalidate(m, length=4096)
    check("flush outside the file is refused",
          raises(ValueError, famfs.flush, m, len(m), 1) is not None)
    del a, mv
written = fuse_bytes(w)
expect = bytearray((np.arange(len(written), dtype=np.uint64).astype(np.uint8) ^ 0x5A).tobytes())
expect[0:4] = b"famf"
check("bytes stored through the map are read back through FUSE", written == bytes(expect))
with famfs.map(w) as m:
    check("and through another map", bytes(memoryview(m)) == bytes(expect))

# --- stat: size and extents, checked against the device itself
for path, want in ((s, want_s), (i, want_i)):
    st = famfs.stat(path)
    name = os.path.basename(path)
    check(f"stat({name}).size", st.size == len(want) == os.stat(path).st_size)
    covered = sum(x.length for x in st.extents)
    check(f"stat({name}) extents cover the size rounded to 2 MiB",
          covered == (st.size + (2 << 20) - 1) // (2 << 20) * (2 << 20), f"{covered}")
    off, ok = 0, True
    with open(DEV, "rb") as d:
        for x in st.extents:
            ok &= x.file_offset == off and x.device == 0
            n = min(x.length, len(want) - x.file_offset)
            if n > 0:
                ok &= os.pread(d.fileno(), n, x.device_offset) == want[x.file_offset:x.file_offset + n]
            off += x.length
    check(f"stat({name}) extents: the device holds the file's bytes there", ok)
st = famfs.stat(i)
check("interleaved file: interleaved and several extents", st.interleaved and len(st.extents) > 1)
check("simple file: one extent", not famfs.stat(s).interleaved and len(famfs.stat(s).extents) == 1)
gm = json.loads(subprocess.run([FAMFS, "getmap", "--json", s], check=True,
                               capture_output=True, text=True).stdout)
check("stat agrees with famfs getmap", famfs.stat(s).extents[0].device_offset == gm["extents"][0]["offset"])

# --- the empty-ish and error cases
with famfs.map(e) as m:
    check("a 1-byte file", len(m) == 1 and bytes(memoryview(m)) == fuse_bytes(e))
x = raises(OSError, famfs.map, os.path.join(MNT, "missing"))
check("missing file: FileNotFoundError", isinstance(x, FileNotFoundError), repr(x))
x = raises(OSError, famfs.map, "/etc/hostname")
check("not a famfs file: OSError ENOTTY naming it",
      x is not None and x.errno == errno.ENOTTY and x.filename == "/etc/hostname", repr(x))
x = raises(OSError, famfs.stat, MNT)
check("stat of a directory: IsADirectoryError", isinstance(x, IsADirectoryError), repr(x))
check("map of a path-like object", len(famfs.map(pathlib.Path(s))) == len(want_s))
x = raises(TypeError, famfs.flush, b"not a map")
check("flush of a non-map: TypeError", x is not None)

print(f"{PASS} passed, {FAIL} failed")
sys.exit(1 if FAIL or not PASS else 0)
