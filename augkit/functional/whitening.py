"""Whitening kernels: decorrelate channels with a 3x3 (C x C) matrix from the channel covariance.

``out = W (x - mean)`` per pixel, with ``x`` in [0, 1] units (uint8 scaled by 1/255), so the
whitened dataset has zero mean and identity covariance. PCA whitening rotates into the
eigenbasis, ``W = diag(1 / sqrt(eigval + eps)) U^T``; ZCA rotates back, ``W = U diag(...) U^T``,
the symmetric choice that keeps the output closest to the input.
"""

from __future__ import annotations

import numpy as np
import torch

from augkit import _memory
from augkit._image import Image

WHITEN_METHODS = ("zca", "pca")


def whitening_matrix(cov: np.ndarray, method: str = "zca", eps: float = 1e-5) -> np.ndarray:
    """Return the whitening matrix ``W`` (float64, ``(C, C)``) of a channel covariance.

    Args:
        cov: Symmetric positive semi-definite ``(C, C)`` covariance.
        method: ``"zca"`` or ``"pca"``.
        eps: Added to each eigenvalue before ``1 / sqrt``; regularizes tiny variances.

    Returns:
        ``W`` with ``W cov W^T = I`` when ``eps == 0``. PCA rows follow descending eigenvalues.

    Example:
        >>> whitening_matrix(np.diag([4.0, 1.0]), "zca", 0.0).tolist()
        [[0.5, 0.0], [0.0, 1.0]]
    """
    if method not in WHITEN_METHODS:
        raise ValueError(f"method must be one of {WHITEN_METHODS}, got {method!r}")
    values, vectors = np.linalg.eigh(np.asarray(cov, dtype=np.float64))
    values, vectors = values[::-1], vectors[:, ::-1]
    if np.any(values + eps <= 0):
        raise ValueError(f"the covariance has eigenvalue {values.min():.3g}: eps must be > 0 to whiten a singular covariance, got {eps}")
    scaled = vectors.T / np.sqrt(values + eps)[:, None]
    return scaled if method == "pca" else vectors @ scaled


def whiten(image: Image, mean: np.ndarray, matrix: np.ndarray) -> Image:
    """Whiten an image or batch: ``W (x - mean)`` per pixel, float32 out.

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8 (scaled by 1/255) or float
            (taken as [0, 1]).
        mean: Per-channel mean ``(C,)`` in [0, 1] units.
        matrix: Whitening matrix ``(C, C)``.

    Returns:
        float32 array or tensor of the input's shape.

    Example:
        >>> whiten(np.full((1, 1, 2), 255, np.uint8), np.zeros(2), np.eye(2) * 2)[0, 0].tolist()
        [2.0, 2.0]
    """
    scale = 1.0 / 255.0 if _is_uint8(image) else 1.0
    linear = (matrix * scale).astype(np.float32)
    bias = (-(matrix @ mean)).astype(np.float32)
    if isinstance(image, torch.Tensor):
        return _whiten_tensor(image, linear, bias)
    height, width, channels = image.shape
    out = image.reshape(-1, channels).astype(np.float32) @ linear.T
    out += bias
    return out.reshape(height, width, channels)


#: CPU batches are whitened in chunks of about this many output bytes (cache-sized).
_CHUNK_BYTES = 1 << 20


def _whiten_tensor(image: torch.Tensor, linear: np.ndarray, bias: np.ndarray) -> torch.Tensor:
    """``linear @ x + bias`` per pixel of a ``[..., C, H, W]`` tensor, channel plane by channel plane.

    Output channel ``i`` is ``((x_0 * l_i0 + x_1 * l_i1) + ...) + b_i``, each step an
    element-wise operation: the same values whatever the memory layout or batch size
    (a matrix product sums in an order that depends on both). On the CPU a batch goes in
    chunks of samples that stay in cache.

    Notes:
        Measured at 1 thread on contiguous [64, 3, 224, 224] uint8: ~2.5x faster than
        ``torch.einsum``, and as fast on channels-last batches.
    """
    out = _memory.empty_like(image, torch.float32)
    if image.ndim < 4 or image.shape[0] == 0 or image.device.type != "cpu":
        _whiten_planes(image, out, linear, bias)
        return out
    step = max(1, _CHUNK_BYTES // max(1, out[0].numel() * 4))
    for start in range(0, image.shape[0], step):
        _whiten_planes(image[start : start + step], out[start : start + step], linear, bias)
    return out


def _whiten_planes(image: torch.Tensor, out: torch.Tensor, linear: np.ndarray, bias: np.ndarray) -> None:
    planes = image.to(torch.float32).unbind(-3)  # .to() may return the input itself: read only
    for i, target in enumerate(out.unbind(-3)):
        torch.mul(planes[0], float(linear[i, 0]), out=target)
        for j in range(1, len(planes)):
            target.add_(planes[j], alpha=float(linear[i, j]))
        target.add_(float(bias[i]))


def _is_uint8(image: Image) -> bool:
    return image.dtype == torch.uint8 if isinstance(image, torch.Tensor) else image.dtype == np.uint8
