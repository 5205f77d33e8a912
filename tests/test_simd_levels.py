"""The C extensions' SIMD levels (augkit/_ext/simd.h): every level gives the same pixels.

``AUGKIT_SIMD=portable|sse2|avx2`` caps the level at import (CI runs the native tests under each,
see .ci/run); ``simd_level(name)`` switches it in a running process, which the tests here use to
compare the levels the CPU has on the same inputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

resize = pytest.importorskip("augkit._resize")
color = pytest.importorskip("augkit._color")

REPO = Path(__file__).resolve().parent.parent
LEVELS = ("portable", "sse2", "avx2")


def _levels(module) -> list[str]:
    """The levels this CPU runs (switching to a level it lacks gives a lower one)."""
    default = module.simd_level()
    try:
        return sorted({module.simd_level(name) for name in LEVELS}, key=LEVELS.index)
    finally:
        module.simd_level(default)


def _at_each_level(module, run):
    default = module.simd_level()
    try:
        return {module.simd_level(name): run() for name in _levels(module)}
    finally:
        module.simd_level(default)


def test_levels_are_named_and_checked():
    for module in (resize, color):
        assert module.simd_level() in LEVELS
        assert module.simd_level("portable") == "portable"
        with pytest.raises(ValueError, match="portable, sse2, avx2"):
            module.simd_level("avx512")
        module.simd_level("avx2")  # back to the best the CPU has
    assert color._simd() == (color.simd_level() == "avx2")


def _resize_cases():
    rng = np.random.default_rng(0)
    for channels in (1, 2, 3, 4):
        for (in_h, in_w), (out_h, out_w), antialias in (
            ((37, 53), (23, 61), True),
            ((64, 48), (64, 17), True),
            ((30, 30), (45, 30), False),
            ((61, 80), (40, 19), False),
            ((9, 300), (5, 7), True),
        ):
            image = rng.integers(0, 256, (in_h, in_w, channels), dtype=np.uint8)
            yield image, (out_h, out_w), antialias


def test_resize_levels_give_identical_pixels():
    for image, size, antialias in _resize_cases():

        def run(image=image, size=size, antialias=antialias):
            out = np.empty((*size, image.shape[2]), np.uint8)
            resize.resize_window(image, out, 0, 0, *image.shape[:2], *size, 0, 0, antialias)
            return out

        outputs = _at_each_level(resize, run)
        reference = outputs.pop("portable")
        for level, out in outputs.items():
            np.testing.assert_array_equal(out, reference, err_msg=f"{level}: {image.shape} -> {size}, antialias={antialias}")


def test_color_levels_give_identical_pixels():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (37, 41, 3), dtype=np.uint8)
    for _ in range(12):
        b, c, s = rng.uniform(0.0, 2.5, 3)
        h = float(rng.uniform(-0.5, 0.5))
        order = [int(i) for i in rng.permutation(4)]
        for planar in (False, True):
            source = np.ascontiguousarray(image.transpose(2, 0, 1)) if planar else image

            def run(source=source, factors=(float(b), float(c), float(s), h), order=order, planar=planar):
                out = np.empty_like(source)
                color.jitter(source, out, *factors, order, planar=planar)
                return out

            outputs = _at_each_level(color, run)
            reference = outputs.pop("portable")
            for level, out in outputs.items():
                np.testing.assert_array_equal(out, reference, err_msg=f"{level}: factors {(b, c, s, h)}, order {order}")


def _import_with(level: str) -> subprocess.CompletedProcess:
    code = "import augkit._resize as r, augkit._color as c; print(r.simd_level(), c.simd_level(), c._simd(False), c.simd_level())"
    env = dict(os.environ, AUGKIT_SIMD=level)
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_the_environment_variable_caps_the_level_at_import():
    done = _import_with("portable")
    assert done.returncode == 0, done.stderr
    # _simd(False) (the tests' switch to the non-AVX2 pass) never raises a level chosen at import
    assert done.stdout.split() == ["portable", "portable", "False", "portable"]
    done = _import_with("sse2")
    assert done.returncode == 0 and done.stdout.split()[:2] == ["sse2", "sse2"]


def test_an_unknown_level_is_refused_by_name():
    done = _import_with("fastest")
    assert done.returncode != 0
    assert "AUGKIT_SIMD must be one of portable, sse2, avx2, got 'fastest'" in done.stderr
