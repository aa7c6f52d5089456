"""Loads slmkit's checkpoint files with Python's safetensors library and checks the CRC-32s that slmkit
writes into their __metadata__ ("crc32:NAME" per tensor) with zlib.crc32, as any reader can.

    python3 scripts/golden/check_safetensors.py RUN_DIR/model.safetensors RUN_DIR/optimizer.safetensors
"""
import sys
import zlib

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

for path in sys.argv[1:]:
    tensors = load_file(path)  # the library's own checks: header, offsets covering the data exactly
    with safe_open(path, framework="np") as f:
        meta = f.metadata() or {}
    checked = 0
    for name, t in tensors.items():
        want = meta.get("crc32:" + name)
        if want is None:
            continue
        got = format(zlib.crc32(np.ascontiguousarray(t).tobytes()) & 0xFFFFFFFF, "08x")
        assert got == want, f"{path}: {name} crc32 {got} != {want}"
        checked += 1
    print(f"{path}: {len(tensors)} tensors loaded, {checked} CRC-32s match, metadata keys: {sorted(k for k in meta if not k.startswith('crc32:'))}")
