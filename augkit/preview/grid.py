"""``render_grid``: a row per image, the original then ``n`` captioned variants, targets drawn on each."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from augkit.preview.cells import as_sample, augment_one
from augkit.preview.drawing import draw_targets, fit_tile, paint_grid, placement
from augkit.preview.layout import PAD, GridLayout, grid_width, line_height, load_font, wrap_lines
from augkit.preview.pipelines import default_pipeline, split_pipeline
from augkit.rng import derive_generator
from augkit.targets import Sample

#: Largest tile side ``render_grid`` (and ``augkit preview --size``) accepts.
MAX_TILE = 2048
#: Most variants per image ``render_grid`` (and ``augkit preview -n``) accepts.
MAX_VARIANTS = 256
#: Largest grid, in pixels (about 300 MB as RGB), so a preview never exhausts memory.
MAX_GRID_PIXELS = 100_000_000


def check_grid_options(n, size, rows: int = 1) -> None:
    """Refuse a variant count, tile side or grid size outside the bounds above.

    Raises:
        ValueError: Naming the option and its allowed range.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_VARIANTS:
        raise ValueError(f"n must be an int in [1, {MAX_VARIANTS}], got {n!r}")
    if isinstance(size, bool) or not isinstance(size, int) or not 8 <= size <= MAX_TILE:
        raise ValueError(f"size must be an int in [8, {MAX_TILE}], got {size!r}")
    width, height = grid_width(n + 1, size), PAD + rows * (size + PAD)
    if width * height > MAX_GRID_PIXELS:
        raise ValueError(
            f"a grid of {rows} rows x {n + 1} tiles of {size} pixels would be at least {width}x{height} pixels,"
            f" more than {MAX_GRID_PIXELS}: use fewer images, fewer variants or smaller tiles"
        )


def target_summary(sample: Sample) -> list[str]:
    """A caption line naming the targets a sample carries (empty when none)."""
    parts = []
    if sample.mask is not None:
        parts.append("mask")
    if sample.boxes is not None:
        parts.append(f"{len(sample.boxes)} boxes")
    if sample.keypoints is not None:
        parts.append(f"{int(np.prod(sample.keypoints.xy.shape[:-1]))} keypoints")
    return [f"targets: {', '.join(parts)}"] if parts else []


def _tile(shown: Sample, size: int, font) -> np.ndarray:
    """The letterboxed tile of a displayable sample, its targets drawn on it."""
    tile = fit_tile(shown.image, size)
    if not shown.has_spatial_targets():
        return tile
    height, width = shown.image.shape[:2]
    return draw_targets(tile, shown, placement(height, width, size), font)


def _row(i: int, source: Sample, label: str, pipeline, n: int, seed: int, size: int, fonts, max_lines: int) -> list:
    """The ``(tile, caption lines)`` cells of image ``i``: the original, then ``n`` variants."""
    font, target_font = fonts
    height, width = source.image.shape[:2]
    head = [f"original: {label}", f"{width}x{height}", *target_summary(source)]
    cells = [(_tile(source, size, target_font), wrap_lines(head, font, size - 4, max_lines))]
    for k in range(n):
        shown, lines = augment_one(source, pipeline, derive_generator(seed, 0, i * n + k), view=k)
        out_h, out_w = shown.image.shape[:2]
        cells.append((_tile(shown, size, target_font), wrap_lines([f"#{k} {out_w}x{out_h}", *lines], font, size - 4, max_lines)))
    return cells


def render_grid(
    images: Sequence[np.ndarray | Sample],
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
        images: HWC uint8 RGB arrays (``augkit.decode`` output), or ``augkit.Sample`` s of
            them with a mask, boxes and/or keypoints; one row each. Targets are drawn on
            every tile, the original's and each variant's.
        pipeline: A ``Transform`` or ``(sample, batch)`` pair; None for ``default_pipeline(size)``.
        n: Augmented variants per image, at most ``MAX_VARIANTS``.
        seed: Variant ``k`` of image ``i`` uses ``derive_generator(seed, 0, i * n + k)``.
        size: Tile side in pixels (8 to ``MAX_TILE``); outputs of another size are letterboxed into it.
        labels: A caption for each original (e.g. the file name); default ``image i``.
        title: A line printed above the grid (none when None).
        font_size: Caption font size in pixels (default ``max(11, size // 18)``).
        max_caption_lines: Captions longer than this are truncated with an ellipsis.

    Returns:
        ``(PIL RGB image, GridLayout)``.

    Raises:
        ValueError: No images, ``n`` or ``size`` out of range, a grid larger than
            ``MAX_GRID_PIXELS``, labels of the wrong length, a mask of another size than its image.

    Example:
        >>> import numpy as np
        >>> grid, layout = render_grid([np.zeros((40, 60, 3), np.uint8)], n=2, size=32)
        >>> grid.size == layout.size, layout.cols
        (True, 3)
    """
    if not images:
        raise ValueError("images must not be empty")
    check_grid_options(n, size, len(images))
    pipeline = default_pipeline(size) if pipeline is None else pipeline
    split_pipeline(pipeline)  # fail early on a bad pipeline
    sources = [as_sample(image, f"images[{i}]") for i, image in enumerate(images)]
    labels = list(labels) if labels is not None else [f"image {i}" for i in range(len(images))]
    if len(labels) != len(images):
        raise ValueError(f"labels must have one entry per image ({len(images)}), got {len(labels)}")
    font = load_font(font_size or max(11, size // 18))
    fonts = (font, load_font(max(9, size // 20)))
    cells = [_row(i, source, labels[i], pipeline, n, seed, size, fonts, max_caption_lines) for i, source in enumerate(sources)]

    step = line_height(font)
    title_lines = wrap_lines([title], font, grid_width(n + 1, size) - 2 * PAD, 2) if title else []
    layout = GridLayout(
        rows=len(images),
        cols=n + 1,
        tile=size,
        caption_height=max(len(lines) for row in cells for _, lines in row) * step + 4,
        header_height=len(title_lines) * step + (PAD if title_lines else 0),
    )
    return paint_grid(layout, cells, title_lines, font, step), layout
