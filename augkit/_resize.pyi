# Type stub of the C extension augkit._resize (augkit/_ext/resize.c).
import numpy as np

def resize_window(
    src: np.ndarray,
    dst: np.ndarray,
    y0: int,
    x0: int,
    in_h: int,
    in_w: int,
    out_h: int,
    out_w: int,
    top: int,
    left: int,
    antialias: bool,
) -> None: ...
def simd_level(level: str | None = None) -> str: ...
