"""Whitening kernels: decorrelate channels with a 3x3 (C x C) matrix from the channel covariance.

``out = W (x - mean)`` per pixel, with ``x`` in [0, 1] units (uint8 scaled by 1/255), so the
whitened dataset has zero mean and identity covariance. PCA whitening rotates into the
eigenbasis, ``W = diag(1 / sqrt(eigval + eps)) U^T``; ZCA rotates back, ``W = U diag(...) U^T``,
the symmetric choice that keeps the output closest to the input.
"""

from __future__ import annotations

import numpy as np
import torch

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


def whiten(image, mean: np.ndarray, matrix: np.ndarray):
    """Whiten an image or batch: ``W (x - mean)`` per pixel, float32 out.

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8 (scaled by 1/255)
            or float (taken as [0, 1]).
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
        a = torch.from_numpy(linear).to(image.device)
        b = torch.from_numpy(bias).to(image.device).view(-1, 1, 1)
        return torch.einsum("ij,...jhw->...ihw", a, image.to(torch.float32)) + b
    height, width, channels = image.shape
    out = image.reshape(-1, channels).astype(np.float32) @ linear.T
    out += bias
    return out.reshape(height, width, channels)


def _is_uint8(image) -> bool:
    return image.dtype == torch.uint8 if isinstance(image, torch.Tensor) else image.dtype == np.uint8
