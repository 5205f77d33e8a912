"""Affine and perspective augmentations: Rotate, Affine, ShearX/Y, TranslateX/Y, Perspective.

Each runs in both stages: on an HWC array, or on a ``[B, C, H, W]`` batch with its own
parameters per sample (one batched warp, no loop over samples). Parameters are drawn as
torchvision v2's ``RandomRotation``, ``RandomAffine`` and ``RandomPerspective`` draw them, and
pixels equal torchvision's functional ops (``augkit.functional.warping``). Masks, boxes and
keypoints move with the image (torchvision v2 ``tv_tensors`` semantics, see
``augkit.functional.targets``); masks are filled with ``mask_fill`` outside the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from augkit._image import Image, MaskT, batch_size, check_any_image, spatial_size
from augkit._validate import check_int, check_probability, check_range, check_real
from augkit.functional import targets as T
from augkit.functional import warping as A
from augkit.targets import Boxes, Keypoints
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform


@dataclass(frozen=True)
class RotateParams:
    """The rotation in degrees, counterclockwise: a float, or a ``[B]`` array in the batch stage."""

    angle: Any


@dataclass(frozen=True)
class AffineParams:
    """One affine warp (torchvision's ``F.affine`` arguments): floats, or ``[B]`` arrays in the batch stage.

    Attributes:
        angle: Rotation in degrees (clockwise in image coordinates, as ``F.affine``).
        translate_x: Horizontal shift in pixels (an int, as torchvision rounds it).
        translate_y: Vertical shift in pixels.
        scale: Scale factor.
        shear_x: Shear parallel to the x axis, in degrees.
        shear_y: Shear parallel to the y axis, in degrees.
    """

    angle: Any
    translate_x: Any
    translate_y: Any
    scale: Any
    shear_x: Any
    shear_y: Any


@dataclass(frozen=True)
class ShearParams:
    """The shear angle in degrees: a float, or a ``[B]`` array in the batch stage."""

    shear: Any


@dataclass(frozen=True)
class TranslateParams:
    """The shift in pixels (an int): or a ``[B]`` int array in the batch stage."""

    shift: Any


@dataclass(frozen=True)
class PerspectiveParams:
    """Where the image corners go: ``[4, 2]`` ints ``(x, y)`` (``[B, 4, 2]`` in the batch stage).

    The corners start at ``(0, 0), (W - 1, 0), (W - 1, H - 1), (0, H - 1)`` (top-left,
    top-right, bottom-right, bottom-left), as torchvision's ``RandomPerspective``.
    """

    endpoints: Any

    def describe(self) -> str:
        """A caption: where the corners go, ``corners=(x,y) (x,y) (x,y) (x,y)`` from the top-left, clockwise.

        Example:
            >>> PerspectiveParams(np.array([[1, 2], [58, 0], [59, 39], [0, 38]])).describe()
            'corners=(1,2) (58,0) (59,39) (0,38)'
        """
        points = np.asarray(self.endpoints).reshape(-1, 2).tolist()
        return "corners=" + " ".join(f"({round(x)},{round(y)})" for x, y in points)


def _degrees(name: str, value) -> tuple[float, float]:
    """A number ``d >= 0`` as ``(-d, d)``, or a ``(low, high)`` pair (torchvision's ``_setup_angle``)."""
    if isinstance(value, (list, tuple)):
        return check_range(name, value)
    value = check_real(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0 as a single number (or a (low, high) pair), got {value}")
    return -value, value


def _check_fill(name: str, fill):
    """None, a number, or one number per channel (in the image's units)."""
    if fill is None:
        return None
    if isinstance(fill, (list, tuple)):
        if not fill:
            raise ValueError(f"{name} must be a number or a non-empty sequence of numbers, got {fill!r}")
        return tuple(check_real(f"{name}[{i}]", v) for i, v in enumerate(fill))
    return check_real(name, fill)


def _check_center(center):
    if center is None:
        return None
    if not isinstance(center, (list, tuple)) or len(center) != 2:
        raise TypeError(f"center must be None or an (x, y) pair of numbers, got {center!r}")
    return check_real("center[0]", center[0]), check_real("center[1]", center[1])


def _zeros(n: int | None, dtype=np.float64):
    return dtype(0) if n is None else np.zeros(n, dtype=dtype)


def _rounded(values):
    """torchvision's ``int(round(x))`` (half to even), per sample."""
    rounded = np.rint(values).astype(np.int64)
    return int(rounded) if rounded.ndim == 0 else rounded


def _scalar(value):
    return float(value) if np.ndim(value) == 0 else value


class _WarpBase(Transform):
    """What the affine-family transforms share: stages, arguments, target moves through one matrix."""

    stages: tuple[str, ...] = (SAMPLE_STAGE, BATCH_STAGE)
    geometric = True
    abstract = True
    interpolation: str = "nearest"
    fill: Any = 0
    center: Any = None
    mask_fill: int = 0

    def _setup(self, interpolation, fill, mask_fill, same_on_batch) -> None:
        self.interpolation = A.check_interpolation("interpolation", interpolation)
        self.fill = _check_fill("fill", fill)
        self.mask_fill = check_int("mask_fill", mask_fill)
        self.same_on_batch = bool(same_on_batch)


class _AffineBase(_WarpBase):
    """An ``F.affine`` warp; subclasses say which arguments their parameters set (``affine_args``)."""

    abstract = True

    def affine_args(self, params) -> dict[str, Any]:
        """``F.affine``'s ``angle``, ``translate``, ``scale`` and ``shear`` for ``params``."""
        raise NotImplementedError

    def apply(self, image: Image, params: Any) -> Image:
        """Warp ``image`` (each sample of a batch with its own parameters)."""
        image = check_any_image(image, allow_uint16=True)
        return A.affine(image, **self.affine_args(params), interpolation=self.interpolation, fill=self.fill, center=self.center)

    def apply_mask(self, mask, params):
        """Warp a mask (nearest neighbour; ``mask_fill`` outside the image)."""
        return T.affine_mask(mask, **self.affine_args(params), center=self.center, fill=self.mask_fill)

    def _matrix(self, params, size):
        return T.target_affine_matrix(size, **self.affine_args(params), center=self.center)

    def apply_boxes(self, boxes, params, size):
        """Move boxes: the enclosing box of the moved corners, clamped; empty boxes dropped."""
        return T.affine_boxes(boxes, self._matrix(params, size), size)

    def apply_keypoints(self, keypoints, params, size):
        """Move keypoints; those leaving the image become invisible."""
        return T.affine_keypoints(keypoints, self._matrix(params, size), size)


class Affine(_AffineBase):
    """Random rotation, translation, scale and shear about the centre (torchvision v2 ``RandomAffine``).

    Parameters are drawn as ``RandomAffine.make_params``: angle ~ U(degrees); shifts
    ``round(U(-a W, a W))`` and ``round(U(-b H, b H))`` for ``translate=(a, b)``; scale
    ~ U(scale); shear x ~ U(shear[0:2]) and y ~ U(shear[2:4]). Pixels equal torchvision's
    ``F.affine`` with the same parameters.

    Args:
        degrees: Rotation range: a number ``d`` for ``(-d, d)``, or ``(low, high)``.
        translate: ``(a, b)`` maximal horizontal and vertical shift as fractions of the
            width and height (in [0, 1]), or None for no shift.
        scale: ``(low, high)`` scale factor range (> 0), or None for 1.
        shear: A number ``s`` for an x shear in ``(-s, s)``, ``(low, high)`` for an x shear,
            or ``(x_low, x_high, y_low, y_high)``; None for no shear. Degrees.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill: Value of pixels from outside the image (a number or one per channel, in the
            image's units), or None for 0 without torchvision's border blending.
        center: ``(x, y)`` of the rotation in pixels, or None for the image centre.
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, one set of parameters for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> image = np.zeros((8, 8, 3), np.uint8)
        >>> Affine(10, translate=(0.1, 0.1), scale=(0.9, 1.1))(image, rng=0).shape
        (8, 8, 3)
    """

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation: str = "nearest",
        fill=0,
        center=None,
        mask_fill: int = 0,
        same_on_batch: bool = False,
    ) -> None:
        self.degrees = _degrees("degrees", degrees)
        self.translate = None if translate is None else self._check_translate(translate)
        if scale is not None:
            scale = check_range("scale", scale)
            if scale[0] <= 0:
                raise ValueError(f"scale must be > 0, got {scale!r}")
        self.scale = scale
        self.shear = None if shear is None else self._check_shear(shear)
        self.center = _check_center(center)
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    @staticmethod
    def _check_translate(translate) -> tuple[float, float]:
        if not isinstance(translate, (list, tuple)) or len(translate) != 2:
            raise TypeError(f"translate must be None or an (a, b) pair of fractions, got {translate!r}")
        values = check_real("translate[0]", translate[0]), check_real("translate[1]", translate[1])
        if not all(0.0 <= v <= 1.0 for v in values):
            raise ValueError(f"translate fractions must lie in [0, 1], got {translate!r}")
        return values

    @staticmethod
    def _check_shear(shear) -> tuple[float, ...]:
        if isinstance(shear, (list, tuple)) and len(shear) == 4:
            return check_range("shear[0:2]", shear[:2]) + check_range("shear[2:4]", shear[2:])
        if isinstance(shear, (list, tuple)) and len(shear) != 2:
            raise ValueError(f"shear must be a number, (low, high) or (x_low, x_high, y_low, y_high), got {shear!r}")
        return _degrees("shear", shear)

    def sample(self, rng: np.random.Generator, image: Image) -> AffineParams:
        """Draw angle, shifts, scale and shears (in ``RandomAffine``'s order)."""
        height, width = spatial_size(check_any_image(image, allow_uint16=True))
        n = batch_size(image)
        angle = rng.uniform(self.degrees[0], self.degrees[1], size=n)
        tx = ty = _rounded(_zeros(n))
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            tx = _rounded(rng.uniform(-max_dx, max_dx, size=n))
            ty = _rounded(rng.uniform(-max_dy, max_dy, size=n))
        scale = _zeros(n) + 1.0 if self.scale is None else rng.uniform(self.scale[0], self.scale[1], size=n)
        shear_x = shear_y = _zeros(n)
        if self.shear is not None:
            shear_x = rng.uniform(self.shear[0], self.shear[1], size=n)
            if len(self.shear) == 4:
                shear_y = rng.uniform(self.shear[2], self.shear[3], size=n)
        return AffineParams(_scalar(angle), tx, ty, _scalar(scale), _scalar(shear_x), _scalar(shear_y))

    def affine_args(self, params: AffineParams) -> dict[str, Any]:
        """``F.affine`` arguments of ``params``."""
        return {
            "angle": params.angle,
            "translate": (params.translate_x, params.translate_y),
            "scale": params.scale,
            "shear": (params.shear_x, params.shear_y),
        }


class _ShearBase(_AffineBase):
    abstract = True
    _axis: int = 0

    def __init__(
        self, degrees, interpolation: str = "nearest", fill=0, center=None, mask_fill: int = 0, same_on_batch: bool = False
    ) -> None:
        self.degrees = _degrees("degrees", degrees)
        self.center = _check_center(center)
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    def sample(self, rng: np.random.Generator, image: Image) -> ShearParams:
        """Draw the shear angle ~ U(degrees)."""
        check_any_image(image, allow_uint16=True)
        return ShearParams(_scalar(rng.uniform(self.degrees[0], self.degrees[1], size=batch_size(image))))

    def affine_args(self, params: ShearParams) -> dict[str, Any]:
        """``F.affine`` arguments: a shear along one axis."""
        zero = np.zeros_like(params.shear) if isinstance(params.shear, np.ndarray) else 0.0
        shear = (params.shear, zero) if self._axis == 0 else (zero, params.shear)
        return {"angle": zero, "translate": (zero, zero), "scale": zero + 1.0, "shear": shear}


class ShearX(_ShearBase):
    """Shear parallel to the x axis by an angle ~ U(degrees) (``F.affine(shear=(s, 0))``).

    Args:
        degrees: A number ``d`` for ``(-d, d)``, or ``(low, high)``; degrees.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill: Value of pixels from outside the image, or None (see ``Affine``).
        center: ``(x, y)`` the shear keeps fixed, or None for the image centre (torchvision's
            policies shear about ``(0, 0)``).
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, one angle for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((5, 5, 1), np.uint8)
        >>> image[:, 2] = 9  # a vertical line
        >>> ShearX((45, 45))(image, rng=0)[:, :, 0].tolist()
        [[0, 0, 0, 0, 9], [0, 0, 0, 9, 0], [0, 0, 9, 0, 0], [0, 9, 0, 0, 0], [9, 0, 0, 0, 0]]
    """

    _axis = 0


class ShearY(_ShearBase):
    """Shear parallel to the y axis by an angle ~ U(degrees) (``F.affine(shear=(0, s))``).

    Args:
        degrees: A number ``d`` for ``(-d, d)``, or ``(low, high)``; degrees.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill: Value of pixels from outside the image, or None (see ``Affine``).
        center: ``(x, y)`` the shear keeps fixed, or None for the image centre.
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, one angle for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((5, 5, 1), np.uint8)
        >>> image[2, :] = 9  # a horizontal line
        >>> ShearY((45, 45))(image, rng=0)[:, :, 0].tolist()
        [[0, 0, 0, 0, 9], [0, 0, 0, 9, 0], [0, 0, 9, 0, 0], [0, 9, 0, 0, 0], [9, 0, 0, 0, 0]]
    """

    _axis = 1


class _TranslateBase(_AffineBase):
    abstract = True
    _axis: int = 0

    def __init__(
        self, fraction=None, pixels=None, interpolation: str = "nearest", fill=0, mask_fill: int = 0, same_on_batch: bool = False
    ) -> None:
        if (fraction is None) == (pixels is None):
            raise ValueError(f"{type(self).__name__} needs exactly one of fraction= or pixels=")
        self.fraction = None if fraction is None else self._range("fraction", fraction, 1.0)
        self.pixels = None if pixels is None else self._range("pixels", pixels, None)
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    @staticmethod
    def _range(name: str, value, bound: float | None) -> tuple[float, float]:
        low, high = _degrees(name, value)
        if bound is not None and (low < -bound or high > bound):
            raise ValueError(f"{name} must lie within [-{bound}, {bound}], got {value!r}")
        return low, high

    def sample(self, rng: np.random.Generator, image: Image) -> TranslateParams:
        """Draw the shift: ``round(U(range))`` pixels, the range scaled by the side for ``fraction``."""
        height, width = spatial_size(check_any_image(image, allow_uint16=True))
        if self.fraction is not None:
            side = width if self._axis == 0 else height
            low, high = self.fraction[0] * side, self.fraction[1] * side
        elif self.pixels is not None:
            low, high = self.pixels
        else:
            raise ValueError(f"{type(self).__name__} needs exactly one of fraction= or pixels=")
        return TranslateParams(_rounded(rng.uniform(low, high, size=batch_size(image))))

    def affine_args(self, params: TranslateParams) -> dict[str, Any]:
        """``F.affine`` arguments: a shift along one axis."""
        zero = np.zeros(np.shape(params.shift)) if isinstance(params.shift, np.ndarray) else 0.0
        translate = (params.shift, zero) if self._axis == 0 else (zero, params.shift)
        return {"angle": zero, "translate": translate, "scale": zero + 1.0, "shear": (zero, zero)}


class TranslateX(_TranslateBase):
    """Shift horizontally by ``round(U(range))`` pixels (``F.affine(translate=(dx, 0))``).

    Args:
        fraction: The range as fractions of the width: a number ``f`` for ``(-f, f)``, or
            ``(low, high)`` within [-1, 1] (``RandomAffine``'s ``translate``).
        pixels: The range in pixels instead: a number ``p`` for ``(-p, p)``, or ``(low, high)``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill: Value of pixels from outside the image, or None (see ``Affine``).
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, one shift for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> TranslateX(pixels=(2, 2))(np.arange(1, 6, dtype=np.uint8).reshape(1, 5, 1), rng=0)[0, :, 0].tolist()
        [0, 0, 1, 2, 3]
    """

    _axis = 0


class TranslateY(_TranslateBase):
    """Shift vertically by ``round(U(range))`` pixels (``F.affine(translate=(0, dy))``).

    Args:
        fraction: The range as fractions of the height: a number ``f`` for ``(-f, f)``, or
            ``(low, high)`` within [-1, 1].
        pixels: The range in pixels instead: a number ``p`` for ``(-p, p)``, or ``(low, high)``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill: Value of pixels from outside the image, or None (see ``Affine``).
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, one shift for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> TranslateY(pixels=(-1, -1))(np.arange(1, 5, dtype=np.uint8).reshape(4, 1, 1), rng=0)[:, 0, 0].tolist()
        [2, 3, 4, 0]
    """

    _axis = 1


class Rotate(_WarpBase):
    """Rotate counterclockwise by an angle ~ U(degrees) (torchvision v2 ``RandomRotation``).

    Pixels equal torchvision's ``F.rotate`` with the same angle, including its exact quarter
    turns (multiples of 90 degrees about the centre; 90 and 270 on square images or with
    ``expand``).

    Args:
        degrees: A number ``d`` for ``(-d, d)``, or ``(low, high)``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        expand: Enlarge the output to hold the whole rotated image. It changes the size
            with the angle, so a transform with ``expand=True`` runs in the sample stage only.
        center: ``(x, y)`` of the rotation in pixels, or None for the image centre.
        fill: Value of pixels from outside the image, or None (see ``Affine``).
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, one angle for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept (with
        ``expand``, an HWC array or ``[C, H', W']`` tensor of the rotated size).

    Example:
        >>> image = np.zeros((6, 8, 3), np.uint8)
        >>> Rotate((90, 90), expand=True)(image, rng=0).shape
        (8, 6, 3)
    """

    def __init__(
        self,
        degrees,
        interpolation: str = "nearest",
        expand: bool = False,
        center=None,
        fill=0,
        mask_fill: int = 0,
        same_on_batch: bool = False,
    ) -> None:
        self.degrees = _degrees("degrees", degrees)
        self.expand = bool(expand)
        if self.expand:
            self.stages = (SAMPLE_STAGE,)  # the output size depends on each sample's angle
        self.center = _check_center(center)
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    def sample(self, rng: np.random.Generator, image: Image) -> RotateParams:
        """Draw the angle ~ U(degrees)."""
        check_any_image(image, allow_uint16=True)
        return RotateParams(_scalar(rng.uniform(self.degrees[0], self.degrees[1], size=batch_size(image))))

    def apply(self, image: Image, params: RotateParams) -> Image:
        """Rotate ``image`` (each sample of a batch by its own angle)."""
        image = check_any_image(image, allow_uint16=True)
        if self.expand and getattr(image, "ndim", 3) == 4:
            raise ValueError("Rotate(expand=True) changes the image size with the angle: use it in the sample stage")
        return A.rotate(image, params.angle, self.interpolation, self.expand, self.center, self.fill)

    def _geometry(self, params: RotateParams, size):
        """The input-to-output matrix, the canvas offset and the output size."""
        matrix = T.target_affine_matrix(size, -float(params.angle), center=self.center)
        if not self.expand:
            return matrix, (0.0, 0.0), size
        return matrix, T.rotation_offset(matrix, size), A.rotated_size(float(params.angle), *size)

    def apply_mask(self, mask: MaskT, params: RotateParams) -> MaskT:
        """Rotate a mask (nearest neighbour; ``mask_fill`` outside the image)."""
        return T.rotate_mask(mask, params.angle, self.expand, self.center, self.mask_fill)

    def apply_boxes(self, boxes: Boxes, params: RotateParams, size: tuple[int, int]) -> Boxes:
        """Move boxes: the enclosing box of the rotated corners, clamped; empty boxes dropped."""
        matrix, offset, out_size = self._geometry(params, size)
        return T.affine_boxes(boxes, matrix, out_size, offset)

    def apply_keypoints(self, keypoints: Keypoints, params: RotateParams, size: tuple[int, int]) -> Keypoints:
        """Rotate keypoints; those leaving the image become invisible."""
        matrix, offset, out_size = self._geometry(params, size)
        return T.affine_keypoints(keypoints, matrix, out_size, offset)


class Perspective(_WarpBase):
    """With probability ``p``, a random perspective warp (torchvision v2 ``RandomPerspective``).

    Each corner moves inwards by up to ``distortion_scale`` of half the side, drawn as
    ``RandomPerspective.make_params`` draws it; pixels equal torchvision's ``F.perspective``
    with the same coefficients.

    Args:
        distortion_scale: How far corners may move, in [0, 1].
        p: Probability of warping (per sample in the batch stage).
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill: Value of pixels from outside the image, or None (see ``Affine``).
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, one warp (and decision) for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> image = np.zeros((8, 8, 3), np.uint8)
        >>> Perspective(0.3, p=1.0)(image, rng=0).shape
        (8, 8, 3)
    """

    random_apply = True

    def __init__(
        self,
        distortion_scale: float = 0.5,
        p: float = 0.5,
        interpolation: str = "bilinear",
        fill=0,
        mask_fill: int = 0,
        same_on_batch: bool = False,
    ) -> None:
        self.distortion_scale = check_real("distortion_scale", distortion_scale)
        if not 0.0 <= self.distortion_scale <= 1.0:
            raise ValueError(f"distortion_scale must lie in [0, 1], got {distortion_scale}")
        self.p = check_probability("p", p)
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    def sample(self, rng: np.random.Generator, image: Image) -> PerspectiveParams:
        """Draw the four end corners (``RandomPerspective.make_params``' order)."""
        height, width = spatial_size(check_any_image(image, allow_uint16=True))
        n = batch_size(image)
        bound_h = int(self.distortion_scale * (height // 2)) + 1
        bound_w = int(self.distortion_scale * (width // 2)) + 1
        ranges = [
            (0, bound_w), (0, bound_h),  # top-left
            (width - bound_w, width), (0, bound_h),  # top-right
            (width - bound_w, width), (height - bound_h, height),  # bottom-right
            (0, bound_w), (height - bound_h, height),  # bottom-left
        ]  # fmt: skip
        draws = [rng.integers(low, high, size=n) for low, high in ranges]
        endpoints = np.stack(draws, axis=-1).reshape(*np.shape(draws[0]), 4, 2).astype(np.int64)
        return PerspectiveParams(endpoints)

    def coefficients(self, params: PerspectiveParams, size: tuple[int, int]) -> np.ndarray:
        """The output-to-input coefficients (``[8]``, or ``[B, 8]``) for an image of ``size``.

        An image less than 2 pixels high or wide has no perspective (its corners coincide):
        it is left as it is.
        """
        if min(size) < 2:
            identity = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
            return np.broadcast_to(identity, (*np.shape(params.endpoints)[:-2], 8)).copy()
        return A.perspective_coefficients(A.perspective_startpoints(*size), params.endpoints)

    def apply(self, image: Image, params: PerspectiveParams) -> Image:
        """Warp ``image`` (each sample of a batch with its own corners)."""
        image = check_any_image(image, allow_uint16=True)
        return A.perspective(image, self.coefficients(params, spatial_size(image)), self.interpolation, self.fill)

    def apply_mask(self, mask: MaskT, params: PerspectiveParams) -> MaskT:
        """Warp a mask (nearest neighbour; ``mask_fill`` outside the image)."""
        return T.perspective_mask(mask, self.coefficients(params, T.mask_size(mask)), self.mask_fill)

    def apply_boxes(self, boxes: Boxes, params: PerspectiveParams, size: tuple[int, int]) -> Boxes:
        """Move boxes: the enclosing box of the moved corners, clamped; empty boxes dropped."""
        return T.perspective_boxes(boxes, self.coefficients(params, size), size)

    def apply_keypoints(self, keypoints: Keypoints, params: PerspectiveParams, size: tuple[int, int]) -> Keypoints:
        """Move keypoints; those leaving the image become invisible."""
        return T.perspective_keypoints(keypoints, self.coefficients(params, size), size)


__all__ = [
    "Affine",
    "AffineParams",
    "Perspective",
    "PerspectiveParams",
    "Rotate",
    "RotateParams",
    "ShearParams",
    "ShearX",
    "ShearY",
    "TranslateParams",
    "TranslateX",
    "TranslateY",
]
