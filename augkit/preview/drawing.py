"""Pixels of a preview: letterboxed tiles, targets drawn over them, and the painted grid.

Targets are drawn on the tile, after letterboxing, so outlines stay one or two pixels
wide whatever the image's size: a mask as a translucent colour overlay (one fixed colour per
label value; 0 and the ignore label 255 stay transparent), boxes as outlines with their
labels, keypoints as dots (an invisible keypoint inside the image as a ring; outside the
image it is not drawn).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw

from augkit.preview.layout import PAD, GridLayout
from augkit.targets import Sample

BACKGROUND = (255, 255, 255)
LETTERBOX = (128, 128, 128)
TEXT = (20, 20, 20)
MUTED = (110, 110, 110)

#: Target colours, by label value modulo its length (saturated, tell apart on photos).
PALETTE = np.array(
    [
        (255, 255, 0),
        (255, 40, 40),
        (40, 220, 40),
        (40, 120, 255),
        (255, 140, 0),
        (200, 40, 255),
        (0, 230, 230),
        (255, 60, 170),
        (150, 255, 60),
        (140, 90, 40),
        (0, 140, 120),
        (120, 60, 200),
        (255, 200, 120),
        (0, 70, 160),
        (180, 0, 60),
        (230, 230, 230),
    ],
    dtype=np.uint8,
)
#: Mask label left transparent besides 0: the "ignore" value of segmentation datasets.
IGNORE_LABEL = 255
#: Opacity of the mask overlay.
MASK_ALPHA = 0.45


def colour(value: int) -> tuple[int, int, int]:
    """The palette colour of a label value (or an index), as an RGB tuple."""
    r, g, b = PALETTE[int(value) % len(PALETTE)]
    return int(r), int(g), int(b)


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where an image of ``(source_height, source_width)`` lands in its tile.

    It is scaled to ``height x width`` pixels with its top-left corner at ``(left, top)``;
    image pixel coordinates ``(x, y)`` map to ``(left + x * width / source_width,
    top + y * height / source_height)`` in the tile.
    """

    source_height: int
    source_width: int
    top: int
    left: int
    height: int
    width: int

    def to_tile(self, xy: np.ndarray) -> np.ndarray:
        """Map ``[..., 2]`` image ``(x, y)`` coordinates to tile coordinates (float64)."""
        xy = np.asarray(xy, dtype=np.float64)
        scale = np.array([self.width / self.source_width, self.height / self.source_height])
        return xy * scale + np.array([self.left, self.top], dtype=np.float64)


def placement(height: int, width: int, size: int) -> Placement:
    """Where ``fit_tile`` puts a ``height x width`` image in a ``size x size`` tile (longer side = ``size``)."""
    if (height, width) == (size, size):
        return Placement(height, width, 0, 0, size, size)
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    return Placement(height, width, (size - new_h) // 2, (size - new_w) // 2, new_h, new_w)


def fit_tile(image: np.ndarray, size: int, fill: tuple[int, int, int] = LETTERBOX) -> np.ndarray:
    """Letterbox an HWC uint8 image into a ``size x size`` tile (aspect kept, centered).

    Images are scaled so the longer side is ``size`` (antialiased bicubic; nearest neighbour
    when enlarging 2x or more, so small images keep visible pixels); an image already
    ``size x size`` is returned unchanged. ``placement`` gives the geometry.

    Returns:
        ``(size, size, 3)`` uint8 array.
    """
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return np.ascontiguousarray(image)
    where = placement(height, width, size)
    method = Image.Resampling.NEAREST if size / max(height, width) >= 2 else Image.Resampling.BICUBIC
    resized = np.asarray(Image.fromarray(image).resize((where.width, where.height), method))
    tile = np.empty((size, size, 3), np.uint8)
    tile[:] = fill
    tile[where.top : where.top + where.height, where.left : where.left + where.width] = resized
    return tile


def _numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _label_map(mask: np.ndarray) -> np.ndarray:
    """An ``[H, W]`` int64 label per pixel; an ``[H, W, M]`` mask gives ``m + 1`` where channel m is set (the last wins)."""
    if mask.ndim == 2:
        return mask.astype(np.int64)
    present = mask != 0
    index = np.arange(1, mask.shape[2] + 1, dtype=np.int64)
    return np.max(np.where(present, index, 0), axis=2)


def overlay_mask(tile: np.ndarray, mask, where: Placement, alpha: float = MASK_ALPHA) -> np.ndarray:
    """Blend a mask's colours into ``tile`` (a copy) where its label is neither 0 nor ``IGNORE_LABEL``.

    Args:
        tile: ``(size, size, 3)`` uint8 tile.
        mask: ``[H, W]`` integer or bool labels, or ``[H, W, M]`` (channel m shown as label m + 1),
            of the image placed by ``where``.
        where: The image's placement in the tile.
        alpha: Opacity of the colours.

    Returns:
        The new tile; pixels where the mask is 0 or ``IGNORE_LABEL`` are unchanged.
    """
    labels = _label_map(_numpy(mask))
    rows = np.minimum(((np.arange(where.height) + 0.5) * where.source_height / where.height).astype(np.int64), where.source_height - 1)
    cols = np.minimum(((np.arange(where.width) + 0.5) * where.source_width / where.width).astype(np.int64), where.source_width - 1)
    scaled = labels[rows[:, None], cols[None, :]]
    shown = (scaled != 0) & (scaled != IGNORE_LABEL)
    out = tile.copy()
    region = out[where.top : where.top + where.height, where.left : where.left + where.width]
    colours = PALETTE[scaled[shown] % len(PALETTE)].astype(np.float64)
    region[shown] = np.rint((1.0 - alpha) * region[shown] + alpha * colours).astype(np.uint8)
    return out


def _label_text(label) -> str:
    value = label.item() if isinstance(label, np.generic) else label
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _box_colour(label, index: int) -> tuple[int, int, int]:
    value = label.item() if isinstance(label, np.generic) else label
    return colour(value) if isinstance(value, (int, bool)) else colour(index + 1)


def box_pixels(xyxy, where: Placement) -> tuple[int, int, int, int]:
    """The tile pixels ``(x0, y0, x1, y1)`` (inclusive) a box's outline runs along.

    A box covers ``[x1, x2) x [y1, y2)`` in image pixels; its outline is the first and last
    tile pixel columns and rows it covers, kept inside the placed image.
    """
    (left, top), (right, bottom) = where.to_tile(np.asarray(xyxy, dtype=np.float64).reshape(2, 2))
    x0, y0 = round(left), round(top)
    x1, y1 = max(x0, round(right) - 1), max(y0, round(bottom) - 1)
    clip_x, clip_y = (where.left, where.left + where.width - 1), (where.top, where.top + where.height - 1)
    return (
        min(max(x0, clip_x[0]), clip_x[1]),
        min(max(y0, clip_y[0]), clip_y[1]),
        min(max(x1, clip_x[0]), clip_x[1]),
        min(max(y1, clip_y[0]), clip_y[1]),
    )


def draw_boxes(draw: ImageDraw.ImageDraw, boxes, where: Placement, font=None, width: int = 1) -> None:
    """Draw ``Boxes`` as outlines (colour by integer label, else by index), labels above them."""
    xyxy = _numpy(boxes.xyxy).reshape(-1, 4)
    labels = None if boxes.labels is None else _numpy(boxes.labels)
    for i, corners in enumerate(xyxy):
        label = None if labels is None else labels[i]
        ink = _box_colour(label, i)
        x0, y0, x1, y1 = box_pixels(corners, where)
        draw.rectangle((x0, y0, x1, y1), outline=ink, width=width)
        if label is not None:
            text = _label_text(label)
            text_left, text_top, text_right, text_bottom = draw.textbbox((0, 0), text, font=font)
            text_w, text_h = text_right - text_left + 2, text_bottom - text_top + 2
            y = y0 - text_h if y0 - text_h >= 0 else y0 + width
            draw.rectangle((x0, y, x0 + text_w - 1, y + text_h - 1), fill=ink)
            draw.text((x0 + 1 - text_left, y + 1 - text_top), text, fill=(0, 0, 0), font=font)


def draw_keypoints(draw: ImageDraw.ImageDraw, keypoints, where: Placement, radius: int = 2) -> None:
    """Draw ``Keypoints``: visible ones as filled dots, invisible ones inside the image as rings.

    A keypoint ``(x, y)`` is a pixel index (augkit's flips map ``x`` to ``W - 1 - x``): its dot
    is centred on the tile pixels that show image pixel ``(x, y)``.

    ``[N, 2]`` keypoints get a colour per point, ``[N, K, 2]`` a colour per instance.
    """
    xy = _numpy(keypoints.xy)
    flat = xy.reshape(-1, 2)
    visible = _numpy(keypoints.visibility()).reshape(-1)
    inside = (flat >= 0).all(axis=1) & (flat[:, 0] < where.source_width) & (flat[:, 1] < where.source_height)
    instance = np.repeat(np.arange(xy.shape[0]), xy.shape[1]) if xy.ndim == 3 else np.arange(xy.shape[0])
    points = where.to_tile(flat + 0.5) - 0.5  # keypoints are pixel indices: pixel centres map to pixel centres
    for (x, y), seen, within, who in zip(points, visible, inside, instance):
        box = (x - radius, y - radius, x + radius, y + radius)
        if seen:
            draw.ellipse(box, fill=colour(who + 1), outline=(0, 0, 0))
        elif within:
            draw.ellipse(box, outline=colour(who + 1), width=1)


def draw_targets(tile: np.ndarray, targets: Sample, where: Placement, font=None) -> np.ndarray:
    """Draw a sample's mask, boxes and keypoints over its tile; return the new tile.

    Args:
        tile: ``(size, size, 3)`` uint8, the image letterboxed by ``fit_tile``.
        targets: A ``Sample`` whose targets are in the pixel coordinates of the image placed
            by ``where`` (numpy arrays or tensors).
        where: ``placement`` of that image in the tile.
        font: The font of box labels (Pillow's default when None).

    Returns:
        A new ``(size, size, 3)`` uint8 tile.
    """
    size = tile.shape[0]
    if targets.mask is not None:
        tile = overlay_mask(tile, targets.mask, where)
    if targets.boxes is None and targets.keypoints is None:
        return tile
    canvas = Image.fromarray(tile)
    draw = ImageDraw.Draw(canvas)
    if targets.boxes is not None:
        draw_boxes(draw, targets.boxes, where, font, width=max(1, size // 160))
    if targets.keypoints is not None:
        draw_keypoints(draw, targets.keypoints, where, radius=max(2, size // 80))
    return np.asarray(canvas)


def paint_grid(
    layout: GridLayout, cells: Sequence[Sequence[tuple[np.ndarray, list[str]]]], title_lines: Sequence[str], font, line_height: int
):
    """Paint the tiles and captions of ``cells`` (rows of ``(tile, caption lines)``) onto a new canvas.

    Returns:
        The PIL RGB image of ``layout.size``.
    """
    canvas = Image.new("RGB", layout.size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for j, text in enumerate(title_lines):
        draw.text((PAD, PAD + j * line_height), text, fill=TEXT, font=font)
    for r, row in enumerate(cells):
        for c, (tile, lines) in enumerate(row):
            x, y = layout.tile_origin(r, c)
            canvas.paste(Image.fromarray(tile), (x, y))
            for j, text in enumerate(lines):
                draw.text((x + 2, y + layout.tile + 2 + j * line_height), text, fill=TEXT if j == 0 or c > 0 else MUTED, font=font)
    return canvas
