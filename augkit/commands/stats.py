"""``augkit stats DIR --out stats.json``: exact dataset statistics, saved for the transforms."""

from __future__ import annotations

import argparse
import sys
import time
import warnings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the stats command's options."""
    parser.add_argument("folder", metavar="DIR", help="folder of images (searched recursively)")
    parser.add_argument("--out", required=True, help="output JSON file (the mean image goes beside it as .npy)")
    parser.add_argument(
        "--mean-image-size",
        type=_size,
        default=None,
        metavar="N|HxW",
        help="also compute the mean image, each image resized to N x N (or H x W) first",
    )
    parser.add_argument("--workers", type=int, default=0, help="decoding worker processes (default 0: this process)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per worker task (default 32)")
    parser.add_argument(
        "--max-pixels", type=int, default=None, metavar="N", help="refuse images declaring more than N pixels (default 89478485)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _size(text: str):
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or HxW, got {text!r}") from None
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return tuple(parts)
    raise argparse.ArgumentTypeError(f"expected N or HxW, got {text!r}")


def run(args: argparse.Namespace) -> int:
    """Compute the statistics of ``args.folder``, save them to ``args.out``, print a summary."""
    from augkit.io import MAX_PIXELS
    from augkit.stats import compute

    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            stats = compute(
                args.folder,
                mean_image_size=args.mean_image_size,
                workers=args.workers,
                batch_size=args.batch_size,
                progress=not args.no_progress,
                max_pixels=MAX_PIXELS if args.max_pixels is None else args.max_pixels,
            )
        for warning in caught:
            print(f"augkit stats: {warning.message}", file=sys.stderr)
        stats.save(args.out)
    except KeyboardInterrupt:
        print("augkit stats: interrupted, nothing written", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError) as error:
        print(f"augkit stats: error: {error}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    print(stats.summary())
    print(f"{stats.num_images / elapsed:.0f} images/s; written to {args.out}")
    return 0
