"""Pipeline-level fusion in the sample stage: resize followed by a crop resamples only kept pixels.

``Compose`` asks ``fused_pair`` whether two neighbouring transforms can run as one step. A
``Resize`` or ``RandomScale`` followed by a ``RandomCrop`` or ``CenterCrop`` is computed by
``functional.geometry.resize_crop``: the crop window is drawn exactly as before (from the
resized size, with the same generator calls in the same order), then only the input region
it depends on is resampled on the full resize's grid. Parameters, and so logging and replay,
are unchanged; pixels equal resize-then-crop (see ``resize_crop`` for the rounding note).
"""

from __future__ import annotations

import numpy as np

from augkit._image import shape_only
from augkit.functional import geometry as G
from augkit.transforms.base import Transform
from augkit.transforms.geometry import CenterCrop, RandomCrop, RandomScale, Resize, _CropBase

_RESIZERS = (Resize, RandomScale)
_CROPS = (RandomCrop, CenterCrop)


def fused_pair(first: Transform, second: Transform | None, image) -> bool:
    """True when ``first`` then ``second`` on ``image`` can run as one fused resize-crop."""
    return (
        second is not None
        and isinstance(image, np.ndarray)
        and image.ndim == 3
        and image.shape[0] > 0
        and image.shape[1] > 0
        and type(first) in _RESIZERS
        and type(second) in _CROPS
    )


def _shape_only(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A zero-cost array with the resized image's shape and dtype (crops sample from the shape)."""
    return shape_only((size[0], size[1], image.shape[2]), image.dtype)


def resized_size(resizer: Transform, image: np.ndarray, params) -> tuple[int, int]:
    """The resizer's output ``(height, width)`` for ``image`` with ``params``."""
    if isinstance(resizer, Resize):
        return resizer.output_size(image.shape[0], image.shape[1])
    return G.shorter_side_size(image.shape[0], image.shape[1], params.shorter)


def _apply(resizer: Transform, crop: _CropBase, image: np.ndarray, resize_params, crop_params) -> np.ndarray:
    size = resized_size(resizer, image, resize_params)
    p = crop_params
    return G.resize_crop(image, size, p.top, p.left, p.height, p.width, resizer.antialias, crop.fill)


def sample_pair(resizer: Transform, crop: _CropBase, image: np.ndarray, rng: np.random.Generator) -> tuple:
    """Draw both transforms' parameters, with the same generator calls as unfused."""
    resize_params = resizer.sample(rng, image)
    return resize_params, crop.sample(rng, _shape_only(image, resized_size(resizer, image, resize_params)))


def run_pair(resizer: Transform, crop: _CropBase, image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple]:
    """Sample both transforms' parameters (same draws as unfused) and apply them fused."""
    resize_params, crop_params = sample_pair(resizer, crop, image, rng)
    return _apply(resizer, crop, image, resize_params, crop_params), (resize_params, crop_params)


def apply_pair(resizer: Transform, crop: _CropBase, image: np.ndarray, resize_params, crop_params) -> np.ndarray:
    """Replay a fused pair with recorded parameters."""
    return _apply(resizer, crop, image, resize_params, crop_params)
