"""Preview grids: the original and ``n`` augmented variants of each image, captioned.

One row per input image. The first cell is the original, letterboxed into a ``size x size``
tile (the whole image, aspect kept, scaled to fit, centered on a gray background); the next
``n`` cells are augmented variants, each letterboxed the same way when the pipeline's output
is not already ``size x size``. Under every tile a caption lists the parameters that were
sampled (``describe_params``), one ``Name: field=value ...`` line per transform that ran;
batch-stage lines start with ``batch``. Variants are numbered ``#0 .. #n-1``.

Targets:
    An image given as an ``augkit.Sample`` carries its mask, boxes and keypoints through
    both stages, and they are drawn on every tile (the original and each variant): the
    mask as a translucent colour overlay by label value (0 and 255 transparent), boxes as
    outlines with their labels, keypoints as dots (invisible ones as rings).

Pipelines:
    A single ``Transform`` (the sample stage, HWC arrays in), or a ``(sample, batch)`` pair as
    the presets return (either may be None). The batch stage runs on a one-sample
    ``augkit.Batch``, its parameters shown for that one sample. Output is made displayable:
    a transform that ``normalizes`` and has an ``inverse`` (``Normalize``) is undone; float
    output is taken as [0, 1] and scaled to 0-255. A mean image (AlexNet) subtracted before
    a crop is added back center-cropped to the output's size (exact for center crops, close
    otherwise).

Seeds:
    Variant ``k`` (0-based) of image ``i`` draws every parameter, sample and batch stage, from
    ``augkit.rng.derive_generator(seed, 0, i * n + k)``, so a grid is reproducible and one
    variant can be replayed alone.

The PNGs written by ``save_png`` carry the text chunk ``Software=augkit preview``;
``is_augkit_png`` checks it, so the command line never overwrites a file augkit did not make.

Modules: ``pipelines`` (what is previewed), ``steps`` (which transforms ran), ``captions``,
``cells`` (one image through both stages, made displayable), ``drawing`` (tiles, targets,
the painted grid), ``layout`` (geometry and caption text), ``grid`` (``render_grid``) and
``files`` (``save_png``).
"""

from __future__ import annotations

from augkit.preview.captions import describe_params
from augkit.preview.cells import augment_one, to_display
from augkit.preview.drawing import draw_targets, fit_tile, placement
from augkit.preview.files import SOFTWARE_KEY, SOFTWARE_VALUE, is_augkit_png, save_png
from augkit.preview.grid import MAX_GRID_PIXELS, MAX_TILE, MAX_VARIANTS, render_grid
from augkit.preview.layout import PAD, GridLayout, load_font, wrap_lines
from augkit.preview.pipelines import available_presets, default_pipeline, get_preset, load_pipeline_config, split_pipeline

__all__ = [
    "MAX_GRID_PIXELS",
    "MAX_TILE",
    "MAX_VARIANTS",
    "PAD",
    "SOFTWARE_KEY",
    "SOFTWARE_VALUE",
    "GridLayout",
    "augment_one",
    "available_presets",
    "default_pipeline",
    "describe_params",
    "draw_targets",
    "fit_tile",
    "get_preset",
    "is_augkit_png",
    "load_font",
    "load_pipeline_config",
    "placement",
    "render_grid",
    "save_png",
    "split_pipeline",
    "to_display",
    "wrap_lines",
]
