"""The side-by-side benchmark behind ``augkit bench`` (``scripts/benchmark.py`` calls the same).

Not part of the library's import path: ``import augkit`` never imports it; the ``augkit bench``
command does, when it runs. Modules: ``cases`` (what each case runs, declared in ``CASES``),
``harness`` (interleaved timing and paired ratios), ``report`` (table, ratios against the
peers, JSON), ``data`` (the cached JPEG set built from the bundled photos), ``run``
(``run_benchmark``). How to read the figures: docs/benchmarks.md.
"""

from augkit.bench.cases import ALL_CASES, CASE_NUMBERS, CASES, Bench, Case, parse_cases
from augkit.bench.data import default_data_dir, ensure_default_data, find_images
from augkit.bench.harness import Impl, Loop, Row, Skip, chunks, measure, paired_ratios
from augkit.bench.report import CEILING, format_ratios, format_table, peer_ratios, write_json
from augkit.bench.run import run_benchmark

__all__ = [
    "ALL_CASES",
    "CASES",
    "CASE_NUMBERS",
    "CEILING",
    "Bench",
    "Case",
    "Impl",
    "Loop",
    "Row",
    "Skip",
    "chunks",
    "default_data_dir",
    "ensure_default_data",
    "find_images",
    "format_ratios",
    "format_table",
    "measure",
    "paired_ratios",
    "parse_cases",
    "peer_ratios",
    "run_benchmark",
    "write_json",
]
