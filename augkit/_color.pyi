# Type stub of the C extension augkit._color (augkit/_ext/color.c).
from collections.abc import Sequence

import numpy as np

def jitter(
    image: np.ndarray,
    out: np.ndarray,
    brightness: float | None,
    contrast: float | None,
    saturation: float | None,
    hue: float | None,
    order: Sequence[int] | np.ndarray,
    planar: bool = False,
) -> None: ...
def simd_level(level: str | None = None) -> str: ...
def _simd(enable: bool = ...) -> bool: ...
