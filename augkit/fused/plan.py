"""The fused batch stage: a plan built once from the batch-stage transforms, applied per batch.

``build_plan(transforms)`` groups consecutive fusable transforms into *segments* and keeps
every other transform as an unfused step that runs its own ``apply``, in order:

- fusable: ``HorizontalFlip``, ``VerticalFlip``, ``ColorJitter``, ``PCALighting``,
  ``Normalize`` with per-channel ``mean`` / ``std`` (not ``mean_image``), ``Cutout``, and a
  mixing transform (``Mixup``, ``CutMix``, ``MixupOrCutMix``), which ends its segment;
- anything else (containers, ``Whiten``, ``Normalize(mean_image=...)``, user transforms)
  is an unfused step and ends the segment before it.

Passes. A segment runs as a few passes over the batch, each one kernel launch over
(sample, pixel tile), each recomputing the segment's chain from the segment's input pixels
(reading uint8 input costs a quarter of writing float32 output):

- one *reduction pass* per ``ColorJitter`` with a contrast range: contrast blends with the
  mean of the grayscale image as it is when contrast runs, which depends on each sample's
  order. Pass ``r`` runs every operation before that contrast (per sample, in its drawn
  order, earlier contrasts included with the means of earlier passes) and writes the
  per-tile sums of the grayscale image;
- one *final pass* runs the whole chain, every contrast using its reduction's mean, and
  writes the output: flips become a change of source pixel, ColorJitter (its four
  operations in each sample's order, torchvision's arithmetic), PCA lighting, Normalize
  (uint8 in, float32 or bfloat16 out) and Cutout are arithmetic on the pixel; a trailing
  Mixup / CutMix computes each sample and its partner (the reversed batch) in the same
  program and mixes them both ways; targets are mixed with the same lambdas.

A segment holds at most two contrast reductions, so at most 3 passes; a third
contrast-carrying ``ColorJitter`` starts a new segment. The typical ResNet batch stage
``[HorizontalFlip, ColorJitter(0.4, 0.4, 0.4, 0.1), PCALighting, Normalize]`` is one
segment of 2 passes (kernel launches) per batch; without contrast it is 1.

Parameters. ``FusedPlan.apply`` takes the parameters each transform's own ``sample``
drew (``FusedPlan.sample`` draws them in order), so they are the unfused path's by
construction. The fused segments' parameters are packed on the host into one float32
row per sample and reach the device in one copy (pinned, asynchronous on CUDA); nothing
waits for the device and no Python loop runs over samples.

The result equals the unfused sequence of ``t.apply`` calls within the SPEC's bounds:
uint8 within 1 level (hue 2), float within 1e-5. Backends:

- ``"triton"``: ``augkit.fused.triton_kernels``, on CUDA (or on the CPU under
  ``TRITON_INTERPRET=1``, Triton's interpreter, for tests);
- ``"torch"``: ``augkit.fused.reference``, the same arithmetic as whole-batch torch
  operations, on any device, sync-free (it computes every ColorJitter operation drawn in a
  slot and selects per sample, so it is a reference, not a fast path);
- ``"unfused"``: every transform's own ``apply``, in order;
- ``"auto"``: Triton on CUDA where it is importable, else the torch reference on CUDA, and
  the transforms' own ``apply`` on the CPU, where augkit's C kernels are faster than
  whole-batch torch arithmetic.

Inputs the kernels do not take (not 3 channels, float other than float32) run the
transforms' own ``apply`` instead.

Notes:
    On the CPU, measured at 1 thread on the ResNet batch stage of ``[64, 3, 224, 224]`` uint8:
    46 ms through the transforms' own ``apply`` against 4 s for the torch reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from augkit.batch import CutMix, MixingTransform, Mixup, MixupOrCutMix
from augkit.functional import color as C
from augkit.functional import erasing as E
from augkit.functional import mix as M
from augkit.functional import normalization as N
from augkit.fused.ops import CUTOUT, HFLIP, JITTER, LIGHTING, MIX, NORMALIZE, ROW_WIDTH, VFLIP
from augkit.transforms.color import ColorJitter, PCALighting
from augkit.transforms.erase import Cutout
from augkit.transforms.geometry import HorizontalFlip, VerticalFlip
from augkit.transforms.normalize import Normalize

_NAMES = {
    HFLIP: "hflip",
    VFLIP: "vflip",
    JITTER: "color_jitter",
    LIGHTING: "pca_lighting",
    NORMALIZE: "normalize",
    CUTOUT: "cutout",
    MIX: "mix",
}

#: Contrast reductions per segment: at most 3 passes.
MAX_REDUCTIONS = 2
BACKENDS = ("auto", "triton", "torch", "unfused")


@dataclass(frozen=True)
class FusedOp:
    """One fused operation: its kind, the transform's position and its parameter columns.

    Attributes:
        kind: Operation code (``HFLIP`` ... ``MIX``).
        index: Position of the transform in the plan's transform list.
        offset: First column of its parameters in the per-sample row.
        enabled: ColorJitter: which of brightness, contrast, saturation, hue are drawn.
        reduction: ColorJitter with contrast: the index of its mean's reduction pass, else -1.
        config: The transform's ``repr`` (its constructor arguments).
    """

    kind: int
    index: int
    offset: int
    enabled: tuple[int, int, int, int] = (0, 0, 0, 0)
    reduction: int = -1
    config: str = ""


@dataclass(frozen=True)
class FusedSegment:
    """Consecutive fusable transforms run as ``passes`` kernel launches."""

    ops: tuple[FusedOp, ...]
    mix: FusedOp | None
    reductions: int

    @property
    def passes(self) -> int:
        """Kernel launches per batch: one per contrast reduction, plus the final pass."""
        return self.reductions + 1

    @property
    def indices(self) -> tuple[int, ...]:
        """Positions of the segment's transforms in the plan's list."""
        return tuple(op.index for op in self.ops) + ((self.mix.index,) if self.mix else ())

    def describe(self) -> str:
        names = [_NAMES[op.kind] for op in self.ops] + ([_NAMES[MIX]] if self.mix else [])
        return f"fused[{' + '.join(names)}]: {self.passes} pass{'es' if self.passes > 1 else ''}"


@dataclass(frozen=True)
class UnfusedStep:
    """A transform run by its own ``apply``."""

    index: int
    config: str

    @property
    def passes(self) -> int:
        return 0

    def describe(self) -> str:
        return f"unfused[{self.config}]"


def _jitter_enabled(t: ColorJitter) -> tuple[int, int, int, int]:
    ranges = (t.brightness, t.contrast, t.saturation, t.hue)
    b, c, s, h = (int(not (r[0] == r[1] == C.NEUTRAL[k])) for k, r in enumerate(ranges))
    return b, c, s, h


def _kind(t) -> int | None:
    """The operation code of a fusable transform (its exact class: a subclass may change ``apply``)."""
    if type(t) is Normalize:
        return NORMALIZE if t.mean_image is None else None
    return {
        HorizontalFlip: HFLIP,
        VerticalFlip: VFLIP,
        ColorJitter: JITTER,
        PCALighting: LIGHTING,
        Cutout: CUTOUT,
        Mixup: MIX,
        CutMix: MIX,
        MixupOrCutMix: MIX,
    }.get(type(t))


def build_plan(transforms) -> FusedPlan:
    """Build the fused plan of a list of batch-stage transforms (a pure function of the list).

    Args:
        transforms: Batch-stage transforms (image transforms and mixing transforms), in order.

    Returns:
        A ``FusedPlan``. Plans of equally configured transforms compare equal.

    Example:
        >>> from augkit import ColorJitter, HorizontalFlip, Normalize, PCALighting
        >>> plan = build_plan([HorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1), PCALighting(), Normalize((0.5,) * 3, (0.25,) * 3)])
        >>> plan.describe()
        'fused[hflip + color_jitter + pca_lighting + normalize]: 2 passes'
    """
    transforms = tuple(transforms)
    steps: list = []
    ops: list[FusedOp] = []
    offset, reductions = 0, 0

    def close(mix: FusedOp | None = None) -> None:
        nonlocal ops, reductions
        if ops or mix is not None:
            steps.append(FusedSegment(tuple(ops), mix, reductions))
        ops, reductions = [], 0

    for index, t in enumerate(transforms):
        kind = _kind(t)
        if kind is None:
            close()
            steps.append(UnfusedStep(index, repr(t)))
            continue
        enabled, reduction = (0, 0, 0, 0), -1
        if kind == JITTER:
            enabled = _jitter_enabled(t)
            if enabled[1]:
                if reductions == MAX_REDUCTIONS:
                    close()
                reduction, reductions = reductions, reductions + 1
        op = FusedOp(kind, index, offset, enabled, reduction, repr(t))
        offset += ROW_WIDTH[kind]
        if kind == MIX:
            close(op)
        else:
            ops.append(op)
    close()
    return FusedPlan(tuple(steps), offset, transforms)


@dataclass(frozen=True)
class SegmentStatics:
    """A segment's compile-time description for one input kind (uint8 or float)."""

    ops: tuple[int, ...]
    offsets: tuple[int, ...]
    quant: tuple[int, ...]  # 1 where the data is uint8 levels when the operation runs
    enabled: tuple[tuple[int, int, int, int], ...]
    reduction: tuple[int, ...]
    mix: int  # the mixing parameters' first column, or -1
    float_out: bool  # the segment's natural output is float (else uint8)

    def reduction_prefix(self, r: int) -> int:
        """Number of operations a reduction pass ``r`` runs (through its ColorJitter)."""
        return self.reduction.index(r) + 1

    def stops(self, r: int, count: int) -> tuple[int, ...]:
        return tuple(int(red == r) for red in self.reduction[:count])


def _statics(segment: FusedSegment, in_uint8: bool) -> SegmentStatics:
    quant, levels = [], in_uint8
    for op in segment.ops:
        quant.append(int(levels))
        if op.kind == NORMALIZE:
            levels = False
    return SegmentStatics(
        ops=tuple(op.kind for op in segment.ops),
        offsets=tuple(op.offset for op in segment.ops),
        quant=tuple(quant),
        enabled=tuple(op.enabled for op in segment.ops),
        reduction=tuple(op.reduction for op in segment.ops),
        mix=segment.mix.offset if segment.mix else -1,
        float_out=not levels,
    )


# --------------------------------------------------------------------------------------
# Parameter packing: each transform's parameters -> its float32 columns of the row.


def _column(values, batch: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (batch,))


def _pack_jitter(row: np.ndarray, params, batch: int) -> None:
    factors = (params.brightness, params.contrast, params.saturation, params.hue)
    order = C._order_array(params.order, (batch,))
    codes = order.astype(np.float32)
    for k, factor in enumerate(factors):
        skip = np.ones(batch, bool) if factor is None else _column(factor, batch) == C.NEUTRAL[k]
        codes[(order == k) & skip[:, None]] = -1.0
    row[:, 0:4] = codes
    for k, column in ((0, 4), (1, 5), (2, 7), (3, 9)):
        if factors[k] is not None:
            f = _column(factors[k], batch)
            row[:, column] = f  # float32(factor), as torchvision's kernels see it
            if k in (1, 2):
                row[:, column + 1] = 1.0 - f  # float32(1 - factor): torchvision's blend weight


def _pack(op: FusedOp, t, params, row: np.ndarray, batch: int) -> None:
    if op.kind in (HFLIP, VFLIP):
        row[:, 0] = _column(np.asarray(params.flip, dtype=bool), batch)
    elif op.kind == JITTER:
        _pack_jitter(row, params, batch)
    elif op.kind == LIGHTING:
        alpha = np.broadcast_to(np.asarray(params.alpha, dtype=np.float64), (batch, 3))
        offset = C.pca_lighting_offset(alpha, t.eigval, t.eigvec)
        row[:, 0:3] = offset * 255.0  # uint8 levels (add_offset's float32(offset * 255))
        row[:, 3:6] = offset
    elif op.kind == NORMALIZE:
        mean = np.asarray(t.mean, dtype=np.float64)
        std = np.ones_like(mean) if t.std is None else np.asarray(t.std, dtype=np.float64)
        scale_u8, bias = N._scale_and_bias(mean, std, 255.0)
        scale_f, _ = N._scale_and_bias(mean, std, 1.0)
        row[:, 0:9] = np.concatenate([scale_u8, scale_f, bias])
    elif op.kind == CUTOUT:
        erase = _column(np.asarray(params.applied, dtype=bool), batch).astype(bool)
        box = np.zeros((4, batch))
        if params.params is not None:  # the boxes of the rows Cutout selected, in order
            rows = np.flatnonzero(erase)
            for k, name in enumerate(("top", "left", "bottom", "right")):
                box[k, rows] = np.asarray(getattr(params.params, name), dtype=np.float64).reshape(-1)[: rows.size]
        row[:, 0] = box[0]
        row[:, 1] = box[1]
        row[:, 2] = np.where(erase, box[2], box[0])
        row[:, 3] = box[3]
        row[:, 4] = t.fill
    elif op.kind == MIX:
        lam = _column(params.lam, batch)
        paste = _column(np.asarray(params.cutmix, dtype=bool), batch).astype(bool)
        # As mix_images: the partner's weight 1 - lam where blending, else 0 (lerp keeps the
        # sample exactly); the box emptied (bottom = top) where not pasting.
        row[:, 0] = np.where(~paste & (lam != 1.0), 1.0 - lam, 0.0)
        top = _column(params.top, batch)
        row[:, 1] = top
        row[:, 2] = _column(params.left, batch)
        row[:, 3] = np.where(paste, _column(params.bottom, batch), top)
        row[:, 4] = _column(params.right, batch)
        row[:, 5] = 1.0 - lam  # the targets' weight, float32 as mix_targets rounds it


# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusedPlan:
    """The batch stage as fused segments and unfused steps (see the module docstring).

    Attributes:
        steps: ``FusedSegment`` s and ``UnfusedStep`` s in order.
        row_width: float32 parameters per sample for all fused segments together.
        transforms: The transforms the plan was built from (not compared).
    """

    steps: tuple
    row_width: int
    transforms: tuple = field(compare=False, repr=False)

    @property
    def passes(self) -> int:
        """Fused kernel launches per batch (unfused steps not counted)."""
        return sum(step.passes for step in self.steps)

    def describe(self) -> str:
        """One line per step: what is fused and how many passes it takes."""
        return "\n".join(step.describe() for step in self.steps)

    def sample(self, rng: np.random.Generator, images) -> list:
        """Draw every transform's parameters in order, as the unfused batch stage does.

        Args:
            rng: The batch's generator.
            images: The batch (only its shape is read).

        Returns:
            One parameter object per transform.
        """
        return [t.sample(rng, images) for t in self.transforms]

    def pack(self, params_list, batch: int) -> np.ndarray:
        """The fused segments' parameters as one float32 ``[batch, row_width]`` array."""
        host = np.zeros((batch, self.row_width), dtype=np.float32)
        self._pack_into(host, params_list, batch)
        return host

    def _pack_into(self, host: np.ndarray, params_list, batch: int) -> None:
        for step in self.steps:
            if isinstance(step, FusedSegment):
                for op in step.ops + ((step.mix,) if step.mix else ()):
                    t = self.transforms[op.index]
                    _pack(op, t, params_list[op.index], host[:, op.offset : op.offset + ROW_WIDTH[op.kind]], batch)

    def _to_device(self, params_list, batch: int, device: torch.device) -> tuple[np.ndarray, torch.Tensor]:
        """Pack the parameters and send them in one copy (pinned and asynchronous on CUDA)."""
        pinned = device.type == "cuda"
        buffer = torch.empty((batch, self.row_width), dtype=torch.float32, pin_memory=pinned)
        host = buffer.numpy()
        host[...] = 0.0
        self._pack_into(host, params_list, batch)
        return host, buffer.to(device, non_blocking=pinned)

    def apply(
        self,
        images: torch.Tensor,
        params_list,
        targets=None,
        *,
        out_dtype: torch.dtype | None = None,
        channels_last: bool | None = None,
        backend: str = "auto",
    ):
        """Run the batch stage on ``images`` with the transforms' own parameters.

        Args:
            images: ``[B, C, H, W]`` uint8 or float tensor, on any device.
            params_list: One parameter object per transform, as each transform's ``sample``
                drew it for this batch (``FusedPlan.sample``).
            targets: ``[B]`` class indices or ``[B, K]`` soft targets; needed when the plan
                has a mixing transform, else passed through.
            out_dtype: The dtype of a float result: ``torch.float32`` or ``torch.bfloat16``
                (default: what the transforms return). A uint8 result (no ``Normalize``)
                takes no ``out_dtype``.
            channels_last: The result's memory format (default: the input's).
            backend: ``"auto"``, ``"triton"``, ``"torch"`` or ``"unfused"`` (see the module docstring).

        Returns:
            ``(images, targets)`` as the transforms' own ``apply`` calls in order return them
            (within the SPEC's bounds).

        Example:
            >>> import numpy as np, torch
            >>> from augkit import HorizontalFlip, Normalize
            >>> plan = build_plan([HorizontalFlip(p=1.0), Normalize(mean=(0.0,) * 3)])
            >>> x = torch.arange(6, dtype=torch.uint8).view(1, 1, 1, 6).expand(1, 3, 1, 6)
            >>> out, _ = plan.apply(x, plan.sample(np.random.default_rng(0), x), backend="torch")
            >>> (out[0, 0, 0] * 255).round().tolist()
            [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
        """
        images = _check_images(images)
        if len(params_list) != len(self.transforms):
            raise ValueError(f"params_list must hold one entry per transform ({len(self.transforms)}), got {len(params_list)}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if out_dtype not in (None, torch.float32, torch.bfloat16):
            raise ValueError(f"out_dtype must be None, torch.float32 or torch.bfloat16, got {out_dtype}")
        batch, channels, height, width = images.shape
        fusable = channels == 3 and height * width > 0
        runner = _runner(backend, images.device) if fusable and self.row_width else None
        host = prm = None
        if runner is not None:
            host, prm = self._to_device(params_list, batch, images.device)
        x = images
        for n, step in enumerate(self.steps):
            last = n == len(self.steps) - 1
            if isinstance(step, UnfusedStep) or runner is None or prm is None or x.dtype not in (torch.uint8, torch.float32):
                indices = (step.index,) if isinstance(step, UnfusedStep) else step.indices
                for i in indices:
                    x, targets = _apply_own(self.transforms[i], x, targets, params_list[i])
                continue
            statics = _statics(step, x.dtype == torch.uint8)
            self._check_segment(step, statics, x, targets)
            dtype = torch.float32 if statics.float_out else torch.uint8
            if last and out_dtype is not None:
                dtype = _float_out(out_dtype, dtype)
            layout = _memory_format(x if not last or channels_last is None else None, bool(channels_last))
            out = torch.empty(x.shape, dtype=dtype, device=x.device, memory_format=layout)
            if batch:
                runner.run(statics, step.reductions, x, out, prm, host)
            x = out
            if step.mix is not None:
                targets = self._mix_targets(step.mix, targets, prm, params_list, batch)
        return _finish(x, out_dtype, channels_last), targets

    def _check_segment(self, segment: FusedSegment, statics: SegmentStatics, x: torch.Tensor, targets) -> None:
        """The checks the transforms' own ``apply`` make on the data as it is when they run."""
        for op, quant in zip(segment.ops, statics.quant):
            t = self.transforms[op.index]
            if op.kind == CUTOUT:
                E.check_fill(torch.empty(0, dtype=torch.uint8 if quant else torch.float32), t.fill)
            if op.kind == NORMALIZE and len(t.mean) != x.shape[1]:
                raise ValueError(f"Normalize was built for {len(t.mean)} channels, got an image with {x.shape[1]}")
        if segment.mix is not None:
            t = self.transforms[segment.mix.index]
            t._check_images(torch.empty((0, 3, 1, 1), dtype=torch.float32 if statics.float_out else torch.uint8))
            if targets is None:
                raise ValueError(f"{type(t).__name__} mixes targets, but the batch has none")

    def _mix_targets(self, op: FusedOp, targets, prm: torch.Tensor, params_list, batch: int):
        t = self.transforms[op.index]
        targets = t._check_targets(targets, batch)
        soft = M.soft_targets(targets, t.num_classes, t.label_smoothing)
        if soft.dtype != torch.float32 or soft.device != prm.device:
            return M.mix_targets(soft, params_list[op.index].lam)
        weight = prm[:, op.offset + 5].view(-1, 1)
        return torch.lerp(soft, soft.flip(0), weight)


def _check_images(images) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise TypeError(f"images must be a [B, C, H, W] tensor, got {shape}")
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise TypeError(f"images must be uint8 or floating point, got {images.dtype}")
    return images


def _apply_own(t, x: torch.Tensor, targets, params) -> tuple[torch.Tensor, Any]:
    if isinstance(t, MixingTransform) or getattr(t, "mixes_targets", False):
        if targets is None:
            raise ValueError(f"{type(t).__name__} mixes targets, but the batch has none")
        return t.apply(x, targets, params)
    return t.apply(x, params), targets


def _float_out(out_dtype: torch.dtype, natural: torch.dtype) -> torch.dtype:
    if natural == torch.uint8:
        raise ValueError(f"out_dtype={out_dtype} needs a float result; this batch stage returns uint8 (add Normalize)")
    return out_dtype


def _memory_format(like: torch.Tensor | None, channels_last: bool) -> torch.memory_format:
    if like is None:
        return torch.channels_last if channels_last else torch.contiguous_format
    if not like.is_contiguous() and like.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


def _finish(x: torch.Tensor, out_dtype, channels_last) -> torch.Tensor:
    if out_dtype is not None and x.dtype != out_dtype:
        x = x.to(_float_out(out_dtype, x.dtype if x.is_floating_point() else torch.uint8))
    if channels_last is not None:
        x = x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    return x


def _runner(backend: str, device: torch.device):
    """The object that runs fused segments, or None to run the transforms' own ``apply``."""
    if backend == "unfused" or (backend == "auto" and device.type == "cpu"):
        return None
    from augkit.fused import triton_kernels as K  # imports triton where it is installed

    if backend == "auto":
        backend = "triton" if device.type == "cuda" and K.AVAILABLE else "torch"
    if backend == "torch":
        from augkit.fused.reference import TorchRunner

        return TorchRunner()
    if not K.AVAILABLE:
        raise RuntimeError("backend='triton' needs the 'triton' package (pip install 'augkit[gpu]')")
    if device.type != "cuda" and not K.interpreting():
        raise RuntimeError(f"backend='triton' runs on CUDA devices, or on the CPU with TRITON_INTERPRET=1; got device {device}")
    from augkit.fused.launch import TritonRunner

    return TritonRunner()
