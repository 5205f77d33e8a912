"""Batch outputs allocated through numpy behave exactly like ``torch.empty_like``'s."""

import threading

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit import _memory

DTYPES = [torch.uint8, torch.float32, torch.float64, torch.int64, torch.bool, torch.float16]


def _source(shape, dtype, layout):
    base = torch.zeros(shape, dtype=dtype)
    if layout == "channels_last":
        return base.contiguous(memory_format=torch.channels_last)
    if layout == "transposed":
        return base.transpose(-1, -2)
    return base


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), st.integers(1, 5)),
    dtype=st.sampled_from(DTYPES),
    out_dtype=st.sampled_from([None, torch.float32, torch.bfloat16]),
    layout=st.sampled_from(["contiguous", "channels_last", "transposed"]),
)
def test_empty_like_matches_torch_layout_and_owns_its_memory(shape, dtype, out_dtype, layout):
    source = _source(shape, dtype, layout)
    shape = tuple(source.shape)
    out = _memory.empty_like(source, out_dtype)
    reference = torch.empty_like(source, dtype=out_dtype)
    assert out.shape == reference.shape and out.dtype == reference.dtype and out.device == reference.device
    # Strides of size-1 dimensions never address memory, and torch's own choice for them varies.
    assert [s for s, n in zip(out.stride(), shape) if n > 1] == [s for s, n in zip(reference.stride(), shape) if n > 1]
    out.fill_(1)
    assert not source.any() and bool((out == 1).all())
    assert out.untyped_storage().data_ptr() != source.untyped_storage().data_ptr()


def test_empty_and_clone():
    out = _memory.empty((2, 3), torch.float32)
    assert out.shape == (2, 3) and out.dtype == torch.float32 and out.is_contiguous()
    assert _memory.empty((2,), torch.bfloat16).dtype == torch.bfloat16  # no numpy dtype: torch's allocator
    source = torch.arange(2 * 3 * 4 * 5, dtype=torch.uint8).view(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
    copy = _memory.clone(source)
    assert torch.equal(copy, source) and copy.stride() == source.stride()
    copy.zero_()
    assert source.sum() > 0


def test_numpy_backed_tensors_survive_their_array():
    out = _memory.empty((64, 3, 8, 8), torch.uint8)
    out.fill_(7)
    del out  # nothing else refers to the numpy array: torch keeps it alive through the tensor
    again = _memory.empty((64, 3, 8, 8), torch.uint8).fill_(3)
    assert int(again.sum()) == 3 * again.numel()
    view = _memory.empty_like(torch.zeros(2, 3, 4, 5), torch.float64)[0]
    view.fill_(2.5)
    assert np.all(view.numpy() == 2.5)
    shared = _memory.empty((2, 3), torch.float32).fill_(1.5)
    shared.share_memory_()  # what a DataLoader worker does to send it: torch copies it to shared memory
    assert shared.is_shared() and float(shared.sum()) == 9.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_device_tensors_use_torch():
    source = torch.zeros(2, 3, 4, 5, device="cuda")
    assert _memory.empty_like(source).device == source.device


def test_scratch_is_reused_per_thread_and_shape():
    first = _memory.scratch((2, 3, 4), np.uint8)
    assert first.shape == (2, 3, 4) and first.dtype == np.uint8 and first.flags.c_contiguous
    assert _memory.scratch((2, 3, 4), np.uint8) is first
    assert _memory.scratch((2, 3, 5), np.uint8).shape == (2, 3, 5)
    assert _memory.scratch((2, 3, 4), np.float32).dtype == np.float32
    again = _memory.scratch((2, 3, 4), np.uint8)
    others = []
    thread = threading.Thread(target=lambda: others.append(_memory.scratch((2, 3, 4), np.uint8)))
    thread.start()
    thread.join()
    assert others[0] is not again and not np.shares_memory(others[0], again)
