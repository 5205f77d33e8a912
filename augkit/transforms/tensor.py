"""``ToTensor``: the end of the sample stage."""

from __future__ import annotations

import numpy as np
import torch

from augkit._image import array_to_tensor, check_array_image
from augkit.targets import Sample
from augkit.transforms.base import Transform


def mask_to_tensor(mask) -> torch.Tensor:
    """A sample-stage mask as a tensor: ``[H, W]`` stays, ``[H, W, M]`` becomes ``[M, H, W]``; dtype kept."""
    if isinstance(mask, torch.Tensor):
        return mask
    array = np.asarray(mask)
    if array.ndim not in (2, 3):
        raise ValueError(f"a mask must be [H, W] or [H, W, M], got shape {array.shape}")
    tensor = array_to_tensor(array)
    return tensor.permute(2, 0, 1) if tensor.ndim == 3 else tensor


class ToTensor(Transform):
    """Turn an HWC uint8 array into a CHW uint8 tensor, without scaling.

    The tensor is a view in channels-last memory (no transposing copy); collation stacks it.
    A ``Sample``'s targets become tensors too: a mask ``[H, W]`` (or ``[M, H, W]``), boxes
    and keypoints as float32 tensors.

    Shape:
        ``(H, W, C)`` array -> ``[C, H, W]`` tensor, dtype kept.

    Example:
        >>> import numpy as np
        >>> ToTensor()(np.zeros((4, 5, 3), np.uint8)).shape
        torch.Size([3, 4, 5])
    """

    def apply(self, image: np.ndarray, params=None) -> torch.Tensor:
        """Convert ``image``."""
        image = check_array_image(image)
        return array_to_tensor(image).permute(2, 0, 1)

    def _apply_sample(self, sample: Sample, params) -> Sample:
        return sample.replace(
            image=self.apply(sample.image, params),
            mask=None if sample.mask is None else mask_to_tensor(sample.mask),
            boxes=None if sample.boxes is None else sample.boxes.to("cpu"),
            keypoints=None if sample.keypoints is None else sample.keypoints.to("cpu"),
        )
