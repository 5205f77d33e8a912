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

#: CIFAR-10 per-channel mean (RGB) of the 50,000 training images (e.g. 125.3 / 255 for red).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
#: CIFAR-10 per-channel population standard deviation (RGB) over all training pixels,
#: (63.0, 62.1, 66.7) / 255 as in the Cutout code. Not the often-copied (0.2023, 0.1994,
#: 0.2010), which is the mean of the per-image standard deviations.
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
