"""The rows of a ``.npy`` file, read when asked for: a table of vectors on disk.

Memory-mapping a table of sentence vectors and reading a few scattered rows per search made
the kernel map far more than those rows (measured: 1,600 random rows of a 314 MB table left
300 MB resident in the process, whatever ``madvise`` said). :class:`RowFile` reads exactly
the rows asked for with ``os.pread``: the file's pages stay in the kernel's page cache, shared
and reclaimable, not in the server's resident memory, and nothing is read at load but the
header.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import numpy as np


class RowFile:
    """A read-only C-ordered ``.npy`` array on disk, indexed by rows (an int, a slice of
    step 1, or an array of row numbers); each read returns an in-memory array."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as file:
            major, _ = np.lib.format.read_magic(file)
            if major not in (1, 2):
                raise ValueError(f"npy format {major} is not one ragqa writes")
            read = (np.lib.format.read_array_header_1_0 if major == 1
                    else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read(file)
            self.offset = file.tell()
            size = os.fstat(file.fileno()).st_size
        if fortran and len(shape) > 1:
            raise ValueError("a Fortran-ordered array is not one ragqa writes")
        self.shape: tuple[int, ...] = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.ndim = len(self.shape)
        self.row_bytes = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))
        if self.offset + self.row_bytes * (self.shape[0] if self.shape else 1) > size:
            raise ValueError(f"{path} is shorter than its header says")
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise ValueError("only contiguous slices")
            return self._read(start, max(stop - start, 0))
        if isinstance(key, (int, np.integer)):
            row = int(key) + (len(self) if key < 0 else 0)
            return self._read(row, 1)[0]
        rows = np.asarray(key, dtype=np.int64).ravel()
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        for i, row in enumerate(rows.tolist()):
            out[i] = self._read(row, 1)[0]
        return out

    def _read(self, start: int, count: int) -> np.ndarray:
        if start < 0 or start + count > len(self):
            raise IndexError(f"rows {start}:{start + count} of {len(self)}")
        data = os.pread(self._fd, self.row_bytes * count, self.offset + self.row_bytes * start)
        return np.frombuffer(data, dtype=self.dtype).reshape(count, *self.shape[1:])
