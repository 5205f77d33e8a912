"""Photometric policy operations written straight into rows of a batch (CPU, uint8, RGB).

A policy on a batch runs each operation on the rows that drew it. Gathering those rows,
running the batch kernel and stacking the results copies every row two or three times per
call; the kernels here read each row where it is (a ``[C, H, W]`` view of the input or of an
earlier step's output) and write its result into a row of the output, so a row is read and
written once per operation. Each gives the batch kernel's values (``policy_ops.photometric``):

- the pointwise operations (``policy_ops.POINTWISE_OPS``) are one lookup table per row
  (``policy_ops.pointwise_table``), applied with ``cv2.LUT``;
- ``Equalize`` and ``AutoContrast``: each plane's table from its histogram or range
  (``photometric.equalize_tables`` / ``autocontrast_tables``);
- ``Brightness``, ``Contrast``, ``Color``: the colour jitter kernel image by image
  (``color.jitter_planes_into``); ``Sharpness``: ``photometric.sharpen_into``.

The other operations (``Grayscale``, ``GaussianBlur``) are not handled here: ``photometric_into``
returns False and the caller runs the batch kernel on the gathered rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch

from augkit.functional import color as C
from augkit.functional import photometric as P
from augkit.functional import policy_ops as PO

#: The ``color_jitter`` operation (0 brightness, 1 contrast, 2 saturation) of each colour op.
_JITTER_OPS = {"Brightness": 0, "Contrast": 1, "Color": 2}


def supported(images: torch.Tensor) -> bool:
    """Whether ``photometric_into`` and the warps' row kernels take the rows of this batch.

    Args:
        images: The batch a policy runs on.

    Returns:
        True for a non-empty ``[B, 3, H, W]`` uint8 CPU tensor without autograd history.
    """
    return (
        images.device.type == "cpu"
        and images.dtype == torch.uint8
        and images.ndim == 4
        and images.shape[1] == 3
        and images.numel() > 0
        and not images.requires_grad
    )


def _look_up(source: np.ndarray, target: np.ndarray, tables: np.ndarray) -> None:
    """``target = tables[k][source]`` plane by plane (one call when every plane shares a table)."""
    if (tables == tables[:1]).all():
        channels = source.shape[0]
        cv2.LUT(source.reshape(channels, -1), tables[0], dst=target.reshape(channels, -1))
        return
    for plane, table, out in zip(source, tables, target):
        cv2.LUT(plane, table, dst=out)


def photometric_into(op: str, sources: Sequence[np.ndarray], targets: Sequence[np.ndarray], magnitudes: np.ndarray) -> bool:
    """Apply one photometric operation to each source row, writing the matching target row.

    Args:
        op: One of ``policy_ops.PHOTOMETRIC_OPS``.
        sources: ``[C, H, W]`` uint8 C-contiguous arrays (rows of a batch ``supported`` takes).
        targets: As many arrays of the same shape, written; none of them is a source.
        magnitudes: ``[len(sources)]`` float64 magnitudes.

    Returns:
        False, writing nothing, for an operation not handled here.
    """
    if op in PO.POINTWISE_OPS:
        for source, target, magnitude in zip(sources, targets, magnitudes.tolist()):
            _look_up(source, target, PO.pointwise_table(op, magnitude)[None])
    elif op in ("Equalize", "AutoContrast"):
        tables_of = P.equalize_tables if op == "Equalize" else P.autocontrast_tables
        for source, target in zip(sources, targets):
            _look_up(source, target, tables_of(source))
    elif op in _JITTER_OPS:
        for source, target, magnitude in zip(sources, targets, magnitudes.tolist()):
            factors: list[float | None] = [None] * 4
            factors[_JITTER_OPS[op]] = magnitude
            C.jitter_planes_into(source, target, factors, (_JITTER_OPS[op],))
    elif op == "Sharpness":
        for source, target, magnitude in zip(sources, targets, magnitudes.tolist()):
            if not P.sharpen_into(source[None], target[None], [magnitude]):
                return False
    else:
        return False
    return True
