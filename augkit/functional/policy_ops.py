"""Kernels of the augmentation policies' operations: one named op with one magnitude per image.

The policies (``augkit.transforms.policies``) pick an operation and a magnitude per image; in
the batch stage they group the rows that chose the same operation and call one kernel per
group with the rows' magnitudes. This module holds those kernels:

- ``photometric(op, image, magnitude)``: the photometric operations of torchvision's and
  timm's policies, each one of augkit's torchvision-exact kernels (``augkit.functional.color``
  and ``augkit.functional.photometric``) with the policy's magnitude as its argument:
  ``Brightness`` / ``Color`` / ``Contrast`` / ``Sharpness`` take the enhancement factor
  (1 keeps the image), ``Posterize`` the bits kept, ``Solarize`` and ``SolarizeAdd`` work in
  uint8 levels (0-255; float images compare with ``level / 255``), ``GaussianBlur`` takes sigma.
- ``solarize_add``: timm's ``SolarizeAdd`` (PIL's lookup table ``min(255, x + add)`` below
  128), exact on uint8.
- ``shift``: a translation by whole pixels, equal to ``augkit.functional.warping.affine`` with
  an integer ``translate`` (any interpolation: the samples fall on pixel centres), without
  the warp's sampling grid.
- ``augmix_blend``: AugMix's weighted sum of the original and its chains, in float32 and
  truncated to uint8 as torchvision's ``AugMix`` does.

Images are HWC arrays (the sample stage) or ``[C, H, W]`` / ``[B, C, H, W]`` tensors (the
batch stage, any device), uint8 or float in [0, 1]; a batch takes one magnitude per image.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from augkit._image import check_any_image
from augkit.functional import color as C
from augkit.functional import photometric as P

#: Operations without geometry: targets (masks, boxes, keypoints) stay where they are.
PHOTOMETRIC_OPS = (
    "Identity",
    "Brightness",
    "Color",
    "Contrast",
    "Sharpness",
    "Posterize",
    "Solarize",
    "SolarizeAdd",
    "AutoContrast",
    "Equalize",
    "Invert",
    "Grayscale",
    "GaussianBlur",
)
#: Operations that move pixels (the affine transforms' kernels; targets move with them).
GEOMETRIC_OPS = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")
#: Every operation a policy may hold.
OPS = PHOTOMETRIC_OPS + GEOMETRIC_OPS

#: SolarizeAdd's threshold (timm's default, in uint8 levels): only darker values are raised.
SOLARIZE_ADD_THRESHOLD = 128
#: Taps of the policies' Gaussian blur (covers three sigmas of the largest sigma, 2.0).
BLUR_TAPS = 13


def _is_uint8(image) -> bool:
    return image.dtype == torch.uint8 if isinstance(image, torch.Tensor) else image.dtype == np.uint8


def _column(values, like: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``[N]`` values as an ``[N, 1, 1, 1]`` tensor on ``like``'s device."""
    array = np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(-1))
    return torch.from_numpy(array).to(device=like.device, dtype=dtype).view(-1, 1, 1, 1)


def solarize_add(image, add, threshold: float = SOLARIZE_ADD_THRESHOLD):
    """Add ``add`` to the values below ``threshold``, clamped (timm's ``solarize_add``).

    On uint8: ``x < threshold ? min(255, x + add) : x``, PIL's lookup table exactly. Floats
    (pixels in [0, 1]) use ``add / 255`` and ``threshold / 255``, clamped to 1.

    Args:
        image: HWC array or ``[C, H, W]`` / ``[B, C, H, W]`` tensor, uint8 or float.
        add: Levels added (0-255): a number, or one per image of a batch.
        threshold: Levels at and above which values are kept.

    Returns:
        The image, same kind, shape and dtype.

    Example:
        >>> solarize_add(np.array([[[10, 127, 128, 250]]], np.uint8), 100).tolist()
        [[[110, 227, 128, 250]]]
    """
    image = check_any_image(image)
    if isinstance(image, np.ndarray):
        amount = float(np.asarray(add, dtype=np.float64).reshape(-1)[0])
        if _is_uint8(image):
            return cv2.LUT(image, solarize_add_table(amount, threshold)).reshape(image.shape)
        limit = np.asarray(threshold / 255.0, dtype=image.dtype)
        raised = np.minimum(image + np.asarray(amount / 255.0, dtype=image.dtype), np.asarray(1.0, image.dtype))
        return np.where(image < limit, raised, image).astype(image.dtype, copy=False)
    batch = image if image.ndim == 4 else image.unsqueeze(0)
    if _is_uint8(batch):
        raised = batch.to(torch.int16).add_(_column(add, batch, torch.int16)).clamp_(max=255).to(torch.uint8)
        below = batch < int(np.ceil(threshold))
    else:
        raised = batch.add(_column(np.asarray(add) / 255.0, batch, batch.dtype)).clamp_(max=1.0)
        below = batch < threshold / 255.0
    out = torch.where(below, raised, batch)
    return out if image.ndim == 4 else out[0]


def solarize_add_table(add: float, threshold: float = SOLARIZE_ADD_THRESHOLD) -> np.ndarray:
    """``solarize_add``'s uint8 lookup table: ``x < threshold ? min(255, x + add) : x`` (PIL's).

    Args:
        add: Levels added (>= 0).
        threshold: Levels at and above which values are kept.

    Returns:
        ``[256]`` uint8 table.
    """
    levels = np.arange(256, dtype=np.float64)
    return np.where(levels < threshold, np.minimum(255.0, levels + add), levels).astype(np.uint8)


#: Operations whose result at a pixel depends on its value and the magnitude only (a lookup table on uint8).
POINTWISE_OPS = ("Posterize", "Solarize", "SolarizeAdd", "Invert")


def pointwise_table(op: str, magnitude: float) -> np.ndarray:
    """The uint8 lookup table of a pointwise operation: ``photometric(op, x, magnitude)`` for every level ``x``.

    Args:
        op: One of ``POINTWISE_OPS``.
        magnitude: The op's argument (see the module docstring).

    Returns:
        ``[256]`` uint8 table.
    """
    levels = np.arange(256, dtype=np.uint8)
    if op == "Posterize":
        return levels & np.uint8((0xFF << (8 - int(_bits(magnitude)))) & 0xFF)
    if op == "Solarize":
        return P.solarize_table(magnitude)
    if op == "SolarizeAdd":
        return solarize_add_table(magnitude)
    if op == "Invert":
        return ~levels
    raise ValueError(f"op must be one of {POINTWISE_OPS}, got {op!r}")


def _blur_taps(image) -> int:
    """``BLUR_TAPS``, or fewer on images too small for it (reflect padding needs more than half the kernel)."""
    height, width = image.shape[-2:] if isinstance(image, torch.Tensor) else image.shape[:2]
    largest = 2 * min(int(height), int(width)) - 1
    taps = min(BLUR_TAPS, largest if largest % 2 else largest - 1)
    return max(taps, 1)


def _bits(magnitude):
    """``Posterize``'s magnitude as the bits kept: rounded, clamped to [0, 8]."""
    return np.clip(np.rint(np.asarray(magnitude, dtype=np.float64)), 0, 8)


def photometric(op: str, image, magnitude):
    """Apply one photometric policy operation with its magnitude.

    Args:
        op: One of ``PHOTOMETRIC_OPS``.
        image: HWC array or ``[C, H, W]`` / ``[B, C, H, W]`` tensor, uint8 or float.
        magnitude: The op's argument (see the module docstring): a number, or one per image
            of a batch (ignored by the ops without one).

    Returns:
        The image, same kind, shape and dtype (the input itself for ``Identity``).

    Example:
        >>> photometric("Posterize", np.array([[[13, 200, 255]]], np.uint8), 2).tolist()
        [[[0, 192, 192]]]
    """
    if op == "Identity":
        return image
    if op == "Brightness":
        return C.adjust_brightness(image, magnitude)
    if op == "Color":
        return C.adjust_saturation(image, magnitude)
    if op == "Contrast":
        return C.adjust_contrast(image, magnitude)
    if op == "Sharpness":
        return P.adjust_sharpness(image, magnitude)
    if op == "Posterize":
        return P.posterize(image, _bits(magnitude))
    if op == "Solarize":
        levels = np.asarray(magnitude, dtype=np.float64)
        return P.solarize(image, levels if _is_uint8(image) else levels / 255.0)
    if op == "SolarizeAdd":
        return solarize_add(image, magnitude)
    if op == "AutoContrast":
        return P.autocontrast(image)
    if op == "Equalize":
        return P.equalize(image)
    if op == "Invert":
        return P.invert(image)
    if op == "Grayscale":
        return P.rgb_to_grayscale(image, num_output_channels=3)
    if op == "GaussianBlur":
        taps = _blur_taps(image)
        return P.gaussian_blur(image, taps, magnitude) if taps > 1 else image
    raise ValueError(f"op must be one of {PHOTOMETRIC_OPS}, got {op!r}")


def fill_row(fill, channels: int, dtype) -> np.ndarray:
    """``fill`` as one value per channel in ``dtype`` (rounded and clamped for integers, as the warps do)."""
    values = np.zeros(1) if fill is None else np.asarray(fill, dtype=np.float64).reshape(-1)
    if values.size not in (1, channels):
        raise ValueError(f"fill has {values.size} values; the image has {channels} channel(s) (give 1 or {channels})")
    values = np.broadcast_to(values, (channels,))
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def shift(image, dx, dy, fill=None):
    """Translate by whole pixels (right and down for positive shifts), ``fill`` where nothing comes in.

    Equal to ``augkit.functional.warping.affine(image, 0, (dx, dy), 1, (0, 0), interpolation,
    fill)`` for integer shifts, whatever the interpolation (every sample falls on a pixel
    centre), and much cheaper: a copy of the kept window.

    Args:
        image: HWC array or ``[C, H, W]`` / ``[B, C, H, W]`` tensor.
        dx: Whole pixels along the width: a number, or one per image of a batch.
        dy: Whole pixels along the height, likewise.
        fill: None (0), a number or one per channel, in the image's units.

    Returns:
        The shifted image, same kind, shape and dtype.

    Example:
        >>> shift(np.arange(6, dtype=np.uint8).reshape(2, 3, 1), 1, 0)[..., 0].tolist()
        [[0, 0, 1], [0, 3, 4]]
    """
    image = check_any_image(image, allow_uint16=True)
    if isinstance(image, np.ndarray):
        x, y = int(np.asarray(dx).reshape(-1)[0]), int(np.asarray(dy).reshape(-1)[0])
        height, width = image.shape[:2]
        channels = image.shape[2] if image.ndim == 3 else 1
        out = np.empty_like(image)
        out[...] = fill_row(fill, channels, image.dtype)
        src_y, dst_y = slice(max(-y, 0), min(height - y, height)), slice(max(y, 0), min(height + y, height))
        src_x, dst_x = slice(max(-x, 0), min(width - x, width)), slice(max(x, 0), min(width + x, width))
        if src_y.start < src_y.stop and src_x.start < src_x.stop:
            out[dst_y, dst_x] = image[src_y, src_x]
        return out
    batch = image if image.ndim == 4 else image.unsqueeze(0)
    n, channels, height, width = batch.shape
    xs = np.array(np.broadcast_to(np.asarray(dx, dtype=np.int64).reshape(-1), (n,)))
    ys = np.array(np.broadcast_to(np.asarray(dy, dtype=np.int64).reshape(-1), (n,)))
    values = torch.from_numpy(fill_row(fill, channels, _numpy_dtype(batch.dtype))).to(batch.device).view(1, channels, 1, 1)
    if batch.device.type == "cpu":
        moved = _shift_rows(batch, xs, ys, values)
    else:
        moved = _shift_gather(batch, xs, ys, values)
    return moved if image.ndim == 4 else moved[0]


def _shift_rows(batch: torch.Tensor, xs: np.ndarray, ys: np.ndarray, values: torch.Tensor) -> torch.Tensor:
    """CPU: each image's kept window copied once (a memory copy per image).

    Notes:
        About 10x faster than a gather on the CPU.
    """
    out = torch.empty_like(batch)
    for i, (x, y) in enumerate(zip(xs.tolist(), ys.tolist())):
        shift_into(batch[i], out[i], x, y, values.view(-1))
    return out


def shift_into(source, target, dx: int, dy: int, fill_values) -> None:
    """``shift`` of one ``[C, H, W]`` array or tensor written into ``target``.

    Args:
        source: ``[C, H, W]`` array or tensor.
        target: One of the same kind, shape and dtype, written.
        dx: Whole pixels along the width (right for positive).
        dy: Whole pixels along the height (down for positive).
        fill_values: ``[C]`` fill values of the same kind, in the image's dtype (``fill_row``).
    """
    height, width = source.shape[-2:]
    inside = abs(dx) < width and abs(dy) < height
    if not inside or dx or dy:
        target[...] = fill_values.reshape(-1, 1, 1)
    if inside:
        target[:, max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = source[
            :, max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
        ]


def _shift_gather(batch: torch.Tensor, xs: np.ndarray, ys: np.ndarray, values: torch.Tensor) -> torch.Tensor:
    """Other devices: one gather per axis over the whole batch."""
    n, channels, height, width = batch.shape
    device = batch.device
    cols = torch.arange(width, device=device).view(1, 1, 1, width) - torch.from_numpy(xs).to(device).view(-1, 1, 1, 1)
    rows = torch.arange(height, device=device).view(1, 1, height, 1) - torch.from_numpy(ys).to(device).view(-1, 1, 1, 1)
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    moved = batch.gather(3, cols.clamp(0, width - 1).expand(n, channels, height, width))
    moved = moved.gather(2, rows.clamp(0, height - 1).expand(n, channels, height, width))
    return torch.where(inside, moved, values)


def take_rows(images: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    """The images at ``rows`` of a batch (a new tensor)."""
    return images.index_select(0, torch.from_numpy(rows).to(images.device))


def _numpy_dtype(dtype: torch.dtype):
    return torch.empty((), dtype=dtype).numpy().dtype


def augmix_blend(image, chains, original, weights):
    """AugMix's mix: ``original * x + sum_i weights[i] * chain_i`` in float32, truncated for uint8.

    torchvision's ``AugMix`` arithmetic, operation for operation: each product is rounded
    to float32 and added in chain order; uint8 results are truncated (``tensor.to(uint8)``).

    Args:
        image: The input (HWC array or ``[C, H, W]`` / ``[B, C, H, W]`` tensor).
        chains: The augmented chains, each like ``image``.
        original: The weight of the input: a number, or one per image of a batch.
        weights: The chains' weights: ``[W]`` for one image, ``[B, W]`` for a batch.

    Returns:
        The mixed image, of the input's kind, shape and dtype.

    Example:
        >>> x = np.full((1, 1, 3), 100, np.uint8)
        >>> augmix_blend(x, [np.full((1, 1, 3), 200, np.uint8)], 0.5, [0.5]).tolist()
        [[[150, 150, 150]]]
    """
    if isinstance(image, np.ndarray):
        mix = np.float32(np.asarray(original, dtype=np.float32).reshape(-1)[0]) * image.astype(np.float32)
        for chain, weight in zip(chains, np.asarray(weights, dtype=np.float32).reshape(-1)):
            mix += np.float32(weight) * chain.astype(np.float32)
        return mix.astype(image.dtype)
    batch = image if image.ndim == 4 else image.unsqueeze(0)
    work = torch.float32 if not batch.is_floating_point() else batch.dtype
    columns = np.asarray(weights, dtype=np.float32).reshape(batch.shape[0], len(chains))
    mix = _column(np.asarray(original, dtype=np.float32), batch, work) * batch.to(work)
    for i, chain in enumerate(chains):
        part = chain if chain.ndim == 4 else chain.unsqueeze(0)
        mix.add_(_column(columns[:, i], batch, work) * part.to(work))
    out = mix.to(batch.dtype)
    return out if image.ndim == 4 else out[0]
