#!/usr/bin/env python
"""Build a deterministic ImageNet-like JPEG folder for ``augkit bench``.

The images are deterministic random crops, rescales and flips of real photos: by default
the repository's ``samples/`` folder (photos copied from the scikit-image and scikit-learn
wheels, see ``samples/LICENSES.md``), so nothing is downloaded. ``--source DIR`` (repeatable)
takes photos from other folders instead, e.g. the unpacked wheels::

    pip download --no-deps scikit-image scikit-learn -d /tmp/wheels
    cd /tmp/wheels && unzip -o -q 'scikit_image-*.whl' 'skimage/data/*' \
        && unzip -o -q 'scikit_learn-*.whl' 'sklearn/datasets/images/*'
    python scripts/make_bench_data.py --source /tmp/wheels/skimage/data \
        --source /tmp/wheels/sklearn/datasets/images

Output: ``OUT/class_XX/img_NNNNN.jpg`` in ``--classes`` folders; JPEG quality 90, 4:2:0
chroma subsampling, shorter side in [300, 500], longer side at most 640 (ImageNet's
validation images average about 500x375). The same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = "/tmp/augkit-bench-data"
SUFFIXES = (".jpg", ".jpeg", ".png")
MIN_SOURCE_SIDE = 200


def load_sources(folders: list[Path]) -> list[tuple[str, Image.Image]]:
    """Load every photo (RGB) of at least ``MIN_SOURCE_SIDE`` pixels per side, sorted by name."""
    sources = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in SUFFIXES:
                continue
            with Image.open(path) as pil:
                if min(pil.size) < MIN_SOURCE_SIDE:
                    continue
                sources.append((path.name, pil.convert("RGB")))
    if not sources:
        raise SystemExit(f"no usable photos (.jpg/.png, sides >= {MIN_SOURCE_SIDE}) under {', '.join(map(str, folders))}")
    return sources


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
    image = source.crop((left, top, left + crop_w, top + crop_h)).resize((out_w, out_h), Image.BICUBIC)
    if rng.random() < 0.5:
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
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
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("-n", "--n-images", type=int, default=1000, help="number of JPEGs (default 1000)")
    parser.add_argument("--classes", type=int, default=10, help="class folders (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--source", action="append", type=Path, help="folder of source photos (repeatable; default: the repo's samples/)")
    args = parser.parse_args(argv)
    if args.n_images < 1 or args.classes < 1:
        parser.error("--n-images and --classes must be >= 1")
    sources = load_sources(args.source or [REPO / "samples"])
    out = Path(args.out)
    paths = build(out, sources, args.n_images, args.classes, args.seed)
    sizes = np.array([Image.open(p).size for p in paths])
    print(
        f"wrote {len(paths)} JPEGs from {len(sources)} source photos to {out}"
        f" (mean {sizes[:, 0].mean():.0f}x{sizes[:, 1].mean():.0f}, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
