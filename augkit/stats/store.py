"""Saving and loading ``Stats``: JSON (+ ``.npy`` for the mean image), atomic, never pickle.

The JSON file holds a format name and version, the exact state (``num_images``,
``num_pixels``, ``mean``, ``m2``) from which everything is recomputed on load, and, for
people and other tools, the derived ``std``, ``cov``, ``eigval`` and ``eigvec``. Floats are
written with ``repr`` precision, so a round trip is exact.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from augkit._atomic import atomic_write_files
from augkit.stats.state import StatsState

FORMAT_NAME = "augkit-stats"
#: Version of the file layout this augkit writes and reads.
FORMAT_VERSION = 1


class StatsFileError(ValueError):
    """A statistics file is missing, malformed, or of an unsupported format version."""


def mean_image_path(path: str | os.PathLike) -> Path:
    """Return where the mean image of the stats file ``path`` is stored: ``<stem>.mean_image.npy``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.mean_image.npy")


def save(state: StatsState, path) -> None:
    """Write a statistics state to ``path`` (JSON) and its mean image beside it, each atomically.

    Both files are written to temporary files in the same folder, then moved into place with
    ``os.replace`` (``augkit._atomic.atomic_write_files``: Ctrl-C is held back between the
    two renames), so an interruption never leaves a partial file or a JSON file beside
    another save's mean image. The JSON records the ``.npy`` file's SHA-256, which ``load``
    checks.

    Args:
        state: The ``StatsState`` to write (``Stats.state()``); it must hold at least one image.
        path: Destination path of the JSON file.
    """
    path = Path(path)
    cov = state.cov  # raises for a state without images
    eigval, eigvec = state.eigen()
    record = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "num_images": state.num_images,
        "num_pixels": state.num_pixels,
        "mean": state.mean.tolist(),
        "m2": state.m2.tolist(),
        "std": state.std.tolist(),
        "cov": cov.tolist(),
        "eigval": eigval.tolist(),
        "eigvec": eigvec.tolist(),
        "mean_image": None,
    }
    files: dict[str | os.PathLike, bytes] = {}
    mean_image = state.mean_image
    if mean_image is not None:
        npy = mean_image_path(path)
        buffer = io.BytesIO()
        np.save(buffer, mean_image, allow_pickle=False)
        files[npy] = buffer.getvalue()
        record["mean_image"] = {"file": npy.name, "shape": list(mean_image.shape), "sha256": hashlib.sha256(files[npy]).hexdigest()}
    # One line per field: readable, and the nested lists stay compact.
    text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in record.items()) + "\n}\n"
    files[path] = text.encode("utf-8")
    atomic_write_files(files)  # the .npy first, then the JSON that names it


#: Largest statistics JSON file read, in bytes (a real one is a few kilobytes).
MAX_JSON_BYTES = 16 << 20
#: Most channels a statistics file may describe.
MAX_CHANNELS = 64
#: Largest pixel count accepted: float64 holds every integer up to 2**53 exactly.
MAX_COUNT = 2**53
#: Slack for float rounding in the range checks of means and variances.
_TOLERANCE = 1e-9


def load(path: str | os.PathLike) -> StatsState:
    """Read a statistics file written by ``save``.

    Every field is checked before use: counts are integers with
    ``0 < num_images <= num_pixels <= 2**53``; ``mean`` lies in [0, 1]; ``m2`` is symmetric
    with variances (its diagonal over ``num_pixels``) in [0, 0.25] (the most values in
    [0, 1] can spread) and covariances within the Cauchy-Schwarz bound; ``std`` and ``cov``,
    when present, agree with them. The mean image's ``.npy`` header (dtype and shape) is
    read and matched against the JSON and the file's size before any pixel is, so a file
    claiming a huge array is refused without allocating it.

    Args:
        path: The JSON file.

    Returns:
        The ``StatsState`` (``Stats.from_state`` makes it a ``Stats``; ``Stats.load`` does both).

    Raises:
        StatsFileError: Missing or unreadable file, invalid JSON, another format or version,
            or fields of the wrong type, shape or range; the message names the file and the
            field.
    """
    path = Path(path)
    record = _read_record(path)
    num_images = _count(path, record, "num_images")
    num_pixels = _count(path, record, "num_pixels")
    if num_images == 0:
        raise StatsFileError(f"{path}: field 'num_images' must be > 0 (a statistics file describes at least one image)")
    if num_pixels < num_images:
        raise StatsFileError(f"{path}: field 'num_pixels' ({num_pixels}) must be >= num_images ({num_images})")
    mean = _numbers(path, record, "mean", ndim=1)
    channels = len(mean)
    if not 1 <= channels <= MAX_CHANNELS:
        raise StatsFileError(f"{path}: field 'mean' must have 1 to {MAX_CHANNELS} channels, got {channels}")
    if np.any(mean < -_TOLERANCE) or np.any(mean > 1 + _TOLERANCE):
        raise StatsFileError(f"{path}: field 'mean' must lie in [0, 1] (augkit statistics are in [0, 1] units), got {mean.tolist()}")
    m2 = _numbers(path, record, "m2", shape=(channels, channels))
    _check_m2(path, m2, num_pixels)
    _check_derived(path, record, mean, m2, num_pixels)
    mean_image = None
    entry = record.get("mean_image")
    if entry is not None:
        mean_image = _load_mean_image(path, entry, channels)
    try:
        return StatsState(num_images, num_pixels, mean, m2, mean_image)
    except (TypeError, ValueError) as error:
        raise StatsFileError(f"{path} holds invalid statistics: {error}") from error


def _read_record(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_JSON_BYTES + 1)
    except OSError as error:
        raise StatsFileError(f"cannot read statistics file {path}: {error}") from error
    if len(data) > MAX_JSON_BYTES:
        raise StatsFileError(f"{path} is larger than {MAX_JSON_BYTES} bytes: not a statistics file")
    try:
        record = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise StatsFileError(f"cannot read statistics file {path}: {error}") from error
    except ValueError as error:  # JSONDecodeError, or an integer too long to convert
        raise StatsFileError(f"{path} is not a statistics file: invalid JSON ({error})") from error
    if not isinstance(record, dict) or record.get("format") != FORMAT_NAME:
        raise StatsFileError(f'{path} is not an augkit statistics file (expected "format": "{FORMAT_NAME}")')
    version = record.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise StatsFileError(f"{path} has statistics format version {version!r}; this augkit reads version {FORMAT_VERSION}")
    for key in ("num_images", "num_pixels", "mean", "m2"):
        if key not in record:
            raise StatsFileError(f"{path} is missing the field {key!r}")
    return record


def _count(path: Path, record: dict[str, Any], key: str) -> int:
    value = record[key]
    if type(value) is not int:
        raise StatsFileError(f"{path}: field {key!r} must be an integer, got {_brief(value)}")
    if not 0 <= value <= MAX_COUNT:
        raise StatsFileError(f"{path}: field {key!r} must be in [0, 2**53], got {_brief(value)}")
    return value


def _numbers(path: Path, record: dict[str, Any], key: str, ndim: int | None = None, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A nested list of finite JSON numbers (not booleans) as a float64 array."""
    value = record[key]

    def plain(item) -> bool:
        if isinstance(item, list):
            return all(plain(i) for i in item)
        return type(item) in (int, float)

    if not isinstance(value, list) or not plain(value):
        raise StatsFileError(f"{path}: field {key!r} must be a list of numbers, got {_brief(value)}")
    try:
        array = np.array(value, dtype=np.float64)
    except (ValueError, OverflowError) as error:  # ragged lists, integers beyond float64
        raise StatsFileError(f"{path}: field {key!r} is not a regular array of numbers ({error})") from error
    if (ndim is not None and array.ndim != ndim) or (shape is not None and array.shape != shape):
        expected = f"shape {list(shape)}" if shape is not None else f"{ndim} dimension(s)"
        raise StatsFileError(f"{path}: field {key!r} must have {expected}, got shape {list(array.shape)}")
    if not np.all(np.isfinite(array)):
        raise StatsFileError(f"{path}: field {key!r} must hold finite numbers")
    return array


def _check_m2(path: Path, m2: np.ndarray, num_pixels: int) -> None:
    if not np.allclose(m2, m2.T, rtol=1e-12, atol=0):
        raise StatsFileError(f"{path}: field 'm2' must be symmetric")
    variance = np.diag(m2) / num_pixels
    if np.any(variance < -_TOLERANCE) or np.any(variance > 0.25 + _TOLERANCE):
        raise StatsFileError(
            f"{path}: field 'm2' gives per-channel variances {variance.tolist()}; values in [0, 1] have variances in [0, 0.25]"
        )
    bound = np.sqrt(np.outer(np.maximum(np.diag(m2), 0), np.maximum(np.diag(m2), 0)))
    if np.any(np.abs(m2) > bound * (1 + 1e-9) + _TOLERANCE * num_pixels):
        raise StatsFileError(f"{path}: field 'm2' is not a covariance (an off-diagonal value exceeds sqrt(m2[i, i] * m2[j, j]))")


def _check_derived(path: Path, record: dict[str, Any], mean: np.ndarray, m2: np.ndarray, num_pixels: int) -> None:
    """``std`` and ``cov`` are written for readers; when present they must match the state."""
    channels = len(mean)
    cov = m2 / num_pixels
    expected = {"std": np.sqrt(np.maximum(np.diag(cov), 0)), "cov": cov}
    for key, value in expected.items():
        if key not in record:
            continue
        found = _numbers(path, record, key, shape=value.shape)
        if not np.allclose(found, value, rtol=1e-9, atol=1e-12):
            raise StatsFileError(f"{path}: field {key!r} disagrees with 'mean', 'm2' and 'num_pixels': the file was edited")
    for key, shape in (("eigval", (channels,)), ("eigvec", (channels, channels))):
        if key in record:
            _numbers(path, record, key, shape=shape)


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def _load_mean_image(path: Path, entry: Any, channels: int) -> np.ndarray:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not isinstance(entry.get("shape"), list):
        raise StatsFileError(f'{path}: field \'mean_image\' must be null or {{"file": ..., "shape": [...]}}')
    name = entry["file"]
    if Path(name).name != name or name in ("", ".", ".."):
        raise StatsFileError(f"{path}: mean image file {name!r} must be a plain file name beside the JSON file")
    shape = entry["shape"]
    if len(shape) != 3 or not all(type(n) is int and n > 0 for n in shape) or shape[2] != channels:
        raise StatsFileError(
            f"{path}: field 'mean_image.shape' must be [height, width, {channels}] with positive sides, got {_brief(shape)}"
        )
    digest = entry.get("sha256")
    if digest is not None and not isinstance(digest, str):
        raise StatsFileError(f"{path}: field 'mean_image.sha256' must be a hex string")
    npy = path.with_name(name)
    try:
        with open(npy, "rb") as handle:
            dtype, offset = _npy_header(npy, handle, path, shape)
            expected_size = offset + int(np.prod(shape)) * dtype.itemsize
            actual_size = os.fstat(handle.fileno()).st_size
            if actual_size != expected_size:
                raise StatsFileError(
                    f"mean image {npy} is {actual_size} bytes, but a {dtype} array of shape {shape} takes {expected_size}: the file is damaged"
                )
            handle.seek(0)
            data = handle.read()
    except OSError as error:
        raise StatsFileError(f"cannot read the mean image {npy} of {path}: {error}") from error
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise StatsFileError(f"mean image {npy} does not match {path} (SHA-256 differs): they come from different saves")
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, EOFError) as error:
        raise StatsFileError(f"cannot read the mean image {npy} of {path}: {error}") from error
    if not np.all(np.isfinite(array)) or array.min() < -_TOLERANCE or array.max() > 1 + _TOLERANCE:
        raise StatsFileError(f"mean image {npy} must hold finite values in [0, 1]")
    return array


def _npy_header(npy: Path, handle: BinaryIO, path: Path, shape: list[int]) -> tuple[np.dtype, int]:
    """Read and check a ``.npy`` header; return ``(dtype, data offset)``. Reads no array data."""
    from numpy.lib import format as npy_format

    try:
        version = npy_format.read_magic(handle)
        if version == (1, 0):
            header = npy_format.read_array_header_1_0(handle)
        elif version == (2, 0):
            header = npy_format.read_array_header_2_0(handle)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, EOFError) as error:
        raise StatsFileError(f"cannot read the mean image {npy} of {path}: {error}") from error
    found_shape, fortran_order, dtype = header
    if dtype.kind != "f" or dtype.hasobject:
        raise StatsFileError(f"mean image {npy} must hold a float array, got {dtype}")
    if list(found_shape) != shape:
        raise StatsFileError(f"mean image {npy} has shape {list(found_shape)}, but {path} says {shape}")
    if fortran_order:
        raise StatsFileError(f"mean image {npy} is stored in Fortran order; augkit writes C order")
    return dtype, handle.tell()
