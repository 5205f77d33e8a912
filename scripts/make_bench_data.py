#!/usr/bin/env python
"""Build a deterministic ImageNet-like JPEG folder for ``augkit bench`` (see ``augkit.bench.data``).

The images are deterministic random crops, rescales and flips of real photos: by default the
photos bundled with augkit (copied from the scikit-image and scikit-learn wheels, see
``samples/LICENSES.md``), so nothing is downloaded. ``augkit bench`` builds the default set by
itself on first use; this script builds other sizes, seeds or sources. ``--source DIR``
(repeatable) takes photos from other folders instead, e.g. the unpacked wheels::

    pip download --no-deps scikit-image scikit-learn -d /tmp/wheels
    cd /tmp/wheels && unzip -o -q 'scikit_image-*.whl' 'skimage/data/*' \\
        && unzip -o -q 'scikit_learn-*.whl' 'sklearn/datasets/images/*'
    python scripts/make_bench_data.py --source /tmp/wheels/skimage/data \\
        --source /tmp/wheels/sklearn/datasets/images

Output: ``OUT/class_XX/img_NNNNN.jpg`` in ``--classes`` folders; JPEG quality 90, 4:2:0
chroma subsampling, shorter side in [300, 500], longer side at most 640 (ImageNet's
validation images average about 500x375). The same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from augkit.bench import data  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default {data.default_data_dir()})")
    parser.add_argument("-n", "--n-images", type=int, default=data.DEFAULT_IMAGES, help=f"number of JPEGs (default {data.DEFAULT_IMAGES})")
    parser.add_argument("--classes", type=int, default=data.DEFAULT_CLASSES, help=f"class folders (default {data.DEFAULT_CLASSES})")
    parser.add_argument("--seed", type=int, default=data.DEFAULT_SEED, help=f"random seed (default {data.DEFAULT_SEED})")
    parser.add_argument("--source", action="append", type=Path, help="folder of source photos (repeatable; default: the bundled samples)")
    args = parser.parse_args(argv)
    if args.n_images < 1 or args.classes < 1:
        parser.error("--n-images and --classes must be >= 1")
    try:
        sources = data.load_sources(data.source_paths(args.source))
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from error
    out = args.out or data.default_data_dir()
    paths = data.build(out, sources, args.n_images, args.classes, args.seed)
    sizes = np.array([Image.open(p).size for p in paths])
    print(
        f"wrote {len(paths)} JPEGs from {len(sources)} source photos to {out}"
        f" (mean {sizes[:, 0].mean():.0f}x{sizes[:, 1].mean():.0f}, {sum(p.stat().st_size for p in paths) / 1e6:.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
