"""The bundled sample photos (see ``samples/LICENSES.md``)."""

from __future__ import annotations

from pathlib import Path

from augkit.io import IMAGE_SUFFIXES


def sample_dir() -> Path:
    """Return the folder of bundled sample photos (the repository's ``samples/``)."""
    folder = Path(__file__).resolve().parent.parent / "samples"
    if not folder.is_dir():
        raise FileNotFoundError(f"the bundled samples folder {folder} is missing (install augkit from a checkout)")
    return folder


def sample_paths() -> list[Path]:
    """Return the bundled sample photos, sorted by name."""
    return sorted(p for p in sample_dir().iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
