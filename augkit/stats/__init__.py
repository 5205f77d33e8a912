"""Dataset statistics: exact, streaming, parallel and distributed (SPEC §6).

``compute(source)`` returns a ``Stats`` (mean, std, covariance, eigen-decomposition and
optionally a mean image, in [0, 1] units) that feeds ``Normalize.from_stats`` and
``Whiten.from_stats``. Modules: ``moments`` (exact per-image sums), ``core`` (``Stats`` and
its merge), ``compute`` (sources, workers, progress), ``store`` (JSON + ``.npy``),
``distributed`` (``torch.distributed`` reduction).
"""

from augkit.stats.compute import SkippedImagesWarning, compute, list_images
from augkit.stats.core import Accumulator, Stats
from augkit.stats.store import FORMAT_VERSION, StatsFileError

__all__ = ["FORMAT_VERSION", "Accumulator", "SkippedImagesWarning", "Stats", "StatsFileError", "compute", "list_images"]
