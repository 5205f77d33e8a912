"""Pure, deterministic kernels. No randomness lives here: transforms draw and pass parameters.

One rule for the image arguments of every kernel (each kernel's docstring says whether it
takes arrays, tensors or both):

- A numpy array is one HWC image: ``(height, width, channels)`` (the sample stage).
- A tensor is ``[..., C, H, W]``: one ``[C, H, W]`` image or any number of leading batch
  dimensions (``[B, C, H, W]``, ``[N, V, C, H, W]``, ...), including empty ones (``B = 0``).
  Per-sample parameters are either a scalar (or one value per channel), shared by every
  image, or have the leading dimensions' shape (``[B]`` for ``[B, C, H, W]``). The one
  exception is ``mix.mix_images``, which pairs sample ``i`` with sample ``B - 1 - i`` and so
  takes exactly ``[B, C, H, W]``.
- Any memory layout (contiguous, channels-last, strided views) gives the same values.
- A kernel never writes to its input. It returns a new array or tensor on the input's
  device (or, where its docstring says so, the input itself or a view of it).
- Photometric, geometric and erasing kernels keep the dtype; ``normalize``,
  ``subtract_mean_image``, ``denormalize`` and ``whiten`` return float32.

``tests/test_kernels.py`` checks every public kernel against this rule.

The kernels users call are importable from here, as torchvision's ``functional``::

    from augkit import functional as F
    F.hflip(image), F.resize(image, (224, 224)), F.adjust_brightness(batch, factors)

Each also lives in its module (``augkit.functional.geometry``, ``.color``, ``.photometric``,
``.erasing``, ``.mix``, ``.normalization``, ``.warping``, ``.whitening``); the kernels of
masks, boxes and keypoints are in ``augkit.functional.targets``, the test-time view writers in
``augkit.functional.views``, the policies' operations in ``augkit.functional.policy_ops``.

Example:
    >>> import numpy as np
    >>> from augkit import functional as F
    >>> F.hflip(np.arange(3, dtype=np.uint8).reshape(1, 3, 1))[0, :, 0].tolist()
    [2, 1, 0]
"""

# ruff: noqa: F401  (the TYPE_CHECKING imports below only declare the lazy public names)

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The kernels are imported from their modules on first use (PEP 562): importing one kernel module
# (``augkit.functional.geometry``) runs this file without importing every other one.
_EXPORTS = {
    "crop": "augkit.functional.geometry",
    "crop_batch": "augkit.functional.geometry",
    "hflip": "augkit.functional.geometry",
    "resize": "augkit.functional.geometry",
    "resize_crop": "augkit.functional.geometry",
    "shorter_side_size": "augkit.functional.geometry",
    "vflip": "augkit.functional.geometry",
    "add_offset": "augkit.functional.color",
    "adjust_brightness": "augkit.functional.color",
    "adjust_contrast": "augkit.functional.color",
    "adjust_hue": "augkit.functional.color",
    "adjust_saturation": "augkit.functional.color",
    "color_jitter": "augkit.functional.color",
    "pca_lighting_offset": "augkit.functional.color",
    "adjust_sharpness": "augkit.functional.photometric",
    "autocontrast": "augkit.functional.photometric",
    "equalize": "augkit.functional.photometric",
    "gaussian_blur": "augkit.functional.photometric",
    "invert": "augkit.functional.photometric",
    "posterize": "augkit.functional.photometric",
    "rgb_to_grayscale": "augkit.functional.photometric",
    "solarize": "augkit.functional.photometric",
    "cutout_box": "augkit.functional.erasing",
    "erase": "augkit.functional.erasing",
    "erase_boxes": "augkit.functional.erasing",
    "cutmix_box": "augkit.functional.mix",
    "mix_images": "augkit.functional.mix",
    "mix_targets": "augkit.functional.mix",
    "soft_targets": "augkit.functional.mix",
    "denormalize": "augkit.functional.normalization",
    "normalize": "augkit.functional.normalization",
    "subtract_mean_image": "augkit.functional.normalization",
    "affine": "augkit.functional.warping",
    "affine_matrix": "augkit.functional.warping",
    "perspective": "augkit.functional.warping",
    "perspective_coefficients": "augkit.functional.warping",
    "rotate": "augkit.functional.warping",
    "rotated_size": "augkit.functional.warping",
    "whiten": "augkit.functional.whitening",
    "whitening_matrix": "augkit.functional.whitening",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # what static type checkers and IDEs see
    from augkit.functional.color import (
        add_offset,
        adjust_brightness,
        adjust_contrast,
        adjust_hue,
        adjust_saturation,
        color_jitter,
        pca_lighting_offset,
    )
    from augkit.functional.erasing import cutout_box, erase, erase_boxes
    from augkit.functional.geometry import crop, crop_batch, hflip, resize, resize_crop, shorter_side_size, vflip
    from augkit.functional.mix import cutmix_box, mix_images, mix_targets, soft_targets
    from augkit.functional.normalization import denormalize, normalize, subtract_mean_image
    from augkit.functional.photometric import (
        adjust_sharpness,
        autocontrast,
        equalize,
        gaussian_blur,
        invert,
        posterize,
        rgb_to_grayscale,
        solarize,
    )
    from augkit.functional.warping import affine, affine_matrix, perspective, perspective_coefficients, rotate, rotated_size
    from augkit.functional.whitening import whiten, whitening_matrix


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'augkit.functional' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
