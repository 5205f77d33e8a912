"""``before_a_guard_page``: arrays whose last byte is followed by an inaccessible page (native read checks)."""

from __future__ import annotations

import numpy as np


def before_a_guard_page(image: np.ndarray):
    """A copy of image whose last byte is followed by an inaccessible page (Linux), or None.

    Returns ``(copy, memory)``: keep ``memory`` alive while ``copy`` is used. A C kernel
    reading past the copy's end crashes the test process instead of passing unnoticed.
    """
    import ctypes
    import mmap
    import sys

    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    pages = -(-image.nbytes // mmap.PAGESIZE) + 1
    memory = mmap.mmap(-1, pages * mmap.PAGESIZE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    if libc.mprotect(base + (pages - 1) * mmap.PAGESIZE, mmap.PAGESIZE, 0) != 0:
        return None
    copy = np.frombuffer(memory, image.dtype, image.size, (pages - 1) * mmap.PAGESIZE - image.nbytes).reshape(image.shape)
    copy[...] = image
    return copy, memory
