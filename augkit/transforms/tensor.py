"""``ToTensor``: the end of the sample stage."""

from __future__ import annotations

import numpy as np
import torch

from augkit._image import array_to_tensor, check_array_image
from augkit.transforms.base import Transform


class ToTensor(Transform):
    """Turn an HWC uint8 array into a CHW uint8 tensor, without scaling.

    The tensor is a view in channels-last memory (no transposing copy); collation stacks it.

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
