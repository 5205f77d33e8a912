"""Dataset constants from the literature, in [0, 1] units."""

from __future__ import annotations

import numpy as np

#: ImageNet per-channel mean (RGB), as used by torchvision and fb.resnet.torch.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
#: ImageNet per-channel standard deviation (RGB).
IMAGENET_STD = (0.229, 0.224, 0.225)
#: Eigenvalues of ImageNet's RGB covariance, descending (fb.resnet.torch ``Lighting``).
IMAGENET_EIGVAL = (0.2175, 0.0188, 0.0045)
#: Eigenvectors of ImageNet's RGB covariance, as columns (fb.resnet.torch ``Lighting``).
IMAGENET_EIGVEC = np.array(
    [
        [-0.5675, 0.7192, 0.4009],
        [-0.5808, -0.0045, -0.8140],
        [-0.5836, -0.6948, 0.4203],
    ]
)
