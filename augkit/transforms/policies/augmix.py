"""torchvision's ``AugMix``: the image mixed with chains of random operations."""

from __future__ import annotations

import numpy as np

from augkit._image import check_any_image, is_batch
from augkit._validate import check_int, check_real
from augkit.functional import policy_ops as PO
from augkit.transforms.policies.core import AugMixParams, _Policy
from augkit.transforms.policies.magnitudes import _IDENTITY_KINDS, _check_policy_image_size, _tv_pick, _tv_tables


class AugMix(_Policy):
    """AugMix: a mix of the image with ``mixture_width`` chains of random operations (torchvision v2).

    torchvision's ``AugMix``: weights ``(w_0, w_1) ~ Dirichlet(alpha, alpha)`` for the image
    and the chains, chain weights ``~ Dirichlet(alpha, ..., alpha) * w_1``; each chain has
    ``chain_depth`` operations (or 1 to 3, uniformly, for -1), each uniform among the ops,
    with a bin uniform in ``[0, severity)`` of 10, negated with probability 1/2 for the
    signed ones. The mix ``w_0 x + sum_i w_i chain_i`` is computed in float32 and truncated
    to the input's dtype (uint8 in, uint8 out), as torchvision does
    (``augkit.functional.policy_ops.augmix_blend``).

    Chains warp the image differently, so no target can follow the mix: AugMix refuses
    samples with masks, boxes or keypoints (as torchvision does).

    Args:
        severity: Highest magnitude bin + 1, in [1, 10].
        mixture_width: Number of chains, >= 1.
        chain_depth: Operations per chain, >= 1, or -1 for 1 to 3 drawn per chain.
        alpha: Dirichlet parameter, > 0.
        all_ops: Include ``Brightness``, ``Color``, ``Contrast`` and ``Sharpness``.
        interpolation: ``"bilinear"`` (torchvision's default) or ``"nearest"``.
        fill: Value of pixels from outside the image in the warps, or None for 0.
        same_on_batch: In the batch stage, the same chains and weights for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> AugMix()(np.full((16, 16, 3), 50, np.uint8), rng=0).dtype
        dtype('uint8')

    References:
        Hendrycks et al., "AugMix: A Simple Data Processing Method to Improve Robustness and
        Uncertainty", ICLR 2020; torchvision ``transforms.v2.AugMix``.
    """

    params_class = AugMixParams

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        fill=None,
        same_on_batch: bool = False,
    ) -> None:
        self.severity = check_int("severity", severity, 1, 10)
        self.mixture_width = check_int("mixture_width", mixture_width, 1)
        self.chain_depth = check_int("chain_depth", chain_depth, -1)
        if self.chain_depth == 0:
            raise ValueError("chain_depth must be >= 1, or -1 for a depth of 1 to 3 drawn per chain, got 0")
        self.alpha = check_real("alpha", alpha)
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0 (the Dirichlet parameter), got {alpha}")
        if not isinstance(all_ops, bool):
            raise TypeError(f"all_ops must be a bool, got {type(all_ops).__name__}")
        self.all_ops = all_ops
        self._setup(interpolation, fill, 0, same_on_batch)

    def _kinds(self) -> dict[str, str]:
        return _IDENTITY_KINDS

    def _draw_ops(self, rng, rows, height, width):
        _check_policy_image_size(height, width)
        names, table = _tv_tables("augmix" if self.all_ops else "augmix_partial", 10, height, width)
        mix = rng.gamma(self.alpha, 1.0, size=(rows, 2))
        chains = rng.gamma(self.alpha, 1.0, size=(rows, self.mixture_width))
        depth_max = self.chain_depth if self.chain_depth > 0 else 3
        shape = (rows, self.mixture_width, depth_max)
        if self.chain_depth > 0:
            depth = np.full((rows, self.mixture_width), self.chain_depth)
        else:
            depth = rng.integers(1, 4, size=(rows, self.mixture_width))
        op = rng.integers(0, len(names), size=shape)
        bins = rng.integers(0, self.severity, size=shape)
        ops, magnitudes = _tv_pick(rng, shape, names, table, op, bins)
        applied = np.arange(depth_max)[None, None, :] < depth[:, :, None]
        total = mix.sum(axis=1, keepdims=True)
        original = (mix[:, 0] / total[:, 0]).astype(np.float32)
        rest = (mix[:, 1] / total[:, 0]).astype(np.float32)
        weights = (chains / chains.sum(axis=1, keepdims=True)).astype(np.float32) * rest[:, None]
        return ops, magnitudes, applied, original, weights

    def apply(self, image, params: AugMixParams):  # type: ignore[override]  # its own parameter kind
        """Run each chain (grouped per operation for a batch) and mix."""
        image = check_any_image(image)
        chains = []
        for i in range(self.mixture_width):
            if is_batch(image):
                ops, mags, applied = (np.asarray(getattr(params, f))[:, i] for f in ("ops", "magnitudes", "applied"))
                chains.append(self._columns(image, ops, mags, applied))
            else:
                chains.append(self._sequence(image, params.ops[i], params.magnitudes[i], params.applied[i]))
        return PO.augmix_blend(image, chains, params.original, params.weights)

    def apply_mask(self, mask, params):
        """AugMix has no target semantics (its chains warp differently): refused."""
        raise self._unsupported("masks")

    def apply_boxes(self, boxes, params, size):
        """Refused (see ``apply_mask``)."""
        raise self._unsupported("boxes")

    def apply_keypoints(self, keypoints, params, size):
        """Refused (see ``apply_mask``)."""
        raise self._unsupported("keypoints")
