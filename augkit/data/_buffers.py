"""Host buffers for batches: a small reuse pool and the HWC -> CHW copy (used by collate and loader).

``BufferPool`` reuses a buffer only when nothing else references its memory (the storage's
use count), so a caller that keeps a batch never sees it overwritten.

Notes:
    Where the time goes (measured, [64, 3, 224, 224] uint8): fresh memory costs page faults
    on every batch, and a transposing copy with torch is 20-30x slower than OpenCV's channel
    split (~1.3 ms for 64 x 224 x 224 x 3 against 23-40 ms for a strided ``.contiguous()``).
"""

from __future__ import annotations

import torch

try:
    import cv2
except ImportError:  # pragma: no cover - opencv comes with albumentations
    cv2 = None  # type: ignore[assignment]

try:  # private, but stable for years; without it the pool never reuses (always correct)
    _storage_use_count = torch._C._storage_Use_Count
except AttributeError:  # pragma: no cover
    _storage_use_count = None  # type: ignore[assignment]


def _use_count(tensor: torch.Tensor) -> int:
    storage = tensor.untyped_storage()
    return _storage_use_count(storage._cdata)


class BufferPool:
    """A few host buffers, handed out again only when nothing else references them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._buffers: list[tuple[torch.Tensor, int]] = []  # (buffer, use count when only the pool holds it)

    def get(self, shape: tuple[int, ...], pin: bool) -> torch.Tensor:
        if _storage_use_count is not None:
            for buffer, idle in self._buffers:
                if buffer.shape == shape and _use_count(buffer) == idle:
                    return buffer
        buffer = torch.empty(shape, dtype=torch.uint8, pin_memory=pin)
        if _storage_use_count is not None:
            if len(self._buffers) >= self.size:
                # Forget the oldest buffer (still in use elsewhere, or of another shape).
                self._buffers.pop(0)
            self._buffers.append((buffer, _use_count(buffer)))
        return buffer


def hwc_to_chw(images, out: torch.Tensor) -> torch.Tensor:
    """Copy HWC uint8 images (arrays or tensors, or a ``[B, H, W, C]`` tensor) into ``[B, C, H, W]`` ``out``.

    Uses OpenCV's channel split, falling back to torch when OpenCV is missing (see the
    module's notes).

    Args:
        images: HWC images, all the size of ``out``'s images.
        out: A contiguous uint8 ``[B, C, H, W]`` CPU tensor.

    Returns:
        ``out``.
    """
    target = out.numpy()
    for i, image in enumerate(images):
        source = image.numpy() if isinstance(image, torch.Tensor) else image
        if cv2 is not None and source.flags.c_contiguous and 1 < source.shape[2] <= 4:
            cv2.split(source, list(target[i]))
        else:
            target[i] = source.transpose(2, 0, 1)
    return out
