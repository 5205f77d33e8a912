"""``check_kernel``: the rule of ``augkit.functional`` (see its docstring), checked the same way for every kernel.

A kernel case says how to call one kernel (``run(image, params)``), how to draw its per-sample
parameters for a leading shape (``draw(rng, leading)``: ``()`` for one image), which inputs it
takes and what it returns. ``check_tensor_kernel`` and ``check_array_kernel`` then check:

- no in-place change of the input (a tensor's values and ``_version``; an array's values, and a
  read-only array is accepted);
- dtype and device kept (or the documented output dtype);
- leading batch dims: ``[2, 3, C, H, W]`` and ``[B, C, H, W]`` batches with per-sample
  parameters equal the per-image results, and a shared parameter equals per-image calls with it;
- channels-last memory and strided views give the same values as contiguous memory;
- an empty batch (``B = 0``) works and keeps its shape;
- CUDA equals CPU when a GPU is present.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

#: The image size every check uses (strided views are taken from images twice as large).
HEIGHT, WIDTH = 12, 16


@dataclass
class KernelCase:
    """How to call one kernel and what it promises.

    Attributes:
        run: ``run(image, params) -> output``.
        draw: ``draw(rng, leading) -> params`` for an image of that leading shape (``()`` for
            one image); per-sample values have the leading shape, shared ones do not.
        takes: ``"array"`` (HWC numpy), ``"tensor"`` (``[..., C, H, W]``), ``"batch"``
            (exactly ``[B, C, H, W]``), or a tuple of them.
        dtypes: Input dtypes checked, as numpy dtypes (uint8, float32).
        out_dtype: The output's numpy dtype, or None for the input's.
        atol: Tolerance of every comparison (0: identical).
        cuda_atol: Tolerance of CUDA against CPU.
        shape: ``shape(input shape) -> output shape`` (default: unchanged).
    """

    run: Callable[[Any, Any], Any]
    draw: Callable[[np.random.Generator, tuple[int, ...]], Any] = lambda rng, leading: None
    takes: tuple[str, ...] = ("array", "tensor")
    dtypes: tuple[Any, ...] = (np.uint8, np.float32)
    out_dtype: Any = None
    atol: float = 0.0
    cuda_atol: float = 0.0
    shape: Callable[[tuple[int, ...]], tuple[int, ...]] | None = None
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------- inputs


def hwc_image(seed: int, dtype, height: int = HEIGHT, width: int = WIDTH, channels: int = 3) -> np.ndarray:
    """A smooth HWC image with texture, distinct per seed: uint8, or float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([(xx * 255) // max(width - 1, 1), (yy * 255) // max(height - 1, 1), (xx + yy) * 9 % 256], -1)[..., :channels]
    image = np.clip(base + rng.integers(-40, 40, (height, width, channels)) + 20 * seed, 0, 255).astype(np.uint8)
    return image if np.dtype(dtype) == np.uint8 else image.astype(np.float32) / 255


def chw_tensor(seed: int, dtype, height: int = HEIGHT, width: int = WIDTH) -> torch.Tensor:
    """The same image as a contiguous ``[C, H, W]`` tensor."""
    return torch.from_numpy(hwc_image(seed, dtype, height, width)).permute(2, 0, 1).contiguous()


def batch_tensor(leading: tuple[int, ...], dtype) -> torch.Tensor:
    """A ``[*leading, C, H, W]`` tensor of distinct images."""
    count = math.prod(leading)
    images = [chw_tensor(seed, dtype) for seed in range(count)]
    stacked = torch.stack(images) if images else torch.empty((0, 3, HEIGHT, WIDTH), dtype=chw_tensor(0, dtype).dtype)
    return stacked.reshape(*leading, 3, HEIGHT, WIDTH)


# ---------------------------------------------------------------------------- comparisons


def as_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def assert_close(got, expected, atol: float, what: str) -> None:
    got, expected = as_numpy(got), as_numpy(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype}, expected {expected.dtype}"
    if got.size == 0:
        return
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64)).max()
    assert diff <= atol, f"{what}: differs by {diff} (tolerance {atol})"


def expected_dtype(case: KernelCase, input_dtype) -> np.dtype:
    return np.dtype(case.out_dtype if case.out_dtype is not None else input_dtype)


def torch_to_numpy_dtype(dtype: torch.dtype) -> np.dtype:
    return torch.empty((), dtype=dtype).numpy().dtype


def index_params(params, index: tuple[int, ...]):
    """The parameters of one image: per-sample arrays indexed, everything else as it is."""
    if isinstance(params, dict):
        return {k: index_params(v, index) for k, v in params.items()}
    if isinstance(params, tuple):
        return tuple(index_params(v, index) for v in params)
    if isinstance(params, np.ndarray):
        return params[index]
    return params


def calls(case: KernelCase, image, params):
    """Run the kernel and check it left its input alone; return the output."""
    if isinstance(image, torch.Tensor):
        before, version = image.clone(), image._version
        out = case.run(image, params)
        assert image._version == version, "the kernel wrote to its input tensor (its _version changed)"
        assert torch.equal(image, before), "the kernel changed its input tensor's values"
        return out
    before = image.copy()
    out = case.run(image, params)
    assert np.array_equal(image, before), "the kernel changed its input array"
    return out


# ---------------------------------------------------------------------------- the checks


def check_tensor_kernel(case: KernelCase, dtype, device: str = "cpu") -> None:
    """Every check of the tensor rule, for one input dtype."""
    rng = np.random.default_rng(0)
    batch_only = "batch" in case.takes
    shape_of = case.shape or (lambda s: s)

    def check_output(out, image) -> None:
        assert isinstance(out, torch.Tensor), f"a tensor in gives {type(out).__name__} out"
        assert out.device == image.device, f"output on {out.device}, input on {image.device}"
        assert torch_to_numpy_dtype(out.dtype) == expected_dtype(case, torch_to_numpy_dtype(image.dtype)), f"output dtype {out.dtype}"
        assert tuple(out.shape) == tuple(shape_of(tuple(image.shape))), f"output shape {tuple(out.shape)} for input {tuple(image.shape)}"

    # leading batch dims, per-sample parameters
    leadings = [(5,)] if batch_only else [(), (4,), (2, 3)]
    for leading in leadings:
        batch = batch_tensor(leading, dtype).to(device)
        params = case.draw(rng, leading)
        out = calls(case, batch, params)
        check_output(out, batch)
        if batch_only or not leading:
            continue
        for index in np.ndindex(*leading):
            single = calls(case, batch[index], index_params(params, index))
            assert_close(out[index], single, case.atol, f"leading {leading}: image {index} differs from its own result")
        # one parameter shared by the whole batch
        shared = case.draw(rng, ())
        out = calls(case, batch, shared)
        for index in np.ndindex(*leading):
            assert_close(out[index], calls(case, batch[index], shared), case.atol, f"shared parameters, image {index}")

    # memory layouts: channels-last and a strided view give the values of contiguous memory
    batch = batch_tensor((4,), dtype).to(device)
    params = case.draw(rng, (4,))
    reference = calls(case, batch, params)
    channels_last = batch.contiguous(memory_format=torch.channels_last)
    assert_close(calls(case, channels_last, params), reference, case.atol, "channels-last input")
    large = torch.stack([chw_tensor(s, dtype, 2 * HEIGHT, 2 * WIDTH) for s in range(4)]).to(device)
    strided = large[:, :, ::2, ::2]
    assert_close(calls(case, strided, params), calls(case, strided.contiguous(), params), case.atol, "strided view")

    # an empty batch
    empty = batch_tensor((0,), dtype).to(device)
    out = calls(case, empty, case.draw(rng, (0,)))
    check_output(out, empty)
    if not batch_only:
        empty2 = batch_tensor((2, 0), dtype).to(device)
        check_output(calls(case, empty2, case.draw(rng, (2, 0))), empty2)


def check_cuda_equals_cpu(case: KernelCase, dtype) -> None:
    """The kernel on CUDA equals the kernel on the CPU, for the same parameters."""
    leading = (5,) if "batch" in case.takes else (4,)
    batch = batch_tensor(leading, dtype)
    params = case.draw(np.random.default_rng(1), leading)
    expected = calls(case, batch, params)
    got = calls(case, batch.cuda(), params)
    assert got.device.type == "cuda"
    assert_close(got, expected, case.cuda_atol, "CUDA against CPU")


def check_array_kernel(case: KernelCase, dtype) -> None:
    """The array rule for one input dtype: HWC in, nothing written, any layout."""
    rng = np.random.default_rng(0)
    image = hwc_image(0, dtype)
    params = case.draw(rng, ())
    out = calls(case, image, params)
    assert isinstance(out, np.ndarray), f"an array in gives {type(out).__name__} out"
    assert out.dtype == expected_dtype(case, image.dtype), f"output dtype {out.dtype}"
    if case.shape is not None:
        assert out.shape == case.shape(image.shape), f"output shape {out.shape}"
    # a read-only input is read, never written
    frozen = image.copy()
    frozen.flags.writeable = False
    try:
        from_frozen = calls(case, frozen, params)
    except ValueError as error:
        raise AssertionError(f"the kernel fails on a read-only input (does it write to it?): {error}") from error
    assert_close(from_frozen, out, 0.0, "read-only input")
    # planar memory (an HWC view of CHW planes) and a strided view give the contiguous result
    planar = np.ascontiguousarray(image.transpose(2, 0, 1)).transpose(1, 2, 0)
    assert_close(calls(case, planar, params), out, case.atol, "planar (CHW) memory")
    strided = hwc_image(1, dtype, 2 * HEIGHT, 2 * WIDTH)[::2, ::2]
    assert_close(calls(case, strided, params), calls(case, np.ascontiguousarray(strided), params), case.atol, "strided view")
