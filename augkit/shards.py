"""Local WebDataset tar shards, read with the standard library only.

A shard is a tar file whose members are grouped into samples by key, as WebDataset does: a
member ``dir/name.ext`` belongs to the sample ``dir/name`` (the key is everything before the
first dot of the file name) and is stored under the field ``ext`` (lower-cased). ``augkit
pack`` writes such shards; this module reads them without the ``webdataset`` package:
``expand_urls`` (brace patterns and globs), ``tar_samples`` (a stream of dicts, as
``webdataset`` yields them) and ``TarShards`` (random access by index, e.g. for statistics).
"""

from __future__ import annotations

import glob
import os
import re
import tarfile
from collections.abc import Iterator, Sequence
from typing import Any

from torch.utils.data import Dataset

_BRACE = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")


def _expand_braces(pattern: str) -> list[str]:
    """``a{0..2}b`` -> ``a0b a1b a2b`` (zero padding kept, ``{000..010}``); ``a{x,y}`` -> ``ax ay``."""
    match = _BRACE.search(pattern)
    if match is None:
        return [pattern]
    body = match.group(1)
    numbers = _RANGE.match(body)
    if numbers:
        low, high = numbers.group(1), numbers.group(2)
        width = len(low) if low.startswith("0") else 0
        if int(high) < int(low):
            raise ValueError(f"brace range {{{body}}} in {pattern!r} goes down")
        choices = [str(n).zfill(width) for n in range(int(low), int(high) + 1)]
    else:
        choices = body.split(",")
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [expanded for choice in choices for expanded in _expand_braces(head + choice + tail)]


def expand_urls(urls: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """Expand shard names: brace patterns (``shard-{000000..000009}.tar``), ``::`` lists and globs.

    Args:
        urls: A pattern, a path, or a sequence of them. Local paths may start with
            ``file:``; a pattern with ``*``, ``?`` or ``[`` is a glob over local files.

    Returns:
        The shard names, in the order given (each glob's matches sorted).

    Example:
        >>> expand_urls("data/shard-{08..10}.tar")
        ['data/shard-08.tar', 'data/shard-09.tar', 'data/shard-10.tar']
    """
    if isinstance(urls, (str, os.PathLike)):
        urls = [os.fspath(urls)]
    found: list[str] = []
    for url in urls:
        for part in os.fspath(url).split("::"):
            for name in _expand_braces(part):
                local = name[len("file:") :] if name.startswith("file:") else name
                if any(c in local for c in "*?[") and "://" not in local:
                    matches = sorted(glob.glob(local))
                    if not matches:
                        raise FileNotFoundError(f"no shard matches {local!r}")
                    found.extend(matches)
                else:
                    found.append(local)
    return found


def split_name(name: str) -> tuple[str, str]:
    """A member name's ``(key, field)``, as WebDataset groups them (``a/b.c.jpg`` -> ``("a/b", "c.jpg")``)."""
    folder, _, base = name.rpartition("/")
    stem, dot, extension = base.partition(".")
    key = f"{folder}/{stem}" if folder else stem
    return key, extension.lower() if dot else ""


def _local(url: str) -> str:
    if "://" in url or url.startswith("pipe:"):
        raise ValueError(f"only local tar shards can be read here, got {url!r} (stream remote shards with webdataset)")
    return url


def tar_samples(urls, *, fields: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """Stream the samples of local tar shards, in order, as WebDataset's dicts.

    Args:
        urls: Shards, as ``expand_urls`` takes them.
        fields: Keep only these fields (default: all).

    Yields:
        ``{"__key__": key, "__url__": shard, field: bytes, ...}`` per sample.
    """
    wanted = None if fields is None else set(fields)
    for url in expand_urls(urls):
        current: dict[str, Any] | None = None
        with tarfile.open(_local(url), mode="r|") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                key, field = split_name(member.name)
                if current is not None and current["__key__"] != key:
                    yield current
                    current = None
                if current is None:
                    current = {"__key__": key, "__url__": url}
                if wanted is None or field in wanted:
                    handle = archive.extractfile(member)
                    current[field] = handle.read() if handle is not None else b""
        if current is not None:
            yield current


class TarShards(Dataset):
    """Random access to the samples of local tar shards: item ``i`` is ``(image bytes, target)``.

    The shards' member headers are read once (no data); an item reads its image (and target)
    bytes at their offsets. Targets come from the ``cls`` field (an int) when present, else
    None.

    Args:
        urls: Shards, as ``expand_urls`` takes them.
        image_fields: Fields holding the image, tried in order.
        sort: Order the samples by key (so the order does not depend on how the samples
            were sharded); else shard by shard, in the order given.

    Attributes:
        keys: The samples' keys, in item order.
        urls: The shard paths.

    Example:
        >>> import io, pathlib, tarfile, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.tar"
        >>> with tarfile.open(path, "w") as tar:
        ...     for name, data in (("a.cls", b"3"), ("a.jpg", b"x")):
        ...         info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
        >>> shards = TarShards(path)
        >>> shards.keys, shards[0]
        (['a'], (b'x', 3))
    """

    def __init__(
        self,
        urls,
        image_fields: Sequence[str] = ("jpg", "jpeg", "png", "webp", "bmp", "ppm", "pgm", "tif", "tiff", "gif"),
        sort: bool = False,
    ) -> None:
        self.urls = [_local(u) for u in expand_urls(urls)]
        self.image_fields = tuple(image_fields)
        entries: dict[str, dict[str, tuple[int, int, int]]] = {}
        order: list[str] = []
        for shard, url in enumerate(self.urls):
            with tarfile.open(url, mode="r:") as archive:
                for member in archive.getmembers():
                    if not member.isfile():
                        continue
                    key, field = split_name(member.name)
                    if key not in entries:
                        entries[key] = {}
                        order.append(key)
                    entries[key][field] = (shard, member.offset_data, member.size)
        self.keys = sorted(order) if sort else order
        self._entries = [entries[k] for k in self.keys]
        for key, fields in zip(self.keys, self._entries):
            if not any(f in fields for f in self.image_fields):
                raise ValueError(
                    f"sample {key!r} in {self.urls[next(iter(fields.values()))[0]]} has no image field {list(self.image_fields)}"
                )

    def __len__(self) -> int:
        return len(self.keys)

    def _read(self, where: tuple[int, int, int]) -> bytes:
        shard, offset, size = where
        with open(self.urls[shard], "rb") as handle:
            handle.seek(offset)
            return handle.read(size)

    def __getitem__(self, index: int) -> tuple[bytes, Any]:
        fields = self._entries[index]
        image = self._read(next(fields[f] for f in self.image_fields if f in fields))
        target = int(self._read(fields["cls"]).decode("ascii").strip()) if "cls" in fields else None
        return image, target

    def __repr__(self) -> str:
        return f"TarShards(shards={len(self.urls)}, samples={len(self)})"
