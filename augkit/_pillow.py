"""Opening images with Pillow under augkit's per-call pixel limit.

Pillow's decompression-bomb limit is one process-wide number (``PIL.Image.MAX_IMAGE_PIXELS``)
that other code in the process relies on, so augkit never changes it. Instead, Pillow's
size check is wrapped once: inside ``pixel_limit(n)`` (and only in the thread that entered
it) images are checked against ``n``; everywhere else the wrapper calls Pillow's own check,
unchanged.
"""

from __future__ import annotations

import contextlib
import threading

from PIL import Image

_state = threading.local()
_install_lock = threading.Lock()
_installed = False


def _install() -> None:
    """Wrap Pillow's size check (once per process) so a thread can set its own limit."""
    global _installed
    with _install_lock:
        if _installed:
            return
        original = getattr(Image, "_decompression_bomb_check", None)
        if original is None:  # pragma: no cover - a Pillow without the hook: its own limit applies
            _installed = True
            return

        def check(size, *args, **kwargs) -> None:
            limit = getattr(_state, "max_pixels", None)
            if limit is None:
                return original(size, *args, **kwargs)
            pixels = max(1, size[0]) * max(1, size[1])
            if pixels > limit:
                raise Image.DecompressionBombError(f"image size ({size[0]}x{size[1]} = {pixels} pixels) exceeds max_pixels={limit}")
            return None

        check.__wrapped__ = original  # type: ignore[attr-defined]  # the check wraps Pillow's own (functools' convention)
        Image._decompression_bomb_check = check
        _installed = True


@contextlib.contextmanager
def pixel_limit(max_pixels: int):
    """Within the block (in this thread), Pillow refuses images of more than ``max_pixels`` pixels.

    Args:
        max_pixels: The limit, replacing Pillow's ``MAX_IMAGE_PIXELS`` (and its warning
            between one and two times that) for this thread only.
    """
    _install()
    previous = getattr(_state, "max_pixels", None)
    _state.max_pixels = max_pixels
    try:
        yield
    finally:
        _state.max_pixels = previous
