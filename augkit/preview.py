"""Preview grids: the original and ``n`` augmented variants of each image, captioned.

One row per input image. The first cell is the original, letterboxed into a ``size x size``
tile (the whole image, aspect kept, scaled to fit, centered on a gray background); the next
``n`` cells are augmented variants, each letterboxed the same way when the pipeline's output
is not already ``size x size``. Under every tile a caption lists the parameters that were
sampled (``describe_params``), one ``Name: field=value ...`` line per transform that ran;
batch-stage lines start with ``batch``. Variants are numbered ``#0 .. #n-1``.

Pipelines:
    A single ``Transform`` (the sample stage, HWC arrays in), or a ``(sample, batch)`` pair as
    the presets return (either may be None). The batch stage runs on a ``[1, C, H, W]``
    tensor, its parameters shown for that one sample. Output is made displayable: a
    ``Normalize`` (or ``Whiten``) that ran is inverted with its ``inverse``; float output is
    taken as [0, 1] and scaled to 0-255. A mean image (AlexNet) subtracted before a crop is
    added back center-cropped to the output's size (exact for center crops, close otherwise).

Seeds:
    Variant ``k`` (0-based) of image ``i`` draws every parameter, sample and batch stage, from
    ``augkit.rng.derive_generator(seed, 0, i * n + k)``, so a grid is reproducible and one
    variant can be replayed alone.

The PNGs written by ``save_png`` carry the text chunk ``Software=augkit preview``;
``is_augkit_png`` checks it, so the command line never overwrites a file augkit did not make.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from augkit._atomic import atomic_write
from augkit.pipeline import as_pipeline
from augkit.rng import derive_generator
from augkit.transforms.base import Applied, Transform, params_at
from augkit.transforms.containers import Compose, ComposeParams, OneOf, OneOfParams, RandomApply, RandomApplyParams

#: The PNG text chunk that marks files written by ``save_png``.
SOFTWARE_KEY = "Software"
SOFTWARE_VALUE = "augkit preview"

#: Class names of transforms inverted for display when they ran (they have ``inverse``).
DISPLAY_INVERTIBLE = ("Normalize", "Whiten")

BACKGROUND = (255, 255, 255)
LETTERBOX = (128, 128, 128)
TEXT = (20, 20, 20)
MUTED = (110, 110, 110)
PAD = 6


# --------------------------------------------------------------------------- pipelines


def split_pipeline(pipeline) -> tuple[Transform | None, Transform | None]:
    """Return ``(sample_pipeline, batch_pipeline)`` from a transform or a pair.

    Args:
        pipeline: A ``Transform`` (sample stage), a ``(sample, batch)`` tuple or list (either
            may be None; an ``augkit.Pipeline`` is one), or an object with ``sample`` and
            ``batch`` attributes holding them.

    Returns:
        The two stages (an ``augkit.Pipeline``); at least one is not None.

    Example:
        >>> from augkit import HorizontalFlip
        >>> split_pipeline(HorizontalFlip())[1] is None
        True
    """
    return as_pipeline(pipeline)


def default_pipeline(size: int = 224) -> Transform:
    """Return the pipeline previewed when none is given: ``RandomResizedCrop(size)`` + ``HorizontalFlip()``."""
    from augkit.transforms import HorizontalFlip, RandomResizedCrop

    return Compose([RandomResizedCrop(size), HorizontalFlip()])


def available_presets() -> list[str]:
    """Return the names of the presets in ``augkit.presets`` (empty when it is missing)."""
    try:
        module = importlib.import_module("augkit.presets")
    except ImportError:
        return []
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    return sorted(
        n for n in names if callable(getattr(module, n, None)) and getattr(getattr(module, n), "__module__", "") == module.__name__
    )


def get_preset(name: str) -> Callable[..., Any]:
    """Return the preset function ``augkit.presets.<name>``, looked up when called.

    Raises:
        ValueError: No such preset (or no ``augkit.presets`` module); the message lists the
            available presets.
    """
    names = available_presets()
    if name not in names:
        listing = ", ".join(names) if names else "none (augkit.presets is not in this build)"
        raise ValueError(f"unknown preset {name!r}; available: {listing}")
    return getattr(importlib.import_module("augkit.presets"), name)


def load_pipeline_config(path: str | os.PathLike):
    """Load a pipeline from a YAML or JSON file with ``augkit.from_config`` (never executes code).

    The file holds either one pipeline (``{"name": "Compose", ...}``, as ``to_config()``
    writes) or both stages: ``{"sample": {...}, "batch": {...}}`` (either may be omitted
    or null), as ``augkit.Pipeline.to_config()`` writes.

    Returns:
        A ``Transform``, or an ``augkit.Pipeline`` of ``(sample, batch)``.

    Raises:
        ValueError: The file cannot be read, is not valid YAML / JSON, or does not describe a
            pipeline (the message says which).
    """
    import yaml

    from augkit.config import from_config

    path = os.fspath(path)
    kind = "JSON" if path.lower().endswith(".json") else "YAML"
    try:
        return from_config(Path(path))
    except OSError as error:
        raise ValueError(f"cannot read config {path}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise ValueError(f"config {path} is not valid {kind}: {error}") from error


# --------------------------------------------------------------------------- captions


def _format_value(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _format_value(value.item())
        if value.size > 6:
            return f"<{'x'.join(map(str, value.shape))}>"
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_format_value(v) for v in value) + ")"
    if dataclasses.is_dataclass(value):
        return "(" + " ".join(_fields(value)) + ")"
    return str(value)


_BOX_FIELDS = ("top", "left", "height", "width")


def _fields(params: Any) -> list[str]:
    """``field=value`` tokens of a params dataclass; None skipped, windows as ``WxH@(x,y)``."""
    values = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
    tokens = []
    if all(values.get(k) is not None and np.ndim(values[k]) == 0 for k in _BOX_FIELDS):
        top, left, height, width = (int(values.pop(k)) for k in _BOX_FIELDS)
        tokens.append(f"box={width}x{height}@({left},{top})")
    for name, value in values.items():
        if value is not None:
            tokens.append(f"{name}={_format_value(value)}")
    return tokens


def _short_name(params: Any, transform: Transform | None) -> str:
    if transform is not None:
        return type(transform).__name__
    name = type(params).__name__
    return name[: -len("Params")] if name.endswith("Params") and len(name) > len("Params") else name


def describe_params(params: Any, transform: Transform | None = None) -> list[str]:
    """Describe sampled parameters as short ``Name: field=value`` lines, one per transform.

    Walks ``ComposeParams``, ``RandomApplyParams`` and ``OneOfParams`` (with the matching
    transform when given, for the names); floats are rounded to 3 significant digits, None
    fields and parameter-free transforms are skipped, crop windows print as
    ``box=WIDTHxHEIGHT@(left,top)``, booleans as yes / no.

    Args:
        params: What ``transform.sample`` (or ``run``) returned for one image.
        transform: The transform that drew them (optional; gives the class names).

    Returns:
        A list of lines.

    Example:
        >>> from augkit.transforms.geometry import CropParams, FlipParams
        >>> describe_params(ComposeParams((CropParams(1, 2, 30, 40), None, FlipParams(True))))
        ['Crop: box=40x30@(2,1)', 'Flip: flip=yes']
    """
    if params is None:
        return []
    if isinstance(params, ComposeParams):
        children = transform.transforms if isinstance(transform, Compose) else [None] * len(params.params)
        return [line for t, p in zip(children, params.params) for line in describe_params(p, t)]
    if isinstance(params, RandomApplyParams):
        inner = transform.transform if isinstance(transform, RandomApply) else None
        if not bool(np.all(params.applied)):
            name = type(inner).__name__ if inner is not None else "RandomApply"
            return [f"{name}: skipped"]
        return describe_params(params.inner, inner)
    if isinstance(params, Applied):
        name = _short_name(params, transform)
        if params.params is None or not bool(np.all(params.applied)):
            return [f"{name}: {params.label}={_format_value(bool(np.all(params.applied)))}"]
        return describe_params(params.params, transform)
    if isinstance(params, OneOfParams):
        k = int(params.choice)
        inner = transform.transforms[k] if isinstance(transform, OneOf) else None
        lines = describe_params(params.inner[k], inner)
        if not lines:
            name = type(inner).__name__ if inner is not None else f"choice {k}"
            lines = [f"OneOf: {name}"]
        return lines
    if dataclasses.is_dataclass(params):
        tokens = _fields(params)
        name = _short_name(params, transform)
        return [f"{name}: {' '.join(tokens)}" if tokens else name]
    return [f"{_short_name(params, transform)}: {_format_value(params)}"]


def _ran(transform: Transform | None, params: Any):
    """Yield the leaf transforms that actually ran, with their parameters."""
    if transform is None:
        return
    if isinstance(transform, Compose) and isinstance(params, ComposeParams):
        for t, p in zip(transform.transforms, params.params):
            yield from _ran(t, p)
    elif isinstance(transform, RandomApply) and isinstance(params, RandomApplyParams):
        if bool(np.all(params.applied)):
            yield from _ran(transform.transform, params.inner)

    elif isinstance(transform, OneOf) and isinstance(params, OneOfParams):
        k = int(params.choice)
        yield from _ran(transform.transforms[k], params.inner[k])
    else:
        yield transform, params


# --------------------------------------------------------------------------- pixels


def fit_tile(image: np.ndarray, size: int, fill: tuple[int, int, int] = LETTERBOX) -> np.ndarray:
    """Letterbox an HWC uint8 image into a ``size x size`` tile (aspect kept, centered).

    Images are scaled so the longer side is ``size`` (antialiased bicubic; nearest neighbour
    when enlarging 2x or more, so small images keep visible pixels); an image already
    ``size x size`` is returned unchanged.

    Returns:
        ``(size, size, 3)`` uint8 array.
    """
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return np.ascontiguousarray(image)
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    method = Image.Resampling.NEAREST if scale >= 2 else Image.Resampling.BICUBIC
    resized = np.asarray(Image.fromarray(image).resize((new_w, new_h), method))
    tile = np.empty((size, size, 3), np.uint8)
    tile[:] = fill
    top, left = (size - new_h) // 2, (size - new_w) // 2
    tile[top : top + new_h, left : left + new_w] = resized
    return tile


def to_display(output, invert: Sequence[Transform] = ()) -> np.ndarray:
    """Turn a pipeline's output into an HWC uint8 RGB array for display.

    Args:
        output: An HWC array, a ``[C, H, W]`` tensor or a ``[1, C, H, W]`` batch; uint8 or float.
        invert: Normalizing transforms that ran, in order; their ``inverse`` is applied in
            reverse order, giving [0, 1] floats.

    Returns:
        ``(H, W, 3)`` uint8 array. Float values are taken as [0, 1], scaled and clipped.
    """
    for t in reversed(list(invert)):
        output = _invert_for_display(t, output)
    if isinstance(output, torch.Tensor):
        output = output.detach().cpu()
        if output.ndim == 4:
            output = output[0]
        if output.ndim != 3:
            raise ValueError(f"cannot display a tensor of shape {tuple(output.shape)}")
        output = output.permute(1, 2, 0).numpy()
    array = np.asarray(output)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.dtype != np.uint8:
        array = np.clip(np.rint(array.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3])


def _invert_for_display(transform: Transform, output):
    """``transform.inverse(output)``; a mean image larger than ``output`` is center-cropped to it.

    A mean image is subtracted before the random crop (AlexNet), so the output is a window of
    the normalized image whose position the display no longer knows; adding the central
    window of the mean image back is exact for a center crop and close otherwise (a mean
    image is smooth). For display only.
    """
    mean_image = getattr(transform, "mean_image", None)
    if mean_image is None:
        return transform.inverse(output)
    mean = np.asarray(transform._mean_image)
    height, width = output.shape[-2:] if isinstance(output, torch.Tensor) else output.shape[:2]
    if (height, width) == mean.shape[:2] or height > mean.shape[0] or width > mean.shape[1]:
        return transform.inverse(output)
    top, left = int(round((mean.shape[0] - height) / 2.0)), int(round((mean.shape[1] - width) / 2.0))
    window = np.ascontiguousarray(mean[top : top + height, left : left + width])
    if isinstance(output, torch.Tensor):
        return output.to(torch.float32) + torch.from_numpy(window.transpose(2, 0, 1).copy()).to(output.device)
    return (output + window).astype(np.float32)


def _to_batch(output) -> torch.Tensor:
    if isinstance(output, np.ndarray):
        output = torch.from_numpy(np.ascontiguousarray(output)).permute(2, 0, 1)
    if not isinstance(output, torch.Tensor) or output.ndim != 3:
        raise TypeError(f"the sample stage must end with an HWC array or a CHW tensor to feed the batch stage, got {type(output).__name__}")
    return output.unsqueeze(0)


def augment_one(image: np.ndarray, pipeline, rng: np.random.Generator, view: int = 0) -> tuple[np.ndarray, list[str]]:
    """Run both stages on one image; return the displayable result and its caption lines.

    Args:
        image: HWC uint8 RGB.
        pipeline: A ``Transform`` or a ``(sample, batch)`` pair (see ``split_pipeline``).
        rng: The generator both stages draw from, sample stage first.
        view: When the sample stage makes several views (``TenCrop``, ``MultiScaleTenCrop``:
            a ``[V, C, H, W]`` tensor), the one shown: ``view % V`` (captioned ``view v/V``).

    Returns:
        ``(HWC uint8 array, caption lines)``.
    """
    sample, batch = split_pipeline(pipeline)
    lines: list[str] = []
    ran: list[Transform] = []
    output = image
    if sample is not None:
        output, params = sample.run(image, rng)
        lines += describe_params(params, sample)
        ran += [t for t, _ in _ran(sample, params)]
        if isinstance(output, torch.Tensor) and output.ndim == 4:
            count = int(output.shape[0])
            output = output[view % count]
            lines.append(f"view {view % count}/{count}")
    if batch is not None:
        output, params = batch.run(_to_batch(output), rng)
        one = params_at(params, 0)
        lines += [f"batch {line}" for line in describe_params(one, batch)]
        ran += [t for t, _ in _ran(batch, one)]
    invert = [t for t in ran if type(t).__name__ in DISPLAY_INVERTIBLE and hasattr(t, "inverse")]
    return to_display(output, invert), lines


# --------------------------------------------------------------------------- layout


def load_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` pixels (the small bitmap font where FreeType is missing)."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow < 10.1 or no FreeType
        return ImageFont.load_default()


def wrap_lines(lines: Sequence[str], font, width: float, max_lines: int) -> list[str]:
    """Wrap caption lines to ``width`` pixels at spaces; truncate with an ellipsis.

    Continuation lines are indented by two spaces. A word wider than the line is cut; more
    than ``max_lines`` lines end in ``...`` on the last one.

    Returns:
        At most ``max_lines`` lines, each at most ``width`` pixels wide.
    """

    def fits(text: str) -> bool:
        return font.getlength(text) <= width

    def cut(text: str) -> str:
        while text and not fits(text + "\u2026"):
            text = text[:-1]
        return text + "\u2026"

    out: list[str] = []
    for line in lines:
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if fits(candidate) or not current.strip():
                current = candidate
                continue
            out.append(current)
            current = "  " + word
        out.append(current)
    out = [text if fits(text) else cut(text) for text in out]
    if len(out) > max_lines:
        out = out[:max_lines]
        out[-1] = cut(out[-1].rstrip("\u2026"))
    return out


@dataclasses.dataclass(frozen=True)
class GridLayout:
    """Geometry of a preview grid (pixels).

    Cell ``(row, col)`` has its tile's top-left corner at ``tile_origin(row, col)``; under it
    ``caption_height`` pixels of caption. Column 0 is the original.
    """

    rows: int
    cols: int
    tile: int
    caption_height: int
    header_height: int
    pad: int = PAD

    @property
    def cell_height(self) -> int:
        """A tile and its caption."""
        return self.tile + self.caption_height

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the whole image."""
        width = self.pad + self.cols * (self.tile + self.pad)
        height = self.header_height + self.pad + self.rows * (self.cell_height + self.pad)
        return width, height

    def tile_origin(self, row: int, col: int) -> tuple[int, int]:
        """``(x, y)`` of the tile's top-left corner."""
        return self.pad + col * (self.tile + self.pad), self.header_height + self.pad + row * (self.cell_height + self.pad)


def render_grid(
    images: Sequence[np.ndarray],
    pipeline=None,
    *,
    n: int = 16,
    seed: int = 0,
    size: int = 224,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    font_size: int | None = None,
    max_caption_lines: int = 10,
) -> tuple[Image.Image, GridLayout]:
    """Render the preview grid of ``images`` under ``pipeline``.

    Args:
        images: HWC uint8 RGB arrays (``augkit.decode`` output), one row each.
        pipeline: A ``Transform`` or ``(sample, batch)`` pair; None for ``default_pipeline(size)``.
        n: Augmented variants per image.
        seed: Variant ``k`` of image ``i`` uses ``derive_generator(seed, 0, i * n + k)``.
        size: Tile side in pixels; outputs of another size are letterboxed into it.
        labels: A caption for each original (e.g. the file name); default ``image i``.
        title: A line printed above the grid (none when None).
        font_size: Caption font size in pixels (default ``max(11, size // 18)``).
        max_caption_lines: Captions longer than this are truncated with an ellipsis.

    Returns:
        ``(PIL RGB image, GridLayout)``.

    Example:
        >>> import numpy as np
        >>> grid, layout = render_grid([np.zeros((40, 60, 3), np.uint8)], n=2, size=32)
        >>> grid.size == layout.size, layout.cols
        (True, 3)
    """
    if not images:
        raise ValueError("images must not be empty")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    pipeline = default_pipeline(size) if pipeline is None else pipeline
    split_pipeline(pipeline)  # fail early on a bad pipeline
    labels = list(labels) if labels is not None else [f"image {i}" for i in range(len(images))]
    if len(labels) != len(images):
        raise ValueError(f"labels must have one entry per image ({len(images)}), got {len(labels)}")
    font = load_font(font_size or max(11, size // 18))
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (10, 2)
    line_height = ascent + descent + 1
    text_width = size - 4

    cells: list[list[tuple[np.ndarray, list[str]]]] = []
    for i, image in enumerate(images):
        height, width = image.shape[:2]
        row = [(fit_tile(image, size), wrap_lines([f"original: {labels[i]}", f"{width}x{height}"], font, text_width, max_caption_lines))]
        for k in range(n):
            out, lines = augment_one(image, pipeline, derive_generator(seed, 0, i * n + k), view=k)
            out_h, out_w = out.shape[:2]
            head = f"#{k} {out_w}x{out_h}"
            row.append((fit_tile(out, size), wrap_lines([head, *lines], font, text_width, max_caption_lines)))
        cells.append(row)

    caption_lines = max(len(lines) for row in cells for _, lines in row)
    title_lines = wrap_lines([title], font, PAD + (n + 1) * (size + PAD) - 2 * PAD, 2) if title else []
    layout = GridLayout(
        rows=len(images),
        cols=n + 1,
        tile=size,
        caption_height=caption_lines * line_height + 4,
        header_height=len(title_lines) * line_height + (PAD if title_lines else 0),
    )
    canvas = Image.new("RGB", layout.size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for j, text in enumerate(title_lines):
        draw.text((PAD, PAD + j * line_height), text, fill=TEXT, font=font)
    for r, row in enumerate(cells):
        for c, (tile, lines) in enumerate(row):
            x, y = layout.tile_origin(r, c)
            canvas.paste(Image.fromarray(tile), (x, y))
            for j, text in enumerate(lines):
                color = TEXT if j == 0 or c > 0 else MUTED
                draw.text((x + 2, y + size + 2 + j * line_height), text, fill=color, font=font)
    return canvas, layout


# --------------------------------------------------------------------------- files


def is_augkit_png(path: str | os.PathLike) -> bool:
    """True when ``path`` is a PNG carrying augkit's ``Software`` text chunk."""
    try:
        with Image.open(path) as image:
            return image.format == "PNG" and str(getattr(image, "text", {}).get(SOFTWARE_KEY, "")).startswith("augkit")
    except (OSError, ValueError, SyntaxError):
        return False


def save_png(image: Image.Image, path: str | os.PathLike, *, force: bool = False, metadata: dict[str, str] | None = None) -> Path:
    """Write ``image`` as a PNG marked ``Software=augkit preview``, atomically.

    The PNG is written to a temporary file beside ``path`` and moved over it with
    ``os.replace`` (``augkit._atomic``), so a reader never sees half a file.

    Args:
        image: The grid.
        path: Where to write.
        force: Overwrite ``path`` even when it exists and is not a PNG augkit made.
        metadata: More PNG text chunks (e.g. the command line), key -> value.

    Returns:
        The path written.

    Raises:
        FileExistsError: ``path`` exists, is not an augkit PNG, and ``force`` is False.
        IsADirectoryError: ``path`` is a directory.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name such as {path / 'augkit-preview.png'}")
    if path.exists() and not force and not is_augkit_png(path):
        raise FileExistsError(f"{path} exists and is not a preview augkit made; refusing to overwrite it (use --force)")
    info = PngImagePlugin.PngInfo()
    info.add_text(SOFTWARE_KEY, SOFTWARE_VALUE)
    for key, value in (metadata or {}).items():
        info.add_text(key, value)
    with atomic_write(path) as handle:
        image.save(handle, format="PNG", pnginfo=info)
    return path


__all__ = [
    "GridLayout",
    "augment_one",
    "available_presets",
    "default_pipeline",
    "describe_params",
    "fit_tile",
    "get_preset",
    "is_augkit_png",
    "load_pipeline_config",
    "render_grid",
    "save_png",
    "split_pipeline",
    "to_display",
    "wrap_lines",
]
