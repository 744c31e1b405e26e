"""Reader for the IDX format used by MNIST-style datasets.

An IDX file is a big-endian header (two zero bytes, a dtype code, the number of
dimensions, then one uint32 per dimension) followed by the raw payload. Debian's
`dataset-fashion-mnist` ships them gzip-compressed with checksums that differ
from the upstream files, so we read the payload ourselves instead of going
through a checksum-verifying loader.
"""

import gzip
import os
import struct

import numpy as np

_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """Reads an IDX file (optionally `.gz`) into a numpy array.

    Args:
        path: path of the file.

    Returns:
        A numpy array whose shape is given by the file's header.

    Raises:
        ValueError: if the header is not an IDX header or the payload size does
            not match the header.

    Example:

    >>> images = read_idx("/usr/share/datasets/fashion-mnist/"
    ...                   "t10k-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> images.shape  # doctest: +SKIP
    (10000, 28, 28)
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{os.fspath(path)!r} is not an IDX file: expected the header to start "
            f"with two zero bytes, got {data[:4]!r}."
        )
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        raise ValueError(
            f"{os.fspath(path)!r}: unknown IDX dtype code 0x{code:02x}; "
            f"expected one of {sorted(hex(c) for c in _DTYPES)}."
        )
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    dtype = np.dtype(_DTYPES[code])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - offset != expected:
        raise ValueError(
            f"{os.fspath(path)!r}: header announces shape {dims} ({expected} bytes) "
            f"but the payload holds {len(data) - offset} bytes; the file is "
            "truncated or corrupt. Reinstall it (apt-get install --reinstall "
            "dataset-fashion-mnist)."
        )
    array = np.frombuffer(data, dtype=dtype, offset=offset).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True)
