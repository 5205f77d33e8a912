"""``BoxFilter``: drop boxes that crops left too small or too hidden (with their labels)."""

from __future__ import annotations

from augkit._image import Image, MaskT
from augkit._validate import check_real
from augkit.functional import targets as T
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform


def _check_nonnegative(name: str, value) -> float:
    value = check_real(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


class BoxFilter(Transform):
    """Drop the boxes that are too small or too little visible after crops, and their labels.

    Without a ``BoxFilter`` a box is kept while any of it is visible: crops drop only the
    boxes they leave with no area. Put a ``BoxFilter`` after the crops (anywhere later in the
    pipeline, in either stage) for stricter rules, as albumentations' ``BboxParams``
    (``min_visibility``, ``min_area``, ``min_width``, ``min_height``) and torchvision's
    ``SanitizeBoundingBoxes`` (``min_size``, ``min_area``) do. The number of boxes kept is
    ``len(sample.boxes)``.

    Visibility is a box's area now over its area before the transforms clipped it, both in
    the current image's pixels: ``Boxes.reference_area`` records the area before the first
    clipping crop or resize and resizes scale it, so ``min_visibility`` judges what all the
    crops of a pipeline together left of the box (albumentations judges each transform
    alone, which gives the same answer for one crop). Images, masks and keypoints pass
    through unchanged.

    Args:
        min_visibility: Smallest fraction of a box's area that must remain, in [0, 1].
        min_area: Smallest area in pixels.
        min_width: Smallest width in pixels.
        min_height: Smallest height in pixels.

    Example:
        >>> import numpy as np, augkit
        >>> boxes = augkit.Boxes([[5, 5, 15, 15], [0, 6, 10, 10], [12, 6, 20, 10]], labels=[1, 2, 3])
        >>> sample = augkit.Sample(np.zeros((20, 20, 3), np.uint8), boxes=boxes)
        >>> pipe = augkit.Compose([augkit.CenterCrop(10), BoxFilter(min_visibility=0.5)])
        >>> out = pipe(sample, rng=0)
        >>> out.boxes.labels.tolist(), out.boxes.visibility().tolist()
        ([1, 2], [1.0, 0.5])
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    geometric = True  # acts on targets; its image apply is the identity

    def __init__(self, min_visibility: float = 0.0, min_area: float = 0.0, min_width: float = 0.0, min_height: float = 0.0) -> None:
        self.min_visibility = check_real("min_visibility", min_visibility)
        if not 0.0 <= self.min_visibility <= 1.0:
            raise ValueError(f"min_visibility must be a fraction in [0, 1], got {min_visibility}")
        self.min_area = _check_nonnegative("min_area", min_area)
        self.min_width = _check_nonnegative("min_width", min_width)
        self.min_height = _check_nonnegative("min_height", min_height)

    def apply(self, image: Image, params: None = None) -> Image:
        """Return ``image`` unchanged (boxes are filtered on a ``Sample`` or ``Batch``)."""
        return image

    def apply_mask(self, mask: MaskT, params: None = None) -> MaskT:
        """Masks pass through."""
        return mask

    def apply_boxes(self, boxes, params, size):
        """Keep the boxes that pass every threshold."""
        return T.filter_boxes(boxes, self.min_visibility, self.min_area, self.min_width, self.min_height)

    def apply_keypoints(self, keypoints, params, size):
        """Keypoints pass through."""
        return keypoints
