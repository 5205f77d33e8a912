"""``Uint8Collate``: stack uint8 images into a reused (optionally pinned) buffer.

``default_collate`` on the CHW views that ``ToTensor`` returns does a transposing copy into
a fresh tensor on every batch. This collate instead

* copies each image as one memcpy into a ``[B, C, H, W]`` buffer in **channels-last**
  memory (the decoded HWC pixels' own layout; ``DeviceLoader`` converts on the device), and
* in the main process (``num_workers=0``), reuses buffers from a small pool. A buffer is
  reused only when nothing else references its memory (the storage's use count: the batch
  tensor, any view or slice of it, a ``.numpy()`` array of it), so a consumer that keeps a
  batch never sees it overwritten: the pool then allocates a fresh one. Asynchronous
  device copies are the consumer's to finish: ``DeviceLoader`` holds the host batch until
  its CUDA copy event has completed.
* In DataLoader workers a batch is sent to the main process through shared memory, and the
  worker cannot know when the main process is done with it, so every batch gets a fresh
  shared-memory buffer (as ``default_collate`` does; its page faults are paid in the worker,
  in parallel). Pinning is impossible in workers: use ``DataLoader(pin_memory=True)``.

Notes:
    Where the time goes ([64, 3, 224, 224] uint8, ``scripts/bench_loader.py``): fresh memory
    costs page faults on every batch, and a transposing copy is slower than a memcpy.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch
from torch.utils.data import get_worker_info

from augkit.data._buffers import BufferPool, hwc_to_chw
from augkit.targets import Batch, Boxes, Sample
from augkit.transforms.tensor import mask_to_tensor


def _as_hwc(image, index: int) -> np.ndarray | torch.Tensor:
    """Return a sample as an HWC uint8 view (a CHW tensor is permuted, never copied)."""
    if isinstance(image, torch.Tensor):
        if image.dtype != torch.uint8 or image.ndim != 3:
            raise TypeError(f"Uint8Collate: item {index} must be a uint8 [C, H, W] tensor, got {image.dtype} {tuple(image.shape)}")
        return image.permute(1, 2, 0)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3:
            raise TypeError(f"Uint8Collate: item {index} must be a uint8 (H, W, C) array, got {image.dtype} {image.shape}")
        return image
    raise TypeError(f"Uint8Collate: item {index} must be a uint8 tensor or array, got {type(image).__name__}")


def collate_targets(targets: list):
    """Collate targets: ints to int64 ``[B]``, float vectors to float32 ``[B, K]``, else a list.

    Args:
        targets: One target per item.

    Returns:
        A tensor, or the list unchanged when the targets are not numbers or vectors.

    Example:
        >>> collate_targets([3, 1]).tolist()
        [3, 1]
    """
    first = targets[0]
    if all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in targets):
        return torch.tensor(targets, dtype=torch.int64)
    if all(isinstance(t, numbers.Real) for t in targets):
        return torch.tensor(targets, dtype=torch.float32)
    if isinstance(first, (torch.Tensor, np.ndarray)):
        stacked = torch.stack([torch.as_tensor(t) for t in targets])
        if stacked.is_floating_point():
            return stacked.to(torch.float32)
        return stacked.to(torch.int64) if stacked.ndim == 1 else stacked
    return list(targets)


class Uint8Collate:
    """Collate ``(image, target)`` items, ``Sample`` s or images into a uint8 ``[B, C, H, W]`` batch.

    Pairs and samples give an ``augkit.Batch`` (``images, targets = batch`` still works):
    masks stacked to ``[B, H, W]``, boxes and keypoints as per-sample lists, and the sample
    keys ``augkit.data.AugmentedDataset`` attaches (the batch stage draws each sample's
    parameters from its key). Images alone give the image tensor.

    Use as ``DataLoader(dataset, batch_size=..., collate_fn=Uint8Collate())``. Images are
    uint8 ``[C, H, W]`` tensors (what ``ToTensor`` returns) or HWC arrays, all of one size.
    Targets: ints become int64 ``[B]``, float vectors float32 ``[B, K]``.

    The image batch is in channels-last memory by default (its shape is still
    ``[B, C, H, W]``): that layout is a plain memcpy of each decoded image. See the module
    docstring for buffer reuse and why it is safe.

    Args:
        pin_memory: In the main process, allocate page-locked buffers (CUDA needed) so
            ``DeviceLoader`` can copy them asynchronously.
        channels_last: Batch memory layout: channels-last (True, fastest) or contiguous NCHW.
        num_buffers: Buffers kept for reuse in the main process.

    Example:
        >>> import torch
        >>> images, targets = Uint8Collate()([(torch.zeros(3, 2, 2, dtype=torch.uint8), 1)] * 4)
        >>> tuple(images.shape), targets.tolist()
        ((4, 3, 2, 2), [1, 1, 1, 1])
    """

    def __init__(self, pin_memory: bool = False, channels_last: bool = True, num_buffers: int = 4) -> None:
        self.pin_memory = bool(pin_memory)
        if self.pin_memory and not torch.cuda.is_available():
            # As DataLoader(pin_memory=True) does without an accelerator: warn, don't pin.
            warnings.warn("Uint8Collate(pin_memory=True): CUDA is not available, batches will not be pinned", stacklevel=2)
        self.channels_last = bool(channels_last)
        if isinstance(num_buffers, bool) or not isinstance(num_buffers, int) or num_buffers < 1:
            raise ValueError(f"num_buffers must be an int >= 1, got {num_buffers!r}")
        self.num_buffers = num_buffers
        self._pool = BufferPool(num_buffers)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_pool"] = None  # buffers never travel to workers
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._pool = BufferPool(self.num_buffers)

    def __repr__(self) -> str:
        return f"Uint8Collate(pin_memory={self.pin_memory}, channels_last={self.channels_last}, num_buffers={self.num_buffers})"

    def _buffer(self, shape_bhwc: tuple[int, ...]) -> torch.Tensor:
        if get_worker_info() is not None:
            numel = int(np.prod(shape_bhwc))
            storage = torch.UntypedStorage._new_shared(numel)
            return torch.empty(0, dtype=torch.uint8).set_(storage).view(shape_bhwc)
        return self._pool.get(shape_bhwc, self.pin_memory and torch.cuda.is_available())

    def stack(self, images: list) -> torch.Tensor:
        """Stack images into a ``[B, C, H, W]`` uint8 batch (see the class docstring)."""
        if not images:
            raise ValueError("Uint8Collate: cannot collate an empty batch")
        views = [_as_hwc(image, i) for i, image in enumerate(images)]
        shape = tuple(views[0].shape)
        for i, v in enumerate(views):
            if tuple(v.shape) != shape:
                raise ValueError(
                    f"Uint8Collate: all images of a batch must have one size; item 0 is {shape[2]}x{shape[0]}x{shape[1]}"
                    f" (C x H x W), item {i} is {v.shape[2]}x{v.shape[0]}x{v.shape[1]}: crop or resize in the pipeline"
                )
        height, width, channels = shape
        if self.channels_last:
            out = self._buffer((len(views), height, width, channels))
            # One call, a memcpy per image (the samples are HWC in memory).
            torch.stack([torch.from_numpy(v) if isinstance(v, np.ndarray) else v for v in views], out=out)
            return out.permute(0, 3, 1, 2)
        out = self._buffer((len(views), channels, height, width))
        hwc_to_chw(views, out)
        # A view, not the pool's own tensor: while the caller holds it, the storage's use count
        # shows the buffer is taken (the same tensor object would not raise it).
        return out.view(out.shape)

    def __call__(self, batch: list):
        """Collate a list of items: ``(image, target)`` pairs, ``Sample`` s or images alone.

        Returns:
            A ``[B, C, H, W]`` tensor for images alone; else an ``augkit.Batch`` (which
            unpacks as ``images, targets``) with the items' keys when they carry them.
        """
        if not isinstance(batch, (list, tuple)) or not batch:
            raise ValueError("Uint8Collate: expected a non-empty list of items")
        first = batch[0]
        if isinstance(first, Sample):
            return self._samples(batch)
        if isinstance(first, (tuple, list)):
            if len(first) != 2:
                raise ValueError(f"Uint8Collate: items must be an image or (image, target), got a {len(first)}-tuple")
            images = self.stack([item[0] for item in batch])
            return Batch(images, collate_targets([item[1] for item in batch]), keys=collate_keys(batch))
        return self.stack(list(batch))

    def _samples(self, batch: list) -> Batch:
        for i, item in enumerate(batch):
            if not isinstance(item, Sample):
                raise TypeError(f"Uint8Collate: item 0 is a Sample, item {i} is a {type(item).__name__}")
        labels = [s.label for s in batch]
        masks = [s.mask for s in batch]
        if any(m is None for m in masks) and not all(m is None for m in masks):
            raise ValueError("Uint8Collate: some samples of the batch have a mask and others do not")
        stacked = None if masks[0] is None else _stack_masks(masks)
        boxes = (
            None if all(s.boxes is None for s in batch) else [s.boxes if s.boxes is not None else Boxes(np.zeros((0, 4))) for s in batch]
        )
        keypoints = [s.keypoints for s in batch]
        if any(k is None for k in keypoints) and not all(k is None for k in keypoints):
            raise ValueError("Uint8Collate: some samples of the batch have keypoints and others do not")
        return Batch(
            self.stack([s.image for s in batch]),
            None if all(label is None for label in labels) else collate_targets(labels),
            stacked,
            boxes,
            None if keypoints[0] is None else keypoints,
            collate_keys(batch),
        )


def _stack_masks(masks: list) -> torch.Tensor:
    tensors = [m if isinstance(m, torch.Tensor) else mask_to_tensor(m) for m in masks]
    shape = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != shape:
            raise ValueError(f"Uint8Collate: all masks of a batch must have one shape; item 0 has {shape}, item {i} has {tuple(t.shape)}")
    return torch.stack(tensors)


def collate_keys(items: list):
    """The items' sample keys: an int64 ``[B]`` tensor of indices, a list of string keys, or None.

    Args:
        items: ``augkit.data.Item`` pairs or ``Sample`` s (anything with a ``key``).

    Returns:
        The keys, or None when any item has none.
    """
    keys = [getattr(item, "key", None) for item in items]
    if any(k is None for k in keys):
        return None
    if all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in keys):
        return torch.tensor(keys, dtype=torch.int64)
    return list(keys)
