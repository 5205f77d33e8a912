"""``Whiten.inverse`` undoes the whitening, so the preview can show whitened images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit import Compose, ToTensor, Whiten
from augkit.preview.cells import augment_one, display_invertible, to_display

MEAN = (0.45, 0.42, 0.39)
# A strongly correlated colour covariance (natural images' channels move together).
COV = ((0.070, 0.064, 0.058), (0.064, 0.066, 0.061), (0.058, 0.061, 0.072))


@st.composite
def _covariances(draw) -> np.ndarray:
    factors = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=9, max_size=9))).reshape(3, 3)
    return factors @ factors.T * 0.1 + np.eye(3) * 1e-3  # symmetric, positive definite


@settings(max_examples=40, deadline=None)
@given(cov=_covariances(), method=st.sampled_from(["zca", "pca"]), seed=st.integers(0, 2**32 - 1))
def test_inverse_of_apply_is_the_input_in_unit_range(cov, method, seed):
    whiten = Whiten(MEAN, cov, method=method)
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    restored = whiten.inverse(whiten(image))
    assert restored.dtype == np.float32 and restored.shape == image.shape
    np.testing.assert_allclose(restored, image / 255.0, atol=2e-4)
    floats = rng.random((4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(whiten.inverse(whiten(floats)), floats, atol=2e-4)


@pytest.mark.parametrize("method", ["zca", "pca"])
def test_inverse_takes_tensors_and_batches_in_any_layout(method):
    whiten = Whiten(MEAN, COV, method=method, eps=0.0)
    batch = torch.randint(0, 256, (3, 3, 6, 5), dtype=torch.uint8)
    out = whiten(batch)
    restored = whiten.inverse(out)
    assert restored.dtype == torch.float32 and restored.shape == batch.shape
    torch.testing.assert_close(restored, batch.float() / 255, atol=1e-4, rtol=0)
    torch.testing.assert_close(whiten.inverse(out.contiguous(memory_format=torch.channels_last)), restored, atol=1e-6, rtol=0)
    torch.testing.assert_close(whiten.inverse(out[1]), restored[1], atol=1e-6, rtol=0)
    assert whiten.inverse(out[:0]).shape == (0, 3, 6, 5)


def test_inverse_refuses_what_apply_cannot_have_returned():
    whiten = Whiten(MEAN, COV)
    with pytest.raises(TypeError, match="float"):
        whiten.inverse(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="3 channels"):
        whiten.inverse(np.zeros((2, 2, 1), np.float32))


def test_the_preview_undoes_whitening():
    whiten = Whiten(MEAN, COV)
    assert display_invertible(whiten)
    image = np.random.default_rng(3).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    np.testing.assert_allclose(to_display(whiten(image), [whiten]).astype(int), image.astype(int), atol=1)
    shown, lines = augment_one(image, (ToTensor(), Compose([whiten])), np.random.default_rng(0))
    np.testing.assert_allclose(shown.astype(int), image.astype(int), atol=1)
