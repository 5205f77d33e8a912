"""``augkit preview``: a captioned grid of augmented variants of a few images.

Exit status: 0 when the grid was written (bad images among several are skipped, each named
on stderr); 1 when no image could be decoded (a single bad image is an error naming the
file); 2 for bad options (unknown preset, unreadable config, an output file augkit did not
make without ``--force``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from augkit.errors import ImageDecodeError
from augkit.io import decode
from augkit.preview import available_presets, default_pipeline, get_preset, load_pipeline_config, render_grid, save_png, split_pipeline

DEFAULT_OUT = "augkit-preview.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the preview's options."""
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files, one grid row each")
    source = parser.add_mutually_exclusive_group()
    presets = ", ".join(available_presets()) or "none in this build"
    source.add_argument("--preset", metavar="NAME", help=f"a preset of augkit.presets ({presets})")
    source.add_argument("--config", metavar="FILE", help="a pipeline YAML/JSON file (one pipeline, or {sample: ..., batch: ...})")
    parser.add_argument("-n", type=int, default=16, help="augmented variants per image (default 16)")
    parser.add_argument("--seed", type=int, default=0, help="variant k of image i uses derive_generator(seed, 0, i*n+k) (default 0)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output PNG (default ./{DEFAULT_OUT})")
    parser.add_argument("--size", type=int, default=224, help="tile side in pixels; also the default pipeline's crop (default 224)")
    parser.add_argument("--force", action="store_true", help="overwrite --out even if it is not a preview augkit made")


def _error(message: str, status: int) -> int:
    print(f"augkit preview: error: {message}", file=sys.stderr)
    return status


def _pipeline(args: argparse.Namespace):
    """Return ``(pipeline, description)``."""
    if args.preset:
        built = get_preset(args.preset)()
        return built, f"preset {args.preset}"
    if args.config:
        return load_pipeline_config(args.config), f"config {Path(args.config).name}"
    return default_pipeline(args.size), f"default pipeline: RandomResizedCrop({args.size}) + HorizontalFlip()"


def _stage_configs(pipeline) -> str:
    sample, batch = split_pipeline(pipeline)
    return json.dumps({"sample": None if sample is None else sample.to_config(), "batch": None if batch is None else batch.to_config()})


def run(args: argparse.Namespace) -> int:
    """Decode the images, render the grid, write the PNG; return the exit status."""
    if args.n < 1:
        return _error(f"-n must be >= 1, got {args.n}", 2)
    if args.size < 8:
        return _error(f"--size must be >= 8, got {args.size}", 2)
    try:
        pipeline, description = _pipeline(args)
        split_pipeline(pipeline)
    except (ValueError, TypeError) as error:
        return _error(str(error), 2)

    images, labels, skipped = [], [], []
    for path in args.images:
        try:
            images.append(decode(path))
            labels.append(Path(path).name)
        except ImageDecodeError as error:
            if len(args.images) == 1:
                return _error(str(error), 1)
            skipped.append(path)
            print(f"augkit preview: skipping {path}: {error.reason}", file=sys.stderr)
    if not images:
        return _error(f"none of the {len(args.images)} images could be decoded", 1)

    title = f"augkit preview \u00b7 {description} \u00b7 seed {args.seed} \u00b7 variant #k of row i uses derive_generator({args.seed}, 0, i*{args.n}+k)"
    try:
        grid, layout = render_grid(images, pipeline, n=args.n, seed=args.seed, size=args.size, labels=labels, title=title)
        metadata = {"Description": title, "augkit-pipeline": _stage_configs(pipeline)}
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
