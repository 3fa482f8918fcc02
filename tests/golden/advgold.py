"""The ADVGOLD1 file format of make_golden.py (read by tests/support/golden.hpp), for the golden scripts
that store whole float32 tensors only: magic, record count, then per record its name, kind 0 (whole),
rank, shape and little-endian float32 values."""
import struct

import numpy as np


def write_whole(path, records):
    """records: {name: array}, written in order, each as float32."""
    with open(path, "wb") as f:
        f.write(b"ADVGOLD1")
        f.write(struct.pack("<I", len(records)))
        for name, a in records.items():
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)) + nb)
            f.write(struct.pack("<II", 0, a.ndim))
            f.write(struct.pack(f"<{a.ndim}q", *a.shape))
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())
