"""Recipes from the literature as plain functions."""

from __future__ import annotations

from augkit import constants
from augkit.transforms.normalize import Normalize
from augkit.transforms.views import MultiScaleTenCrop


def resnet_tta(stats=None) -> tuple[MultiScaleTenCrop, Normalize]:
    """ResNet's test-time protocol: ten crops at five scales, normalized per channel.

    The shorter side is resized to 224, 256, 384, 480 and 640; at each scale the four
    corner and the central 224 x 224 crops and their horizontal mirrors are taken (50 views
    per image), and predictions are averaged. The paper's best numbers evaluate the network
fully convolutionally at these scales; ten crops per scale is the crop-based form of the
same multi-scale average. Use with ``augkit.tta.predict``::

        views, normalize = resnet_tta()
        scores = augkit.tta.predict(model, paths, views, transform=normalize)

    Args:
        stats: An ``augkit.stats.Stats`` (or anything with ``mean`` and ``std`` in [0, 1]
            units) for the user's dataset; None uses the ImageNet constants.

    Returns:
        ``(views, normalize)``: the ``MultiScaleTenCrop`` making ``[50, 3, 224, 224]`` uint8
        views per image, and the batch-stage ``Normalize`` (mean / std) for those views.

    Example:
        >>> views, normalize = resnet_tta()
        >>> views.scales, normalize.mean
        ((224, 256, 384, 480, 640), (0.485, 0.456, 0.406))

    References:
        He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
        (Sec. 3.4: "In testing, for comparison studies we adopt the standard 10-crop
        testing ... we average the scores at multiple scales (images are resized such that
        the shorter side is in {224, 256, 384, 480, 640})").
    """
    views = MultiScaleTenCrop(scales=(224, 256, 384, 480, 640), size=224, flip=True)
    if stats is None:
        normalize = Normalize(mean=constants.IMAGENET_MEAN, std=constants.IMAGENET_STD)
    else:
        normalize = Normalize.from_stats(stats, "per_channel_std")
    return views, normalize
