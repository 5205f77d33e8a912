"""Test-time augmentation: make the views of each image, run them through a model, ensemble.

``predict`` streams views through the model in chunks of at most ``batch_size`` (views of
several images may share a chunk, and one image's views may span chunks), so memory stays
bounded for any number of images. For evaluation over a dataset with ``DataLoader``
workers, wrap it in ``TTADataset``, collate with ``tta_collate`` and call ``predict_loader``.

The model's mode is the caller's business: neither function calls ``model.eval()`` (a
warning is raised when the model is in training mode); both run under ``torch.no_grad()``.
"""

from __future__ import annotations

import os
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any

import numpy as np
import torch

from augkit._validate import check_int
from augkit.io import decode
from augkit.transforms.base import BATCH_STAGE, Transform
from augkit.transforms.views import FiveCrop, MultiScaleTenCrop, TenCrop

__all__ = ["FiveCrop", "MultiScaleTenCrop", "TTADataset", "TenCrop", "predict", "predict_loader", "tta_collate"]

#: Ways to combine the predictions of an image's views.
REDUCTIONS = ("mean", "max")


def predict(
    model: Callable[[torch.Tensor], torch.Tensor],
    images: Iterable,
    views: Callable,
    *,
    transform: Callable | None = None,
    reduce: str = "mean",
    batch_size: int = 256,
    softmax: bool = True,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> torch.Tensor:
    """Ensemble a model's predictions over test-time views of each image.

    Each image is decoded (``augkit.decode``), ``views`` makes its ``[V, C, h, w]`` views,
    the views are streamed through ``transform`` and ``model`` in chunks of at most
    ``batch_size`` on ``device``, and each image's ``V`` predictions are reduced to one.

    Args:
        model: Maps a ``[B, C, h, w]`` batch to ``[B, num_classes]`` logits. Its mode is not
            changed: call ``model.eval()`` first (a warning is raised if ``model.training``).
        images: A list (or any iterable, consumed once) of images: HWC arrays, paths, bytes
            or PIL images.
        views: Makes one image's views: ``TenCrop``, ``MultiScaleTenCrop`` or any callable
            taking an HWC uint8 array and returning a ``[V, C, h, w]`` tensor.
        transform: Batch-stage transform applied to each chunk of views on ``device`` (e.g.
            ``augkit.Normalize``), or None.
        reduce: ``"mean"`` or ``"max"`` over each image's views.
        batch_size: Most views passed to the model at once, >= 1.
        softmax: Reduce the softmax of the logits (True) or the logits themselves (False).
        device: Where the model runs; None takes the device of the model's first
            parameter (CPU for a model without parameters).
        progress: Show a tqdm progress bar counting images (on stderr).

    Returns:
        ``[N, num_classes]`` float32 tensor on the CPU, one row per image in order.

    Raises:
        ValueError: An empty ``images``, a bad ``reduce`` / ``batch_size``, views that are
            not ``[V, C, h, w]`` with V >= 1, or model outputs that are not ``[B, K]``.

    For a large validation set, decode in ``DataLoader`` workers with ``predict_loader``.

    Example:
        >>> import numpy as np
        >>> logits = lambda x: x.float().mean(dim=(2, 3))  # a "model": [B, C] scores
        >>> predict(logits, [np.zeros((8, 8, 3), np.uint8)], TenCrop(4), progress=False).tolist()
        [[0.3333333432674408, 0.3333333432674408, 0.3333333432674408]]
    """
    options = _check_options(model, views, transform, reduce, batch_size)
    if isinstance(images, (str, bytes, os.PathLike, np.ndarray, torch.Tensor)):
        raise TypeError(f"images must be a list of images (arrays or paths), got a single {type(images).__name__}")
    if not isinstance(images, Iterable):
        raise TypeError(f"images must be a list of images (arrays or paths), got {type(images).__name__}")
    total = len(images) if isinstance(images, Sized) else None
    groups = (_views_of(views, decode(image), index) for index, image in enumerate(images))
    return _ensemble(model, _counted(groups, total, progress), options, softmax, device)


def predict_loader(
    model: Callable[[torch.Tensor], torch.Tensor],
    loader: Iterable,
    *,
    transform: Callable | None = None,
    reduce: str = "mean",
    batch_size: int = 256,
    softmax: bool = True,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | list | None]:
    """``predict`` over a ``DataLoader(TTADataset(...), collate_fn=tta_collate)``.

    For large validation sets: the loader's workers decode images and make their views in
    parallel, while the model runs here. The loader's batches (of images) are re-chunked,
    so the model sees at most ``batch_size`` views at a time whatever the loader's batch
    size; the scores equal ``predict``'s on the same images and views.

    Args:
        model: As in ``predict``.
        loader: Yields ``(views, counts, targets)`` as ``tta_collate`` makes them.
        transform: As in ``predict``.
        reduce: As in ``predict``.
        batch_size: As in ``predict``.
        softmax: As in ``predict``.
        device: As in ``predict``.
        progress: Show a tqdm progress bar counting images (on stderr).

    Returns:
        ``(scores, targets)``: ``[N, num_classes]`` float32 on the CPU, and the targets
        concatenated in the same order (a tensor, a list, or None when items had none).

    Example:
        >>> import numpy as np
        >>> data = TTADataset([(np.zeros((8, 8, 3), np.uint8), 1)] * 3, TenCrop(4))
        >>> loader = torch.utils.data.DataLoader(data, batch_size=2, collate_fn=tta_collate)
        >>> scores, targets = predict_loader(lambda x: x.float().mean(dim=(2, 3)), loader, progress=False)
        >>> scores.shape, targets.tolist()
        (torch.Size([3, 3]), [1, 1, 1])
    """
    options = _check_options(model, None, transform, reduce, batch_size)
    collected: list = []

    def groups() -> Iterator[torch.Tensor]:
        for batch_index, batch in enumerate(loader):
            if not (isinstance(batch, (tuple, list)) and len(batch) == 3):
                raise ValueError(f"loader batch {batch_index} must be (views, counts, targets) as tta_collate returns")
            views, counts, targets = batch
            counts = [int(c) for c in counts]
            if sum(counts) != len(views):
                raise ValueError(f"loader batch {batch_index}: counts sum to {sum(counts)} but there are {len(views)} views")
            collected.append(targets)
            yield from views.split(counts)

    dataset = getattr(loader, "dataset", None)
    total = len(dataset) if isinstance(dataset, Sized) else None
    scores = _ensemble(model, _counted(groups(), total, progress), options, softmax, device)
    return scores, _concat_targets(collected)


def _counted(groups: Iterable[torch.Tensor], total: int | None, progress: bool) -> Iterator[torch.Tensor]:
    """Yield ``groups`` (one per image), advancing a progress bar by one image each."""
    from tqdm.auto import tqdm

    with tqdm(total=total, unit="img", desc="augkit predict", disable=not progress, dynamic_ncols=True) as bar:
        for group in groups:
            yield group
            bar.update(1)


class TTADataset(torch.utils.data.Dataset):
    """Wrap a dataset so each item becomes ``(views, target)`` for test-time evaluation.

    Items of ``base`` are an image or ``(image, target)``; images may be paths, bytes, PIL
    images or arrays (decoded with ``augkit.decode``). Collate with ``tta_collate``, which
    keeps each image's views together, and evaluate with ``predict_loader``.

    Args:
        base: Any indexable dataset with ``__len__``.
        views: ``TenCrop``, ``MultiScaleTenCrop`` or any callable making ``[V, C, h, w]``.

    Shape:
        Item: ``([V, C, h, w] tensor, target)``, or the tensor alone when ``base`` has no
        targets.
    """

    def __init__(self, base, views: Callable) -> None:
        if not callable(views):
            raise TypeError(f"views must be callable (e.g. TenCrop(224)), got {type(views).__name__}")
        if not hasattr(base, "__getitem__") or not hasattr(base, "__len__"):
            raise TypeError(f"base must be an indexable dataset with __len__, got {type(base).__name__}")
        self.base = base
        self.views = views

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int):
        item = self.base[index]
        if isinstance(item, tuple) and len(item) == 2:
            image, target = item
            return _views_of(self.views, decode(image), index), target
        return _views_of(self.views, decode(item), index)


def tta_collate(batch: list) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | list | None]:
    """Collate ``TTADataset`` items, keeping track of which views belong to which image.

    Args:
        batch: Items ``(views, target)`` or bare ``views`` tensors.

    Returns:
        ``(views, counts, targets)``: all views concatenated ``[sum V, C, h, w]``, the
        number of views of each image (``[B]`` int64; offsets are its cumulative sum), and
        the targets (stacked into a tensor when they are numbers or tensors, a list
        otherwise, None when the items had none).

    Example:
        >>> a, b = torch.zeros(10, 3, 2, 2), torch.ones(5, 3, 2, 2)
        >>> views, counts, targets = tta_collate([(a, 0), (b, 1)])
        >>> views.shape, counts.tolist(), targets.tolist()
        (torch.Size([15, 3, 2, 2]), [10, 5], [0, 1])
    """
    if len(batch) == 0:
        raise ValueError("tta_collate got an empty batch")
    if all(isinstance(item, torch.Tensor) for item in batch):
        tensors, targets = list(batch), None
    elif all(isinstance(item, (tuple, list)) and len(item) == 2 for item in batch):
        tensors = [item[0] for item in batch]
        targets = _stack_targets([item[1] for item in batch])
    else:
        raise TypeError("tta_collate expects items that are all (views, target) pairs or all views tensors")
    counts = torch.tensor([len(t) for t in tensors], dtype=torch.int64)
    return torch.cat(tensors), counts, targets


def _stack_targets(targets: list):
    if all(isinstance(t, torch.Tensor) for t in targets):
        return torch.stack(targets)
    if all(isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool) for t in targets):
        return torch.as_tensor(np.asarray(targets))
    return list(targets)


def _concat_targets(parts: list):
    if not parts or all(p is None for p in parts):
        return None
    if all(isinstance(p, torch.Tensor) for p in parts):
        return torch.cat(parts)
    out: list = []
    for p in parts:
        out.extend(p.tolist() if isinstance(p, torch.Tensor) else list(p))
    return out


def _views_of(views: Callable, image: np.ndarray, index: int) -> torch.Tensor:
    """Make and check one image's views."""
    out = views(image)
    if isinstance(out, np.ndarray):
        out = torch.from_numpy(out)
    if not isinstance(out, torch.Tensor) or out.ndim != 4:
        shape = tuple(out.shape) if hasattr(out, "shape") else type(out).__name__
        raise ValueError(f"views must return a [V, C, h, w] tensor, got {shape} for image {index}")
    if len(out) == 0:
        raise ValueError(f"views returned no views for image {index}")
    return out


def _check_options(model, views, transform, reduce, batch_size) -> dict:
    if not callable(model):
        raise TypeError(f"model must be callable, got {type(model).__name__}")
    if views is not None and not callable(views):
        raise TypeError(f"views must be callable (e.g. TenCrop(224)), got {type(views).__name__}")
    if transform is not None:
        if not callable(transform):
            raise TypeError(f"transform must be a callable batch-stage transform or None, got {type(transform).__name__}")
        if isinstance(transform, Transform) and BATCH_STAGE not in transform.stages:
            raise ValueError(f"transform {type(transform).__name__} does not run in the batch stage")
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
    batch_size = check_int("batch_size", batch_size, 1)
    if getattr(model, "training", False):
        warnings.warn("the model is in training mode; call model.eval() before predicting", stacklevel=3)
    return {"transform": transform, "reduce": reduce, "batch_size": batch_size}


def _model_device(model, device) -> torch.device:
    if device is not None:
        return torch.device(device)
    parameters = getattr(model, "parameters", None)
    if callable(parameters):
        for parameter in parameters():
            return parameter.device
    return torch.device("cpu")


def _ensemble(model, groups: Iterable[torch.Tensor], options: dict, softmax: bool, device) -> torch.Tensor:
    """Stream groups of views (one per image) through the model; reduce each group."""
    device = _model_device(model, device)
    reduce, batch_size, transform = options["reduce"], options["batch_size"], options["transform"]
    pending: deque[tuple[int, torch.Tensor]] = deque()
    state: dict[str, Any] = {"pending": 0, "classes": None}
    reduced: list[torch.Tensor | None] = []
    counts: list[int] = []

    def flush(n: int) -> None:
        pieces, owners, lengths = [], [], []
        while n > 0:
            owner, piece = pending[0]
            if len(piece) <= n:
                pending.popleft()
            else:
                pending[0] = (owner, piece[n:])
                piece = piece[:n]
            pieces.append(piece)
            owners.append(owner)
            lengths.append(len(piece))
            n -= len(piece)
            state["pending"] -= len(piece)
        chunk = pieces[0] if len(pieces) == 1 else torch.cat(pieces)
        chunk = chunk.to(device)
        if transform is not None:
            chunk = transform(chunk)
        scores = _scores(model(chunk), len(chunk), state, softmax)
        rows = _reduce_segments(scores, lengths, reduce).cpu()
        for owner, row in zip(owners, rows):
            previous = reduced[owner]
            if previous is None:
                reduced[owner] = row
            else:
                reduced[owner] = previous + row if reduce == "mean" else torch.maximum(previous, row)

    with torch.no_grad():
        for index, group in enumerate(groups):
            reduced.append(None)
            counts.append(len(group))
            pending.append((index, group))
            state["pending"] += len(group)
            while state["pending"] >= batch_size:
                flush(batch_size)
        if state["pending"]:
            flush(state["pending"])
    if not reduced:
        raise ValueError("images is empty: nothing to predict")
    out = torch.stack([row for row in reduced if row is not None])  # every image got a row
    if reduce == "mean":
        out = out / torch.tensor(counts, dtype=out.dtype).unsqueeze(1)
    return out


def _scores(output, expected: int, state: dict, softmax: bool) -> torch.Tensor:
    """Check the model's output ``[B, K]`` and turn it into float32 scores."""
    if not isinstance(output, torch.Tensor) or output.ndim != 2 or len(output) != expected:
        shape = tuple(output.shape) if hasattr(output, "shape") else type(output).__name__
        raise ValueError(f"model must return [batch, num_classes] scores; for a batch of {expected} views it returned {shape}")
    if state["classes"] is None:
        state["classes"] = output.shape[1]
    elif output.shape[1] != state["classes"]:
        raise ValueError(f"model returned {output.shape[1]} classes, earlier {state['classes']}")
    output = output.float()
    return torch.softmax(output, dim=1) if softmax else output


def _reduce_segments(scores: torch.Tensor, lengths: list[int], reduce: str) -> torch.Tensor:
    """Sum (mean) or max ``scores`` over consecutive segments of the given lengths."""
    if len(lengths) == 1:
        return scores.sum(0, keepdim=True) if reduce == "mean" else scores.amax(0, keepdim=True)
    segment = torch.repeat_interleave(torch.arange(len(lengths), device=scores.device), torch.tensor(lengths, device=scores.device))
    if reduce == "mean":
        return torch.zeros(len(lengths), scores.shape[1], dtype=scores.dtype, device=scores.device).index_add_(0, segment, scores)
    out = torch.full((len(lengths), scores.shape[1]), -torch.inf, dtype=scores.dtype, device=scores.device)
    return out.scatter_reduce_(0, segment.unsqueeze(1).expand_as(scores), scores, "amax")
