"""A cheap HDF5 sanity check run before libhdf5 opens a file.

libhdf5 can loop forever in C on a file whose bytes were shifted (a byte inserted or cut inside
a data block), where neither Ctrl-C nor a Python timeout can stop it. Every HDF5 file records
its own length (the superblock's end-of-file address); a file whose size disagrees was
truncated or altered, and is refused here, before libhdf5 reads anything else.
"""

import struct

from tfjs_export.converter.errors import ConversionError

SIGNATURE = b"\x89HDF\r\n\x1a\n"
HEAD_BYTES = 64  # enough for every superblock version's fixed part with 8-byte addresses


def check_hdf5_size(head, size, path, what="HDF5 file"):
    """Refuse `what` (whose first HEAD_BYTES are `head`, total `size` bytes) when its superblock's
    end-of-file address disagrees with its size. Files with a user block are not checked."""
    if not head.startswith(SIGNATURE) or len(head) < 16:
        return
    version = head[8]
    if version in (0, 1):
        offsets, base_at = head[13], 24 if version == 0 else 28
    elif version in (2, 3):
        offsets, base_at = head[9], 12
    else:
        raise ConversionError(f"{what}: unknown HDF5 superblock version {version}", path)
    if offsets not in (2, 4, 8) or len(head) < base_at + 3 * offsets:
        raise ConversionError(f"{what}: corrupt HDF5 superblock (address size {offsets})", path)
    fmt = {2: "<H", 4: "<I", 8: "<Q"}[offsets]
    base = struct.unpack_from(fmt, head, base_at)[0]
    end = struct.unpack_from(fmt, head, base_at + 2 * offsets)[0]
    if base + end != size:
        raise ConversionError(f"{what} is {size:,} bytes but its HDF5 header records {base + end:,}: "
                              "truncated or altered", path)


def check_hdf5_file(path, what="HDF5 file"):
    """check_hdf5_size for a file on disk."""
    import os
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    check_hdf5_size(head, os.path.getsize(path), path, what)
