"""Policy parameters, the operations' kernels and the policy base class (``_Policy``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from augkit import _memory
from augkit._image import batch_size, check_any_image, is_batch, spatial_size
from augkit._validate import check_int
from augkit.functional import policy_ops as PO
from augkit.functional import policy_rows as PR
from augkit.functional import warping as A
from augkit.transforms.affine import (
    Rotate,
    RotateParams,
    ShearParams,
    ShearX,
    ShearY,
    TranslateParams,
    TranslateX,
    TranslateY,
    _AffineBase,
    _check_fill,
    _WarpBase,
)
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform

# --------------------------------------------------------------------------------------------
# Parameters


def _format_magnitude(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


#: How a caption shows each operation's argument, by the operation's base name (see the module
#: docstring for the units); longer names first, so ``SolarizeAdd`` is not read as ``Solarize``.
_CAPTION_UNITS = (
    ("SolarizeAdd", lambda m: f"+{m:.0f} levels"),
    ("Solarize", lambda m: f"above {m:.0f}"),
    ("Posterize", lambda m: f"{int(round(m))} bits"),
    ("Rotate", lambda m: f"{m:.1f}°"),
    ("Shear", lambda m: f"{m:.1f}°"),
    ("Translate", lambda m: f"{m:+.0f} px"),
    ("GaussianBlur", lambda m: f"sigma {m:.2f}"),
    ("Brightness", lambda m: f"x{m:.2f}"),
    ("Color", lambda m: f"x{m:.2f}"),
    ("Contrast", lambda m: f"x{m:.2f}"),
    ("Sharpness", lambda m: f"x{m:.2f}"),
    ("Desaturate", lambda m: f"x{m:.2f}"),
)


def _op_text(name: str, magnitude: float, applied: bool) -> str:
    """``"Rotate 12.3°"``, ``"Posterize 6 bits"``, ``"Equalize"``; ``"(Rotate 12.3° skipped)"`` when it did not run."""
    if math.isnan(magnitude):
        text = name
    else:
        unit = next((f for prefix, f in _CAPTION_UNITS if name.startswith(prefix)), None)
        text = f"{name} {unit(magnitude) if unit is not None else _format_magnitude(magnitude)}"
    return text if applied else f"({text} skipped)"


def _tuple(values) -> tuple:
    """A numpy row as nested tuples of Python scalars."""
    return tuple(_tuple(v) if isinstance(v, np.ndarray) else v.item() if isinstance(v, np.generic) else v for v in values)


@dataclass(frozen=True)
class PolicyParams:
    """The operations a policy chose, in order: tuples for one image, ``[B, K]`` arrays for a batch.

    Attributes:
        ops: The operation names (the policy's names, e.g. ``"Rotate"``).
        magnitudes: Each operation's argument (see the module docstring); NaN for none.
        applied: Whether each operation ran (policies that apply an operation with a
            probability record the ones that did not as False).
    """

    ops: Any
    magnitudes: Any
    applied: Any

    def at(self, index: int) -> PolicyParams:
        """Return the parameters of sample ``index`` of a batch."""
        return type(self)(*(_tuple(np.asarray(getattr(self, f))[index]) for f in ("ops", "magnitudes", "applied")))

    def describe(self) -> str:
        """The operations in order with their arguments, e.g. ``"Rotate -12.5°, Equalize, (Solarize above 77 skipped)"``."""
        if isinstance(self.ops, np.ndarray):
            return f"{self.ops.shape[0]} images, {self.ops.shape[1]} ops each"
        return ", ".join(_op_text(n, m, a) for n, m, a in zip(self.ops, self.magnitudes, self.applied)) or "no op"


@dataclass(frozen=True)
class AutoAugmentParams(PolicyParams):
    """``PolicyParams`` of ``AutoAugment``, with the sub-policy drawn (an int, or ``[B]``)."""

    sub_policy: Any = None

    def at(self, index: int) -> AutoAugmentParams:
        """Return the parameters of sample ``index`` of a batch."""
        base = PolicyParams.at(self, index)
        return AutoAugmentParams(base.ops, base.magnitudes, base.applied, int(np.asarray(self.sub_policy)[index]))

    def describe(self) -> str:
        """The sub-policy and its operations."""
        if isinstance(self.ops, np.ndarray):
            return PolicyParams.describe(self)
        return f"sub-policy {self.sub_policy}: {PolicyParams.describe(self)}"


@dataclass(frozen=True)
class AugMixParams:
    """``AugMix``'s chains and weights.

    For one image: ``ops``, ``magnitudes`` and ``applied`` are ``[W][D]`` nested tuples
    (chain, step; ``applied`` is False past a chain's depth), ``original`` a float and
    ``weights`` a ``W``-tuple; for a batch, arrays with a leading ``[B]`` dimension.

    Attributes:
        ops: The operation names of each chain's steps.
        magnitudes: Their arguments (NaN for none).
        applied: Which steps run.
        original: The weight of the input image in the mix (float32 value).
        weights: Each chain's weight (float32 values); with ``original`` they sum to 1.
    """

    ops: Any
    magnitudes: Any
    applied: Any
    original: Any
    weights: Any

    def at(self, index: int) -> AugMixParams:
        """Return the parameters of sample ``index`` of a batch."""
        rows = [_tuple(np.asarray(getattr(self, f))[index]) for f in ("ops", "magnitudes", "applied", "weights")]
        return AugMixParams(rows[0], rows[1], rows[2], float(np.asarray(self.original)[index]), rows[3])

    def describe(self) -> str:
        """The input's weight, then each chain's weight and its steps, e.g. ``"0.62 image + 0.38 [Rotate 12.3°, Posterize 6 bits]"``."""
        if isinstance(self.ops, np.ndarray):
            return f"{self.ops.shape[0]} images, {self.ops.shape[1]} chains each"
        chains = []
        for ops, mags, applied, weight in zip(self.ops, self.magnitudes, self.applied, self.weights):
            steps = ", ".join(_op_text(n, m, True) for n, m, a in zip(ops, mags, applied) if a)
            chains.append(f"{weight:.2f} [{steps}]")
        return f"{self.original:.2f} image + " + " + ".join(chains)


# --------------------------------------------------------------------------------------------
# The operations' kernels


class _Warps:
    """The affine transforms the geometric operations run through (pixels, masks, boxes, keypoints)."""

    def __init__(self, interpolation: str, fill, mask_fill: int) -> None:
        common = {"interpolation": interpolation, "fill": fill, "mask_fill": mask_fill}
        self.transforms: dict[str, _WarpBase] = {
            "ShearX": ShearX(0, center=(0, 0), **common),
            "ShearY": ShearY(0, center=(0, 0), **common),
            "TranslateX": TranslateX(pixels=0, **common),
            "TranslateY": TranslateY(pixels=0, **common),
            "Rotate": Rotate(0, **common),
        }
        self.fill = fill

    def params(self, op: str, magnitude):
        value = magnitude if isinstance(magnitude, np.ndarray) else float(magnitude)
        if op in ("ShearX", "ShearY"):
            return ShearParams(value)
        if op in ("TranslateX", "TranslateY"):
            return TranslateParams(value)
        return RotateParams(value)

    @staticmethod
    def _whole_pixels(op: str, magnitude) -> tuple[np.ndarray, np.ndarray] | None:
        """``(dx, dy)`` integer shifts of a translation by whole pixels (the warp without its grid), else None."""
        values = np.asarray(magnitude, dtype=np.float64)
        if op not in ("TranslateX", "TranslateY") or not np.all(values == np.round(values)):
            return None
        zero = np.zeros(values.shape, dtype=np.int64)
        shifts = values.astype(np.int64)
        return (shifts, zero) if op == "TranslateX" else (zero, shifts)

    def image(self, op: str, image, magnitude):
        shifts = self._whole_pixels(op, magnitude)
        if shifts is not None:
            return PO.shift(image, *shifts, self.fill)
        return self.transforms[op].apply(image, self.params(op, magnitude))

    def into(self, op: str, sources: list[np.ndarray], targets: list[np.ndarray], magnitudes: np.ndarray) -> bool:
        """Warp each ``[C, H, W]`` source row into its target; False, writing nothing, where only ``image`` can."""
        shifts = self._whole_pixels(op, magnitudes)
        if shifts is not None:
            values = PO.fill_row(self.fill, sources[0].shape[0], sources[0].dtype)
            for source, target, dx, dy in zip(sources, targets, shifts[0].tolist(), shifts[1].tolist()):
                PO.shift_into(source, target, dx, dy, values)
            return True
        warp = self.transforms[op]
        if isinstance(warp, Rotate):
            return warp.center is None and A.rotate_into(sources, targets, magnitudes, warp.interpolation, warp.fill)
        if isinstance(warp, _AffineBase):
            args = warp.affine_args(self.params(op, magnitudes))
            return A.affine_into(sources, targets, **args, interpolation=warp.interpolation, fill=warp.fill, center=warp.center)
        return False


def _check_interpolation(interpolation) -> str:
    return A.check_interpolation("interpolation", interpolation)


class _Policy(Transform):
    """What the policies share: both stages, per-sample operations, grouped kernels in the batch stage.

    Subclasses define ``_kinds`` (their operation names -> ``policy_ops`` operations) and
    ``_draw_ops(rng, rows, height, width)`` returning ``[rows, K]`` names, magnitudes and
    applied flags (plus any extra fields of their parameters).
    """

    abstract = True
    stages = (SAMPLE_STAGE, BATCH_STAGE)
    geometric = True
    pixel_input = True
    params_class: type = PolicyParams
    interpolation: str = "nearest"
    fill: Any = None
    mask_fill: int = 0

    def _setup(self, interpolation, fill, mask_fill, same_on_batch) -> None:
        self.interpolation = _check_interpolation(interpolation)
        self.fill = _check_fill("fill", fill)
        self.mask_fill = check_int("mask_fill", mask_fill)
        self.same_on_batch = bool(same_on_batch)

    @property
    def _warps(self) -> _Warps:
        warps = self.__dict__.get("_warp_table")
        if warps is None:
            warps = self.__dict__["_warp_table"] = _Warps(self.interpolation, self.fill, self.mask_fill)
        return warps

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_warp_table", None)
        return state

    def _kinds(self) -> dict[str, str]:
        raise NotImplementedError

    def _draw_ops(self, rng, rows: int, height: int, width: int) -> tuple:
        raise NotImplementedError

    # -- drawing

    def sample(self, rng, image) -> PolicyParams:
        """Draw every image's operations and magnitudes (``[B, K]`` arrays for a batch)."""
        image = check_any_image(image)
        n = batch_size(image)
        fields = self._draw_ops(rng, 1 if n is None else n, *spatial_size(image))
        if n is None:
            return self.params_class(*(_tuple(np.asarray(f)[0]) if np.ndim(f) > 1 else np.asarray(f)[0].item() for f in fields))
        return self.params_class(*fields)

    # -- applying

    def _op(self, name: str, image, magnitude):
        """Run the operation called ``name`` (one image, or a batch with one magnitude per row)."""
        kind = self._kinds()[name]
        if kind in PO.GEOMETRIC_OPS:
            return self._warps.image(kind, image, magnitude)
        return PO.photometric(kind, image, magnitude)

    def _sequence(self, image, ops, magnitudes, applied):
        """One image: the applied operations in order."""
        for name, magnitude, ran in zip(ops, magnitudes, applied):
            if ran:
                image = self._op(name, image, magnitude)
        return image

    def _step(self, whole, rows, ops: np.ndarray, magnitudes: np.ndarray, applied: np.ndarray):
        """One step of a batch: each distinct operation once, on the rows that chose it.

        The batch is ``whole`` (a tensor) while one operation ran on every row, else ``rows``
        (one tensor per image, views into the groups' results): each group is stacked once
        and its results are not copied back, so a row is copied only into the groups it joins
        (and once at the end, ``_columns``). Returns the new ``(whole, rows)``, one of them None.
        """
        groups = []
        for name in np.unique(ops[applied]) if applied.any() else ():
            if self._kinds()[name] == "Identity":
                continue
            picked = np.flatnonzero(applied & (ops == name))
            if picked.size == ops.shape[0]:
                return self._op(name, whole if rows is None else torch.stack(rows), magnitudes), None
            groups.append((name, picked))
        if not groups:
            return whole, rows
        if rows is None:
            rows = list(whole.unbind(0))
        for name, picked in groups:
            group = PO.take_rows(whole, picked) if whole is not None else torch.stack([rows[i] for i in picked.tolist()])
            for row, image in zip(picked.tolist(), self._op(name, group, magnitudes[picked]).unbind(0)):
                rows[row] = image
        return None, rows

    def _columns(self, images: torch.Tensor, ops, magnitudes, applied) -> torch.Tensor:
        ops, magnitudes, applied = np.asarray(ops), np.asarray(magnitudes, dtype=np.float64), np.asarray(applied, dtype=bool)
        if PR.supported(images):
            return self._rows_into(images, ops, magnitudes, applied)
        whole, rows = images, None
        for k in range(ops.shape[1]):
            whole, rows = self._step(whole, rows, ops[:, k], magnitudes[:, k], applied[:, k])
        return whole if rows is None else torch.stack(rows)

    def _rows_into(self, images: torch.Tensor, ops: np.ndarray, magnitudes: np.ndarray, applied: np.ndarray) -> torch.Tensor:
        """CPU uint8 batches: each operation reads its rows where they are and writes them into the output.

        A row's operations write alternately into the output and a scratch batch, the last
        into the output, so no operation reads the rows it writes; rows without an operation
        are copied. Each row is read and written once per operation (``policy_rows``).
        """
        identity = [name for name, kind in self._kinds().items() if kind == "Identity"]
        runs = applied & ~np.isin(ops, identity)
        source = images.contiguous().numpy()
        out = _memory.empty(tuple(images.shape), images.dtype)
        final = out.numpy()
        left = runs.sum(axis=1)
        scratch = _memory.scratch(source.shape, source.dtype) if np.any(left > 1) else final
        untouched = np.flatnonzero(left == 0)
        final[untouched] = source[untouched]
        current = list(source)
        for k in range(ops.shape[1]):
            for name in np.unique(ops[runs[:, k], k]).tolist():
                picked = np.flatnonzero(runs[:, k] & (ops[:, k] == name))
                rows = picked.tolist()
                targets = [(final if left[i] % 2 else scratch)[i] for i in rows]
                self._op_into(name, [current[i] for i in rows], targets, magnitudes[picked, k])
                for i, target in zip(rows, targets):
                    current[i] = target
            left -= runs[:, k]
        return out

    def _op_into(self, name: str, sources: list[np.ndarray], targets: list[np.ndarray], magnitudes: np.ndarray) -> None:
        """Run the operation called ``name`` on each source row, writing its target row."""
        kind = self._kinds()[name]
        if kind in PO.GEOMETRIC_OPS:
            done = self._warps.into(kind, sources, targets, magnitudes)
        else:
            done = PR.photometric_into(kind, sources, targets, magnitudes)
        if not done:
            result = self._op(name, torch.from_numpy(np.stack(sources)), magnitudes).numpy()
            for target, row in zip(targets, result):
                np.copyto(target, row)

    def apply(self, image, params: PolicyParams):
        """Run the recorded operations (grouped per operation for a batch)."""
        image = check_any_image(image)
        if is_batch(image):
            return self._columns(image, params.ops, params.magnitudes, params.applied)
        return self._sequence(image, params.ops, params.magnitudes, params.applied)

    # -- targets

    def _moves(self, params: PolicyParams):
        """The geometric operations that ran, in order, as (affine transform, its parameters)."""
        for name, magnitude, ran in zip(params.ops, params.magnitudes, params.applied):
            kind = self._kinds()[name]
            if ran and kind in PO.GEOMETRIC_OPS:
                yield self._warps.transforms[kind], self._warps.params(kind, magnitude)

    def apply_mask(self, mask, params: PolicyParams):
        """Move a mask through the geometric operations (nearest; ``mask_fill`` outside the image)."""
        for warp, p in self._moves(params):
            mask = warp.apply_mask(mask, p)
        return mask

    def apply_boxes(self, boxes, params: PolicyParams, size):
        """Move boxes through the geometric operations (clamped; empty boxes dropped)."""
        for warp, p in self._moves(params):
            boxes = warp.apply_boxes(boxes, p, size)
        return boxes

    def apply_keypoints(self, keypoints, params: PolicyParams, size):
        """Move keypoints through the geometric operations (those leaving the image become invisible)."""
        for warp, p in self._moves(params):
            keypoints = warp.apply_keypoints(keypoints, p, size)
        return keypoints
