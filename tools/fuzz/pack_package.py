#!/usr/bin/env python3
"""Packs an audit package folder into one file for fuzz_package's corpus:
u8 name length, name, u32 little-endian length, bytes; for each file.

    pack_package.py PKG OUT
"""
import os
import struct
import sys

pkg, out = sys.argv[1], sys.argv[2]
with open(out, "wb") as f:
    for root, _, names in sorted(os.walk(pkg)):
        for n in sorted(names):
            path = os.path.join(root, n)
            name = os.path.relpath(path, pkg).encode()
            with open(path, "rb") as g:
                data = g.read()
            f.write(bytes([len(name)]) + name + struct.pack("<I", len(data)) + data)
