"""Writing preview PNGs safely: marked as augkit's, written atomically, never over a foreign file."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, PngImagePlugin

from augkit._atomic import atomic_write

#: The PNG text chunk that marks files written by ``save_png``.
SOFTWARE_KEY = "Software"
SOFTWARE_VALUE = "augkit preview"


def is_augkit_png(path: str | os.PathLike) -> bool:
    """True when ``path`` is a PNG carrying augkit's ``Software`` text chunk."""
    try:
        with Image.open(path) as image:
            return image.format == "PNG" and str(getattr(image, "text", {}).get(SOFTWARE_KEY, "")).startswith("augkit")
    except (OSError, ValueError, SyntaxError):
        return False


def save_png(image: Image.Image, path: str | os.PathLike, *, force: bool = False, metadata: dict[str, str] | None = None) -> Path:
    """Write ``image`` as a PNG marked ``Software=augkit preview``, atomically.

    The PNG is written to a temporary file beside ``path`` and moved over it with
    ``os.replace`` (``augkit._atomic``), so a reader never sees half a file.

    Args:
        image: The grid.
        path: Where to write.
        force: Overwrite ``path`` even when it exists and is not a PNG augkit made.
        metadata: More PNG text chunks (e.g. the command line), key -> value.

    Returns:
        The path written.

    Raises:
        FileExistsError: ``path`` exists, is not an augkit PNG, and ``force`` is False.
        IsADirectoryError: ``path`` is a directory.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name such as {path / 'augkit-preview.png'}")
    if path.exists() and not force and not is_augkit_png(path):
        raise FileExistsError(f"{path} exists and is not a preview augkit made; refusing to overwrite it (use --force)")
    info = PngImagePlugin.PngInfo()
    info.add_text(SOFTWARE_KEY, SOFTWARE_VALUE)
    for key, value in (metadata or {}).items():
        info.add_text(key, value)
    with atomic_write(path) as handle:
        image.save(handle, format="PNG", pnginfo=info)
    return path
