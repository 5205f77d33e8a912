"""The benchmark's cases: what each one runs, for augkit and for its peers.

Every case runs augkit and its peers (torchvision v2 on PIL images and on tensors,
albumentations, and for batch ops kornia / timm) on the same images in one process. A peer
that is not installed is listed as skipped with the reason. The sample-stage cases also carry
the two fastest decoders as rows (``decode only: ...``), so the fraction of the decode-only
rate they reach is measured beside them.

Cases (``--cases`` takes the numbers or the names), declared in ``CASES``:
  1 ``decode``: decode-only (PIL, OpenCV, simplejpeg, torchvision.io, augkit.decode);
  2 ``sample``: the ResNet sample stage: decode, scale [256, 480], random 224 crop, flip, uint8 CHW;
  3 ``full`` / ``loader``: 2 + ColorJitter(0.4, 0.4, 0.4, 0.1) + normalize to float, in one
    process, and through a ``DataLoader`` (batch 64, 2 workers);
  4 ``rrc-sample`` / ``rrc``: RandomResizedCrop(224) + flip (uint8), and the full recipe with it;
  5 ``batch``: batch-stage ops on ``[64, 3, 224, 224]``;
  6 ``tta``: the 50-view test protocol (ten crops at 5 scales);
  7 ``stats``: dataset statistics;
  8 ``seg`` / ``det`` / ``det-ssd``: recipes with targets, ending in float tensors: the
    segmentation recipe (image + label mask: random scale [0.5, 2] x 520, flip, pad, random
    480 crop, normalize; batches of 8 float images and int64 masks: augkit's batch stage runs
    on the collated batch, the peers' collate stacks their per-image outputs), the detection
    recipe (image + 6 boxes with labels: flip, to float; one image at a time, sizes differ;
    torchvision without ``SanitizeBoundingBoxes``, which a flip gives nothing to drop)
    and the SSD detection recipe (photometric distort, zoom out, IoU crop, flip, to float;
    albumentations has no zoom out or IoU crop).
  9 ``deit`` / ``policy``: the DeiT sample stage with its policy in the workers (decode, bicubic
    RandomResizedCrop 224, flip, timm's ``rand-m9-mstd0.5-inc1``, uint8 CHW) against timm's
    ``create_transform`` on PIL images and albumentations' closest equivalent; and policies on a
    uint8 ``[64, 3, 224, 224]`` batch (``RandAugment``, ``TrivialAugmentWide``: per sample)
    against torchvision v2's in a per-sample loop. Both are timed in CPU seconds of the
    process (``Case.cpu_time``): per-core rates, steady on a shared machine.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import augkit
from augkit import constants
from augkit._process import init_worker
from augkit.bench.harness import Impl, Loop, Skip, need
from augkit.bench.report import CEILING

MEAN, STD = constants.IMAGENET_MEAN, constants.IMAGENET_STD
JITTER = (0.4, 0.4, 0.4, 0.1)
#: Images per batch in the segmentation case (torchvision's segmentation reference: ``--batch-size 8`` per GPU).
SEG_BATCH = 8


# ----------------------------------------------------------------------------- decoders


def _pil_rgb(data: bytes):
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    return image.convert("RGB")


def _cv2_rgb(data: bytes) -> np.ndarray:
    cv2 = need("cv2", "OpenCV")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _both_stages(pipeline: augkit.Pipeline) -> tuple[augkit.Transform, augkit.Transform]:
    """A preset's two stages (both present in the presets benchmarked here)."""
    if pipeline.sample is None or pipeline.batch is None:
        raise ValueError("the benchmarked preset needs a sample and a batch stage")
    return pipeline.sample, pipeline.batch


def _tv_decode(data: bytes) -> torch.Tensor:
    from torchvision.io import decode_jpeg

    return decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8))


# ----------------------------------------------------------------------------- the cases


class Bench:
    """Holds the images and builds each case's implementations."""

    def __init__(self, paths: list[Path], seed: int = 0) -> None:
        self.paths = paths
        self.datas = [p.read_bytes() for p in paths]
        self.seed = seed

    def _loop(self, fn: Callable[[bytes, int], object]) -> Loop:
        return Loop(self.datas, fn)

    # 1. decode-only --------------------------------------------------------------------
    def decode(self) -> list[Impl]:
        def simplejpeg_():
            sj = need("simplejpeg")
            return self._loop(lambda d, i: sj.decode_jpeg(d, colorspace="RGB"))

        def tv():
            need("torchvision.io", "torchvision")
            return self._loop(lambda d, i: _tv_decode(d))

        return [
            Impl("augkit.decode", lambda: self._loop(lambda d, i: augkit.decode(d)), augkit=True),
            Impl("PIL", lambda: self._loop(lambda d, i: np.asarray(_pil_rgb(d)))),
            Impl("OpenCV", lambda: (need("cv2", "OpenCV"), self._loop(lambda d, i: _cv2_rgb(d)))[1]),
            Impl("simplejpeg", simplejpeg_),
            Impl("torchvision.io", tv),
        ]

    # 2-4. sample stage and full recipes -------------------------------------------------
    def _augkit_pipeline(self, rrc: bool, jitter: bool, normalize: bool):
        geometry = [augkit.RandomResizedCrop(224)] if rrc else [augkit.RandomScale(256, 480), augkit.RandomCrop(224)]
        steps: list[augkit.Transform] = [*geometry, augkit.HorizontalFlip()]
        if jitter:
            steps.append(augkit.ColorJitter(*JITTER))
        pipeline = augkit.Compose(steps + [augkit.ToTensor()])
        norm = augkit.Normalize(MEAN, STD) if normalize else None
        return pipeline, norm

    def _augkit_impl(
        self, rrc: bool, jitter: bool, normalize: bool, fused: bool = True, check_whole_file: bool = True
    ) -> Callable[[], int]:
        pipeline, norm = self._augkit_pipeline(rrc, jitter, normalize)
        steps = pipeline.transforms
        rng = np.random.default_rng(self.seed)

        def one(data, i):
            if fused:  # only the window the crop reads is decoded
                image = augkit.open_image(data, check_whole_file=check_whole_file)
                out = pipeline(image, rng=rng)
            else:
                image = augkit.decode(data)
                for t in steps:  # one transform at a time: the unfused reference
                    image = t(image, rng=rng)
                out = image
            return norm(out) if norm is not None else out

        return self._loop(one)

    def _tv_pipeline(self, rrc: bool, jitter: bool, normalize: bool, pil: bool):
        v2 = need("torchvision.transforms.v2", "torchvision")
        geometry = [v2.RandomResizedCrop(224, antialias=True)] if rrc else [v2.RandomResize(256, 481, antialias=True), v2.RandomCrop(224)]
        steps = geometry + [v2.RandomHorizontalFlip()]
        if jitter:
            steps.append(v2.ColorJitter(*JITTER))
        if pil:
            steps.append(v2.PILToTensor())
        if normalize:
            steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
        return v2.Compose(steps)

    def _tv_impl(self, rrc: bool, jitter: bool, normalize: bool, pil: bool) -> Callable[[], int]:
        pipeline = self._tv_pipeline(rrc, jitter, normalize, pil)
        decode = _pil_rgb if pil else _tv_decode
        return self._loop(lambda d, i: pipeline(decode(d)))

    def _albu_pipeline(self, rrc: bool, jitter: bool, normalize: bool):
        A = need("albumentations")
        geometry = [A.RandomResizedCrop((224, 224))] if rrc else [A.SmallestMaxSize(max_size=list(range(256, 481))), A.RandomCrop(224, 224)]
        steps = geometry + [A.HorizontalFlip()]
        if jitter:
            steps.append(A.ColorJitter(*JITTER, p=1.0))
        if normalize:
            steps.append(A.Normalize(MEAN, STD))
        return A.Compose(steps, seed=self.seed)

    def _albu_impl(self, rrc: bool, jitter: bool, normalize: bool) -> Callable[[], int]:
        pipeline = self._albu_pipeline(rrc, jitter, normalize)
        return self._loop(lambda d, i: torch.from_numpy(pipeline(image=_cv2_rgb(d))["image"]).permute(2, 0, 1))

    def _recipe(self, rrc: bool, jitter: bool, normalize: bool) -> list[Impl]:
        impls = [Impl("augkit", lambda: self._augkit_impl(rrc, jitter, normalize), augkit=True)]
        if not jitter:
            impls.append(Impl("augkit (no fusion)", lambda: self._augkit_impl(rrc, jitter, normalize, fused=False), augkit=True))
            lax = Impl(
                "augkit (check_whole_file=False)", lambda: self._augkit_impl(rrc, jitter, normalize, check_whole_file=False), augkit=True
            )
            impls.append(lax)
        return impls + [
            Impl("torchvision v2 PIL", lambda: self._tv_impl(rrc, jitter, normalize, pil=True)),
            Impl("torchvision v2 tensor", lambda: self._tv_impl(rrc, jitter, normalize, pil=False)),
            Impl("albumentations", lambda: self._albu_impl(rrc, jitter, normalize)),
        ]

    def sample(self) -> list[Impl]:
        return self._recipe(rrc=False, jitter=False, normalize=False) + self._ceiling_rows()

    def _ceiling_rows(self) -> list[Impl]:
        return [Impl(f"decode only: {i.name}", i.setup) for i in self.decode() if f"decode only: {i.name}" in CEILING]

    def full(self) -> list[Impl]:
        return self._recipe(rrc=False, jitter=True, normalize=True)

    def rrc_sample(self) -> list[Impl]:
        return self._recipe(rrc=True, jitter=False, normalize=False) + self._ceiling_rows()

    def rrc(self) -> list[Impl]:
        return self._recipe(rrc=True, jitter=True, normalize=True)

    # 3. DataLoader ----------------------------------------------------------------------
    def loader(self, batch_size: int = 64, workers: int = 2) -> list[Impl]:
        def epochs(loader) -> Callable[[], int]:
            def run() -> int:
                count = 0
                for images, _ in loader:
                    count += len(images)
                return count

            return run

        def peer(make_transform: Callable[[], Callable]) -> Callable[[], Callable[[], int]]:
            def setup():
                dataset = _BytesDataset(self.datas, make_transform())
                return epochs(_make_loader(dataset, batch_size, workers))

            return setup

        def augkit_setup():
            jitter = augkit.ColorJitter(*JITTER)
            pipeline, _ = self._augkit_pipeline(rrc=False, jitter=False, normalize=False)
            base = [(d, i % 10) for i, d in enumerate(self.datas)]
            dataset = augkit.data.AugmentedDataset(base, pipeline, seed=self.seed)
            collate = augkit.data.Uint8Collate()
            loader = _make_loader(dataset, batch_size, workers, collate)
            return epochs(augkit.data.DeviceLoader(loader, "cpu", [jitter, augkit.Normalize(MEAN, STD)], seed=self.seed))

        return [
            Impl("augkit (batch stage)", augkit_setup, augkit=True),
            Impl("torchvision v2 PIL", peer(lambda: _Decoded(self._tv_pipeline(False, True, True, pil=True), _pil_rgb))),
            Impl("torchvision v2 tensor", peer(lambda: _Decoded(self._tv_pipeline(False, True, True, pil=False), _tv_decode))),
            Impl("albumentations", peer(lambda: _AlbuDecoded(self._albu_pipeline(False, True, True)))),
        ]

    # 5. batch-stage ops -----------------------------------------------------------------
    def batch(self, batch_size: int = 64, reps: int = 1) -> list[Impl]:
        batch = _real_batch(self.datas, batch_size)
        floats = batch.float() / 255
        labels = torch.arange(batch_size) % 10
        rng = np.random.default_rng(self.seed)

        def timed(fn: Callable[[], object]) -> Callable[[], Callable[[], int]]:
            def setup():
                def run() -> int:
                    for _ in range(reps):
                        fn()
                    return reps * batch_size

                return run

            return setup

        def tv():
            return need("torchvision.transforms.v2", "torchvision")

        def per_sample(make: Callable[[], Callable], source: torch.Tensor):
            def setup():
                op = make()
                return timed(lambda: torch.stack([op(x) for x in source]))()

            return setup

        def kornia_op(make: Callable[[Any], Callable], source: torch.Tensor):
            def setup():
                K = need("kornia")
                op = make(K)
                return timed(lambda: op(source))()

            return setup

        def augkit_op(make: Callable[[], Callable], source: torch.Tensor, with_labels: bool = False):
            def setup():
                op = make()
                if with_labels:
                    return timed(lambda: op(source, labels, rng=rng))()
                return timed(lambda: op(source, rng=rng))()

            return setup

        norm = augkit.Normalize(MEAN, STD)
        impls = [
            Impl("normalize: augkit (uint8 in)", timed(lambda: norm(batch)), augkit=True),
            Impl(
                "normalize: torchvision v2 (batch)",
                lambda: (lambda v2: timed(lambda: v2.Normalize(MEAN, STD)(v2.ToDtype(torch.float32, scale=True)(batch)))())(tv()),
            ),
            Impl("hflip: augkit (per-sample p)", timed(lambda: augkit.HorizontalFlip()(batch, rng=rng)), augkit=True),
            Impl("hflip: torchvision v2 per-sample", per_sample(lambda: tv().RandomHorizontalFlip(), batch)),
            Impl("hflip: kornia (float)", kornia_op(lambda K: K.augmentation.RandomHorizontalFlip(p=0.5), floats)),
            Impl("jitter: augkit (uint8)", augkit_op(lambda: augkit.ColorJitter(*JITTER), batch), augkit=True),
            Impl("jitter: torchvision v2 per-sample", per_sample(lambda: tv().ColorJitter(*JITTER), batch)),
            Impl("jitter: kornia (float)", kornia_op(lambda K: K.augmentation.ColorJitter(*JITTER, p=1.0), floats)),
            Impl("cutout: augkit", augkit_op(lambda: augkit.Cutout(56), batch), augkit=True),
            Impl(
                "cutout: torchvision v2 RandomErasing per-sample",
                per_sample(lambda: tv().RandomErasing(p=1.0, scale=(0.0625, 0.0625), ratio=(1.0, 1.0)), batch),
            ),
            Impl("mixup: augkit", augkit_op(lambda: augkit.Mixup(0.2, 10), floats, with_labels=True), augkit=True),
            Impl("mixup: torchvision v2", lambda: (lambda v2: timed(lambda: v2.MixUp(alpha=0.2, num_classes=10)(floats, labels))())(tv())),
            Impl(
                "mixup: timm",
                lambda: (lambda m: timed(lambda: m(floats.clone(), labels))())(
                    need("timm.data").Mixup(mixup_alpha=0.2, num_classes=10, label_smoothing=0)
                ),
            ),
        ]
        return impls

    # 6. test-time views -----------------------------------------------------------------
    def tta(self, scales=(224, 256, 384, 480, 640), size: int = 224, limit: int = 20) -> list[Impl]:
        images = [augkit.decode(d) for d in self.datas[:limit]]
        mean, std = list(augkit.constants.IMAGENET_MEAN), list(augkit.constants.IMAGENET_STD)

        def augkit_setup(normalized: bool):
            views = augkit.MultiScaleTenCrop(scales=scales, size=size)
            normalize = augkit.Normalize(mean, std)

            def run() -> int:
                for image in images:
                    out = views(image)
                    if normalized:
                        normalize(out)
                return len(images)

            return run

        def tv_setup(normalized: bool):
            v2 = need("torchvision.transforms.v2", "torchvision")
            functional = need("torchvision.transforms.v2.functional", "torchvision")
            resizes = [v2.Resize(s, antialias=True) for s in scales]
            ten = v2.TenCrop(size)
            tensors = [torch.from_numpy(im).permute(2, 0, 1).contiguous() for im in images]

            def run() -> int:
                for t in tensors:
                    out = torch.stack([v for r in resizes for v in ten(r(t))])
                    if normalized:
                        functional.normalize(functional.to_dtype(out, torch.float32, scale=True), mean, std)
                return len(tensors)

            return run

        return [
            Impl("float: augkit MultiScaleTenCrop + Normalize", lambda: augkit_setup(True), augkit=True),
            Impl("float: torchvision v2 Resize + TenCrop + normalize", lambda: tv_setup(True)),
            Impl("uint8: augkit MultiScaleTenCrop", lambda: augkit_setup(False), augkit=True),
            Impl("uint8: torchvision v2 Resize + TenCrop", lambda: tv_setup(False)),
        ]

    # 7. statistics ----------------------------------------------------------------------
    def stats(self) -> list[Impl]:
        paths = self.paths

        def augkit_setup():
            compute = augkit.stats.compute

            def run() -> int:
                compute([str(p) for p in paths], workers=0, progress=False)
                return len(paths)

            return run

        def numpy_setup():
            def run() -> int:
                total = np.zeros(3)
                outer = np.zeros((3, 3))
                for data in self.datas:
                    pixels = augkit.decode(data).reshape(-1, 3).astype(np.float64) / 255
                    total += pixels.sum(0)
                    outer += pixels.T @ pixels
                return len(self.datas)

            return run

        return [
            Impl("augkit.stats.compute (in process)", augkit_setup, augkit=True),
            Impl("numpy reference (decode + float64 sums)", numpy_setup),
        ]

    # 8. recipes with targets -------------------------------------------------------------
    def _targets(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per image: a label mask of rectangles (ids 0-20, 255 at a corner), 6 boxes and their labels."""
        if getattr(self, "_target_cache", None) is None:
            cache = []
            for i, data in enumerate(self.datas):
                height, width = augkit.decode(data).shape[:2]
                rng = np.random.default_rng(i)
                mask = np.zeros((height, width), np.uint8)
                for _ in range(7):
                    y, x = int(rng.integers(0, height - 20)), int(rng.integers(0, width - 20))
                    mask[y : y + int(rng.integers(10, height // 2)), x : x + int(rng.integers(10, width // 2))] = int(rng.integers(1, 21))
                mask[:4, :4] = 255
                x1, y1 = rng.uniform(0, width - 20, 6), rng.uniform(0, height - 20, 6)
                x2, y2 = np.minimum(x1 + rng.uniform(10, width / 2, 6), width), np.minimum(y1 + rng.uniform(10, height / 2, 6), height)
                cache.append((mask, np.stack([x1, y1, x2, y2], 1).astype(np.float32), np.arange(1, 7, dtype=np.int64)))
            self._target_cache = cache
        return self._target_cache

    def seg(self, batch_size: int = SEG_BATCH) -> list[Impl]:
        """The segmentation recipe: every implementation ends with batches of float images and int64 masks.

        augkit runs its sample stage per image, ``Uint8Collate`` every ``batch_size`` images
        and its batch stage (Normalize) on the batch, as in training; the peers run their
        whole recipe per image and stack each batch (what a ``DataLoader``'s default collate
        does). ``augkit (batch stage per image)`` normalizes per image and stacks as the peers do.
        """
        targets = self._targets()

        def augkit_setup(batched: bool):
            sample, batch = _both_stages(augkit.presets.segmentation_train())
            rng = np.random.default_rng(self.seed)

            def one(data, i):
                return sample(augkit.Sample(augkit.open_image(data), mask=targets[i][0]), rng=rng)

            if not batched:

                def alone(data, i):
                    out = one(data, i)
                    return batch(out.image), out.mask.long()

                return _Batched(self.datas, alone, _stack, batch_size)
            collate = augkit.data.Uint8Collate()

            def finish(samples):
                out = batch(collate(samples))
                return out.images, out.masks.long()

            return _Batched(self.datas, one, finish, batch_size)

        def tv_setup(pil: bool):
            v2 = need("torchvision.transforms.v2", "torchvision")
            tv_tensors = need("torchvision.tv_tensors", "torchvision")
            pipeline = v2.Compose(
                [
                    v2.RandomResize(260, 1040, antialias=True),
                    v2.RandomHorizontalFlip(),
                    _tv_pad_if_smaller(v2, tv_tensors, 480),
                    v2.RandomCrop(480),
                    *([v2.PILToTensor()] if pil else []),
                    v2.ToDtype({torch.Tensor if pil else tv_tensors.Image: torch.float32, tv_tensors.Mask: torch.int64}, scale=True),
                    v2.Normalize(MEAN, STD),
                ]
            )

            def one(data, i):
                image = _pil_rgb(data) if pil else tv_tensors.Image(_tv_decode(data))
                return pipeline(image, tv_tensors.Mask(torch.from_numpy(targets[i][0])))

            return _Batched(self.datas, one, _stack, batch_size)

        def albu_setup():
            A = need("albumentations")
            cv2 = need("cv2", "OpenCV")
            pipeline = A.Compose(
                [
                    A.SmallestMaxSize(max_size=list(range(260, 1040))),
                    A.HorizontalFlip(),
                    A.PadIfNeeded(480, 480, position="top_left", border_mode=cv2.BORDER_CONSTANT, fill=0, fill_mask=255),
                    A.RandomCrop(480, 480),
                    A.Normalize(MEAN, STD),
                ],
                seed=self.seed,
            )

            def one(data, i):
                out = pipeline(image=_cv2_rgb(data), mask=targets[i][0])
                return torch.from_numpy(out["image"]).permute(2, 0, 1), torch.from_numpy(out["mask"]).long()

            return _Batched(self.datas, one, _stack, batch_size)

        return [
            Impl("augkit", lambda: augkit_setup(batched=True), augkit=True),
            Impl("augkit (batch stage per image)", lambda: augkit_setup(batched=False), augkit=True),
            Impl("torchvision v2 PIL", lambda: tv_setup(pil=True)),
            Impl("torchvision v2 tensor", lambda: tv_setup(pil=False)),
            Impl("albumentations", albu_setup),
        ]

    def _det(self, policy: str) -> list[Impl]:
        targets = self._targets()

        def augkit_setup():
            sample, batch = _both_stages(augkit.presets.detection_train(data_augmentation=policy))
            rng = np.random.default_rng(self.seed)

            def one(data, i):
                _, boxes, labels = targets[i]
                out = sample(augkit.Sample(augkit.open_image(data), boxes=augkit.Boxes(boxes, labels)), rng=rng)
                return batch(out.image), out.boxes

            return self._loop(one)

        def tv_setup(pil: bool):
            v2 = need("torchvision.transforms.v2", "torchvision")
            tv_tensors = need("torchvision.tv_tensors", "torchvision")
            # The IoU crop marks the boxes it leaves out and SanitizeBoundingBoxes drops them (augkit's
            # RandomIoUCrop drops them itself); a flip leaves no box to drop, and augkit's hflip recipe
            # has no such pass, so the hflip case runs without it.
            if policy == "ssd":
                steps = [
                    v2.RandomPhotometricDistort(),
                    v2.RandomZoomOut(fill={tv_tensors.Mask: 0, "others": [123, 117, 104]}),
                    v2.RandomIoUCrop(),
                ]
            else:
                steps = []
            pipeline = v2.Compose(
                [
                    *steps,
                    v2.RandomHorizontalFlip(),
                    *([v2.PILToTensor()] if pil else []),
                    v2.ToDtype(torch.float32, scale=True),
                    *([v2.SanitizeBoundingBoxes()] if policy == "ssd" else []),
                ]
            )

            def one(data, i):
                _, boxes, labels = targets[i]
                image = _pil_rgb(data) if pil else tv_tensors.Image(_tv_decode(data))
                size = (image.height, image.width) if pil else tuple(image.shape[-2:])
                box = tv_tensors.BoundingBoxes(torch.from_numpy(boxes), format="XYXY", canvas_size=size)
                return pipeline(image, {"boxes": box, "labels": torch.from_numpy(labels)})

            return self._loop(one)

        def albu_setup():
            if policy == "ssd":
                raise Skip("albumentations has no zoom out or IoU-constrained crop (the SSD recipe)")
            A = need("albumentations")
            pipeline = A.Compose(
                [A.HorizontalFlip(), A.ToFloat(max_value=255)],
                bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]),
                seed=self.seed,
            )

            def one(data, i):
                _, boxes, labels = targets[i]
                out = pipeline(image=_cv2_rgb(data), bboxes=boxes, labels=labels)
                return torch.from_numpy(out["image"]).permute(2, 0, 1), out["bboxes"]

            return self._loop(one)

        return [
            Impl("augkit", augkit_setup, augkit=True),
            Impl("torchvision v2 PIL", lambda: tv_setup(pil=True)),
            Impl("torchvision v2 tensor", lambda: tv_setup(pil=False)),
            Impl("albumentations", albu_setup),
        ]

    def det(self) -> list[Impl]:
        return self._det("hflip")

    def det_ssd(self) -> list[Impl]:
        return self._det("ssd")

    # 9. policies: the DeiT sample stage, and policies on a batch -------------------------
    def deit(self) -> list[Impl]:
        """DeiT's sample stage with the policy in the workers, ending in uint8 ``[3, 224, 224]``.

        augkit: ``presets.deit_train(policy_stage="sample").sample`` on ``open_image``. timm:
        ``create_transform(224, is_training=True, auto_augment="rand-m9-mstd0.5-inc1",
        interpolation="bicubic")`` (DeiT's ``--train-interpolation bicubic``) up to its
        ``ToTensor``, then ``PILToTensor`` (uint8, like augkit's); PIL decode. albumentations
        has no RandAugment: bicubic ``RandomResizedCrop`` + ``HorizontalFlip`` + ``SomeOf`` two
        of the 14 comparable ops (with repetition), each applied with p=0.5 at magnitude 9 of
        10 (``_albu_rand_ops``), on OpenCV-decoded RGB. Decoding is included for all three.
        """

        def augkit_setup():
            sample = augkit.presets.deit_train(policy_stage="sample").sample
            if sample is None:
                raise ValueError("deit_train has no sample stage")
            rng = np.random.default_rng(self.seed)
            return self._loop(lambda d, i: sample(augkit.open_image(d), rng=rng))

        def timm_setup():
            factory = need("timm.data", "timm")
            v2 = need("torchvision.transforms.v2", "torchvision")
            primary, secondary, _ = factory.create_transform(
                224, is_training=True, auto_augment="rand-m9-mstd0.5-inc1", interpolation="bicubic", separate=True
            )
            to_tensor = v2.PILToTensor()
            steps = [*primary.transforms, *secondary.transforms]
            _pillow13_posterize(steps)

            def one(data, i):
                image = _pil_rgb(data)
                for step in steps:
                    image = step(image)
                return to_tensor(image)

            return self._loop(one)

        def albu_setup():
            A = need("albumentations")
            cv2 = need("cv2", "OpenCV")
            pipeline = A.Compose(
                [
                    A.RandomResizedCrop((224, 224), interpolation=cv2.INTER_CUBIC),
                    A.HorizontalFlip(),
                    A.SomeOf(_albu_rand_ops(A), n=2, replace=True, p=1.0),
                ],
                seed=self.seed,
            )
            return self._loop(lambda d, i: torch.from_numpy(pipeline(image=_cv2_rgb(d))["image"]).permute(2, 0, 1))

        return [
            Impl("augkit", augkit_setup, augkit=True),
            Impl("timm (PIL)", timm_setup),
            Impl("albumentations", albu_setup),
        ]

    def policy(self, batch_size: int = 64) -> list[Impl]:
        """Policies on a uint8 ``[64, 3, 224, 224]`` batch, per sample: augkit on the batch, torchvision v2 image by image."""
        batch = _real_batch(self.datas, batch_size)
        rng = np.random.default_rng(self.seed)

        def once(fn: Callable[[], object]) -> Callable[[], int]:
            def run() -> int:
                fn()
                return batch_size

            return run

        def augkit_setup(make: Callable[[], augkit.Transform]):
            def setup():
                op = make()
                return once(lambda: op(batch, rng=rng))

            return setup

        def tv_setup(name: str):
            def setup():
                op = getattr(need("torchvision.transforms.v2", "torchvision"), name)()
                return once(lambda: torch.stack([op(x) for x in batch]))

            return setup

        return [
            Impl("RandAugment: augkit", augkit_setup(augkit.RandAugment), augkit=True),
            Impl("RandAugment: torchvision v2 per-sample", tv_setup("RandAugment")),
            Impl("TrivialAugmentWide: augkit", augkit_setup(augkit.TrivialAugmentWide), augkit=True),
            Impl("TrivialAugmentWide: torchvision v2 per-sample", tv_setup("TrivialAugmentWide")),
        ]

    def impls(self, case: str) -> list[Impl]:
        """The implementations of the case named ``case``."""
        return next(c for c in CASES if c.name == case).build(self)


class _BytesDataset(torch.utils.data.Dataset):
    """Encoded images in memory with a ``transform(bytes) -> tensor`` (peers' DataLoader case)."""

    def __init__(self, datas: list[bytes], transform: Callable) -> None:
        self.datas, self.transform = datas, transform

    def __len__(self) -> int:
        return len(self.datas)

    def __getitem__(self, index: int):
        return self.transform(self.datas[index]), index % 10


class _Decoded:
    def __init__(self, pipeline, decode) -> None:
        self.pipeline, self.decode = pipeline, decode

    def __call__(self, data: bytes):
        return self.pipeline(self.decode(data))


class _AlbuDecoded:
    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline

    def __call__(self, data: bytes):
        return torch.from_numpy(self.pipeline(image=_cv2_rgb(data))["image"]).permute(2, 0, 1)


def _tv_pad_if_smaller(v2, tv_tensors, size: int):
    """torchvision's segmentation reference ``PadIfSmaller`` (``references/segmentation/v2_extras.py``)."""
    from torchvision.transforms.v2._utils import query_size

    class PadIfSmaller(v2.Transform):
        def make_params(self, flat_inputs):
            height, width = query_size(flat_inputs)
            padding = [0, 0, max(size - width, 0), max(size - height, 0)]
            return {"padding": padding, "needs_padding": any(padding)}

        def transform(self, inpt, params):
            if not params["needs_padding"]:
                return inpt
            return v2.functional.pad(inpt, padding=params["padding"], fill=255 if isinstance(inpt, tv_tensors.Mask) else 0)

    return PadIfSmaller()


class _Batched(Loop):
    """A per-image loop that hands every ``batch_size`` results (and the rest of its slice) to ``finish``.

    The segmentation case's runner: ``fn`` is one image's per-image work, ``finish`` the
    collate (and, for augkit, the batch stage). A slice of the harness's chunks ends its last
    batch short, so every implementation does the same work per chunk.
    """

    def __init__(self, datas: list[bytes], fn: Callable[[bytes, int], object], finish: Callable[[list], object], batch_size: int) -> None:
        super().__init__(datas, fn)
        self.finish, self.batch_size = finish, batch_size

    def __call__(self, start: int = 0, stop: int | None = None) -> int:
        stop = len(self.datas) if stop is None else stop
        pending: list = []
        for i in range(start, stop):
            pending.append(self.fn(self.datas[i], i))
            if len(pending) == self.batch_size:
                self.finish(pending)
                pending = []
        if pending:
            self.finish(pending)
        return stop - start


def _pillow13_posterize(steps: list) -> None:
    """Let timm's RandAugment posterize to 0 bits (black) as with Pillow < 13, which now refuses 0 bits.

    timm's ``PosterizeIncreasing`` at magnitude 9 with noise reaches 0 bits kept; Pillow 13's
    ``ImageOps.posterize`` raises there, so timm's transform fails on some draws.
    """
    from PIL import Image

    aa = need("timm.data.auto_augment", "timm")

    def posterize(image, bits, **kwargs):
        return Image.new(image.mode, image.size) if bits <= 0 else aa.posterize(image, bits, **kwargs)

    for step in steps:
        for op in getattr(step, "ops", []):
            if getattr(op, "aug_fn", None) is aa.posterize:
                op.aug_fn = posterize


def _albu_rand_ops(A) -> list:
    """albumentations' counterparts of timm's increasing RandAugment ops at magnitude 9 of 10, each with p=0.5.

    timm's ``rand-m9-mstd0.5-inc1`` draws 2 of 15 ops, each applied with p=0.5, magnitude 9
    (noise std 0.5) on a scale of 10. Here: Rotate up to 27 degrees, ShearX / ShearY up to
    0.27 (15 degrees), TranslateX / TranslateY up to 0.405 of the size (fill: ImageNet's
    mean), Posterize to 1-4 bits, Solarize above 0.1-1.0 (of 255), brightness, contrast and
    saturation (Color) factors 0.19-1.81, Sharpen, AutoContrast, Equalize, Invert: 14 ops
    (timm's SolarizeAdd has no counterpart), two drawn with repetition.
    """
    fill = tuple(round(255 * m) for m in MEAN)
    factor = 0.81
    return [
        A.AutoContrast(p=0.5),
        A.Equalize(p=0.5),
        A.InvertImg(p=0.5),
        A.Affine(rotate=(-27, 27), fill=fill, p=0.5),
        A.Posterize(num_bits=(1, 4), p=0.5),
        A.Solarize(threshold_range=(0.1, 1.0), p=0.5),
        A.ColorJitter(brightness=0, contrast=0, saturation=(1 - factor, 1 + factor), hue=0, p=0.5),
        A.ColorJitter(brightness=0, contrast=(1 - factor, 1 + factor), saturation=0, hue=0, p=0.5),
        A.ColorJitter(brightness=(1 - factor, 1 + factor), contrast=0, saturation=0, hue=0, p=0.5),
        A.Sharpen(alpha=(0.0, 0.81), lightness=(1.0, 1.0), p=0.5),
        A.Affine(shear={"x": (-15, 15), "y": (0, 0)}, fill=fill, p=0.5),
        A.Affine(shear={"x": (0, 0), "y": (-15, 15)}, fill=fill, p=0.5),
        A.Affine(translate_percent={"x": (-0.405, 0.405), "y": (0, 0)}, fill=fill, p=0.5),
        A.Affine(translate_percent={"x": (0, 0), "y": (-0.405, 0.405)}, fill=fill, p=0.5),
    ]


def _stack(items: list) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, masks)`` pairs stacked into two batches (a ``DataLoader``'s default collate)."""
    return torch.stack([image for image, _ in items]), torch.stack([mask for _, mask in items])


def _make_loader(dataset, batch_size: int, workers: int, collate_fn=None):
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=workers,
        persistent_workers=workers > 0,
        worker_init_fn=init_worker,
        collate_fn=collate_fn,
    )


def _real_batch(datas: list[bytes], batch_size: int) -> torch.Tensor:
    """A ``[B, 3, 224, 224]`` uint8 batch of center crops of the first images (repeated if few)."""
    crop = augkit.Compose([augkit.Resize(shorter=256), augkit.CenterCrop(224), augkit.ToTensor()])
    views = [crop(augkit.decode(datas[i % len(datas)])) for i in range(batch_size)]
    return torch.stack(views).contiguous()


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One benchmark case: its name, its number on the command line, and how to build its implementations."""

    name: str
    number: str
    title: str
    build: Callable[[Bench], list[Impl]]
    #: Timed in CPU seconds of the process (``time.process_time``) rather than wall seconds.
    cpu_time: bool = False


CASES: tuple[Case, ...] = (
    Case("decode", "1", "decode only", Bench.decode),
    Case("sample", "2", "ResNet sample stage (uint8)", Bench.sample),
    Case("full", "3", "full ResNet recipe, one process", Bench.full),
    Case("loader", "3", "full ResNet recipe through a DataLoader", Bench.loader),
    Case("rrc-sample", "4", "RandomResizedCrop sample stage (uint8)", Bench.rrc_sample),
    Case("rrc", "4", "full recipe with RandomResizedCrop", Bench.rrc),
    Case("batch", "5", "batch-stage ops on [64, 3, 224, 224]", Bench.batch),
    Case("tta", "6", "the 50-view test protocol", Bench.tta),
    Case("stats", "7", "dataset statistics", Bench.stats),
    Case("seg", "8", "segmentation recipe, image + mask", Bench.seg),
    Case("det", "8", "detection recipe (hflip), image + boxes", Bench.det),
    Case("det-ssd", "8", "SSD detection recipe, image + boxes", Bench.det_ssd),
    Case("deit", "9", "DeiT sample stage with RandAugment m9 (uint8), per core", Bench.deit, cpu_time=True),
    Case("policy", "9", "policies per sample on a [64, 3, 224, 224] uint8 batch, 1 thread", Bench.policy, cpu_time=True),
)
CASE_NUMBERS: dict[str, list[str]] = {}
for _case in CASES:
    CASE_NUMBERS.setdefault(_case.number, []).append(_case.name)
ALL_CASES = [case.name for case in CASES]


def parse_cases(text: str) -> list[str]:
    """``"1,2,batch"`` -> case names, in the canonical order."""
    wanted: set[str] = set()
    for item in (t.strip() for t in text.split(",") if t.strip()):
        if item == "all":
            wanted.update(ALL_CASES)
        elif item in CASE_NUMBERS:
            wanted.update(CASE_NUMBERS[item])
        elif item in ALL_CASES:
            wanted.add(item)
        else:
            raise ValueError(f"unknown case {item!r}: use numbers 1-9 or names {', '.join(ALL_CASES)}")
    return [c for c in ALL_CASES if c in wanted]
