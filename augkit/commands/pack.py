"""``augkit pack DIR OUT``: write an image folder (or a list of images) as WebDataset tar shards.

Each image becomes a sample of a plain tar shard (readable by the ``webdataset`` package, by
``augkit.shards`` and by ``tar``): ``<key>.<ext>`` holds the image file and ``<key>.cls``
its class index as ASCII digits. Keys are the image's path relative to DIR without its
suffix (dots in the file name become ``_``, so WebDataset groups the members right), unique
in the dataset; so a packed sample is augmented exactly as the same image read from the
folder with the same key.

Images are stored byte for byte, unless ``--max-side N`` is given: an image whose longer
side exceeds N is then decoded (EXIF orientation applied), resized with antialiasing so its
longer side is N (aspect kept, sides rounded), and stored as a baseline JPEG of
``--quality`` (default 90, 4:2:0 chroma subsampling, libjpeg-turbo through simplejpeg).
Smaller stored images decode faster in training (as FFCV stores them), at the cost of
detail a later resize to a larger size would have kept.

A ``manifest.json`` beside the shards lists the shards (name, samples, bytes), the classes,
the sizes before and after and the options. Each shard is written to a temporary file and
renamed when complete, and the manifest is written last, so an interrupted run leaves no
half shard and no manifest. Exit status: 0 written; 1 bad input or output; 2 bad options;
130 / 143 interrupted.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tarfile
import time
from pathlib import Path
from typing import IO

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
#: Stored field of each image suffix.
_FIELDS = {".jpg": "jpg", ".jpeg": "jpg", ".png": "png", ".webp": "webp", ".bmp": "bmp", ".gif": "gif", ".tif": "tif", ".tiff": "tif"}
_FIELDS.update({".ppm": "ppm", ".pgm": "pgm"})
MANIFEST = "manifest.json"


def parse_size(text: str) -> int:
    """``"1GB"`` -> 10**9 bytes; ``"512MiB"`` -> 512 * 2**20; a plain number is bytes."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size such as 1GB, 500MB or 2GiB, got {text!r}")
    unit = (match.group(2) or "").lower().rstrip("b")
    value = int(float(match.group(1)) * _UNITS[unit])
    if value < 1:
        raise argparse.ArgumentTypeError(f"the shard size must be at least 1 byte, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the pack command's options."""
    parser.add_argument(
        "source", metavar="DIR", help="a folder with one sub-folder per class, or a text file listing 'path [class]' per line"
    )
    parser.add_argument("out", metavar="OUT", help="output folder for the shards and manifest.json (created; must not hold a manifest)")
    parser.add_argument("--shard-size", type=parse_size, default=parse_size("1GB"), metavar="SIZE", help="largest shard (default 1GB)")
    parser.add_argument(
        "--max-side", type=int, default=None, metavar="N", help="re-encode images whose longer side exceeds N to that side (JPEG)"
    )
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality of re-encoded images, 1-100 (default 90)")
    parser.add_argument("--no-shuffle", action="store_true", help="keep the source order (default: shuffle samples across shards)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffle (default 0)")
    parser.add_argument("--prefix", default="shard", help="shard file name prefix (default 'shard': shard-000000.tar, ...)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def read_source(source: str) -> tuple[list[str], list[int | None], list[str], list[str] | None]:
    """``(paths, class indices, keys, class names)`` of an image folder or a list file."""
    if os.path.isdir(source):
        from augkit.data import ImageFolder
        from augkit.data.keyed import unique_keys

        folder = ImageFolder(source)
        keys = unique_keys([os.path.relpath(path, folder.root) for path, _ in folder.samples])
        return [p for p, _ in folder.samples], [t for _, t in folder.samples], keys, folder.classes
    if not os.path.isfile(source):
        raise FileNotFoundError(f"{source} is neither a folder nor a list file")
    base = os.path.dirname(os.path.abspath(source))
    paths, targets, relatives = [], [], []
    for number, line in enumerate(Path(source).read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.rsplit(maxsplit=1)
        labelled = len(fields) == 2 and fields[1].lstrip("-").isdigit()
        path, label = (fields[0], int(fields[1])) if labelled else (text, None)
        full = path if os.path.isabs(path) else os.path.join(base, path)
        if not os.path.isfile(full):
            raise FileNotFoundError(f"{source}:{number}: {full} is not a file")
        relative = os.path.relpath(full, base)
        paths.append(full)
        targets.append(label)
        relatives.append(relative if not relative.startswith("..") else f"{len(paths) - 1:08d}_{os.path.basename(full)}")
    if not paths:
        raise ValueError(f"the list {source} names no images")
    from augkit.data.keyed import unique_keys

    return paths, targets, unique_keys(relatives), None


def _field(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in _FIELDS:
        raise ValueError(f"{path}: unsupported image suffix {suffix!r} (expected one of {sorted(_FIELDS)})")
    return _FIELDS[suffix]


def _longer_side(data: bytes, path: str) -> int:
    """The longer side declared by an image file's header (no decoding)."""
    from PIL import Image

    from augkit.errors import ImageDecodeError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return max(image.size)
    except Exception as error:
        raise ImageDecodeError(path, f"cannot read the image header ({error})") from error


def shrink(data: bytes, path: str, max_side: int, quality: int) -> bytes | None:
    """The image re-encoded as a JPEG with its longer side ``max_side``, or None when it is not larger.

    Args:
        data: The image file's bytes.
        path: Its name, for errors.
        max_side: The longest side kept.
        quality: JPEG quality, 1-100.

    Returns:
        JPEG bytes (4:2:0), or None when the image's longer side is at most ``max_side``.
    """
    if _longer_side(data, path) <= max_side:
        return None
    import simplejpeg

    from augkit.io import decode_bytes
    from augkit.transforms.geometry import Resize

    pixels = decode_bytes(data, path)
    height, width = pixels.shape[:2]
    if max(height, width) <= max_side:  # EXIF orientation does not change the longer side; safety only
        return None
    scale = max_side / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    small = Resize(size=size)(pixels)
    return simplejpeg.encode_jpeg(small, quality=quality, colorspace="RGB", colorsubsampling="420")


class _ShardWriter:
    """Tar shards of at most ``limit`` bytes, each written through ``augkit._atomic`` (renamed into place when complete)."""

    def __init__(self, out: Path, prefix: str, limit: int) -> None:
        self.out, self.prefix, self.limit = out, prefix, limit
        self.shards: list[dict] = []
        self._tar: tarfile.TarFile | None = None
        self._handle: IO[bytes] | None = None
        self._bytes = 0
        self._count = 0

    def _open(self) -> tarfile.TarFile:
        from augkit._atomic import atomic_write

        name = f"{self.prefix}-{len(self.shards):06d}.tar"
        self._final = self.out / name
        self._writing = atomic_write(self._final)
        self._handle = self._writing.__enter__()
        self._tar = tarfile.open(fileobj=self._handle, mode="w", format=tarfile.PAX_FORMAT)
        self.shards.append({"name": name, "count": 0, "bytes": 0})
        self._bytes, self._count = 0, 0
        return self._tar

    def add(self, members: list[tuple[str, bytes]]) -> None:
        size = sum(512 + -(-len(data) // 512) * 512 for _, data in members)
        # A tar ends with two zero blocks and is padded to 10240-byte records.
        projected = -(-(self._bytes + size + 1024) // 10240) * 10240
        if self._tar is not None and self._count and projected > self.limit:
            self.close()
        tar = self._tar if self._tar is not None else self._open()
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o444
            tar.addfile(info, io.BytesIO(data))
        self._bytes += size
        self._count += 1
        self.shards[-1]["count"] = self._count

    def close(self) -> None:
        if self._tar is None:
            return
        self._tar.close()
        self._tar = None
        self._writing.__exit__(None, None, None)  # flushed, synced and renamed into place
        self.shards[-1]["bytes"] = self._final.stat().st_size

    def abandon(self, error: BaseException) -> None:
        if self._tar is not None:
            self._tar = None
            self._writing.__exit__(type(error), error, error.__traceback__)  # the temporary file is removed


def pack(
    source: str,
    out: str,
    *,
    shard_size: int,
    max_side: int | None = None,
    quality: int = 90,
    shuffle: bool = True,
    seed: int = 0,
    prefix: str = "shard",
    progress: bool = False,
) -> dict:
    """Write ``source`` (a class-per-folder tree or a list file) as tar shards in ``out``; return the manifest.

    Args:
        source: The folder or list file.
        out: The output folder (created).
        shard_size: Largest shard in bytes (a shard holds at least one sample).
        max_side: Re-encode images whose longer side exceeds this (None: store every file as is).
        quality: JPEG quality of re-encoded images.
        shuffle: Shuffle the samples (seeded by ``seed``) so shards mix classes.
        seed: The shuffle's seed.
        prefix: Shard name prefix.
        progress: Show a progress bar.

    Returns:
        The manifest (also written to ``out/manifest.json``).
    """
    import numpy as np
    from tqdm.auto import tqdm

    import augkit
    from augkit._atomic import atomic_write

    paths, targets, keys, classes = read_source(source)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MANIFEST).exists():
        raise FileExistsError(f"{folder} already holds packed shards ({MANIFEST}): remove them or choose another folder")
    order = np.random.default_rng(seed).permutation(len(paths)) if shuffle else np.arange(len(paths))
    writer = _ShardWriter(folder, prefix, shard_size)
    source_bytes = stored_bytes = reencoded = 0
    try:
        for i in tqdm(order.tolist(), unit="img", desc="augkit pack", disable=not progress, dynamic_ncols=True):
            path, key = paths[i], keys[i]
            field = _field(path)
            data = Path(path).read_bytes()
            source_bytes += len(data)
            if max_side is not None:
                small = shrink(data, path, max_side, quality)
                if small is not None:
                    data, field = small, "jpg"
                    reencoded += 1
            stored_bytes += len(data)
            members = [(f"{key}.{field}", data)]
            if targets[i] is not None:
                members.append((f"{key}.cls", str(targets[i]).encode("ascii")))
            writer.add(members)
        writer.close()
    except BaseException as error:
        writer.abandon(error)
        raise
    manifest = {
        "format": "augkit.shards",
        "version": 1,
        "created_by": f"augkit {augkit.__version__}",
        "source": os.path.abspath(source),
        "count": len(paths),
        "classes": classes,
        "shards": writer.shards,
        "sizes": {"source_bytes": source_bytes, "stored_bytes": stored_bytes, "reencoded": reencoded},
        "options": {"shard_size": shard_size, "max_side": max_side, "quality": quality, "shuffle": shuffle, "seed": seed, "prefix": prefix},
    }
    with atomic_write(folder / MANIFEST) as handle:
        handle.write(json.dumps(manifest, indent=1).encode("utf-8"))
    return manifest


def run(args: argparse.Namespace) -> int:
    """Pack ``args.source`` into shards in ``args.out`` and print a summary."""
    from augkit.cli import interrupted_status
    from augkit.errors import ImageDecodeError

    if args.max_side is not None and args.max_side < 1:
        print("augkit pack: error: --max-side must be >= 1", file=sys.stderr)
        return 2
    if not 1 <= args.quality <= 100:
        print("augkit pack: error: --quality must be in 1..100", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        manifest = pack(
            args.source,
            args.out,
            shard_size=args.shard_size,
            max_side=args.max_side,
            quality=args.quality,
            shuffle=not args.no_shuffle,
            seed=args.seed,
            prefix=args.prefix,
            progress=not args.no_progress,
        )
    except KeyboardInterrupt as error:
        print("augkit pack: interrupted; complete shards are kept, no manifest written", file=sys.stderr)
        return interrupted_status(error)
    except (ValueError, OSError, ImageDecodeError) as error:
        print(f"augkit pack: error: {error}", file=sys.stderr)
        return 1
    sizes = manifest["sizes"]
    elapsed = time.perf_counter() - start
    print(
        f"{manifest['count']} images in {len(manifest['shards'])} shards ({sizes['stored_bytes'] / 1e6:.1f} MB,"
        f" from {sizes['source_bytes'] / 1e6:.1f} MB; {sizes['reencoded']} re-encoded) in {elapsed:.1f} s; written to {args.out}"
    )
    return 0
