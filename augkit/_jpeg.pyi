# Type stub of the C extension augkit._jpeg (augkit/_ext/jpeg.c).
import numpy as np

def decode_window(
    data: bytes,
    out: np.ndarray,
    top: int,
    left: int,
    height: int,
    width: int,
    check_rest: bool = True,
    channels: int = 3,
    exact_only: bool = False,
) -> bool: ...
