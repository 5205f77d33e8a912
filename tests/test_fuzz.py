"""Fuzzing: the decoder on arbitrary and mutated bytes, every transform constructor on arbitrary arguments.

Only the documented exceptions may come out: ``ImageDecodeError`` from ``augkit.decode``;
``ValueError`` / ``TypeError`` (naming the argument) from a constructor, and from a
constructed transform applied to a small image. Never a crash, a hang, or a
``RuntimeError`` / ``IndexError`` / ``ZeroDivisionError`` from deep inside a kernel.

Windowed decoding is fuzzed against full decodes with a fixed seed: JPEGs re-encoded by
Pillow and by ``tests/jpeg_writer.py`` (every sampling layout, random progressive scan
scripts that may leave coefficients unrefined), some mutated (a bit flipped, a scan dropped,
cut short); each window must be refused exactly when the full decode is, else equal its crop.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import math
import signal

import numpy as np
import pytest
import torch
from corpus import build_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import augkit
from augkit import ImageDecodeError
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform, registered_transforms

#: Generous limit for one example; only a hang (an endless loop) comes near it.
HANG_LIMIT_S = 20


class Hang(Exception):
    """An example ran past ``HANG_LIMIT_S``."""


@contextlib.contextmanager
def no_hang(seconds: float = HANG_LIMIT_S):
    """Fail (rather than block the suite) when the block runs past ``seconds``."""

    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_decode(data: bytes) -> None:
    with no_hang():
        try:
            out = augkit.decode(data)
        except ImageDecodeError as error:
            assert error.reason and error.source.startswith("<bytes")
            return
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert out.shape[0] >= 1 and out.shape[1] >= 1


# --------------------------------------------------------------------------- decoder

SEEDS = [c.data for c in build_corpus() if c.decodes and c.data is not None and len(c.data) < 20000]
MAGICS = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"II*\x00", b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"BM", b"P6\n"]


@given(st.binary(max_size=512))
def test_decode_arbitrary_bytes(data):
    check_decode(data)


@pytest.mark.filterwarnings("ignore::UserWarning:PIL")  # Pillow warns about bad metadata it skips
@given(st.sampled_from(MAGICS), st.binary(max_size=512))
def test_decode_arbitrary_bytes_behind_a_real_signature(magic, rest):
    check_decode(magic + rest)


@st.composite
def mutated(draw) -> bytes:
    """A real corpus file with a few flipped, overwritten, inserted or deleted bytes, or cut."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[position] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0xD9, 0xC0]))
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[position : position + draw(st.integers(1, 16))]
        else:
            del data[position:]
    return bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning:PIL")  # Pillow warns about bad metadata it skips
@settings(max_examples=150)
@given(mutated())
def test_decode_mutated_real_files(data):
    check_decode(data)


# --------------------------------------------------------------------------- constructors

SMALL_INTS = st.integers(-3, 40)
EXTREME_INTS = st.sampled_from([0, -1, 2**31, 2**63, -(2**63), 10**30])
FLOATS = st.floats(-2.0, 2.0) | st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e-12, 1e300, -1e300, math.inf, -math.inf, math.nan])
SCALARS = (
    SMALL_INTS
    | EXTREME_INTS
    | FLOATS
    | st.booleans()
    | st.none()
    | st.text(max_size=6)
    | st.sampled_from(["zca", "pca", "sample", "batch", "", "nan"])
)


def _transform_values():
    from augkit import HorizontalFlip, ToTensor

    return st.sampled_from([HorizontalFlip(), ToTensor()])


ARGUMENTS = st.recursive(
    SCALARS | _transform_values() | st.builds(lambda n: np.full((3,), n), FLOATS) | st.builds(np.eye, st.integers(1, 4)),
    lambda inner: st.lists(inner, max_size=5) | st.lists(inner, max_size=5).map(tuple),
    max_leaves=10,
)


def _magnitude(value) -> float:
    """The largest number anywhere in an argument (to skip applying absurd sizes)."""
    if isinstance(value, (bool, type(None), str)):
        return 0.0
    if isinstance(value, (int, float)):
        return abs(float(value)) if not math.isnan(float(value)) else 0.0
    if isinstance(value, np.ndarray):
        return float(np.nanmax(np.abs(value))) if value.size else 0.0
    if isinstance(value, (list, tuple)):
        return max((_magnitude(v) for v in value), default=0.0)
    return 0.0


TRANSFORMS = sorted(registered_transforms().items())


@pytest.mark.parametrize("name,cls", TRANSFORMS, ids=[n for n, _ in TRANSFORMS])
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_constructor_with_arbitrary_arguments(name, cls, data):
    parameters = [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    kwargs = {}
    for p in parameters:
        required = p.default is inspect.Parameter.empty
        if required or data.draw(st.booleans(), label=f"give {p.name}"):
            kwargs[p.name] = data.draw(ARGUMENTS, label=p.name)
    with no_hang():
        try:
            transform = cls(**kwargs)
        except (ValueError, TypeError) as error:
            assert str(error), "a constructor error must say what is wrong"
            return
        if _magnitude(list(kwargs.values())) > 64:
            return  # accepted, but too large to apply in a test (e.g. a 10**30 crop)
        _apply_small(transform, data)


def _apply_small(transform, data) -> None:
    """Apply an accepted transform to a tiny image (and batch): only ValueError / TypeError."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    image = rng.integers(0, 256, (data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12)), 3), dtype=np.uint8)
    inputs = []
    stages = getattr(transform, "stages", ())
    if SAMPLE_STAGE in stages and isinstance(transform, Transform):
        inputs.append(image)
    if BATCH_STAGE in stages:
        inputs.append(torch.from_numpy(np.stack([image, image[::-1].copy()])).permute(0, 3, 1, 2).contiguous())
    for x in inputs:
        try:
            if getattr(transform, "mixes_targets", False):
                transform(x, torch.tensor([0, 1]), rng=rng)
            else:
                transform(x, rng=rng)
        except (ValueError, TypeError) as error:
            assert str(error)


# --------------------------------------------------------------------------- windows against full decodes

#: The windowed-decoding fuzz: a fixed seed and a fixed number of files (a few seconds in all).
WINDOW_FUZZ_SEED = 20260317
WINDOW_FUZZ_FILES = 200
#: Sampling layouts the writer draws from: TurboJPEG's own and those only plain libjpeg decodes.
SAMPLINGS = (
    ((2, 2), (1, 1), (1, 1)),
    ((2, 1), (1, 1), (1, 1)),
    ((1, 1), (1, 1), (1, 1)),
    ((1, 2), (1, 1), (1, 1)),
    ((4, 1), (1, 1), (1, 1)),
    ((1, 4), (1, 1), (1, 1)),
    ((4, 2), (1, 1), (1, 1)),
    ((3, 1), (1, 1), (1, 1)),
    ((1, 1), (2, 2), (2, 2)),
)


def _scan_starts(data: bytes) -> list[int]:
    starts, position = [], 0
    while (found := data.find(b"\xff\xda", position)) >= 0:
        starts.append(found)
        position = found + 2
    return starts


def _fuzz_file(rng: np.random.Generator, photos: list[np.ndarray]) -> tuple[str, bytes]:
    """One JPEG: re-encoded by Pillow or by the test writer (any sampling, any scan script), maybe mutated."""
    from jpeg_writer import encode_jpeg, random_scan_script

    photo = photos[int(rng.integers(0, len(photos)))]
    height, width = int(rng.integers(9, 80)), int(rng.integers(9, 110))
    top, left = int(rng.integers(0, photo.shape[0] - height)), int(rng.integers(0, photo.shape[1] - width))
    image = np.ascontiguousarray(photo[top : top + height, left : left + width])
    if rng.random() < 0.15:
        image = np.ascontiguousarray(image[:, :, 1])
    if rng.random() < 0.4:
        buffer = io.BytesIO()
        options = {"quality": int(rng.integers(30, 100)), "progressive": bool(rng.random() < 0.5)}
        if image.ndim == 3:
            options["subsampling"] = int(rng.integers(0, 3))
        if rng.random() < 0.3:
            options["restart_marker_rows"] = int(rng.integers(1, 3))
        Image.fromarray(image).save(buffer, "JPEG", **options)
        data, name = buffer.getvalue(), f"pillow {options}"
    else:
        components = 1 if image.ndim == 2 else 3
        sampling = SAMPLINGS[int(rng.integers(0, len(SAMPLINGS)))]
        scans = None if rng.random() < 0.3 else random_scan_script(rng, components, refine=float(rng.random()))
        data = encode_jpeg(image, sampling, quality=int(rng.integers(40, 98)), scans=scans)
        name = f"writer {sampling[:components]} {'baseline' if scans is None else f'{len(scans)} scans'}"
    mutation = rng.random()
    starts = _scan_starts(data)
    if mutation < 0.15 and len(starts) > 1:  # drop one scan: refinements may lose their base
        k = int(rng.integers(1, len(starts)))
        end = starts[k + 1] if k + 1 < len(starts) else len(data) - 2
        data, name = data[: starts[k]] + data[end:], name + f", scan {k} dropped"
    elif mutation < 0.3:
        position = int(rng.integers(starts[0] + 8, len(data) - 2))
        flipped = bytearray(data)
        flipped[position] ^= 1 << int(rng.integers(0, 8))
        data, name = bytes(flipped), name + f", bit flipped at {position}"
    elif mutation < 0.4:
        cut = int(rng.integers(starts[0] + 4, len(data)))
        data, name = data[:cut], name + f", cut at {cut}"
    return name, data


def test_windows_equal_full_decodes_on_reencoded_and_mutated_jpegs():
    """Fixed-seed fuzz: a window is refused exactly when the full decode is, else equals its crop."""
    from augkit.encoded import WINDOWED_DECODING, EncodedJpeg, open_image

    if not WINDOWED_DECODING:
        pytest.skip("augkit._jpeg (the optional C extension) is not built")
    rng = np.random.default_rng(WINDOW_FUZZ_SEED)
    photos = [augkit.decode(f"samples/{name}") for name in ("china.jpg", "rocket.jpg", "coffee.png")]
    outcomes = {"windows": 0, "refused": 0}
    for _ in range(WINDOW_FUZZ_FILES):
        name, data = _fuzz_file(rng, photos)
        mode = ("RGB", "L", "unchanged")[int(rng.integers(0, 3))]
        with no_hang():
            try:
                full = augkit.decode(data, mode=mode)
            except ImageDecodeError:
                full = None
            try:
                opened = open_image(data, mode=mode)
            except ImageDecodeError:
                assert full is None, name
                outcomes["refused"] += 1
                continue
            height, width = opened.shape[:2]
            for _ in range(3):
                top, left = int(rng.integers(0, height)), int(rng.integers(0, width))
                box = (top, left, int(rng.integers(1, height - top + 1)), int(rng.integers(1, width - left + 1)))
                try:
                    window = (
                        opened.decode_window(*box)
                        if isinstance(opened, EncodedJpeg)
                        else opened[box[0] : box[0] + box[2], box[1] : box[1] + box[3]]
                    )
                except ImageDecodeError:
                    window = None
                assert (window is None) == (full is None), f"{name}, {mode}, window {box}"
                if full is not None:
                    np.testing.assert_array_equal(
                        window, full[box[0] : box[0] + box[2], box[1] : box[1] + box[3]], err_msg=f"{name}, {mode}, window {box}"
                    )
                    outcomes["windows"] += 1
            outcomes["refused"] += full is None
    assert outcomes["windows"] >= WINDOW_FUZZ_FILES and outcomes["refused"] >= 3, outcomes
