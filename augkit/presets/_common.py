"""Helpers shared by the preset modules: normalization from stats or constants, batch stages."""

from __future__ import annotations

from augkit.stats import as_stats
from augkit.transforms import Compose, Normalize, PCALighting
from augkit.transforms.base import Transform


def mean_std(stats, default_mean, default_std) -> Normalize:
    """Per-channel mean and std normalization: from ``stats`` (a ``Stats`` or a stats.json path), else the defaults."""
    stats = as_stats(stats)
    if stats is None:
        return Normalize(mean=default_mean, std=default_std)
    return Normalize.from_stats(stats, "per_channel_std")


def mean_only(stats, default_mean) -> Normalize:
    """Per-channel mean subtraction: from ``stats``, else ``default_mean``."""
    stats = as_stats(stats)
    if stats is None:
        return Normalize(mean=default_mean)
    return Normalize.from_stats(stats, "per_channel_mean")


def lighting_from(stats, alpha_std: float) -> PCALighting:
    """AlexNet's PCA lighting noise with the eigenvectors of ``stats``, else ImageNet's."""
    stats = as_stats(stats)
    if stats is None:
        return PCALighting(alpha_std=alpha_std)
    return PCALighting.from_stats(stats, alpha_std=alpha_std)


def batch_stage(*transforms: Transform | None) -> Transform:
    """The transforms that are not None, as one transform (itself alone, else a ``Compose``)."""
    kept = [t for t in transforms if t is not None]
    return kept[0] if len(kept) == 1 else Compose(kept)
