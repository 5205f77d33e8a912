"""COCO segmentations to masks: polygon rasterisation and run-length decoding, as pycocotools.

A COCO annotation's ``segmentation`` is a list of polygons (``[x1, y1, x2, y2, ...]`` in
pixels), an uncompressed run-length encoding (``{"counts": [ints], "size": [h, w]}``) or a
compressed one (``{"counts": "string", "size": [h, w]}``). The functions here give the same
masks as pycocotools' ``annToMask`` (``frPyObjects`` + ``merge`` + ``decode``), bit for bit
(``tests/test_coco_mask.py`` checks them against pycocotools when it is installed):

* polygons are rasterised with pycocotools' ``rleFrPoly``: vertices are scaled by 5 and
  rounded, the boundary is walked with a DDA, and a pixel is inside when its centre lies
  below a boundary crossing of its column (the same integer and float64 arithmetic);
* the polygons of one annotation are merged by union;
* run lengths count pixels in column-major order, starting with a run of zeros; the
  compressed form is pycocotools' LEB128-like string with counts stored as differences to
  the count two places before.

Every polygon is rasterised as a polygon, whatever its number of vertices.
"""

from __future__ import annotations

import numpy as np

_SCALE = 5.0


def rle_decode(counts, height: int, width: int) -> np.ndarray:
    """Decode run lengths into an ``(height, width)`` uint8 0/1 mask.

    Args:
        counts: Run lengths (zeros first) of the column-major pixel sequence.
        height: Mask height.
        width: Mask width.

    Returns:
        The mask.

    Raises:
        ValueError: The runs do not cover exactly ``height * width`` pixels.

    Example:
        >>> rle_decode([1, 2, 1], 2, 2).tolist()
        [[0, 1], [1, 0]]
    """
    runs = np.asarray(counts, dtype=np.int64).reshape(-1)
    if runs.size and runs.min() < 0:
        raise ValueError("run lengths must be >= 0")
    if int(runs.sum()) != height * width:
        raise ValueError(f"run lengths cover {int(runs.sum())} pixels, the mask has {height} x {width} = {height * width}")
    values = (np.arange(runs.size) % 2).astype(np.uint8)
    return np.repeat(values, runs).reshape(width, height).T.copy()


def rle_from_string(text: str | bytes) -> np.ndarray:
    """Decode pycocotools' compressed run-length string into the run lengths.

    Each count is written in 5-bit groups (least significant first) as characters from
    ``chr(48)``; bit 0x20 marks a continuation and 0x10 of the last group the sign. From the
    fourth count on, the value stored is the difference to the count two places before.

    Args:
        text: The ``counts`` string of a compressed RLE.

    Returns:
        int64 run lengths.

    Example:
        >>> rle_from_string("12").tolist()
        [1, 2]
    """
    data = np.frombuffer(text.encode("ascii") if isinstance(text, str) else bytes(text), dtype=np.uint8).astype(np.int64) - 48
    if data.size == 0:
        return np.zeros(0, np.int64)
    if data.min() < 0 or data.max() > 63:
        raise ValueError("a compressed RLE string holds characters from '0' (48) to 'o' (111) only")
    last = (data & 0x20) == 0
    if not last[-1]:
        raise ValueError("a compressed RLE string ends in the middle of a count")
    group = np.concatenate([[0], np.cumsum(last)[:-1]])
    starts = np.flatnonzero(np.concatenate([[True], last[:-1]]))
    position = np.arange(data.size) - starts[group]
    values = np.zeros(int(group[-1]) + 1, np.int64)
    np.add.at(values, group, (data & 0x1F) << (5 * position))
    lengths = np.bincount(group)
    negative = (data[last] & 0x10) != 0
    values[negative] -= np.left_shift(np.int64(1), 5 * lengths[negative])
    counts = values.copy()
    counts[1::2] = np.cumsum(values[1::2])
    counts[2::2] = np.cumsum(values[2::2])
    return counts


def polygon_rle(xy, height: int, width: int) -> np.ndarray:
    """Rasterise one polygon into run lengths exactly as pycocotools' ``rleFrPoly``.

    Args:
        xy: The vertices ``[x1, y1, x2, y2, ...]`` in pixels.
        height: Mask height.
        width: Mask width.

    Returns:
        int64 run lengths of the ``(height, width)`` mask.

    Example:
        >>> polygon_rle([0.5, 0.5, 2.5, 0.5, 2.5, 2.5, 0.5, 2.5], 3, 3).tolist()
        [4, 2, 1, 2]
    """
    toggles = _polygon_toggles(xy, height, width)
    return np.diff(toggles, prepend=0, append=height * width)


def polygon_mask(xy, height: int, width: int) -> np.ndarray:
    """The ``(height, width)`` uint8 0/1 mask of one polygon (pycocotools' ``rleFrPoly`` + ``rleDecode``).

    Example:
        >>> polygon_mask([0.5, 0.5, 2.5, 0.5, 2.5, 2.5, 0.5, 2.5], 3, 3).tolist()
        [[0, 0, 0], [0, 1, 1], [0, 1, 1]]
    """
    flat = np.zeros(height * width, np.uint8)
    flat[_polygon_toggles(xy, height, width)] = 1
    np.bitwise_xor.accumulate(flat, out=flat)
    return flat.reshape(width, height).T


def _polygon_toggles(xy, height: int, width: int) -> np.ndarray:
    """Sorted column-major positions where the polygon's mask changes value (``rleFrPoly``'s boundary).

    pycocotools keeps every boundary point and merges the zero-length runs that repeated
    points make; keeping the positions that occur an odd number of times is the same.
    """
    points = np.asarray(xy, dtype=np.float64).reshape(-1)
    k = points.size // 2
    if k == 0:
        return np.zeros(0, np.int64)
    # Scaled, rounded vertices (C's (int) truncates toward zero), closed.
    x = np.trunc(_SCALE * points[0 : 2 * k : 2] + 0.5).astype(np.int64)
    y = np.trunc(_SCALE * points[1 : 2 * k : 2] + 0.5).astype(np.int64)
    x, y = np.append(x, x[0]), np.append(y, y[0])
    xs, xe, ys, ye = x[:-1], x[1:], y[:-1], y[1:]
    dx, dy = np.abs(xe - xs), np.abs(ys - ye)
    along_x = dx >= dy
    flip = (along_x & (xs > xe)) | (~along_x & (ys > ye))
    xs, xe = np.where(flip, xe, xs), np.where(flip, xs, xe)
    ys, ye = np.where(flip, ye, ys), np.where(flip, ys, ye)
    steps = np.where(along_x, dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(along_x, (ye - ys) / dx.astype(np.float64), (xe - xs) / dy.astype(np.float64))
    # A repeated vertex (dx = dy = 0) gives 0 / 0 in pycocotools too; its one point is never read.
    slope = np.where(steps == 0, 0.0, slope)
    # Every segment's points d = 0..steps, walked from its original start to its end.
    counts = steps + 1
    segment = np.repeat(np.arange(k), counts)
    d = np.arange(segment.size) - np.repeat(np.cumsum(counts) - counts, counts)
    t = np.where(flip[segment], steps[segment] - d, d)
    walked = np.trunc(np.where(along_x, ys, xs)[segment] + slope[segment] * t + 0.5).astype(np.int64)
    straight = t + np.where(along_x, xs, ys)[segment]
    u = np.where(along_x[segment], straight, walked)
    v = np.where(along_x[segment], walked, straight)
    # Where the boundary crosses a column: the crossing row, downsampled.
    moved = np.flatnonzero(u[1:] != u[:-1]) + 1
    uj, ui, vj, vi = u[moved], u[moved - 1], v[moved], v[moved - 1]
    xd = (np.where(uj < ui, uj, uj - 1).astype(np.float64) + 0.5) / _SCALE - 0.5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= width - 1)
    yd = (np.where(vj < vi, vj, vi).astype(np.float64) + 0.5) / _SCALE - 0.5
    yd = np.ceil(np.clip(yd, 0, height))
    positions = xd[keep].astype(np.int64) * height + yd[keep].astype(np.int64)
    positions = positions[positions < height * width]
    values, times = np.unique(positions, return_counts=True)
    return values[times % 2 == 1]


def segmentation_mask(segmentation, height: int, width: int) -> np.ndarray:
    """The ``(height, width)`` uint8 0/1 mask of one COCO annotation's ``segmentation``.

    Args:
        segmentation: A list of polygons, or an RLE dict (``counts`` a list: uncompressed;
            a string: compressed) whose ``size`` must be ``[height, width]``.
        height: The image height.
        width: The image width.

    Returns:
        The mask (polygons merged by union), as pycocotools' ``annToMask`` gives it.

    Raises:
        ValueError: An RLE of another size, or runs that do not cover the mask.
        TypeError: Something that is neither polygons nor an RLE.

    Example:
        >>> segmentation_mask({"counts": [1, 2, 1], "size": [2, 2]}, 2, 2).tolist()
        [[0, 1], [1, 0]]
    """
    if isinstance(segmentation, dict):
        if "counts" not in segmentation or "size" not in segmentation:
            raise TypeError("an RLE segmentation needs 'counts' and 'size'")
        size = [int(s) for s in segmentation["size"]]
        if size != [height, width]:
            raise ValueError(f"the RLE's size {size} differs from the image's [height, width] = {[height, width]}")
        counts = segmentation["counts"]
        if isinstance(counts, (str, bytes)):
            counts = rle_from_string(counts)
        return rle_decode(counts, height, width)
    if not isinstance(segmentation, (list, tuple)):
        raise TypeError(f"a segmentation is a list of polygons or an RLE dict, got {type(segmentation).__name__}")
    mask = np.zeros((height, width), np.uint8)
    for polygon in segmentation:
        mask |= polygon_mask(polygon, height, width)
    return mask
