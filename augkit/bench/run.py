"""``run_benchmark``: the chosen cases on a folder of JPEGs, printed as a table and returned as figures."""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from augkit import io as augkit_io
from augkit.bench.cases import CASES, Bench
from augkit.bench.data import find_images
from augkit.bench.harness import Row, measure
from augkit.bench.report import environment, format_ratios, format_table, peer_ratios


def _set_threads(threads: int) -> None:
    torch.set_num_threads(threads)
    try:
        import cv2

        cv2.setNumThreads(0 if threads == 1 else threads)
    except ImportError:
        pass


def run_benchmark(data: Path, cases: list[str], n_images: int | None, repeats: int, threads: int = 1, seed: int = 0, out=None) -> dict:
    """Run ``cases`` on the JPEGs under ``data``; print the table to ``out`` (stdout); return the figures.

    Args:
        data: A folder of JPEGs (searched recursively).
        cases: Case names (``parse_cases``).
        n_images: Use the first N images (all when None).
        repeats: Timed rounds per case.
        threads: torch and OpenCV threads.
        seed: Seed of the random augmentations.
        out: Where to print (default stdout).

    Returns:
        The figures: environment, rows (rates per round), the table and augkit's ratios against its peers.
    """
    out = sys.stdout if out is None else out
    _set_threads(threads)
    paths = find_images(data, n_images)
    bench = Bench(paths, seed=seed)
    print(f"augkit bench: {len(paths)} JPEGs from {data}, {repeats} repeats, {threads} thread(s)", file=out)
    if augkit_io.simplejpeg is not None:
        sizes = np.array([augkit_io.simplejpeg.decode_jpeg_header(d)[:2] for d in bench.datas])
        print(f"  mean size {sizes[:, 1].mean():.0f}x{sizes[:, 0].mean():.0f} (width x height)", file=out)
    rows: list[Row] = []
    with warnings.catch_warnings():
        # torchvision 0.29 warns on every decode that its decoders move to torchcodec.
        warnings.filterwarnings("ignore", message=".*decoding and encoding capabilities of TorchVision", category=DeprecationWarning)
        for case in cases:
            start = time.perf_counter()
            cpu_time = next(c.cpu_time for c in CASES if c.name == case)
            clock = time.process_time if cpu_time else time.perf_counter
            rows += measure(case, bench.impls(case), repeats, unit="img/CPU-s" if cpu_time else "img/s", clock=clock)
            print(f"  {case}: {time.perf_counter() - start:.1f} s", file=out, flush=True)
    table = format_table(rows)
    print(table, file=out)
    ratios = peer_ratios(rows)
    if ratios:
        print(format_ratios(ratios), file=out)
    for row in rows:
        if row.skipped:
            print(f"skipped {row.case} / {row.name}: {row.skipped}", file=out)
    return {
        "environment": environment(),
        "images": len(paths),
        "repeats": repeats,
        "threads": threads,
        "rows": [asdict(r) | {"median": r.median} for r in rows],
        "table": table,
        "ratios": ratios,
    }
