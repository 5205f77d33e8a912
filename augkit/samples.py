"""The bundled sample photos (licences in ``augkit/samples_data/LICENSES.md``).

The photos ship inside the package, so they are there in any install (a wheel, an
editable checkout); in a checkout ``samples/`` links to the same folder.

Example:
    >>> [p.name for p in sample_paths()][:3]
    ['astronaut.png', 'camera.png', 'chelsea.png']
    >>> sample_path("china.jpg").name
    'china.jpg'
"""

from __future__ import annotations

from pathlib import Path

#: Suffixes of the bundled photos (the other file there is LICENSES.md).
_PHOTO_SUFFIXES = (".jpg", ".png")


def sample_dir() -> Path:
    """Return the folder of the bundled sample photos.

    Returns:
        The ``samples_data`` folder inside the installed ``augkit`` package.

    Raises:
        FileNotFoundError: The folder is missing (a broken install).
    """
    folder = Path(__file__).resolve().parent / "samples_data"
    if not folder.is_dir():
        raise FileNotFoundError(f"the bundled samples folder {folder} is missing: reinstall augkit")
    return folder


def sample_paths() -> list[Path]:
    """Return the bundled sample photos, sorted by name.

    Returns:
        Paths of the eight photos (JPEG and PNG).
    """
    return sorted(p for p in sample_dir().iterdir() if p.suffix.lower() in _PHOTO_SUFFIXES)


def sample_path(name: str) -> Path:
    """Return the path of one bundled sample photo.

    Args:
        name: Its file name, e.g. ``"china.jpg"``.

    Returns:
        The path.

    Raises:
        FileNotFoundError: No bundled photo has that name (the message lists them).
    """
    by_name = {p.name: p for p in sample_paths()}
    if name not in by_name:
        raise FileNotFoundError(f"no bundled sample photo named {name!r}; there are: {', '.join(by_name)}")
    return by_name[name]
