"""Dataset statistics: exact, streaming, parallel and distributed (SPEC §6).

``compute(source)`` returns a ``Stats`` (mean, std, covariance, eigen-decomposition and
optionally a mean image, in [0, 1] units) that feeds ``Normalize.from_stats`` and
``Whiten.from_stats``. Modules: ``state`` (``StatsState``, the exact state and its merge: a
leaf), ``moments`` (exact per-image sums), ``store`` (JSON + ``.npy``) and ``distributed``
(``torch.distributed`` reduction), both on ``StatsState``; ``core`` (``Stats``, wrapping a
state, and the accumulator) and ``compute`` (sources, workers, progress).
"""

import os

from augkit.stats.compute import SkippedImagesWarning, compute, list_images
from augkit.stats.core import Accumulator, Stats
from augkit.stats.state import StatsState
from augkit.stats.store import FORMAT_VERSION, StatsFileError


def as_stats(stats) -> Stats:
    """Return ``stats`` as a ``Stats``: a ``Stats`` as it is, a path to a ``stats.json`` loaded.

    Args:
        stats: A ``Stats`` (or an object with the fields a caller reads), or the path of a
            file written by ``Stats.save`` / ``augkit stats``.

    Returns:
        The statistics.

    Raises:
        StatsFileError: A path that is not a readable statistics file (the message names it).
    """
    if isinstance(stats, (str, os.PathLike)):
        return Stats.load(stats)
    return stats


__all__ = [
    "FORMAT_VERSION",
    "Accumulator",
    "SkippedImagesWarning",
    "Stats",
    "as_stats",
    "StatsFileError",
    "StatsState",
    "compute",
    "list_images",
]
