"""Generators: derive reproducible random streams, never touch global state.

Every random decision in augkit comes from a generator passed in by the caller. This module
turns seeds into generators in one documented way:

* the sample stage draws item ``k`` of epoch ``e`` from ``derive_generator(seed, e, k)``, a
  ``numpy.random.Generator``;
* the batch stage draws row ``i`` of every ``[B]``-shaped parameter from the stream of that
  row's sample, ``SampleStreams(seed, e, keys)``, so a sample's batch-stage parameters do
  not depend on the batch it landed in (batch size, neighbours, worker count, resumption).

A sample key is the item's index in its dataset (an int >= 0) or, for streamed samples, a
string or bytes key (e.g. WebDataset's ``__key__``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np

#: Stream tags keep item-level and batch-level generators independent for equal numbers.
SAMPLE_STREAM = 0
BATCH_STREAM = 1

#: A sample key: a dataset index, or a string / bytes key of a streamed sample.
Key = int | str | bytes

# A 4-word tag marks string keys, so no string key shares entropy with an index.
_TEXT_KEY_TAG = 0x61756B74


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def key_entropy(key: Key) -> list[int]:
    """Return the integers that stand for a sample key in a seed.

    An index gives ``[index]``; a string (UTF-8) or bytes key gives a tag and four 32-bit
    words of its BLAKE2b digest, so string keys never collide with indices.

    Args:
        key: An int >= 0, a ``str`` or ``bytes``.

    Returns:
        A list of non-negative ints.
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    if isinstance(key, (bytes, bytearray, memoryview)):
        digest = hashlib.blake2b(bytes(key), digest_size=16).digest()
        return [_TEXT_KEY_TAG, *(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))]
    return [_check_count("index", key)]


def derive_generator(seed: int, epoch: int, index: Key, stream: int = SAMPLE_STREAM) -> np.random.Generator:
    """Return the generator of one sample (or one batch) of one epoch.

    Args:
        seed: The experiment's seed, a non-negative integer.
        epoch: The epoch number, a non-negative integer.
        index: The sample key: an item index (an int >= 0), or a ``str`` / ``bytes`` key
            of a streamed sample (the result is then a pure function of the key, whatever
            the shard order).
        stream: ``SAMPLE_STREAM`` or ``BATCH_STREAM``; separates the two stages.

    Returns:
        A ``numpy.random.Generator`` (PCG64) seeded from ``SeedSequence([seed, epoch,
        index, stream])`` (for a string key, its ``key_entropy`` words replace ``index``).

    Example:
        >>> a = derive_generator(0, 1, 7).integers(1000)
        >>> b = derive_generator(0, 1, 7).integers(1000)
        >>> bool(a == b), bool(derive_generator(0, 1, "n01/img_7").integers(1000) >= 0)
        (True, True)
    """
    seed, epoch, stream = (_check_count(n, v) for n, v in (("seed", seed), ("epoch", epoch), ("stream", stream)))
    words = key_entropy(index)
    entropy = [seed, epoch, *words, stream]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return ``rng`` as a ``numpy.random.Generator``.

    Args:
        rng: A generator (returned as is), an int seed, or None for a fresh
            nondeterministic generator (OS entropy; global state is never used).

    Returns:
        A ``numpy.random.Generator``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


# --------------------------------------------------------------------------- per-row draws

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _to_unit(bits: np.ndarray) -> np.ndarray:
    """uint64 -> float64 uniform in [0, 1) (53 bits)."""
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


class RowGenerator:
    """Base of the batch-stage generators: distributions of ``numpy.random.Generator``, one row per sample.

    Subclasses provide ``_raw(count)``: ``count`` fresh uint64 values per row, ``[rows,
    count]``. Every draw takes a ``size`` whose first dimension is the number of rows (an int
    ``B``, or a tuple ``(B, ...)``), like the ``[B]``-shaped draws transforms make with a numpy
    generator, and row ``i`` of the result is made only of row ``i``'s raw values.

    Attributes:
        rows: The number of rows (samples).
    """

    rows: int

    def _raw(self, count: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def batch(self) -> np.random.Generator:
        """A ``numpy.random.Generator`` for decisions made once per batch (e.g. Mixup pairing)."""
        raise NotImplementedError

    def subset(self, rows: np.ndarray) -> RowGenerator:
        """Return a generator over the given rows only (draws advance those rows' streams)."""
        raise NotImplementedError

    # -- shapes

    def _shape(self, size) -> tuple[int, ...]:
        if size is None:
            raise TypeError(f"{type(self).__name__} draws one value per sample: pass size={self.rows} (or ({self.rows}, ...))")
        shape = (int(size),) if isinstance(size, Integral) else tuple(int(s) for s in size)
        if not shape or shape[0] != self.rows:
            raise ValueError(f"{type(self).__name__} has {self.rows} rows, but size={size!r} asks for {shape[0] if shape else 0}")
        return shape

    def _unit(self, shape: tuple[int, ...]) -> np.ndarray:
        per_row = math.prod(shape[1:])
        return _to_unit(self._raw(per_row)).reshape(shape)

    @staticmethod
    def _column(value, shape: tuple[int, ...]) -> np.ndarray:
        """A per-row argument (scalar, ``[B]`` or broadcastable) as an array broadcast to ``shape``."""
        array = np.asarray(value, dtype=np.float64)
        if array.ndim == 1 and len(shape) > 1 and array.shape[0] == shape[0]:
            array = array.reshape((shape[0],) + (1,) * (len(shape) - 1))
        return np.broadcast_to(array, shape)

    # -- distributions

    def random(self, size) -> np.ndarray:
        """Uniform floats in [0, 1)."""
        return self._unit(self._shape(size))

    def uniform(self, low=0.0, high=1.0, size=None) -> np.ndarray:
        """Uniform floats in [low, high); ``low`` / ``high`` scalars or per-row arrays."""
        shape = self._shape(size)
        low, high = self._column(low, shape), self._column(high, shape)
        return low + (high - low) * self._unit(shape)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint: bool = False) -> np.ndarray:
        """Uniform integers in [low, high) (``endpoint=True``: [low, high]), as numpy's."""
        if high is None:
            low, high = 0, low
        shape = self._shape(size)
        low = self._column(low, shape).astype(np.int64)
        high = self._column(high, shape).astype(np.int64) + (1 if endpoint else 0)
        span = high - low
        if np.any(span <= 0):
            raise ValueError(f"integers needs low < high, got low={low.min()}, high={high.max()}")
        offset = np.minimum(np.floor(self._unit(shape) * span).astype(np.int64), span - 1)
        return (low + offset).astype(dtype)

    def standard_normal(self, size=None) -> np.ndarray:
        """Standard normal floats (Box-Muller; two raw values per result)."""
        shape = self._shape(size)
        pairs = self._unit(shape + (2,))
        radius = np.sqrt(-2.0 * np.log1p(-pairs[..., 0]))
        return radius * np.cos(2.0 * np.pi * pairs[..., 1])

    def normal(self, loc=0.0, scale=1.0, size=None) -> np.ndarray:
        """Normal floats with per-row or scalar ``loc`` and ``scale``."""
        shape = self._shape(size)
        return self._column(loc, shape) + self._column(scale, shape) * self.standard_normal(shape)

    def _gamma_column(self, shape_param: float) -> np.ndarray:
        """One Gamma(shape_param, 1) value per row (Marsaglia & Tsang; rows reject independently)."""
        boost = shape_param < 1.0
        alpha = shape_param + 1.0 if boost else shape_param
        d = alpha - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        out = np.empty(self.rows)
        pending = np.arange(self.rows)
        for _ in range(1000):
            if pending.size == 0:
                break
            streams = self.subset(pending)
            draws = streams._unit((pending.size, 3))
            normal = np.sqrt(-2.0 * np.log1p(-draws[:, 0])) * np.cos(2.0 * np.pi * draws[:, 1])
            v = (1.0 + c * normal) ** 3
            with np.errstate(invalid="ignore", divide="ignore"):
                accept = (v > 0) & (np.log1p(-draws[:, 2]) < 0.5 * normal**2 + d - d * v + d * np.log(np.where(v > 0, v, 1.0)))
            out[pending[accept]] = d * v[accept]
            pending = pending[~accept]
        if pending.size:  # pragma: no cover - acceptance is > 95% per round
            raise RuntimeError("gamma sampling did not converge")
        if boost:
            out *= (1.0 - self._unit((self.rows, 1))[:, 0]) ** (1.0 / shape_param)
        return out

    def gamma(self, shape, scale=1.0, size=None) -> np.ndarray:
        """Gamma(shape, scale) floats, ``shape`` a positive scalar."""
        dims = self._shape(size)
        shape = float(shape)
        if not shape > 0:
            raise ValueError(f"gamma shape must be > 0, got {shape}")
        columns = [self._gamma_column(shape) for _ in range(math.prod(dims[1:]))]
        values = np.stack(columns, axis=1).reshape(dims) if columns else np.empty(dims)
        return values * self._column(scale, dims)

    def beta(self, a, b, size=None) -> np.ndarray:
        """Beta(a, b) floats (from two Gamma draws), ``a`` and ``b`` positive scalars."""
        dims = self._shape(size)
        x = self.gamma(a, 1.0, dims)
        y = self.gamma(b, 1.0, dims)
        return x / (x + y)

    def choice(self, a, size=None, replace: bool = True, p=None) -> np.ndarray:
        """Choose ``size`` items of ``range(a)`` (or of the 1-D array ``a``) with replacement, weights ``p``."""
        if not replace:
            raise ValueError(f"{type(self).__name__}.choice draws with replacement only")
        items = np.arange(int(a)) if isinstance(a, Integral) else np.asarray(a)
        if p is None:
            cumulative = np.arange(1, len(items) + 1) / len(items)
        else:
            weights = np.asarray(p, dtype=np.float64)
            cumulative = np.cumsum(weights) / weights.sum()
        positions = np.searchsorted(cumulative, self._unit(self._shape(size)), side="right")
        return items[np.minimum(positions, len(items) - 1)]


class SampleStreams(RowGenerator):
    """The batch stage's generator: one independent stream per sample, keyed by the sample.

    Row ``i`` of every draw comes from the stream of ``keys[i]`` only, so a sample's
    batch-stage parameters are a pure function of ``(seed, epoch, key, the transforms)``:
    the same whatever the batch size, its neighbours, ``num_workers``, rank or resumption.
    Streams are counter-based (SplitMix64 over a per-sample 64-bit key), so drawing for a
    whole batch is a few vectorized numpy operations, without a Python loop over samples.

    Decisions that are inherently per batch (which sample Mixup pairs with which, and a
    lambda shared by the batch) come from ``batch``, a ``numpy.random.Generator`` seeded
    from ``(seed, epoch, batch_index)``.

    Args:
        seed: The experiment's seed, an int >= 0.
        epoch: The epoch, an int >= 0.
        keys: One key per sample: dataset indices (ints >= 0) or ``str`` / ``bytes`` keys.
        batch_index: The batch's position in its epoch (seeds ``batch`` only).
        stream: The stream tag (``BATCH_STREAM`` by default).

    Example:
        >>> a = SampleStreams(0, 1, [7, 3]).uniform(0, 1, 2)
        >>> b = SampleStreams(0, 1, [9, 7, 5]).uniform(0, 1, 3)
        >>> bool(a[0] == b[1])  # sample 7's value, whatever the batch
        True
    """

    def __init__(self, seed: int, epoch: int, keys: Sequence[Key] | np.ndarray, batch_index: int = 0, stream: int = BATCH_STREAM):
        self.seed = _check_count("seed", seed)
        self.epoch = _check_count("epoch", epoch)
        self.stream = _check_count("stream", stream)
        self.batch_index = _check_count("batch_index", batch_index)
        self._keys = _row_keys(self.seed, self.epoch, self.stream, keys)
        self._counters = np.zeros(self._keys.shape[0], dtype=np.uint64)
        self._rows = np.arange(self._keys.shape[0])
        self._batch: list[np.random.Generator] = []  # shared with subsets, made on first use

    @property
    def rows(self) -> int:  # type: ignore[override]
        return int(self._rows.shape[0])

    @property
    def batch(self) -> np.random.Generator:
        if not self._batch:
            entropy = [self.seed, self.epoch, self.batch_index, self.stream, _TEXT_KEY_TAG + 1]
            self._batch.append(np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy))))
        return self._batch[0]

    def _raw(self, count: int) -> np.ndarray:
        rows = self._rows
        steps = np.arange(1, count + 1, dtype=np.uint64)
        state = self._keys[rows, None] + (self._counters[rows, None] + steps[None, :]) * _GAMMA
        self._counters[rows] += np.uint64(count)
        return _mix(state)

    def subset(self, rows: np.ndarray) -> SampleStreams:
        view = object.__new__(SampleStreams)
        view.__dict__.update(self.__dict__)
        view._rows = self._rows[np.asarray(rows, dtype=np.int64)]
        return view

    def __repr__(self) -> str:
        return f"SampleStreams(seed={self.seed}, epoch={self.epoch}, rows={self.rows})"


def _row_keys(seed: int, epoch: int, stream: int, keys) -> np.ndarray:
    """The 64-bit key of each row's stream."""
    base = np.random.SeedSequence([seed, epoch, stream, _TEXT_KEY_TAG + 2]).generate_state(1, np.uint64)[0]
    if isinstance(keys, np.ndarray) and keys.dtype.kind in "iu":
        if keys.size and keys.min() < 0:
            raise ValueError("sample keys must be >= 0")
        words = keys.astype(np.uint64).reshape(-1)
        tagged = np.zeros(words.shape, dtype=np.uint64)
    else:
        keys = list(keys)
        words = np.empty(len(keys), dtype=np.uint64)
        tagged = np.zeros(len(keys), dtype=np.uint64)
        for i, key in enumerate(keys):
            entropy = key_entropy(key.item() if isinstance(key, np.generic) else key)
            if len(entropy) == 1:
                words[i] = entropy[0] & 0xFFFFFFFFFFFFFFFF
            else:
                words[i] = (entropy[1] | entropy[2] << 32) ^ (entropy[3] | entropy[4] << 32)
                tagged[i] = 1
    return _mix(_mix(words ^ base) + tagged * _GAMMA + _GAMMA)


class SameDraws(RowGenerator):
    """A generator giving every row the same values: ``same_on_batch=True`` in the batch stage.

    One row of raw values is drawn from ``source`` (a numpy generator) and repeated, so a
    transform's ordinary ``[B]``-shaped draws come out equal across the batch.

    Args:
        source: Where the shared values come from.
        rows: The number of rows.
    """

    def __init__(self, source: np.random.Generator, rows: int) -> None:
        self.source = source
        self._count = _check_count("rows", rows)

    @property
    def rows(self) -> int:  # type: ignore[override]
        return self._count

    @property
    def batch(self) -> np.random.Generator:
        return self.source

    def _raw(self, count: int) -> np.ndarray:
        row = self.source.integers(0, 2**64, size=count, dtype=np.uint64, endpoint=False)
        return np.broadcast_to(row, (self._count, count))

    def subset(self, rows: np.ndarray) -> SameDraws:
        return SameDraws(self.source, len(rows))


def rows_of(rng, rows: np.ndarray):
    """The generator for a sub-batch: ``rng.subset(rows)`` for row generators, else ``rng``."""
    return rng.subset(rows) if isinstance(rng, RowGenerator) else rng


def batch_generator(rng) -> np.random.Generator:
    """The generator of once-per-batch decisions: ``rng.batch`` for row generators, else ``rng``."""
    return rng.batch if isinstance(rng, RowGenerator) else rng
