"""Grid geometry and caption text: where each tile goes, how captions wrap, the font."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from PIL import ImageFont

#: Pixels between tiles and around the grid.
PAD = 6


def load_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` pixels (the small bitmap font where FreeType is missing)."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow < 10.1 or no FreeType
        return ImageFont.load_default()


def line_height(font) -> int:
    """Pixels from one caption line to the next in ``font``."""
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (10, 2)
    return ascent + descent + 1


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


def grid_width(cols: int, tile: int) -> int:
    """The width in pixels of a grid of ``cols`` tiles of side ``tile``."""
    return PAD + cols * (tile + PAD)
