#!/usr/bin/env python
"""Benchmark ``augkit stats`` against decode-only, with 0 and 2 workers (not a test).

Makes N JPEGs (default 300, ~500x375) by re-encoding crops of the bundled samples, then
times, interleaved over several rounds: decoding alone (``augkit.decode``), ``compute`` with
0 workers and with 2 workers. Prints medians and the two ratios of issue 7
(stats / decode-only >= 0.8, workers=2 / workers=0 >= 1.7).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import numpy as np  # noqa: E402
import simplejpeg  # noqa: E402
import torch  # noqa: E402

from augkit.functional.geometry import resize, shorter_side_size  # noqa: E402
from augkit.io import decode  # noqa: E402
from augkit.samples import sample_paths  # noqa: E402
from augkit.stats import compute  # noqa: E402


def make_jpegs(folder: Path, count: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    sources = [decode(p) for p in sample_paths()]
    paths = []
    for i in range(count):
        image = sources[i % len(sources)]
        image = resize(image, shorter_side_size(*image.shape[:2], 375))
        h, w = image.shape[:2]
        ch, cw = min(h, 375), min(w, 500)
        top, left = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = np.ascontiguousarray(image[top : top + ch, left : left + cw])
        if rng.random() < 0.5:
            crop = np.ascontiguousarray(crop[:, ::-1])
        path = folder / f"{i:05d}.jpg"
        path.write_bytes(simplejpeg.encode_jpeg(crop, quality=int(rng.integers(75, 96))))
        paths.append(path)
    return paths


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_jpegs(Path(tmp), args.count)
        runs = {
            "decode only": lambda: [decode(p) for p in paths],
            "stats workers=0": lambda: compute(tmp, workers=0, progress=False),
            "stats workers=2": lambda: compute(tmp, workers=2, progress=False),
        }
        times = {name: [] for name in runs}
        cpu = {name: [] for name in runs}
        for run in runs.values():
            run()  # warm up (page cache, imports)
        for _ in range(args.rounds):
            for name, run in runs.items():
                start, cpu_start = time.perf_counter(), _cpu_seconds()
                run()
                times[name].append(time.perf_counter() - start)
                cpu[name].append(_cpu_seconds() - cpu_start)
    rates = {name: args.count / statistics.median(t) for name, t in times.items()}
    for name, rate in rates.items():
        spread = [f"{args.count / t:.0f}" for t in times[name]]
        print(f"{name:17s} {rate:7.0f} img/s (median of {args.rounds}: {', '.join(spread)})")
    # On a loaded machine wall time measures the neighbours; CPU time (this process and its
    # reaped workers) shows what the work itself costs.
    for name, seconds in cpu.items():
        print(f"{name:17s} {1000 * statistics.median(seconds) / args.count:7.3f} CPU-ms/img")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"stats(0 workers) / decode-only: {rates['stats workers=0'] / rates['decode only']:.2f}x (target >= 0.8)")
    print(f"stats 2 workers / 0 workers:    {rates['stats workers=2'] / rates['stats workers=0']:.2f}x (target >= 1.7)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
