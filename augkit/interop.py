"""Use albumentations and torchvision v2 transforms inside augkit pipelines, reproducibly.

``Albumentations(t)`` and ``TorchVision(t)`` are sample-stage augkit transforms. Their
``sample`` draws one seed from the augkit generator (recorded in ``SeedParams``) and their
``apply`` runs the wrapped transform seeded with it, so a pipeline that mixes augkit and
foreign transforms keeps augkit's guarantee: item ``i`` of epoch ``e`` is a pure function
of ``(seed, e, i)`` for any ``num_workers``, and logged parameters replay exactly.

Targets (a ``Sample``'s mask, boxes and keypoints): ``TorchVision`` passes them to the wrapped
transform as ``tv_tensors`` (``Mask``, ``BoundingBoxes``, ``KeyPoints``), so they move with the
image exactly as torchvision moves them (then boxes left with no area are dropped with their
labels, and keypoints outside the image marked invisible, as augkit's own transforms do).
``Albumentations`` leaves targets untouched when every wrapped transform is image-only
(``A.ImageOnlyTransform``), passes masks as ``mask=`` otherwise, and refuses boxes and
keypoints there with ``augkit.UnsupportedTargetError``.

Neither library is imported when ``augkit`` is, nor required: albumentations (the
``augkit[interop]`` extra) is imported on first use of ``Albumentations``, torchvision only
by ``TorchVision``.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from augkit._image import Image, check_array_image
from augkit.errors import UnsupportedTargetError
from augkit.targets import Boxes, Keypoints, Sample
from augkit.transforms.base import SAMPLE_STAGE, Transform, _decoded, to_plain
from augkit.transforms.tensor import mask_to_tensor

#: Seeds are drawn from ``[0, SEED_BOUND)``.
SEED_BOUND = 2**32


@dataclass(frozen=True)
class SeedParams:
    """The seed the wrapped transform ran with (an int in ``[0, 2**32)``)."""

    seed: int


def _check_image(image) -> np.ndarray:
    image = check_array_image(image)
    if image.dtype != np.uint8 and not np.issubdtype(image.dtype, np.floating):
        raise TypeError(f"image array must be uint8 or floating point, got {image.dtype}")
    return image


def _check_params(params) -> int:
    if not isinstance(params, SeedParams):
        raise TypeError(f"params must be SeedParams, got {type(params).__name__}")
    return params.seed


def _draw_seed(rng: np.random.Generator) -> SeedParams:
    return SeedParams(int(rng.integers(SEED_BOUND)))


def _leaves(transform) -> list:
    """The leaf transforms of an albumentations transform or composition."""
    children = getattr(transform, "transforms", None)
    if children is None:
        return [transform]
    return [leaf for child in children for leaf in _leaves(child)]


def _mask_back(mask: torch.Tensor, like):
    """A mask tensor as the kind of ``like``: ``[M, H, W]`` back to an ``[H, W, M]`` array for arrays."""
    if isinstance(like, torch.Tensor):
        return mask
    array = mask.numpy()
    return np.ascontiguousarray(array.transpose(1, 2, 0) if array.ndim == 3 else array)


def _as_kind(values: torch.Tensor, like):
    return values if isinstance(like, torch.Tensor) else values.numpy()


class _Locked:
    """A per-instance lock that survives pickling and deep copies (it is recreated)."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


class Albumentations(_Locked, Transform):
    """Run an albumentations transform or pipeline as an augkit sample-stage transform.

    ``sample`` draws a seed from the augkit generator; ``apply`` calls
    ``transform.set_random_seed(seed)`` and then ``transform(image=image)``. That is exactly
    what albumentations does for ``A.Compose([...], seed=seed)``, so the output equals
    albumentations' own first call with that seed, and each call is a pure function of
    ``(image, seed)``: nothing is carried from one call to the next. A single transform
    keeps its own ``p`` (albumentations draws it from the seeded state).

    The wrapper keeps a deep copy of ``transform`` (re-seeding never touches your object).
    Calls on one wrapper are serialized by a lock, so threads sharing it stay
    deterministic; ``DataLoader`` workers are processes, each with its own copy.

    Targets: images only. The image is an HWC uint8 array (float32 in [0, 1] where the
    albumentations transform supports it); shape-changing transforms (crops, resizes) are
    fine. A ``Compose`` whose ``bbox_params`` / ``keypoint_params`` require those targets is
    not supported.

    Args:
        transform: An albumentations transform (``A.BasicTransform``) or composition
            (``A.Compose``, ``A.OneOf``, ...), or its ``A.to_dict`` form (what ``to_config``
            stores).

    Shape:
        ``(H, W, C) -> (H', W', C')`` as the wrapped transform decides.

    Example:
        >>> import albumentations as A, numpy as np
        >>> blur = Albumentations(A.GaussianBlur(p=1.0))
        >>> image = np.zeros((8, 8, 3), np.uint8)
        >>> out, params = blur.run(image, np.random.default_rng(0))
        >>> out.shape, bool((blur.apply(image, params) == out).all())
        ((8, 8, 3), True)
    """

    stages = (SAMPLE_STAGE,)

    def __init__(self, transform: Any) -> None:
        try:
            import albumentations as A
        except ImportError as error:
            raise ImportError("augkit.Albumentations needs albumentations: pip install 'augkit[interop]'") from error

        if isinstance(transform, dict):
            if "transform" not in transform:
                raise ValueError(
                    "transform given as a dict must be albumentations' serialized form"
                    f" (A.to_dict output, with a 'transform' key), got keys {sorted(transform)}"
                )
            try:
                transform = A.from_dict(transform)
            except Exception as error:  # albumentations raises several types here
                raise ValueError(f"transform: albumentations could not rebuild {transform!r}: {error}") from error
        elif isinstance(transform, (A.BasicTransform, A.BaseCompose)):
            transform = copy.deepcopy(transform)
        else:
            raise TypeError(
                "transform must be an albumentations transform or composition (e.g. A.GaussianBlur(),"
                f" A.Compose([...])) or its A.to_dict form, got {type(transform).__name__}"
            )
        self.transform = transform
        self._lock = threading.Lock()

    def sample(self, rng: np.random.Generator, image: Image) -> SeedParams:
        """Draw the seed the wrapped transform runs with."""
        _check_image(image)
        return _draw_seed(rng)

    def apply(self, image: np.ndarray, params: SeedParams) -> np.ndarray:
        """Run the wrapped transform seeded with ``params.seed``."""
        image = np.ascontiguousarray(_check_image(image))
        seed = _check_params(params)
        with self._lock:
            self.transform.set_random_seed(seed)
            out = self.transform(image=image)["image"]
        return out

    def _apply_sample(self, sample: Sample, params: SeedParams) -> Sample:
        import albumentations as A

        image = _decoded(sample.image)
        if all(isinstance(t, A.ImageOnlyTransform) for t in _leaves(self.transform)):
            return sample.replace(image=self.apply(image, params))  # pixels only: targets stay
        self._refuse_points(sample)
        if sample.mask is None:
            return sample.replace(image=self.apply(image, params))
        image = np.ascontiguousarray(_check_image(image))
        seed = _check_params(params)
        mask = sample.mask.numpy() if isinstance(sample.mask, torch.Tensor) else np.asarray(sample.mask)
        with self._lock:
            self.transform.set_random_seed(seed)
            out = self.transform(image=image, mask=mask)
        moved = torch.from_numpy(np.ascontiguousarray(out["mask"])) if isinstance(sample.mask, torch.Tensor) else out["mask"]
        return sample.replace(image=out["image"], mask=moved)

    def _refuse_points(self, sample: Sample) -> None:
        for name in ("boxes", "keypoints"):
            if getattr(sample, name) is not None:
                raise UnsupportedTargetError(
                    f"Albumentations({type(self.transform).__name__}) may move pixels and augkit does not pass {name} to"
                    f" albumentations: it cannot be used on samples that carry {name} (use augkit's own transforms, or"
                    " TorchVision, for them)"
                )

    def to_config(self) -> dict[str, Any]:
        """Return ``{"name": "Albumentations", "transform": A.to_dict(transform)}``.

        Raises:
            NotImplementedError: albumentations cannot serialize the wrapped transform
                (an unnamed ``A.Lambda`` and other transforms without a config form; a named
                ``A.Lambda`` serializes, but ``from_config`` cannot rebuild its function).
        """
        import albumentations as A

        try:
            serialized = A.to_dict(self.transform)
        except (NotImplementedError, ValueError) as error:
            raise NotImplementedError(f"albumentations cannot serialize {self.transform!r}: {error}") from error
        return {"name": type(self).__name__, "transform": to_plain(serialized)}


# Seeding torch's global generator is process-wide: one lock for every TorchVision wrapper.
_TORCH_RNG_LOCK = threading.Lock()


class TorchVision(Transform):
    """Run a torchvision v2 transform as an augkit sample-stage transform.

    torchvision v2 draws from torch's global CPU generator. ``apply`` runs the transform
    inside ``torch.random.fork_rng(devices=[])`` with that generator seeded from
    ``params.seed``, so the result is a pure function of ``(image, seed)`` and the global
    RNG state is restored afterwards: the wrapper never changes it. Calls from several
    threads of one process are serialized by a lock; code in other threads that draws
    from torch's global generator at the same time is not (DataLoader workers are
    processes and are unaffected).

    The HWC array becomes a CHW tensor (a copy, so the input is never modified) and the
    result goes back to HWC numpy; dtype follows the transform (uint8 stays uint8 unless
    the transform converts, e.g. ``ToDtype``).

    Not serializable: torchvision transforms have no config form, so ``to_config`` (and a
    ``Compose`` containing this wrapper) raises ``NotImplementedError``. ``repr`` and
    pickling work. Requires torchvision, which augkit does not otherwise need.

    Args:
        transform: A ``torchvision.transforms.v2`` transform (``v2.Compose`` included).

    Shape:
        ``(H, W, C) -> (H', W', C')`` as the wrapped transform decides.

    Example:
        >>> from torchvision.transforms import v2
        >>> flip = TorchVision(v2.RandomHorizontalFlip(p=1.0))
        >>> image = np.arange(6, dtype=np.uint8).reshape(1, 2, 3)
        >>> flip(image, rng=0)[0, 0].tolist()
        [3, 4, 5]
    """

    stages = (SAMPLE_STAGE,)

    def __init__(self, transform: Any) -> None:
        try:
            from torchvision.transforms import v2
        except ImportError as error:
            raise ImportError(
                "augkit.TorchVision needs torchvision, which augkit does not install; install the"
                f" build matching torch {torch.__version__} (e.g. pip install torchvision)"
            ) from error
        if not isinstance(transform, v2.Transform):
            raise TypeError(
                "transform must be a torchvision.transforms.v2 transform (v1 transforms draw from"
                f" Python's random module and cannot be seeded safely), got {type(transform).__name__}"
            )
        self.transform = transform

    def sample(self, rng: np.random.Generator, image: Image) -> SeedParams:
        """Draw the seed torch's generator is set to for this call."""
        _check_image(image)
        return _draw_seed(rng)

    def apply(self, image: np.ndarray, params: SeedParams) -> np.ndarray:
        """Run the wrapped transform with torch's CPU generator seeded from ``params.seed``."""
        image = _check_image(image)
        seed = _check_params(params)
        tensor = torch.from_numpy(image.transpose(2, 0, 1).copy())
        with _TORCH_RNG_LOCK, torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            out = self.transform(tensor)
        if not isinstance(out, torch.Tensor) or out.ndim != 3:
            raise TypeError(
                f"{self.transform!r} must return a [C, H, W] tensor for a [C, H, W] tensor input,"
                f" got {type(out).__name__} {tuple(getattr(out, 'shape', ()))}"
            )
        return np.ascontiguousarray(out.as_subclass(torch.Tensor).detach().cpu().numpy().transpose(1, 2, 0))

    def _apply_sample(self, sample: Sample, params: SeedParams) -> Sample:
        if not sample.has_spatial_targets():
            return sample.replace(image=self.apply(_decoded(sample.image), params))
        from torchvision import tv_tensors

        image = _check_image(_decoded(sample.image))
        seed = _check_params(params)
        size = image.shape[:2]
        inputs: dict[str, Any] = {"image": tv_tensors.Image(torch.from_numpy(image.transpose(2, 0, 1).copy()))}
        if sample.mask is not None:
            inputs["mask"] = tv_tensors.Mask(mask_to_tensor(sample.mask).clone())
        if sample.boxes is not None:
            xyxy = torch.as_tensor(sample.boxes.xyxy).cpu()
            inputs["boxes"] = tv_tensors.BoundingBoxes(xyxy, format="XYXY", canvas_size=size)
        if sample.keypoints is not None:
            inputs["keypoints"] = tv_tensors.KeyPoints(torch.as_tensor(sample.keypoints.xy).cpu(), canvas_size=size)
        with _TORCH_RNG_LOCK, torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            out = self.transform(inputs)
        pixels = out["image"].as_subclass(torch.Tensor)
        if pixels.ndim != 3:
            raise TypeError(f"{self.transform!r} must return a [C, H, W] image, got {tuple(pixels.shape)}")
        changes: dict[str, Any] = {"image": np.ascontiguousarray(pixels.detach().numpy().transpose(1, 2, 0))}
        height, width = pixels.shape[-2:]
        if sample.mask is not None:
            changes["mask"] = _mask_back(out["mask"].as_subclass(torch.Tensor), sample.mask)
        if sample.boxes is not None:
            boxes = out["boxes"].as_subclass(torch.Tensor)
            kept = ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).numpy()
            moved = Boxes(_as_kind(boxes, sample.boxes.xyxy), sample.boxes.labels)  # areas before clipping unknown
            changes["boxes"] = moved.replace(moved.xyxy, kept)
        if sample.keypoints is not None:
            xy = out["keypoints"].as_subclass(torch.Tensor)
            inside = ((xy[..., 0] >= 0) & (xy[..., 0] < width) & (xy[..., 1] >= 0) & (xy[..., 1] < height)).numpy()
            visible = np.asarray(torch.as_tensor(sample.keypoints.visibility()).cpu()) & inside
            changes["keypoints"] = Keypoints(_as_kind(xy, sample.keypoints.xy), visible)  # visibility takes the kind of xy
        return sample.replace(**changes)

    def to_config(self) -> dict[str, Any]:
        """Always raises: torchvision transforms cannot be serialized.

        Raises:
            NotImplementedError: Always; build pipelines with ``TorchVision`` in code, or use
                ``Albumentations`` / augkit transforms where a config is needed.
        """
        raise NotImplementedError(
            f"TorchVision({self.transform!r}) has no config form: torchvision transforms cannot be"
            " serialized. Build this pipeline in code, or use augkit or Albumentations transforms"
            " where to_config()/from_config() is needed."
        )
