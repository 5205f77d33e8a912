"""Decode JPEGs and take their geometry windows on the device, batched, with the CPU path's parameters.

The sample stage's geometry at the start of a pipeline (``RandomResizedCrop``;
``Resize`` or ``RandomScale``, optionally followed by ``CenterCrop`` / ``RandomCrop``)
reduces to one *window* per image: a source region, the size it is resized to, and the
crop taken from that resized frame (pixels outside it get the crop's ``fill``). Here

- ``upright_shape(data)`` reads a JPEG's upright size from its headers,
- ``draw_geometry(transforms, rng, shape)`` draws each transform's parameters with its own
  ``sample`` on a stand-in of that shape, exactly as the CPU path draws them (a worker can
  do this from the bytes alone),
- ``decode_jpegs(datas, device)`` decodes with ``torchvision.io.decode_jpeg`` (nvJPEG on
  CUDA, batched; libjpeg-turbo on the CPU) and turns the images upright,
- ``resample(images, windows)`` resamples every window at once: torch's antialiased
  bilinear weights (computed on the host in float64, as torch does, for all samples at
  once) go to the device in one copy as ``[B, out, in]`` matrices, and two batched
  matmuls do the horizontal then the vertical pass, each rounded to uint8 as torch's
  separable uint8 kernel does.

Pixels agree with the CPU path (``augkit.decode`` then the transforms) within 2 levels:
weights in floating point instead of torch's 16-bit fixed point, and on CUDA nvJPEG's
IDCT instead of libjpeg-turbo's. torchvision is an optional dependency: this module is
never imported by ``import augkit`` and imports torchvision only in ``decode_jpegs``.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from augkit import io
from augkit._image import shape_only
from augkit.functional import geometry as G
from augkit.transforms.geometry import CenterCrop, RandomCrop, RandomResizedCrop, RandomScale, Resize


@dataclass(frozen=True)
class Window:
    """One image's geometry: region ``[top, top + height) x [left, left + width)`` resized to
    ``frame`` (height, width), then the crop ``out`` (top, left, height, width) of that frame.
    """

    top: int
    left: int
    height: int
    width: int
    frame: tuple[int, int]
    out: tuple[int, int, int, int]
    fill: float = 0.0
    antialias: bool = True


def upright_shape(data: bytes, source: str = "<bytes>") -> tuple[int, int, int]:
    """The ``(height, width, 3)`` ``augkit.decode`` gives a JPEG, from its headers only."""
    header = io.jpeg_header(data, source)
    height, width = header.height, header.width
    if header.orientation in (5, 6, 7, 8):
        height, width = width, height
    return height, width, 3


def _check_geometry(transforms) -> None:
    kinds = [type(t) for t in transforms]
    allowed = (
        [RandomResizedCrop],
        [Resize],
        [RandomScale],
        [Resize, CenterCrop],
        [Resize, RandomCrop],
        [RandomScale, CenterCrop],
        [RandomScale, RandomCrop],
        [CenterCrop],
        [RandomCrop],
    )
    if kinds not in allowed:
        names = [k.__name__ for k in kinds]
        raise ValueError(
            f"device geometry takes RandomResizedCrop, or Resize / RandomScale optionally followed by CenterCrop / RandomCrop; got {names}"
        )
    for t in transforms:
        if getattr(t, "interpolation", "bilinear") != "bilinear":
            raise ValueError(f"device geometry resamples bilinearly: {type(t).__name__}(interpolation={t.interpolation!r}) runs on the CPU")
        if getattr(t, "padding_mode", "constant") != "constant":
            raise ValueError(f"device geometry pads with a constant: {type(t).__name__}(padding_mode={t.padding_mode!r}) runs on the CPU")


def draw_geometry(transforms: Sequence, rng: np.random.Generator, shape: tuple[int, int, int]) -> list:
    """Draw each geometry transform's parameters as the CPU path does, from the image's shape.

    Args:
        transforms: The pipeline's leading geometry transforms (see ``_check_geometry``).
        rng: The sample's generator (the one the CPU path would use).
        shape: The upright ``(height, width, 3)`` of the image.

    Returns:
        One parameter object (or None) per transform.
    """
    _check_geometry(transforms)
    params = []
    for t in transforms:
        p = t.sample(rng, shape_only(tuple(shape)))
        params.append(p)
        if isinstance(t, (Resize, RandomScale)):
            size = t.output_size(*shape[:2]) if isinstance(t, Resize) else G.shorter_side_size(shape[0], shape[1], p.shorter)
            shape = (size[0], size[1], shape[2])
    return params


def geometry_window(transforms: Sequence, params: Sequence, shape: tuple[int, int, int]) -> Window:
    """The ``Window`` the transforms take with ``params`` from an image of ``shape``."""
    _check_geometry(transforms)
    height, width = shape[:2]
    first, p = transforms[0], params[0]
    if isinstance(first, RandomResizedCrop):
        return Window(p.top, p.left, p.height, p.width, first.size, (0, 0, *first.size), 0.0, first.antialias)
    frame, antialias = (height, width), True
    if isinstance(first, Resize):
        frame, antialias = first.output_size(height, width), first.antialias
    elif isinstance(first, RandomScale):
        frame, antialias = G.shorter_side_size(height, width, p.shorter), first.antialias
    if isinstance(transforms[-1], (CenterCrop, RandomCrop)):
        crop = params[-1]
        return Window(0, 0, height, width, frame, (crop.top, crop.left, crop.height, crop.width), transforms[-1].fill, antialias)
    return Window(0, 0, height, width, frame, (0, 0, *frame), 0.0, antialias)


def decode_jpegs(datas: Sequence[bytes], device) -> list[torch.Tensor]:
    """Decode JPEG bytes to upright ``[3, H, W]`` uint8 tensors on ``device`` (batched on CUDA).

    Args:
        datas: The files' bytes.
        device: Where to decode: ``"cuda"`` uses nvJPEG, ``"cpu"`` libjpeg-turbo.

    Returns:
        One tensor per image, EXIF orientation applied as ``augkit.decode`` does.
    """
    encoded = [torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in datas]
    with warnings.catch_warnings():
        # torchvision announces that its image decoders move to TorchCodec; they still work.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            from torchvision.io import ImageReadMode, decode_jpeg
        except ImportError as error:  # pragma: no cover - torchvision is optional
            raise ImportError("decoding on the device needs torchvision (torchvision.io.decode_jpeg)") from error
        images = decode_jpeg(encoded, mode=ImageReadMode.RGB, device=torch.device(device))
    return [_upright(image, io.jpeg_header(d).orientation) for image, d in zip(images, datas)]


def _upright(image: torch.Tensor, orientation: int) -> torch.Tensor:
    """``io.apply_orientation`` on a ``[3, H, W]`` tensor."""
    ops = {
        2: lambda a: a.flip(-1),
        3: lambda a: a.flip(-2, -1),
        4: lambda a: a.flip(-2),
        5: lambda a: a.transpose(-2, -1),
        6: lambda a: a.transpose(-2, -1).flip(-1),
        7: lambda a: a.flip(-2, -1).transpose(-2, -1),
        8: lambda a: a.transpose(-2, -1).flip(-2),
    }
    op = ops.get(orientation)
    return image if op is None else op(image).contiguous()


def _taps(n_in: np.ndarray, n_frame: np.ndarray, first: np.ndarray, count: int, antialias: bool):
    """torch's bilinear weights of frame rows ``first + [0, count)`` over ``n_in`` inputs, per sample.

    Returns ``(start, weights, valid)``: ``[B, count]`` first input index, ``[B, count, K]``
    weights (float64, as torch computes them), and ``[B, count]`` rows inside the frame.
    """
    n_in = n_in.astype(np.float64)[:, None]
    n_frame = n_frame.astype(np.float64)[:, None]
    frame_row = first[:, None] + np.arange(count)[None, :]
    valid = (frame_row >= 0) & (frame_row < n_frame)
    i = np.clip(frame_row, 0, n_frame - 1)
    scale = n_in / n_frame
    if antialias:
        support = np.where(scale >= 1.0, scale, 1.0)
        invscale = np.where(scale >= 1.0, 1.0 / scale, 1.0)
        taps = int(math.ceil(float(support.max()))) * 2 + 1
        center = scale * (i + 0.5)
        start = np.maximum(np.trunc(center - support + 0.5), 0.0)
        size = np.minimum(np.trunc(center + support + 0.5), n_in) - start
        size = np.clip(size, 0, np.ceil(support) * 2 + 1)
        k = np.arange(taps)[None, None, :]
        x = np.abs((k + start[..., None] - center[..., None] + 0.5) * invscale[..., None])
        weights = np.where((k < size[..., None]) & (x < 1.0), 1.0 - x, 0.0)
        total = weights.sum(-1, keepdims=True)
        weights = np.divide(weights, total, out=np.zeros_like(weights), where=total != 0)
    else:
        src = np.maximum(scale * (i + 0.5) - 0.5, 0.0)
        start = np.minimum(np.floor(src), n_in - 1)
        lam = np.clip(src - start, 0.0, 1.0)
        second = np.where(start + 1 < n_in, lam, 0.0)
        weights = np.stack([1.0 - second, second], axis=-1)
    same = n_in == n_frame  # torch leaves an axis of equal sizes alone: exact copies
    weights = np.where(same[..., None], (np.arange(weights.shape[-1]) == 0)[None, None, :], weights)
    start = np.where(same, i, start)
    return start.astype(np.int64), weights, valid


@contextlib.contextmanager
def _full_float32_matmul():
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved


def resample(images: Sequence[torch.Tensor], windows: Sequence[Window], *, channels_last: bool = False) -> torch.Tensor:
    """Resample every image's window into one ``[B, 3, h, w]`` uint8 batch on the images' device.

    Args:
        images: Upright ``[3, H, W]`` uint8 tensors, all on one device.
        windows: One ``Window`` per image; all with the same output size.
        channels_last: Return channels-last memory.

    Returns:
        The batch: torch's separable uint8 bilinear resize of each region to its frame, then
        the crop (``fill`` outside the frame).
    """
    if len(images) != len(windows) or not images:
        raise ValueError(f"need one window per image and at least one image, got {len(images)} images and {len(windows)} windows")
    sizes = {w.out[2:] for w in windows}
    if len(sizes) != 1:
        raise ValueError(f"all windows must have one output size, got {sorted(sizes)}")
    if len({w.antialias for w in windows}) != 1:
        raise ValueError("all windows must share antialias")
    out_h, out_w = sizes.pop()
    device = images[0].device
    batch = len(images)
    tops, lefts, heights, widths = (np.array([getattr(w, n) for w in windows]) for n in ("top", "left", "height", "width"))
    frames = np.array([w.frame for w in windows])
    outs = np.array([w.out for w in windows])
    antialias = windows[0].antialias
    y_start, y_weights, y_valid = _taps(heights, frames[:, 0], outs[:, 0], out_h, antialias)
    x_start, x_weights, x_valid = _taps(widths, frames[:, 1], outs[:, 1], out_w, antialias)
    fills = np.array([w.fill for w in windows], dtype=np.float64)
    # One host -> device copy: every sample's taps, weights and fills.
    host = np.concatenate(
        [a.reshape(batch, -1).astype(np.float64) for a in (y_start, y_weights, y_valid, x_start, x_weights, x_valid, fills[:, None])],
        axis=1,
    )
    packed = torch.from_numpy(host)
    if device.type == "cuda":
        packed = packed.pin_memory().to(device, non_blocking=True)
    else:
        packed = packed.to(device)
    columns = np.cumsum([0] + [a[0].size for a in (y_start, y_weights, y_valid, x_start, x_weights, x_valid)])
    ky, kx = y_weights.shape[-1], x_weights.shape[-1]
    region_h, region_w = int(heights.max()), int(widths.max())

    def dense(part: int, count: int, taps: int, length: int) -> torch.Tensor:
        start = packed[:, columns[part] : columns[part + 1]].long().view(batch, count, 1)
        weights = packed[:, columns[part + 1] : columns[part + 2]].view(batch, count, taps)
        index = (start + torch.arange(taps, device=device)).clamp_(max=length - 1)
        return torch.zeros(batch, count, length, dtype=torch.float64, device=device).scatter_add_(2, index, weights).float()

    wy = dense(0, out_h, ky, region_h)  # [B, out_h, region_h]
    wx = dense(3, out_w, kx, region_w)  # [B, out_w, region_w]
    regions = torch.zeros(batch, 3, region_h, region_w, dtype=torch.float32, device=device)
    for b, (image, w) in enumerate(zip(images, windows)):
        regions[b, :, : w.height, : w.width] = image[:, w.top : w.top + w.height, w.left : w.left + w.width]
    with _full_float32_matmul():
        rows = torch.matmul(regions, wx.transpose(1, 2).unsqueeze(1))  # horizontal: [B, 3, region_h, out_w]
        rows = rows.add_(0.5).floor_().clamp_(0.0, 255.0)  # torch's uint8 intermediate
        out = torch.matmul(wy.unsqueeze(1), rows)  # vertical: [B, 3, out_h, out_w]
    out = out.add_(0.5).floor_().clamp_(0.0, 255.0)
    valid = packed[:, columns[2] : columns[3]].view(batch, 1, out_h, 1) * packed[:, columns[5] : columns[6]].view(batch, 1, 1, out_w)
    out = torch.where(valid != 0, out, packed[:, -1].float().view(batch, 1, 1, 1))
    layout = torch.channels_last if channels_last else torch.contiguous_format
    return out.to(torch.uint8).contiguous(memory_format=layout)
