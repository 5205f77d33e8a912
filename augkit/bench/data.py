"""The benchmark's JPEGs: a deterministic ImageNet-like set built from photos, cached per user.

The images are deterministic random crops, rescales and flips of real photos (by default the
photos bundled with augkit, ``augkit.samples``), so nothing is downloaded: JPEG quality 90,
4:2:0 chroma subsampling, shorter side in [300, 500], longer side at most 640 (ImageNet's
validation images average about 500x375), in class folders ``class_XX/img_NNNNN.jpg``. The
same arguments give the same bytes (with the same Pillow).

``augkit bench`` without ``--data`` uses ``default_data_dir()`` and builds the set there on
first use.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from augkit._atomic import atomic_write_bytes, atomic_write_text
from augkit.samples import sample_paths

SUFFIXES = (".jpg", ".jpeg")
SOURCE_SUFFIXES = (".jpg", ".jpeg", ".png")
MIN_SOURCE_SIDE = 200
#: The default set: its size, classes and seed (recorded in ``MANIFEST`` beside the images).
DEFAULT_IMAGES, DEFAULT_CLASSES, DEFAULT_SEED = 1000, 10, 0
MANIFEST = "augkit-bench-data.json"


def default_data_dir() -> Path:
    """``$XDG_CACHE_HOME/augkit/bench-data`` (``~/.cache/augkit/bench-data`` when it is unset)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "augkit" / "bench-data"


def load_sources(paths: list[Path]) -> list[tuple[str, Image.Image]]:
    """Load every photo (RGB) of at least ``MIN_SOURCE_SIDE`` pixels per side, in the order given."""
    sources = []
    for path in paths:
        if path.suffix.lower() not in SOURCE_SUFFIXES:
            continue
        with Image.open(path) as pil:
            if min(pil.size) < MIN_SOURCE_SIDE:
                continue
            sources.append((path.name, pil.convert("RGB")))
    if not sources:
        raise FileNotFoundError(f"no usable photos (.jpg/.png, sides >= {MIN_SOURCE_SIDE}) among {len(paths)} files")
    return sources


def source_paths(folders: list[Path] | None = None) -> list[Path]:
    """The photos under ``folders`` (recursive), or augkit's bundled sample photos."""
    if not folders:
        return list(sample_paths())
    return [p for folder in folders for p in sorted(Path(folder).rglob("*")) if p.is_file()]


def make_image(rng: np.random.Generator, source: Image.Image) -> Image.Image:
    """One deterministic variant: a random crop of the source, rescaled, maybe flipped."""
    shorter = int(rng.integers(300, 501))
    aspect = float(rng.uniform(1.0, 1.45))
    longer = min(int(round(shorter * aspect)), 640)
    portrait = bool(rng.random() < 0.25)
    out_w, out_h = (shorter, longer) if portrait else (longer, shorter)
    # A crop of the source with the output's aspect, covering 40-100% of the largest such box.
    src_w, src_h = source.size
    box_scale = min(src_w / out_w, src_h / out_h)
    fraction = float(np.sqrt(rng.uniform(0.4, 1.0)))
    crop_w = max(1, int(out_w * box_scale * fraction))
    crop_h = max(1, int(out_h * box_scale * fraction))
    left = int(rng.integers(0, src_w - crop_w + 1))
    top = int(rng.integers(0, src_h - crop_h + 1))
    image = source.crop((left, top, left + crop_w, top + crop_h)).resize((out_w, out_h), Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return image


def build(out: Path, sources: list[tuple[str, Image.Image]], n: int, classes: int, seed: int, quality: int = 90) -> list[Path]:
    """Write ``n`` JPEGs into ``classes`` folders under ``out``; return their paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for c in range(classes):
        (out / f"class_{c:02d}").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        _, source = sources[int(rng.integers(len(sources)))]
        image = make_image(rng, source)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, subsampling=2, optimize=False)
        path = out / f"class_{i % classes:02d}" / f"img_{i:05d}.jpg"
        atomic_write_bytes(path, buffer.getvalue(), fsync=False)
        paths.append(path)
    return paths


def ensure_default_data(folder: Path | None = None, log=print) -> Path:
    """Return the default benchmark folder, building it from the bundled photos if it is missing.

    ``MANIFEST``, written last, records a complete build; a folder without it (an interrupted
    build) or with another one is emptied and built again.

    Args:
        folder: Where the set lives (default ``default_data_dir()``).
        log: Called with one line before a build starts.

    Returns:
        The folder.
    """
    folder = Path(folder) if folder is not None else default_data_dir()
    wanted = {"images": DEFAULT_IMAGES, "classes": DEFAULT_CLASSES, "seed": DEFAULT_SEED, "sources": "bundled sample photos"}
    manifest = folder / MANIFEST
    try:
        if json.loads(manifest.read_text(encoding="utf-8")) == wanted:
            return folder
    except (OSError, ValueError):
        pass
    log(f"building the benchmark set: {DEFAULT_IMAGES} JPEGs from the bundled sample photos in {folder} (once)")
    if folder.exists():
        shutil.rmtree(folder)
    build(folder, load_sources(source_paths()), DEFAULT_IMAGES, DEFAULT_CLASSES, DEFAULT_SEED)
    atomic_write_text(manifest, json.dumps(wanted))
    return folder


def find_images(folder: Path, n: int | None) -> list[Path]:
    """The first ``n`` JPEGs under ``folder`` (sorted, recursive)."""
    paths = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in SUFFIXES)
    if not paths:
        raise FileNotFoundError(f"no JPEGs under {folder}: build a set with scripts/make_bench_data.py --out {folder}, or omit --data")
    return paths[:n] if n else paths
