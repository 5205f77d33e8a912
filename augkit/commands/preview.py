"""``augkit preview``: a captioned grid of augmented variants of a few images.

Exit status: 0 when the grid was written (bad images among several are skipped, each named
on stderr); 1 when no image could be decoded (a single bad image is an error naming the
file) or a ``--mask`` file cannot be read or does not fit its image; 2 for bad options
(unknown preset, unreadable config or stats file, ``-n`` / ``--size`` out of range, an
output file augkit did not make without ``--force``).

Only ``argparse`` is imported until ``run``: ``augkit preview --help`` needs no torch.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DEFAULT_OUT = "augkit-preview.png"
#: Pillow modes a label image of indices may have (``P``: palette indices, never the RGB colours).
MASK_MODES = ("P", "L", "1", "I", "I;16", "I;16L", "I;16B")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the preview's options."""
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files, one grid row each")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", metavar="NAME", help="a preset of augkit.presets, e.g. resnet_train (an unknown name lists them)")
    source.add_argument("--config", metavar="FILE", help="a pipeline YAML/JSON file (one pipeline, or {sample: ..., batch: ...})")
    parser.add_argument("--stats", metavar="FILE", help="a stats.json written by `augkit stats`, passed to --preset")
    parser.add_argument("--mask", nargs="+", metavar="PATH", help="label PNGs (palette or grayscale indices), one per image, in order")
    parser.add_argument("-n", type=int, default=16, help="augmented variants per image, 1 to 256 (default 16)")
    parser.add_argument("--seed", type=int, default=0, help="variant k of image i uses derive_generator(seed, 0, i*n+k) (default 0)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output PNG (default ./{DEFAULT_OUT})")
    parser.add_argument(
        "--size", type=int, default=224, help="tile side in pixels, 8 to 2048; also the default pipeline's crop (default 224)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite --out even if it is not a preview augkit made")


def _error(message: str, status: int) -> int:
    print(f"augkit preview: error: {message}", file=sys.stderr)
    return status


def _check_options(args: argparse.Namespace) -> str | None:
    """The first problem with the options (before any file is read), or None."""
    from augkit.preview import MAX_TILE, MAX_VARIANTS
    from augkit.preview.grid import check_grid_options

    if not 1 <= args.n <= MAX_VARIANTS:
        return f"-n must be in [1, {MAX_VARIANTS}], got {args.n}"
    if not 8 <= args.size <= MAX_TILE:
        return f"--size must be in [8, {MAX_TILE}], got {args.size}"
    if args.stats and not args.preset:
        return "--stats needs --preset (the preset is built with these statistics)"
    if args.mask and len(args.mask) != len(args.images):
        return f"--mask needs one file per image: got {len(args.mask)} masks for {len(args.images)} images"
    try:
        check_grid_options(args.n, args.size, len(args.images))
    except ValueError as error:
        return str(error)
    return None


def _pipeline(args: argparse.Namespace):
    """Return ``(pipeline, description)``; ValueError / TypeError for a bad preset, stats or config file."""
    from augkit import presets
    from augkit.preview import default_pipeline, load_pipeline_config
    from augkit.stats import Stats

    if args.preset:
        preset = presets.get(args.preset)
        if args.stats:
            return preset(Stats.load(args.stats)), f"preset {args.preset} with stats {Path(args.stats).name}"
        return preset(), f"preset {args.preset}"
    if args.config:
        return load_pipeline_config(args.config), f"config {Path(args.config).name}"
    return default_pipeline(args.size), f"default pipeline: RandomResizedCrop({args.size}) + HorizontalFlip()"


def read_mask(path: str):
    """Read a label image as an ``[H, W]`` array of indices (a palette PNG gives its palette indices).

    Raises:
        ValueError: The file cannot be read, or is not a label image (RGB, or with alpha);
            the message names it.
    """
    import numpy as np
    from PIL import Image

    from augkit.errors import ImageDecodeError
    from augkit.io import read_file

    try:
        with Image.open(io.BytesIO(read_file(path))) as image:
            if image.mode not in MASK_MODES:
                raise ValueError(f"mask {path} is a {image.mode} image, not a label image of indices (a palette or grayscale PNG)")
            array = np.asarray(image)
    except ImageDecodeError as error:
        raise ValueError(f"cannot read mask {error.source}: {error.reason}") from error
    except (OSError, SyntaxError) as error:  # PIL.UnidentifiedImageError is an OSError
        raise ValueError(f"cannot read mask {path}: {error}") from error
    return array.astype(np.uint8) if array.dtype == bool else array


def _load(args: argparse.Namespace):
    """Decode the images (and masks); return ``(rows, labels, skipped)``, or an exit status."""
    from augkit.errors import ImageDecodeError
    from augkit.io import decode
    from augkit.targets import Sample

    rows: list[np.ndarray | Sample] = []
    labels: list[str] = []
    skipped: list[str] = []
    for path, mask_path in zip(args.images, args.mask or [None] * len(args.images)):
        try:
            image = decode(path)
        except ImageDecodeError as error:
            if len(args.images) == 1:
                return _error(str(error), 1)
            skipped.append(path)
            print(f"augkit preview: skipping {path}: {error.reason}", file=sys.stderr)
            continue
        if mask_path is not None:
            try:
                mask = read_mask(mask_path)
            except ValueError as error:
                return _error(str(error), 1)
            if mask.shape[:2] != image.shape[:2]:
                size, mask_size = f"{image.shape[1]}x{image.shape[0]}", f"{mask.shape[1]}x{mask.shape[0]}"
                return _error(f"mask {mask_path} is {mask_size} but image {path} is {size}: a mask must match its image", 1)
            rows.append(Sample(image, mask=mask))
        else:
            rows.append(image)
        labels.append(Path(path).name)
    if not rows:
        return _error(f"none of the {len(args.images)} images could be decoded", 1)
    return rows, labels, skipped


def run(args: argparse.Namespace) -> int:
    """Decode the images, render the grid, write the PNG; return the exit status."""
    from augkit.preview import render_grid, save_png, split_pipeline

    problem = _check_options(args)
    if problem:
        return _error(problem, 2)
    try:
        pipeline, description = _pipeline(args)
        stages = split_pipeline(pipeline)
    except (ValueError, TypeError) as error:
        return _error(str(error), 2)
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    rows, labels, skipped = loaded

    title = f"augkit preview \u00b7 {description} \u00b7 seed {args.seed} \u00b7 variant #k of row i uses derive_generator({args.seed}, 0, i*{args.n}+k)"
    try:
        grid, layout = render_grid(rows, pipeline, n=args.n, seed=args.seed, size=args.size, labels=labels, title=title)
        metadata = {"Description": title, "augkit-pipeline": json.dumps(stages.to_config())}
        out = save_png(grid, args.out, force=args.force, metadata=metadata)
    except (FileExistsError, IsADirectoryError) as error:
        return _error(str(error), 2)
    except (ValueError, TypeError) as error:
        return _error(f"the pipeline failed on an image: {error}", 2)
    except OSError as error:
        return _error(f"cannot write {args.out}: {error.strerror or error}", 2)
    width, height = layout.size
    print(f"augkit preview: wrote {out} ({width}x{height}: {layout.rows} rows x {layout.cols} columns, original + {args.n} variants)")
    if skipped:
        print(f"augkit preview: skipped {len(skipped)} of {len(args.images)} images (named above)")
    return 0
