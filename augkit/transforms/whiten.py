"""Channel whitening (ZCA or PCA) from the dataset covariance."""

from __future__ import annotations

import numpy as np
import torch

from augkit._image import Image, check_any_image
from augkit._image import channels as image_channels
from augkit._validate import check_real, check_vector
from augkit.functional import whitening as W
from augkit.stats import as_stats
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform


class Whiten(Transform):
    """Decorrelate the color channels: ``W (x - mean)``, float32 out, in either stage.

    uint8 input is scaled by 1/255 first; float input is taken as already in [0, 1]. With
    ``eps = 0`` the whitened dataset has zero mean and identity channel covariance; a small
    ``eps`` keeps near-zero variances from being amplified.

    Args:
        mean: Per-channel mean in [0, 1] units.
        cov: ``(C, C)`` channel covariance in [0, 1] units.
        method: ``"zca"`` (rotate back to RGB axes) or ``"pca"`` (channels become principal
            components, by descending variance).
        eps: >= 0, added to each eigenvalue.

    Shape:
        HWC array -> float32 HWC array; ``[C, H, W]`` or ``[B, C, H, W]`` tensor -> float32 tensor.

    Example:
        >>> import numpy as np
        >>> t = Whiten(mean=(0.5, 0.5, 0.5), cov=np.eye(3) * 0.25, eps=0.0)
        >>> out = t(np.full((1, 1, 3), 255, np.uint8))
        >>> out[0, 0].tolist(), t.inverse(out)[0, 0].tolist()
        ([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])

    References:
        Bell and Sejnowski, "The 'independent components' of natural scenes are edge
        filters", 1997 (ZCA); Krizhevsky, "Learning Multiple Layers of Features from Tiny
        Images", 2009, appendix A (whitening for image models).
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    normalizes = True

    def __init__(self, mean, cov, method: str = "zca", eps: float = 1e-5) -> None:
        mean_array = check_vector("mean", mean)
        try:
            cov_array = np.asarray(cov, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"cov must be a ({mean_array.size}, {mean_array.size}) matrix of numbers, got {cov!r}") from error
        if cov_array.shape != (mean_array.size, mean_array.size):
            raise ValueError(f"cov must have shape ({mean_array.size}, {mean_array.size}), got {cov_array.shape}")
        if not np.all(np.isfinite(cov_array)) or not np.allclose(cov_array, cov_array.T, rtol=1e-9, atol=1e-15):
            raise ValueError("cov must be a finite symmetric matrix")
        if method not in W.WHITEN_METHODS:
            raise ValueError(f"method must be one of {W.WHITEN_METHODS}, got {method!r}")
        eps = check_real("eps", eps)
        if eps < 0:
            raise ValueError(f"eps must be >= 0, got {eps}")
        self._mean = mean_array
        self._matrix = W.whitening_matrix(cov_array, method, eps)
        # inverse(y) = W^+ y + mean, written as the whitening kernel's W' (y - mean') with W' = W^+
        # and mean' = -W mean (W is square and invertible; the pseudo-inverse guards the rounding).
        self._inverse_matrix = np.linalg.pinv(self._matrix)
        self._inverse_mean = -(self._matrix @ mean_array)
        self.mean = tuple(mean_array.tolist())
        self.cov = tuple(tuple(row) for row in cov_array.tolist())
        self.method = method
        self.eps = eps

    @classmethod
    def from_stats(cls, stats, method: str = "zca", eps: float = 1e-5) -> Whiten:
        """Build the whitening of a dataset from its ``augkit.stats.Stats``.

        Args:
            stats: A ``Stats``, the path of a ``stats.json``, or anything with ``mean`` and
                ``cov`` in [0, 1] units.
            method: ``"zca"`` or ``"pca"``.
            eps: >= 0, added to each eigenvalue.

        Returns:
            A ``Whiten``.
        """
        stats = as_stats(stats)
        return cls(mean=stats.mean, cov=stats.cov, method=method, eps=eps)

    @property
    def matrix(self) -> np.ndarray:
        """The whitening matrix ``W`` (float64, ``(C, C)``)."""
        return self._matrix.copy()

    def apply(self, image: Image, params: None = None) -> Image:
        """Whiten ``image`` (uint8 or float) to float32."""
        image = self._checked(image)
        return W.whiten(image, self._mean, self._matrix)

    def inverse(self, image: Image) -> Image:
        """Undo the whitening: ``W^-1 y + mean``, float32 in [0, 1] units (what the input was).

        Args:
            image: What ``apply`` returned: a float HWC array, ``[C, H, W]`` or ``[B, C, H, W]``
                tensor.

        Returns:
            float32 array or tensor of the same shape: the input of ``apply`` in [0, 1] units
            (uint8 input divided by 255), up to float32 rounding.

        Example:
            >>> import numpy as np
            >>> t = Whiten(mean=(0.4, 0.5, 0.6), cov=[[0.05, 0.04, 0.03], [0.04, 0.06, 0.02], [0.03, 0.02, 0.07]])
            >>> x = np.random.default_rng(0).random((2, 2, 3))
            >>> bool(np.allclose(t.inverse(t(x)), x, atol=1e-5))
            True
        """
        image = self._checked(image)
        if image.dtype in (np.uint8, torch.uint8):
            raise TypeError("Whiten.inverse takes what apply returned (float), got uint8 pixels")
        return W.whiten(image, self._inverse_mean, self._inverse_matrix)

    def _checked(self, image: Image) -> Image:
        image = check_any_image(image)
        channels = image_channels(image)
        if channels != self._mean.size:
            raise ValueError(f"Whiten was built for {self._mean.size} channels, got an image with {channels}")
        return image
