"""torchvision's magnitude spaces: the bins and arguments of each operation."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from augkit.functional import policy_ops as PO

# --------------------------------------------------------------------------------------------
# torchvision's policies: magnitude spaces


def _linspace(start: float, end: float, bins: int) -> np.ndarray:
    """``torch.linspace`` in float32 (torchvision's magnitude bins), as float64 values."""
    return torch.linspace(start, end, bins).double().numpy()


def _posterize_bins(bins: int, top: int, span: int) -> np.ndarray:
    """torchvision's ``(top - arange(bins) / ((bins - 1) / span)).round().int()``."""
    return (top - (torch.arange(bins) / ((bins - 1) / span))).round().int().double().numpy()


def _tv_space(kind: str, bins: int, height: int, width: int) -> dict[str, tuple[np.ndarray | None, bool]]:
    """A torchvision policy's ``_AUGMENTATION_SPACE``: op -> (magnitudes of the bins, signed)."""
    none = (None, False)
    if kind == "wide":  # TrivialAugmentWide
        return {
            "Identity": none,
            "ShearX": (_linspace(0.0, 0.99, bins), True),
            "ShearY": (_linspace(0.0, 0.99, bins), True),
            "TranslateX": (_linspace(0.0, 32.0, bins), True),
            "TranslateY": (_linspace(0.0, 32.0, bins), True),
            "Rotate": (_linspace(0.0, 135.0, bins), True),
            "Brightness": (_linspace(0.0, 0.99, bins), True),
            "Color": (_linspace(0.0, 0.99, bins), True),
            "Contrast": (_linspace(0.0, 0.99, bins), True),
            "Sharpness": (_linspace(0.0, 0.99, bins), True),
            "Posterize": (_posterize_bins(bins, 8, 6), False),
            "Solarize": (_linspace(1.0, 0.0, bins), False),
            "AutoContrast": none,
            "Equalize": none,
        }
    augmix = kind in ("augmix", "augmix_partial")
    translate = (width / 3.0, height / 3.0) if augmix else (150.0 / 331.0 * width, 150.0 / 331.0 * height)
    space = {
        "Identity": none,
        "ShearX": (_linspace(0.0, 0.3, bins), True),
        "ShearY": (_linspace(0.0, 0.3, bins), True),
        "TranslateX": (_linspace(0.0, translate[0], bins), True),
        "TranslateY": (_linspace(0.0, translate[1], bins), True),
        "Rotate": (_linspace(0.0, 30.0, bins), True),
        "Brightness": (_linspace(0.0, 0.9, bins), True),
        "Color": (_linspace(0.0, 0.9, bins), True),
        "Contrast": (_linspace(0.0, 0.9, bins), True),
        "Sharpness": (_linspace(0.0, 0.9, bins), True),
        "Posterize": (_posterize_bins(bins, 4 if augmix else 8, 4), False),
        "Solarize": (_linspace(1.0, 0.0, bins), False),
        "AutoContrast": none,
        "Equalize": none,
        "Invert": none,
    }
    if kind == "randaugment":
        del space["Invert"]
    elif kind == "autoaugment":
        del space["Identity"]
    elif augmix:
        del space["Identity"], space["Invert"]
        if kind == "augmix_partial":
            for name in ("Brightness", "Color", "Contrast", "Sharpness"):
                del space[name]
    return space


def _tv_argument(op: str, magnitude: np.ndarray) -> np.ndarray:
    """torchvision's magnitude (signed, float32-valued) -> the argument its functional op gets."""
    if op in ("Brightness", "Color", "Contrast", "Sharpness"):
        return 1.0 + magnitude
    if op in ("ShearX", "ShearY"):
        return np.array([math.degrees(math.atan(v)) for v in magnitude.reshape(-1)]).reshape(magnitude.shape)
    if op in ("TranslateX", "TranslateY", "Posterize"):
        return np.trunc(magnitude) + 0.0  # int(): -0.5 -> 0, not -0.0
    if op == "Solarize":
        return 255.0 * magnitude  # the threshold in uint8 levels (torchvision: bound * magnitude)
    return magnitude


@functools.lru_cache(maxsize=64)
def _tv_tables(kind: str, bins: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The op names of a torchvision space and the ``[ops, bins, 2]`` arguments (as drawn, negated) of each op and bin.

    The arguments are computed once per (op, bin) from torchvision's float32 magnitudes
    (and cached per image size), so drawing a batch is indexing. Unsigned ops repeat their
    argument in both columns; ops without an argument hold NaN.
    """
    space = _tv_space(kind, bins, height, width)
    names = np.array(list(space))
    bins = max((len(v) for v, _ in space.values() if v is not None), default=1)
    table = np.full((len(names), bins, 2), np.nan)
    for i, (name, (values, is_signed)) in enumerate(space.items()):
        if values is None:
            continue
        table[i, :, 0] = _tv_argument(name, values)
        table[i, :, 1] = _tv_argument(name, -values) if is_signed else table[i, :, 0]
    names.flags.writeable = False
    table.flags.writeable = False
    return names, table


def _tv_pick(rng, shape, names, table, op, bin_index) -> tuple[np.ndarray, np.ndarray]:
    """Names and arguments for drawn ops and bins, with torchvision's sign draw (``rand <= 0.5``: negative)."""
    negative = rng.random(shape) <= 0.5
    return names[op], table[op, bin_index, negative.astype(np.int64)]


def _check_policy_image_size(height: int, width: int) -> None:
    if height < 1 or width < 1:
        raise ValueError(f"policies need an image of at least 1 x 1 pixels, got {height} x {width}")


_IDENTITY_KINDS = {name: name for name in PO.OPS}
