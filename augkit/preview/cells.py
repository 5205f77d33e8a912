"""One cell of a preview: both stages run on one image (and its targets), made displayable.

The sample stage runs on the ``Sample`` (or the bare image when it carries no targets); its
output goes into the batch stage as a one-sample ``augkit.Batch`` (targets included, and
a zero class label, so mixing transforms run: in a one-sample batch they
mix the sample with itself). The result is made displayable: every transform that
``normalizes`` and has an ``inverse`` is undone, float output is taken as [0, 1], and the
targets become numpy arrays in the displayed image's pixel coordinates.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol, TypeGuard

import numpy as np
import torch

from augkit.preview.captions import describe_params
from augkit.preview.pipelines import split_pipeline
from augkit.preview.steps import steps
from augkit.targets import Batch, Boxes, Keypoints, Sample
from augkit.transforms.base import Transform, params_at
from augkit.transforms.tensor import mask_to_tensor


def as_sample(x, where: str = "image") -> Sample:
    """Return ``x`` (an HWC array or a ``Sample`` of one) as a ``Sample``, checking the mask's size.

    Raises:
        TypeError: Not an HWC array or a ``Sample`` of one.
        ValueError: A mask of another height and width than the image.
    """
    sample = x if isinstance(x, Sample) else Sample(x)
    image = sample.image
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        raise TypeError(f"{where} must be an HWC array (augkit.decode output) or an augkit.Sample of one, got {type(image).__name__}")
    if sample.mask is not None and tuple(np.shape(sample.mask)[:2]) != image.shape[:2]:
        raise ValueError(f"the mask of {where} is {np.shape(sample.mask)[:2]}, the image {image.shape[:2]}: they must match")
    return sample


class Invertible(Protocol):
    """A normalizing transform the display undoes (``Normalize``, ``Whiten``): ``inverse(output)`` gives [0, 1] pixels."""

    def inverse(self, image: Any) -> Any: ...


def display_invertible(transform: Transform) -> TypeGuard[Invertible]:
    """True for a transform whose output the display undoes: it ``normalizes`` and has an ``inverse``."""
    return bool(getattr(transform, "normalizes", False)) and callable(getattr(transform, "inverse", None))


def _mean_image(transform: Invertible) -> np.ndarray | None:
    """The public ``mean_image`` of a mean-image ``Normalize`` as an array (None for other transforms)."""
    value = getattr(transform, "mean_image", None)
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        value = np.load(value, allow_pickle=False)
    return np.asarray(value, dtype=np.float32)


def _invert_for_display(transform: Invertible, output: Any) -> Any:
    """``transform.inverse(output)``; a mean image larger than ``output`` is added back center-cropped.

    A mean image is subtracted before the random crop (AlexNet), so the output is a window of
    the normalized image whose position the display no longer knows; adding the central
    window of the mean image back is exact for a center crop and close otherwise (a mean
    image is smooth). For display only.
    """
    mean = _mean_image(transform)
    height, width = output.shape[-2:] if isinstance(output, torch.Tensor) else output.shape[:2]
    if mean is None or (height, width) == mean.shape[:2] or height > mean.shape[0] or width > mean.shape[1]:
        return transform.inverse(output)
    top, left = int(round((mean.shape[0] - height) / 2.0)), int(round((mean.shape[1] - width) / 2.0))
    window = np.ascontiguousarray(mean[top : top + height, left : left + width])
    if isinstance(output, torch.Tensor):
        return output.to(torch.float32) + torch.from_numpy(window.transpose(2, 0, 1).copy()).to(output.device)
    return (output + window).astype(np.float32)


def to_display(output: Any, invert: Sequence[Invertible] = ()) -> np.ndarray:
    """Turn a pipeline's output into an HWC uint8 RGB array for display.

    Args:
        output: An HWC array, a ``[C, H, W]`` tensor or a ``[1, C, H, W]`` batch; uint8 or float.
        invert: Normalizing transforms that ran, in order; their ``inverse`` is applied in
            reverse order, giving [0, 1] floats.

    Returns:
        ``(H, W, 3)`` uint8 array. Float values are taken as [0, 1], scaled and clipped.
    """
    for t in reversed(list(invert)):
        output = _invert_for_display(t, output)
    if isinstance(output, torch.Tensor):
        output = output.detach().cpu()
        if output.ndim == 4:
            output = output[0]
        if output.ndim != 3:
            raise ValueError(f"cannot display a tensor of shape {tuple(output.shape)}")
        output = output.permute(1, 2, 0).numpy()
    array = np.asarray(output)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.dtype != np.uint8:
        array = np.clip(np.rint(array.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3])


def _numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def displayed_targets(sample: Sample, image: np.ndarray) -> Sample:
    """``sample``'s targets as numpy arrays beside the displayed ``image`` (a ``[M, H, W]`` tensor mask becomes ``[H, W, M]``)."""
    mask = sample.mask
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu()
        mask = (mask.permute(1, 2, 0) if mask.ndim == 3 else mask).numpy()
    boxes = None if sample.boxes is None else Boxes(_numpy(sample.boxes.xyxy), _numpy(sample.boxes.labels))
    keypoints = None if sample.keypoints is None else Keypoints(_numpy(sample.keypoints.xy), _numpy(sample.keypoints.visible))
    return Sample(image, mask=None if mask is None else np.asarray(mask), boxes=boxes, keypoints=keypoints)


def _one_sample_batch(sample: Sample) -> Batch:
    """``sample`` (sample-stage output) as the one-sample ``Batch`` the batch stage runs on."""
    image = sample.image
    if isinstance(image, np.ndarray) and image.ndim == 3:
        image = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        raise TypeError(f"the sample stage must end with an HWC array or a CHW tensor to feed the batch stage, got {type(image).__name__}")
    return Batch(
        image.unsqueeze(0),
        torch.zeros(1, dtype=torch.long),
        None if sample.mask is None else mask_to_tensor(sample.mask).unsqueeze(0),
        None if sample.boxes is None else [sample.boxes.to("cpu")],
        None if sample.keypoints is None else [sample.keypoints.to("cpu")],
    )


def _first_row(batch: Batch) -> Sample:
    return Sample(
        batch.images[0],
        mask=None if batch.masks is None else batch.masks[0],
        boxes=None if batch.boxes is None else batch.boxes[0],
        keypoints=None if batch.keypoints is None else batch.keypoints[0],
    )


def _pick_view(sample, view: int) -> tuple[Sample, list[str]]:
    """One view of a multi-view output: a ``[V, C, H, W]`` tensor, or a ``Batch`` of views with their targets."""
    if isinstance(sample, Batch):
        count = sample.size
        row = sample.select([view % count])
        return _first_row(row).replace(label=sample.labels[0] if isinstance(sample.labels, list) else None), [
            f"view {view % count}/{count}"
        ]
    image = sample.image
    if not (isinstance(image, torch.Tensor) and image.ndim == 4):
        return sample, []
    count = int(image.shape[0])
    return Sample(image[view % count], label=sample.label), [f"view {view % count}/{count}"]


def run_stages(sample: Sample, pipeline, rng: np.random.Generator, view: int = 0) -> tuple[Sample, list[str], list[Transform]]:
    """Run both stages on one sample; return its output, the caption lines and the leaves that ran."""
    first, second = split_pipeline(pipeline)
    out = sample
    lines: list[str] = []
    ran: list[Transform | None] = []
    if first is not None:
        x = sample if sample.has_spatial_targets() else sample.image
        result, params = first.run(x, rng)
        lines += describe_params(params, first)
        ran += [s.transform for s in steps(params, first) if s.ran]
        out, view_lines = _pick_view(result if isinstance(result, (Sample, Batch)) else sample.replace(image=result), view)
        lines += view_lines
    if second is not None:
        batch, params = second.run(_one_sample_batch(out), rng)
        one = params_at(params, 0)
        lines += [f"batch {line}" for line in describe_params(one, second)]
        ran += [s.transform for s in steps(one, second) if s.ran]
        out = _first_row(batch)
    return out, lines, [t for t in ran if t is not None]


def augment_one(image, pipeline, rng: np.random.Generator, view: int = 0):
    """Run both stages on one image (or ``Sample``); return the displayable result and its caption lines.

    Args:
        image: HWC uint8 RGB, or an ``augkit.Sample`` of one with a mask, boxes or keypoints.
        pipeline: A ``Transform`` or a ``(sample, batch)`` pair (see ``split_pipeline``).
        rng: The generator both stages draw from, sample stage first.
        view: When the sample stage makes several views (``TenCrop``, ``MultiScaleTenCrop``:
            a ``[V, C, H, W]`` tensor), the one shown: ``view % V`` (captioned ``view v/V``).

    Returns:
        ``(HWC uint8 array, caption lines)`` for an image; ``(Sample, caption lines)`` for a
        ``Sample``: its image the HWC uint8 display, its targets numpy arrays in that
        image's pixels.

    Example:
        >>> import numpy as np
        >>> from augkit import HorizontalFlip, Sample
        >>> shown, lines = augment_one(Sample(np.zeros((4, 6, 3), np.uint8), boxes=[[0, 0, 2, 4]]), HorizontalFlip(p=1.0), np.random.default_rng(0))
        >>> shown.boxes.xyxy.tolist(), lines
        ([[4.0, 0.0, 6.0, 4.0]], ['HorizontalFlip: flip=yes'])
    """
    sample = as_sample(image)
    out, lines, ran = run_stages(sample, pipeline, rng, view)
    shown = to_display(out.image, [t for t in ran if display_invertible(t)])
    if not isinstance(image, Sample):
        return shown, lines
    return displayed_targets(out, shown), lines
