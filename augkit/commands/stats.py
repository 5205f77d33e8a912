"""``augkit stats DIR --out stats.json``: exact dataset statistics, saved for the transforms.

The output's folder must exist and be writable: that is checked before the pass, so a long
pass never ends in an error about where to write. Exit status: 0 written; 1 no images, an
undecodable image (without ``--on-error skip``), an unreadable sub-folder with ``--strict``,
or an unwritable output; 2 bad options; 130 / 143 interrupted (Ctrl-C / SIGTERM), nothing
written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the stats command's options."""
    parser.add_argument(
        "folder",
        metavar="DIR",
        nargs="+",
        help="folder of images (searched recursively, each linked folder once), or WebDataset tar shards: paths, globs or"
        " brace patterns such as 'shards/shard-{000000..000009}.tar'",
    )
    parser.add_argument("--out", required=True, help="output JSON file, in an existing folder (the mean image goes beside it as .npy)")
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
    parser.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="an image that cannot be decoded: stop (raise, the default) or leave it out, then count and list it (skip)",
    )
    parser.add_argument("--strict", action="store_true", help="fail on a sub-folder that cannot be read (default: skip it with a warning)")
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="split the work among torch.distributed ranks (run under torchrun; gloo); rank 0 writes the file",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _size(text: str) -> int | tuple[int, int]:
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or HxW, got {text!r}") from None
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return (parts[0], parts[1])
    raise argparse.ArgumentTypeError(f"expected N or HxW, got {text!r}")


def _output_problem(out: str) -> str | None:
    """Why ``out`` cannot be written (checked before the pass), or None."""
    path = Path(out)
    folder = path.parent
    if path.is_dir():
        return f"--out {out} is a folder; give a file name such as {path / 'stats.json'}"
    if not folder.is_dir():
        return f"the output folder {folder} does not exist (create it first)"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the output folder {folder} is not writable"
    return None


def run(args: argparse.Namespace) -> int:
    """Compute the statistics of ``args.folder``, save them to ``args.out``, print a summary."""
    from augkit.cli import interrupted_status

    for name in ("workers", "batch_size"):
        if getattr(args, name) < (1 if name == "batch_size" else 0):
            print(f"augkit stats: error: --{name.replace('_', '-')} must be >= {1 if name == 'batch_size' else 0}", file=sys.stderr)
            return 2
    problem = _output_problem(args.out)
    if problem:
        print(f"augkit stats: error: {problem}", file=sys.stderr)
        return 1
    import augkit.stats
    from augkit.io import MAX_PIXELS

    source = args.folder[0] if len(args.folder) == 1 else list(args.folder)
    rank, started = _start_distributed() if args.distributed else (0, False)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                stats = augkit.stats.compute(
                    source,
                    mean_image_size=args.mean_image_size,
                    workers=args.workers,
                    batch_size=args.batch_size,
                    progress=not args.no_progress,
                    on_error=args.on_error,
                    strict=args.strict,
                    max_pixels=MAX_PIXELS if args.max_pixels is None else args.max_pixels,
                    distributed=args.distributed,
                )
            finally:
                if rank == 0:
                    _report(caught)
        if rank == 0:
            stats.save(args.out)
    except KeyboardInterrupt as error:
        print("augkit stats: interrupted, nothing written", file=sys.stderr)
        return interrupted_status(error)
    except (ValueError, TypeError, OSError) as error:
        print(f"augkit stats: error: {error}", file=sys.stderr)
        return 1
    finally:
        if started:
            _stop_distributed()
    if rank != 0:
        return 0
    elapsed = time.perf_counter() - start
    print(stats.summary())
    print(f"{stats.num_images / elapsed:.0f} images/s; written to {args.out}")
    return 0


def _start_distributed() -> tuple[int, bool]:
    """Join the ``torch.distributed`` group torchrun describes (gloo) unless joined already; return ``(rank, joined here)``."""
    import torch.distributed as dist

    started = not dist.is_initialized()
    if started:
        dist.init_process_group(backend="gloo")
    return dist.get_rank(), started


def _stop_distributed() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def _report(caught: list[warnings.WarningMessage]) -> None:
    """Print the warnings on stderr; every skipped image on a line of its own."""
    from augkit.stats import SkippedImagesWarning

    for warning in caught:
        message = warning.message
        if isinstance(message, SkippedImagesWarning):
            print(f"augkit stats: skipped {len(message.skipped)} image(s) that could not be decoded:", file=sys.stderr)
            for source, reason in message.skipped:
                print(f"  {source}: {reason}", file=sys.stderr)
        else:
            print(f"augkit stats: {message}", file=sys.stderr)
