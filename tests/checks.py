"""``check_transform``: the contract every transform must keep, checked the same way for all."""

from __future__ import annotations

import pickle

import numpy as np
import torch

from augkit.targets import Batch, Sample
from augkit.transforms.base import BATCH_STAGE, Transform


def as_numpy(x) -> np.ndarray:
    """Return an array or tensor as a numpy array for comparisons."""
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def same(a, b) -> bool:
    """True when two outputs (arrays, tensors, Batches, or tuples of them) are identical."""
    if isinstance(a, Batch):
        return isinstance(b, Batch) and same(a.images, b.images) and (a.labels is b.labels is None or same(a.labels, b.labels))
    if isinstance(a, Sample):
        return isinstance(b, Sample) and same(a.image, b.image) and all(_same_target(a, b, name) for name in ("mask", "boxes", "keypoints"))
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype and np.array_equal(as_numpy(a), as_numpy(b))


def _same_target(a, b, name: str) -> bool:
    x, y = getattr(a, name), getattr(b, name)
    if x is None or y is None:
        return x is y
    if name == "mask":
        return same(x, y)
    first = ("xyxy", "labels") if name == "boxes" else ("xy", "visible")
    return all(same(getattr(x, f), getattr(y, f)) if getattr(x, f) is not None else getattr(y, f) is None for f in first)


def copy_input(x):
    """Copy an input so a test can detect in-place changes."""
    if isinstance(x, Sample):
        return x.replace(image=copy_input(x.image), mask=None if x.mask is None else copy_input(x.mask))
    if isinstance(x, Batch):
        return x.replace(images=x.images.clone(), labels=None if x.labels is None else x.labels.clone())
    return x.clone() if isinstance(x, torch.Tensor) else x.copy()


def check_transform(transform: Transform, image, *, out_dtype=None, out_shape=None) -> None:
    """Check the transform contract on one input.

    Checks: the input is not modified; output dtype/shape as documented; same seed gives the
    same output; ``apply(x, sample(rng, x)) == t(x, rng)`` for equal generators;
    ``run`` returns the same output and params; a pickle round trip behaves identically;
    ``repr`` names the class; the batch form (where the transform runs in the batch stage)
    keeps the batch's shape.
    """
    before = copy_input(image)
    out = transform(image, rng=np.random.default_rng(7))
    assert same(image, before), f"{transform!r} modified its input in place"
    pixels = out.images if isinstance(out, Batch) else out.image if isinstance(out, Sample) else out
    if out_dtype is not None:
        assert pixels.dtype == out_dtype, f"{transform!r}: dtype {out.dtype}, expected {out_dtype}"
    if out_shape is not None:
        assert tuple(pixels.shape) == tuple(out_shape), f"{transform!r}: shape {tuple(pixels.shape)}, expected {out_shape}"

    again = transform(image, rng=np.random.default_rng(7))
    assert same(out, again), f"{transform!r}: the same seed gave different outputs"

    params = transform.sample(np.random.default_rng(7), image)
    replayed = transform.apply(image, params)
    assert same(out, replayed), f"{transform!r}: apply(x, sample(rng, x)) differs from t(x, rng)"

    ran, ran_params = transform.run(image, np.random.default_rng(7))
    assert same(out, ran) and repr(ran_params) == repr(params), f"{transform!r}: run() disagrees with sample/apply"

    clone = pickle.loads(pickle.dumps(transform))
    assert same(clone(image, rng=np.random.default_rng(7)), out), f"{transform!r}: differs after a pickle round trip"

    text = repr(transform)
    assert text.startswith(type(transform).__name__ + "("), f"unreadable repr: {text}"
    assert same(image, before), f"{transform!r} modified its input in place"


def check_batch_matches_samples(transform: Transform, batch: torch.Tensor, *, atol: float = 0.0) -> None:
    """Check that the batch result equals the per-sample result for the same parameters."""
    from augkit.transforms.base import params_at

    assert BATCH_STAGE in transform.stages
    out, params = transform.run(batch, np.random.default_rng(3))
    for i in range(batch.shape[0]):
        single = transform.apply(batch[i], params_at(params, i))
        diff = (out[i].double() - single.double()).abs().max().item() if out[i].numel() else 0.0
        assert diff <= atol, f"{transform!r}: sample {i} differs from the batch result by {diff}"


def check_batch_layouts(transform: Transform, batch: torch.Tensor) -> None:
    """Check an empty batch (B = 0) and channels-last memory in the batch stage.

    The empty batch gives an empty output of the non-empty output's dtype and per-sample
    shape; a channels-last copy of the batch gives the same values as the contiguous batch
    for the same seed.
    """
    out = transform(batch, rng=np.random.default_rng(5))
    empty = batch[:0]
    before = empty.clone()
    empty_out = transform(empty, rng=np.random.default_rng(5))
    assert same(empty, before), f"{transform!r} modified an empty input"
    assert isinstance(empty_out, torch.Tensor) and tuple(empty_out.shape) == (0, *out.shape[1:]), (
        f"{transform!r}: an empty batch gave shape {tuple(getattr(empty_out, 'shape', ()))}, expected {(0, *out.shape[1:])}"
    )
    assert empty_out.dtype == out.dtype, f"{transform!r}: an empty batch gave dtype {empty_out.dtype}, expected {out.dtype}"
    channels_last = batch.contiguous(memory_format=torch.channels_last)
    before = channels_last.clone()
    from_channels_last = transform(channels_last, rng=np.random.default_rng(5))
    assert same(channels_last, before), f"{transform!r} modified its channels-last input"
    assert same(from_channels_last, out), f"{transform!r}: channels-last input gives other values than contiguous input"
