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

import numpy as np

from augkit._atomic import atomic_write_files
from augkit.stats.state import StatsState

FORMAT_NAME = "augkit-stats"
#: Version of the file layout this augkit writes and reads.
FORMAT_VERSION = 1


class StatsFileError(ValueError):
    """A statistics file is missing, malformed, or of an unsupported format version."""


def mean_image_path(path) -> Path:
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


def load(path) -> StatsState:
    """Read a statistics file written by ``save``.

    Args:
        path: The JSON file.

    Returns:
        The ``StatsState`` (``Stats.from_state`` makes it a ``Stats``; ``Stats.load`` does both).

    Raises:
        StatsFileError: Missing or unreadable file, invalid JSON, another format or version,
            or fields of the wrong type or shape; the message names the file and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StatsFileError(f"cannot read statistics file {path}: {error}") from error
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise StatsFileError(f"{path} is not a statistics file: invalid JSON ({error})") from error
    if not isinstance(record, dict) or record.get("format") != FORMAT_NAME:
        raise StatsFileError(f'{path} is not an augkit statistics file (expected "format": "{FORMAT_NAME}")')
    version = record.get("version")
    if version != FORMAT_VERSION:
        raise StatsFileError(f"{path} has statistics format version {version!r}; this augkit reads version {FORMAT_VERSION}")
    for key in ("num_images", "num_pixels", "mean", "m2"):
        if key not in record:
            raise StatsFileError(f"{path} is missing the field {key!r}")
    mean_image = None
    entry = record.get("mean_image")
    if entry is not None:
        mean_image = _load_mean_image(path, entry)
    try:
        return StatsState(record["num_images"], record["num_pixels"], record["mean"], record["m2"], mean_image)
    except (TypeError, ValueError) as error:
        raise StatsFileError(f"{path} holds invalid statistics: {error}") from error


def _load_mean_image(path: Path, entry) -> np.ndarray:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not isinstance(entry.get("shape"), list):
        raise StatsFileError(f'{path}: field \'mean_image\' must be null or {{"file": ..., "shape": [...]}}')
    name = entry["file"]
    if Path(name).name != name:
        raise StatsFileError(f"{path}: mean image file {name!r} must be a plain file name beside the JSON file")
    npy = path.with_name(name)
    try:
        data = npy.read_bytes()
        digest = entry.get("sha256")
        if digest is not None and hashlib.sha256(data).hexdigest() != digest:
            raise StatsFileError(f"mean image {npy} does not match {path} (SHA-256 differs): they come from different saves")
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        if isinstance(error, StatsFileError):
            raise
        raise StatsFileError(f"cannot read the mean image {npy} of {path}: {error}") from error
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise StatsFileError(f"mean image {npy} must hold a float array")
    if list(array.shape) != entry["shape"]:
        raise StatsFileError(f"mean image {npy} has shape {list(array.shape)}, but {path} says {entry['shape']}")
    return array
