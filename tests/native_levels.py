"""``at_level``: run a C extension at one SIMD level in a test, then restore the level it had."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: The levels of augkit/_ext/simd.h; a CPU without one runs the next below it instead.
LEVELS = ("portable", "sse2", "avx2")


@contextmanager
def at_level(module, name: str) -> Iterator[str]:
    """Switch ``module`` (an extension with ``simd_level``) to ``name``; yields the level it got."""
    default = module.simd_level()
    module.simd_level(name)
    try:
        yield module.simd_level()
    finally:
        module.simd_level(default)
