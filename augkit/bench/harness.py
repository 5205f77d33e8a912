"""Timing implementations side by side: interleaved rounds, chunked per-image loops, paired ratios.

Every implementation is warmed up once (not timed). Each timed round runs every
implementation once, in a rotating order; when all of a case's implementations are per-image
loops, a round is also split into chunks of images that each implementation runs in turn, so
a slow spell of the machine hits all of them alike. Rates are compared as paired ratios: ours
over a peer's in the same round.
"""

from __future__ import annotations

import importlib
import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

#: A per-image case's round is split into this many chunks at most, each of at least
#: ``MIN_CHUNK`` images, and every implementation runs each chunk in turn.
CHUNKS, MIN_CHUNK = 10, 25


class Skip(Exception):
    """An implementation that cannot run here (a peer that is not installed)."""


@dataclass
class Impl:
    """One implementation of a case: ``setup()`` returns ``run()``, which returns items done."""

    name: str
    setup: Callable[[], Callable[..., int]]
    augkit: bool = False


@dataclass
class Row:
    """Measured rates (items/s) of one implementation, or why it was skipped."""

    case: str
    name: str
    augkit: bool
    unit: str
    rates: list[float] = field(default_factory=list)
    skipped: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.rates) if self.rates else math.nan


def need(module: str, what: str | None = None):
    """Import a peer's module, or raise ``Skip`` naming it."""
    try:
        with warnings.catch_warnings():  # torchvision 0.29 warns that its decoders move to torchcodec
            warnings.simplefilter("ignore", DeprecationWarning)
            return importlib.import_module(module)
    except ImportError as error:
        raise Skip(f"{what or module}: not installed ({error})") from error


class Loop:
    """Runs ``fn(data, index)`` over the images; ``loop(start, stop)`` runs a slice of them."""

    def __init__(self, datas: list[bytes], fn: Callable[[bytes, int], object]) -> None:
        self.datas, self.fn = datas, fn

    def __len__(self) -> int:
        return len(self.datas)

    def __call__(self, start: int = 0, stop: int | None = None) -> int:
        fn, stop = self.fn, len(self.datas) if stop is None else stop
        for i in range(start, stop):
            fn(self.datas[i], i)
        return stop - start


def chunks(runners: list) -> list[tuple[int, int | None]]:
    """``(start, stop)`` slices each round is split into: several when every runner is a ``Loop``."""
    lengths = [len(r) if isinstance(r, Loop) else None for _, r in runners]
    n = lengths[0] if lengths else None
    if n is None or any(length != n for length in lengths):
        return [(0, None)]
    count = max(1, min(CHUNKS, n // MIN_CHUNK))
    bounds = [round(n * k / count) for k in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def measure(case: str, impls: list[Impl], repeats: int, unit: str = "img/s", clock: Callable[[], float] = time.perf_counter) -> list[Row]:
    """Warm each implementation up once (not timed), then time ``repeats`` interleaved rounds.

    Args:
        case: The case's name, for the rows.
        impls: Its implementations.
        repeats: Timed rounds; each runs every implementation once, in a rotating order (per
            chunk of images where every implementation is a per-image loop).
        unit: The rate's unit.
        clock: The timer: ``time.perf_counter`` (wall seconds), or ``time.process_time`` (CPU
            seconds of the process, every thread counted: per-core rates).

    Returns:
        One row per implementation; ``rates[r]`` is its rate in round ``r``.
    """
    rows, runners = [], []
    for impl in impls:
        row = Row(case, impl.name, impl.augkit, unit)
        try:
            runner = impl.setup()
            runner()  # warm-up, excluded
            runners.append((row, runner))
        except Skip as reason:
            row.skipped = str(reason)
        rows.append(row)
    slices = chunks(runners)
    for r in range(repeats):
        counts, seconds = [0] * len(runners), [0.0] * len(runners)
        for c, (first, stop) in enumerate(slices):
            shift = (r + c) % max(len(runners), 1)
            for k in list(range(shift, len(runners))) + list(range(shift)):
                runner = runners[k][1]
                start = clock()
                counts[k] += runner(first, stop) if stop is not None else runner()
                seconds[k] += clock() - start
        for (row, _), count, elapsed in zip(runners, counts, seconds):
            row.rates.append(count / elapsed)
    return rows


def paired_ratios(ours: Row, peers: list[Row]) -> list[float]:
    """``ours``' rate over the fastest of ``peers`` in each round (rounds are interleaved)."""
    rounds = zip(ours.rates, *(p.rates for p in peers))
    return [mine / max(theirs) for mine, *theirs in rounds]
