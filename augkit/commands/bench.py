"""``augkit bench``: augkit and its peers side by side on the same JPEGs (see ``augkit.bench``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options."""
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder of JPEGs (default: a set of 1,000 built once from the bundled sample photos in $XDG_CACHE_HOME/augkit/bench-data)",
    )
    parser.add_argument("--cases", default="all", help="comma-separated case numbers 1-9 or names (default all)")
    parser.add_argument("--n-images", type=int, default=None, help="use the first N images (default all)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions per implementation (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch / OpenCV threads (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")


def run(args: argparse.Namespace) -> int:
    """Run the chosen cases and print the table."""
    from augkit import bench

    try:
        cases = bench.parse_cases(args.cases)
    except ValueError as error:
        print(f"augkit bench: {error}")
        return 2
    if args.repeats < 1 or (args.n_images is not None and args.n_images < 1):
        print("augkit bench: --repeats and --n-images must be >= 1")
        return 2
    try:
        data = (
            args.data if args.data is not None else bench.ensure_default_data(log=lambda line: print(f"augkit bench: {line}", flush=True))
        )
        figures = bench.run_benchmark(data, cases, args.n_images, args.repeats, args.threads, args.seed)
    except FileNotFoundError as error:
        print(f"augkit bench: {error}")
        return 2
    if args.json:
        bench.write_json(figures, args.json)
        print(f"figures written to {args.json}")
    return 0
