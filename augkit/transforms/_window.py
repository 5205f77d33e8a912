"""Decode only the window a pipeline's first transforms read from an undecoded JPEG.

``Compose.run`` hands an ``augkit.encoded.EncodedJpeg`` to ``run_head``. When the pipeline
starts with a transform (or fused pair) that reads a window of its input, its parameters are
drawn from a stand-in of the image's shape (the same generator calls as on decoded pixels),
then only that window is decoded and transformed:

* ``RandomResizedCrop``: the drawn box;
* a resize followed by a crop (``_fusion``): the input region the crop depends on;
* ``RandomCrop`` / ``CenterCrop`` whose window lies inside the image: the window.

Anything else decodes the whole image first. Parameters and pixels equal those of the same
pipeline on the decoded image; only decoding work is skipped.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from augkit.encoded import EncodedJpeg
from augkit.functional import geometry as G
from augkit.transforms import _fusion
from augkit.transforms.base import Transform
from augkit.transforms.geometry import CenterCrop, RandomCrop, RandomResizedCrop


def _crop_window(params, height: int, width: int) -> tuple[int, int, int, int] | None:
    """The params' box when it lies inside a ``height x width`` image, else None."""
    top, left, h, w = params.top, params.left, params.height, params.width
    inside = 0 <= top and 0 <= left and top + h <= height and left + w <= width and h > 0 and w > 0
    return (top, left, h, w) if inside else None


def _at_origin(params):
    return dataclasses.replace(params, top=0, left=0)


def run_head(transforms: tuple[Transform, ...], jpeg: EncodedJpeg, rng: np.random.Generator) -> tuple[np.ndarray, list, int]:
    """Run the window-reading head of ``transforms`` on ``jpeg``.

    Args:
        transforms: A pipeline's transforms, in order.
        jpeg: The undecoded image.
        rng: The pipeline's generator.

    Returns:
        ``(image, params, count)``: the head's output (or the whole decoded image when
        ``count`` is 0), the head's parameters, and how many transforms it covered.
    """
    first = transforms[0] if transforms else None
    second = transforms[1] if len(transforms) > 1 else None
    stand_in = jpeg.stand_in()
    if _fusion.fused_pair(first, second, stand_in):
        resize_params, crop_params = _fusion.sample_pair(first, second, stand_in, rng)
        size, p = _fusion.resized_size(first, stand_in, resize_params), crop_params
        plan = G.resize_crop_plan((jpeg.height, jpeg.width), size, p.top, p.left, p.height, p.width, first.antialias)
        if plan is None:
            image = _fusion.apply_pair(first, second, jpeg.decode(), resize_params, crop_params)
        else:
            rows, cols = plan.rows, plan.cols
            region = jpeg.decode_window(rows.start, cols.start, rows.stop - rows.start, cols.stop - cols.start)
            image = G.resize_crop_region(region, plan)
        return image, [resize_params, crop_params], 2
    if type(first) in (RandomResizedCrop, RandomCrop, CenterCrop):
        params = first.sample(rng, stand_in)
        window = _crop_window(params, jpeg.height, jpeg.width)
        if window is None:
            return first.apply(jpeg.decode(), params), [params], 1
        return first.apply(jpeg.decode_window(*window), _at_origin(params)), [params], 1
    return jpeg.decode(), [], 0
