"""Normalization three ways: mean image (AlexNet), per-channel mean (VGG), mean and std (ResNet)."""

from __future__ import annotations

import os

import numpy as np
import torch

from augkit._image import Image, check_any_image, spatial_size
from augkit._image import channels as image_channels
from augkit._validate import check_real, check_vector
from augkit.functional import normalization as N
from augkit.stats import as_stats
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform

NORMALIZE_MODES = ("mean_image", "per_channel_mean", "per_channel_std")


def _is_float(image) -> bool:
    return image.is_floating_point() if isinstance(image, torch.Tensor) else np.issubdtype(image.dtype, np.floating)


def _check_units(name: str, values: np.ndarray, max_value: float) -> None:
    """Refuse constants above white: 0-255 constants given for [0, 1] units, the usual slip."""
    if np.any(np.abs(values) > max_value * (1 + 1e-6)):
        hint = (
            "; augkit's constants are in [0, 1] units (uint8 images are scaled by 1/255 first): divide them by 255,"
            " or pass max_value=255.0 to give them in 0-255 units"
            if max_value == 1.0
            else ""
        )
        shown = values.tolist() if values.size <= 8 else f"values up to {float(np.abs(values).max()):g}"
        raise ValueError(f"{name} must lie within [-{max_value:g}, {max_value:g}] (max_value={max_value:g}), got {shown}{hint}")


def _load_mean_image(mean_image) -> np.ndarray:
    if isinstance(mean_image, (str, os.PathLike)):
        try:
            mean_image = np.load(mean_image, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ValueError(f"mean_image: cannot load {os.fspath(mean_image)!r}: {error}") from error
    array = np.asarray(mean_image, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ValueError(f"mean_image must have shape (height, width, channels), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("mean_image must be finite")
    return array


class Normalize(Transform):
    """Scale to [0, 1] and normalize; returns float32 in either stage.

    uint8 input is scaled by 1/255 first, uint16 input (16-bit files decoded with
    ``mode="unchanged"``) by 1/65535; float input is taken as already in [0, 1]. Any channel
    count works, given constants with one value per channel.
    Then either ``(x - mean) / std`` per channel, or ``x - mean_image``. All constants are in
    [0, 1] units (the convention of ImageNet's 0.485 / 0.229). Use ``from_stats`` for the
    three classic modes.

    Args:
        mean: Per-channel means (required unless ``mean_image`` is given).
        std: Per-channel standard deviations (default: all ones, i.e. mean subtraction only).
        mean_image: An ``(H, W, C)`` mean image (array, or path to a ``.npy`` file) to
            subtract instead of per-channel means; images must then have that size.
        max_value: The units of the constants and of float images: the value of white.
            1.0 ([0, 1] units, the default: constants above 1 are refused, since they are
            almost always 0-255 constants given by mistake) or 255.0 for 0-255 constants
            and float images in 0-255. Integer images are scaled to these units first.

    Shape:
        HWC array -> float32 HWC array; ``[C, H, W]`` or ``[B, C, H, W]`` tensor -> float32 tensor.

    Example:
        >>> import numpy as np
        >>> Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))(np.zeros((1, 1, 3), np.uint8))[0, 0].tolist()
        [-1.0, -1.0, -1.0]
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    normalizes = True

    def __init__(self, mean=None, std=None, mean_image=None, max_value: float = 1.0) -> None:
        self.max_value = check_real("max_value", max_value)
        if not 1e-3 <= self.max_value <= 1e6:
            raise ValueError(f"max_value must lie in [1e-3, 1e6] (1.0 for [0, 1] units, 255.0 for 0-255 units), got {self.max_value}")
        if mean_image is not None:
            if mean is not None or std is not None:
                raise ValueError("Normalize takes either mean/std or mean_image, not both")
            self.mean_image = mean_image
            self._mean_image = _load_mean_image(mean_image)
            _check_units("mean_image", self._mean_image, self.max_value)
            self.mean = self.std = None
            self._unit_mean_image = (self._mean_image / self.max_value).astype(np.float32)
            return
        if mean is None:
            raise ValueError("Normalize needs mean= (with optional std=) or mean_image=")
        self.mean_image = None
        self._mean = check_vector("mean", mean)
        self._std = np.ones_like(self._mean) if std is None else check_vector("std", std, self._mean.size, positive=True)
        _check_units("mean", self._mean, self.max_value)
        if std is not None and (np.any(self._std < 1e-6 * self.max_value) or np.any(self._std > 1e3 * self.max_value)):
            raise ValueError(
                f"std must lie in [{1e-6 * self.max_value:g}, {1e3 * self.max_value:g}] (relative to max_value), got {list(std)}"
            )
        self.mean = tuple(self._mean.tolist())
        self.std = None if std is None else tuple(self._std.tolist())

    @classmethod
    def from_stats(cls, stats, mode: str = "per_channel_std") -> Normalize:
        """Build the normalization of one classic recipe from dataset statistics.

        Args:
            stats: An ``augkit.stats.Stats``, the path of a ``stats.json`` written by
                ``augkit stats``, or anything with ``mean``, ``std`` and, for
                ``"mean_image"``, ``mean_image`` in [0, 1] units.
            mode: ``"mean_image"`` (AlexNet), ``"per_channel_mean"`` (VGG) or
                ``"per_channel_std"`` (ResNet).

        Returns:
            A ``Normalize``.
        """
        if mode not in NORMALIZE_MODES:
            raise ValueError(f"mode must be one of {NORMALIZE_MODES}, got {mode!r}")
        stats = as_stats(stats)
        if mode == "mean_image":
            if getattr(stats, "mean_image", None) is None:
                raise ValueError("mode='mean_image' needs stats computed with mean_image_size set")
            return cls(mean_image=stats.mean_image)
        if mode == "per_channel_mean":
            return cls(mean=stats.mean)
        return cls(mean=stats.mean, std=stats.std)

    def config_args(self) -> dict:
        """Constructor arguments; ``std``, ``mean_image`` and ``max_value`` only when given."""
        if self.mean_image is not None:
            args = {"mean_image": self.mean_image}
        else:
            args = {"mean": self.mean}
            if self.std is not None:
                args["std"] = self.std
        if self.max_value != 1.0:
            args["max_value"] = self.max_value
        return args

    def _check_channels(self, image) -> None:
        channels = image_channels(image)
        expected = self._mean_image.shape[2] if self.mean_image is not None else self._mean.size
        if channels != expected:
            raise ValueError(f"Normalize was built for {expected} channels, got an image with {channels}")

    def apply(self, image: Image, params: None = None) -> Image:
        """Normalize ``image`` (uint8, uint16 or float) to float32."""
        image = check_any_image(image, allow_uint16=True)
        self._check_channels(image)
        if self.mean_image is not None:
            expected = self._mean_image.shape[:2]
            if spatial_size(image) != expected:
                raise ValueError(
                    f"Normalize(mean_image) expects images of size {expected}, got {spatial_size(image)};"
                    " resize or crop to the mean image's size first"
                )
            if _is_float(image):
                return N.subtract_mean_image(image, self._mean_image)
            return N.subtract_mean_image(image, self._unit_mean_image) * self.max_value
        if _is_float(image) or self.max_value == 1.0:
            return N.normalize(image, self._mean, self._std)
        # Integer pixels are read as [0, 1]; the constants are in max_value units.
        return N.normalize(image, self._mean / self.max_value, self._std / self.max_value)

    def inverse(self, image):
        """Undo the normalization: return float32 values in [0, 1] units.

        Args:
            image: What ``apply`` returned.

        Returns:
            float32 array or tensor, ``x * std + mean`` (or ``x + mean_image``).
        """
        scale = 1.0 / self.max_value
        if self.mean_image is not None:
            mean = self._unit_mean_image
            if isinstance(image, np.ndarray):
                return (image * np.float32(scale) + mean).astype(np.float32)
            return image * scale + torch.from_numpy(np.ascontiguousarray(mean.transpose(2, 0, 1))).to(image.device)
        return N.denormalize(image, self._mean * scale, self._std * scale)
