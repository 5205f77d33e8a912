"""Decode only the window a pipeline's first transforms read from an undecoded JPEG.

``Compose.run`` hands an ``augkit.encoded.EncodedJpeg`` to ``run_head``. The first
transform's parameters are drawn from a stand-in of the image's shape (the same generator
calls as on decoded pixels); then, when the transforms declare what they read, only that
window is decoded:

* a transform whose ``input_window(params)`` lies inside the image (``RandomResizedCrop``'s
  box, a crop's window): that window, with ``params_in_window(params)``;
* a resize declaring ``fused_resize_size`` followed by a pure crop (``crop_window``): the
  input region the crop depends on (``functional.geometry._resize_crop_plan``).

Anything else decodes the whole image first. Parameters and pixels equal those of the same
pipeline on the decoded image; only decoding work is skipped. Only transforms that declare a
window are sampled from the stand-in (their ``sample`` reads only the image's shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeGuard

import numpy as np

from augkit._image import shape_only
from augkit.encoded import EncodedJpeg
from augkit.functional import geometry as G
from augkit.transforms.base import Transform


def _declares(transform: Transform | None, *names: str) -> TypeGuard[Transform]:
    if transform is None or transform.sample_reads_pixels:
        return False
    cls = type(transform)
    return any(getattr(cls, name) is not getattr(Transform, name) for name in names)


def _inside(window: tuple[int, int, int, int] | None, height: int, width: int) -> TypeGuard[tuple[int, int, int, int]]:
    if window is None:
        return False
    top, left, h, w = window
    return 0 <= top and 0 <= left and h > 0 and w > 0 and top + h <= height and left + w <= width


def run_head(transforms: Sequence[Transform], jpeg: EncodedJpeg, rng: np.random.Generator) -> tuple[np.ndarray, list, list]:
    """Run the window-reading head of ``transforms`` on ``jpeg``.

    Args:
        transforms: A pipeline's transforms, in order.
        jpeg: The undecoded image.
        rng: The pipeline's generator.

    Returns:
        ``(image, params, sizes)``: the head's output (the whole decoded image when the head
        is empty), the parameters of the transforms it covered (0, 1 or 2), and the input
        ``(height, width)`` each of them saw.
    """
    first = transforms[0] if transforms else None
    second = transforms[1] if len(transforms) > 1 else None
    if not _declares(first, "crop_window", "input_window", "fused_resize_size"):
        return jpeg.decode(), [], []
    stand_in = jpeg.stand_in()
    size = (jpeg.height, jpeg.width)
    p1 = first.sample(rng, stand_in)
    mid = first.fused_resize_size(p1, *size)
    if mid is not None and _declares(second, "crop_window"):
        p2 = second.sample(rng, shape_only((*mid, 3)))
        window = second.crop_window(p2)
        if window is None:
            return second.apply(first.apply(jpeg.decode(), p1), p2), [p1, p2], [size, mid]
        top, left, h, w = window
        antialias = bool(getattr(first, "antialias", True))
        plan = G._resize_crop_plan(size, mid, top, left, h, w, antialias)
        if plan is None:
            image = G.resize_crop(jpeg.decode(), mid, top, left, h, w, antialias, getattr(second, "fill", 0))
        else:
            rows, cols = plan.rows, plan.cols
            region = jpeg.decode_window(rows.start, cols.start, rows.stop - rows.start, cols.stop - cols.start)
            image = G._resize_crop_region(region, plan)
        return image, [p1, p2], [size, mid]
    window = first.input_window(p1)
    if not _inside(window, *size):
        return first.apply(jpeg.decode(), p1), [p1], [size]
    return first.apply(jpeg.decode_window(*window), first.params_in_window(p1)), [p1], [size]
