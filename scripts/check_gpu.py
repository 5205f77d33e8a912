"""The GPU check: augkit's CUDA paths against its CPU paths, copy/compute overlap, and speed.

    python scripts/check_gpu.py            # full run on CUDA (< 4 minutes on an H100/H200)
    python scripts/check_gpu.py --quick    # fewer repetitions and loader passes
    python scripts/check_gpu.py --only batch_ops_match_cpu,tta_on_gpu

Checks (each runs on its own: an error in one is reported and the others still run):

- ``same_as_cpu``: DeviceLoader's CUDA batch stage == its CPU batch stage, same parameters.
- ``overlap``: host -> device copies overlap compute (CUDA only).
- ``throughput``: DeviceLoader with Normalize + flip, images/s.
- ``batch_ops_match_cpu``: every batch-stage transform and Mixup/CutMix/MixupOrCutMix on the
  same ``[16, 3, 64, 64]`` batch on CPU and on the device, generators from one seed: identical
  parameters, outputs within tolerance (max diff and fraction of differing values reported);
  and ColorJitter's CPU uint8 batch == its per-sample results on the device (``params_at``).
- ``batch_ops_speed``: ms per ``[64, 3, 224, 224]`` batch resident on the device, augkit vs
  torchvision v2 (ColorJitter and RandomErasing per sample, Normalize and MixUp per batch).
- ``tta_on_gpu``: ``augkit.tta.predict`` with a small conv net, device vs CPU (TF32 off).
- ``device_loader_real``: DataLoader(4 workers) over AugmentedDataset on the bundled samples
  with ``presets.resnet_train``, through DeviceLoader: device batches == CPU batches.
- ``fused_batch_stage``: ``augkit.fused`` plans (Triton kernels on CUDA) on ``[64, 3, 224, 224]``
  against the transforms' own ``apply`` on the CPU with the same parameters (uint8 within the
  SPEC's levels, float within 1e-5, bfloat16 within one unit in the last place, targets
  within 1e-6), run under CUDA's sync debug mode (no host syncs); and the ResNet stage's time
  per batch against the unfused stage on the device and torchvision v2 per sample.
- ``device_decode``: ``augkit.fused.device_decode`` on the bundled JPEGs (a batch of 64):
  nvJPEG decode plus batched RandomResizedCrop(224) / Resize(256) + CenterCrop(224) windows
  against ``augkit.decode`` and the CPU transforms: identical parameters, pixels within 2
  levels; images/s of both.

Prints one JSON line per check and a JSON summary; with ``$OUT`` set the summary is also
written to ``$OUT/gpu_check.json`` (after every check, so a timeout keeps what finished).
Exits 1 when a check fails. Without CUDA it prints "no GPU available" and exits 0, unless
the hidden ``--device cpu`` is given: then every comparison runs CPU against CPU (a
self-test of this script; overlap is skipped).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import augkit  # noqa: E402
from augkit import (
    ColorJitter,
    Compose,
    CutMix,
    Cutout,
    HorizontalFlip,
    Mixup,
    MixupOrCutMix,
    Normalize,
    OneOf,
    PCALighting,
    RandomApply,
    VerticalFlip,
    Whiten,
)  # noqa: E402
from augkit.data import AugmentedDataset, DeviceLoader, Uint8Collate  # noqa: E402
from augkit.rng import BATCH_STREAM, derive_generator  # noqa: E402
from augkit.transforms.base import params_at  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
COV = ((0.052, 0.046, 0.042), (0.046, 0.050, 0.048), (0.042, 0.048, 0.058))  # as tests/transform_table.py
JITTER_U8_LEVELS = 1  # SPEC §1: the batch stage equals the sample stage within 1 level (uint8)

# name -> (make, float32 tolerance, uint8-input tolerance); the constructions of BATCH_ROWS.
BATCH_OPS = {
    "HorizontalFlip": (lambda: HorizontalFlip(p=0.5), 0.0, 0.0),
    "VerticalFlip": (lambda: VerticalFlip(p=0.5), 0.0, 0.0),
    "Normalize": (lambda: Normalize(MEAN, STD), 1e-5, 1e-5),
    "RandomApply": (lambda: RandomApply(HorizontalFlip(p=1.0), p=0.5), 0.0, 0.0),
    "OneOf": (lambda: OneOf([HorizontalFlip(p=1.0), VerticalFlip(p=1.0)]), 0.0, 0.0),
    "Compose": (lambda: Compose([HorizontalFlip(), Normalize(MEAN, STD)]), 1e-5, 1e-5),
    "Cutout": (lambda: Cutout(16, p=0.5, fill=128), 0.0, 0.0),
    "Whiten": (lambda: Whiten(MEAN, COV, method="pca"), 1e-5, 1e-5),
    "ColorJitter": (lambda: ColorJitter(0.4, 0.4, 0.4, 0.1), 1e-4, JITTER_U8_LEVELS),
    "PCALighting": (lambda: PCALighting(alpha_std=0.5), 1e-4, 1),
}
# name -> (make, runs on uint8 too)
MIX_OPS = {
    "Mixup": (lambda per: Mixup(alpha=0.2, num_classes=10, mode="elem" if per else "batch"), False),
    "CutMix": (lambda per: CutMix(alpha=1.0, num_classes=10, mode="elem" if per else "batch"), True),
    "MixupOrCutMix": (lambda per: MixupOrCutMix(0.8, 1.0, num_classes=10, mode="elem" if per else "batch"), False),
}


def _guard(f) -> dict:
    """Run one check (or one case); an exception becomes a failed result naming it."""
    try:
        return f()
    except Exception as error:  # report every check, whatever fails
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


def _timed(f, device) -> float:
    """Seconds taken by ``f()``, CUDA-synchronized before and after on a CUDA device."""
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda device: None)
    sync(device)
    start = time.perf_counter()
    f()
    sync(device)
    return time.perf_counter() - start


def _median_ms(f, device, reps: int, warmup: int = 2) -> float:
    """Median wall time of ``f`` in ms, device-synchronized, warm-up calls excluded."""
    for _ in range(warmup):
        f()
    return 1e3 * statistics.median(_timed(f, device) for _ in range(reps))


def _params_equal(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(_params_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_params_equal(x, y) for x, y in zip(a, b))
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def _diff(a: torch.Tensor, b: torch.Tensor) -> dict:
    """Max abs difference and fraction of differing values (> 1e-6; any for integer outputs)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return {"max_diff": float("inf"), "frac_differing": 1.0, "mismatch": f"{tuple(a.shape)} {a.dtype} vs {tuple(b.shape)} {b.dtype}"}
    d = (a.detach().cpu().double() - b.detach().cpu().double()).abs()
    threshold = 1e-6 if a.is_floating_point() else 0.0
    return {
        "max_diff": float(d.max()) if d.numel() else 0.0,
        "frac_differing": float((d > threshold).double().mean()) if d.numel() else 0.0,
    }


@contextlib.contextmanager
def _no_tf32():
    """Full float32 precision for matmul and cuDNN convolutions (CUDA defaults allow TF32 convs)."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def make_batches(n: int, batch: int, size: int, pin: bool) -> list:
    rng = np.random.default_rng(0)
    collate = Uint8Collate(pin_memory=pin, num_buffers=n)
    out = []
    for _ in range(n):
        items = [
            (torch.from_numpy(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).permute(2, 0, 1), int(rng.integers(10)))
            for _ in range(batch)
        ]
        images, targets = collate(items)
        out.append((images, targets.pin_memory() if pin else targets))
    return out


def check_same_as_cpu(batches: list, device: str) -> dict:
    stage = [Normalize(mean=MEAN, std=STD), RandomApply(HorizontalFlip(p=1.0), p=0.5), Cutout(16, p=0.5), Mixup(alpha=0.2, num_classes=10)]
    worst_images = worst_targets = 0.0
    same_params = True
    for epoch in (0, 1):
        cpu, gpu = DeviceLoader(batches, "cpu", stage, seed=3), DeviceLoader(batches, device, stage, seed=3)
        cpu.set_epoch(epoch)
        gpu.set_epoch(epoch)
        for k, ((xc, yc), (xg, yg)) in enumerate(zip(cpu, gpu)):
            worst_images = max(worst_images, (xc - xg.cpu()).abs().max().item())
            worst_targets = max(worst_targets, (yc.float() - yg.cpu().float()).abs().max().item())
            # Parameters: the same generator on both devices, for the image-only transforms.
            x_cpu, x_gpu = batches[k][0], batches[k][0].to(device)
            rng_cpu, rng_gpu = (derive_generator(3, epoch, k, stream=BATCH_STREAM) for _ in range(2))
            for t in stage:
                if getattr(t, "mixes_targets", False):
                    break
                x_cpu, p_cpu = t.run(x_cpu, rng_cpu)
                x_gpu, p_gpu = t.run(x_gpu, rng_gpu)
                same_params &= _params_equal(p_cpu, p_gpu)
    ok = worst_images <= 1e-5 and worst_targets <= 1e-5 and same_params
    return {
        "ok": ok,
        "max_abs_image_diff": worst_images,
        "max_abs_target_diff": worst_targets,
        "same_params": same_params,
        "transforms": [type(t).__name__ for t in stage],
    }


def check_overlap(device: str, size: int) -> dict:
    if torch.device(device).type != "cuda":
        return {"skipped": "needs CUDA (nothing to overlap on the CPU)"}
    big = make_batches(6, 256, size, pin=True)  # ~38.5 MB per batch: a copy long enough to see
    weight = torch.randn(2048, 2048, device=device)

    def compute(images):
        # Enough work per batch to be comparable to one copy; reads the batch so it depends on it.
        y = weight
        for _ in range(12):
            y = y @ weight
            y = y / y.norm()
        return images.float().mean() + y.sum()

    resident = big[0][0].to(device)
    loader = DeviceLoader(big, device, (), channels_last=True)
    for _ in range(2):  # warm up kernels, streams, allocator
        for images, _ in loader:
            compute(images)
    copy_only = min(_timed(lambda: [None for _ in loader], device) for _ in range(3))
    compute_only = min(_timed(lambda: [compute(resident) for _ in big], device) for _ in range(3))
    both = min(_timed(lambda: [compute(images) for images, _ in loader], device) for _ in range(3))
    hidden = (copy_only + compute_only - both) / max(min(copy_only, compute_only), 1e-9)
    return {
        "ok": both < 0.9 * (copy_only + compute_only),
        "copy_only_ms": 1e3 * copy_only / len(big),
        "compute_only_ms": 1e3 * compute_only / len(big),
        "copy_and_compute_ms": 1e3 * both / len(big),
        "fraction_of_shorter_hidden": hidden,
    }


def throughput(device: str, batches: list, reps: int) -> dict:
    loader = DeviceLoader(batches, device, [Normalize(mean=MEAN, std=STD), RandomApply(HorizontalFlip(p=1.0), p=0.5)], channels_last=True)
    seconds = 1e-3 * _median_ms(lambda: [None for _ in loader], device, reps, warmup=1)
    images = sum(len(b[0]) for b in batches)
    return {
        "images_per_s": images / seconds,
        "ms_per_batch": 1e3 * seconds / len(batches),
        "transforms": "Normalize + RandomApply(HorizontalFlip)",
    }


def _jitter_u8(cpu: torch.Tensor, dev: torch.Tensor) -> dict:
    """uint8 ColorJitter, device (vectorized torch) vs CPU (augkit._color, image by image).

    Both follow torchvision's arithmetic (bit-exact on the CPU); on the device float rounding
    may flip rare values, within the SPEC's 1 level. The fraction of differing values is reported.
    """
    entry, d = _diff(cpu, dev), (cpu.cpu().int() - dev.cpu().int()).abs()
    entry.update(frac_over_tol=float((d > JITTER_U8_LEVELS).double().mean()), tol=f"{JITTER_U8_LEVELS} level")
    entry["ok"] = entry["max_diff"] <= JITTER_U8_LEVELS
    return entry


def check_batch_ops_match_cpu(device: str, seed: int = 7) -> dict:
    """Same input, same seed on CPU and device: identical params, outputs within tolerance."""
    from augkit.functional import color as C

    u8 = torch.from_numpy(np.random.default_rng(seed).integers(0, 256, (16, 3, 64, 64), dtype=np.uint8))
    inputs, labels = {"uint8": u8, "float32": u8.float() / 255}, torch.arange(16) % 10

    def compare(name, make, dtype, tol, mixes):
        x, rng_cpu, rng_dev = inputs[dtype], np.random.default_rng(seed), np.random.default_rng(seed)
        target_diff = 0.0
        if mixes:
            (out_cpu, y_cpu), p_cpu = make().run(x, labels, rng_cpu)
            (out_dev, y_dev), p_dev = make().run(x.to(device), labels.to(device), rng_dev)
            target_diff = _diff(y_cpu, y_dev)["max_diff"]
        else:
            out_cpu, p_cpu = make().run(x, rng_cpu)
            out_dev, p_dev = make().run(x.to(device), rng_dev)
        if name == "ColorJitter" and dtype == "uint8":
            entry = _jitter_u8(out_cpu, out_dev)
            vectorized = C.color_jitter(x, p_cpu.brightness, p_cpu.contrast, p_cpu.saturation, p_cpu.hue, p_cpu.order, vectorized=True)
            entry["max_diff_vs_cpu_vectorized"] = _diff(vectorized, out_dev)["max_diff"]  # same arithmetic: expect 0
        else:
            entry = {**_diff(out_cpu, out_dev), "tol": tol}
            entry["ok"] = entry["max_diff"] <= tol
        entry.update(params_equal=_params_equal(p_cpu, p_dev), on_device=out_dev.device.type == torch.device(device).type)
        if mixes:
            entry["max_target_diff"] = target_diff
        entry["ok"] = entry["ok"] and entry["params_equal"] and entry["on_device"] and target_diff <= 1e-6
        return entry

    def single_ops():  # the SPEC's contract: each op on the same input within 1 level (hue 2)
        params = ColorJitter(0.4, 0.4, 0.4, 0.1).sample(np.random.default_rng(seed), u8)
        out = {}
        for k, op in enumerate(("brightness", "contrast", "saturation", "hue")):
            factors = [getattr(params, op) if j == k else None for j in range(4)]
            cpu, dev = C.color_jitter(u8, *factors, order=(k,)), C.color_jitter(u8.to(device), *factors, order=(k,))
            out[op] = {**_diff(cpu, dev), "tol": 2 if op == "hue" else 1}
            out[op]["ok"] = out[op]["max_diff"] <= out[op]["tol"]
        return {"ok": all(e["ok"] for e in out.values()), **out}

    def per_sample():  # the CPU uint8 batch (OpenCV) == per-sample results on the device
        jitter = ColorJitter(0.4, 0.4, 0.4, 0.1)
        out_cpu, params = jitter.run(u8, np.random.default_rng(seed))
        x_dev = u8.to(device)
        return _jitter_u8(out_cpu, torch.stack([jitter.apply(x_dev[i], params_at(params, i)) for i in range(len(u8))]))

    cases = [
        (n, make, d, tol_f if d == "float32" else tol_u, False)
        for n, (make, tol_f, tol_u) in BATCH_OPS.items()
        for d in ("uint8", "float32")
    ]
    for n, (make, any_dtype) in MIX_OPS.items():
        for per in (False, True):
            for d in ("uint8", "float32") if any_dtype else ("float32",):
                cases.append(
                    (n + ("(per_sample)" if per else ""), lambda per=per, make=make: make(per), d, 0.0 if d == "uint8" else 1e-5, True)
                )
    results = {}
    cases += [
        ("ColorJitter_single_ops", single_ops, "uint8", None, None),
        ("ColorJitter_cpu_batch_vs_device_per_sample", per_sample, "uint8", None, None),
    ]
    for name, make, dtype, tol, mixes in cases:
        results.setdefault(name, {})[dtype] = _guard(lambda: compare(name, make, dtype, tol, mixes) if mixes is not None else make())
    failed = [f"{n}/{d}" for n, r in results.items() for d, e in r.items() if not e["ok"]]
    return {"ok": not failed, "failed": failed, "transforms": results}


def check_batch_ops_speed(device: str, reps: int) -> dict:
    """ms per [64, 3, 224, 224] batch already on the device: augkit vs torchvision v2."""
    try:
        from torchvision.transforms import v2
    except ImportError as error:
        v2, missing = None, f"torchvision missing ({error})"
    g = torch.Generator().manual_seed(0)
    u8 = torch.randint(0, 256, (64, 3, 224, 224), dtype=torch.uint8, generator=g).to(device)
    data = {"uint8": u8, "float32": u8.float() / 255}
    labels = torch.randint(0, 1000, (64,), generator=g).to(device)
    area = 56 * 56 / 224**2
    rng = np.random.default_rng(0)

    def per_sample(t):
        return lambda x: torch.stack([t(img) for img in x])

    rows = []  # (op, dtype, augkit fn, torchvision fn or a reason)
    for dtype, x in data.items():
        jitter, lighting, normalize, cutout = ColorJitter(0.4, 0.4, 0.4, 0.1), PCALighting(0.1), Normalize(MEAN, STD), Cutout(56, p=1.0)
        peer = (
            {}
            if v2 is None
            else {
                "ColorJitter": per_sample(v2.ColorJitter(0.4, 0.4, 0.4, 0.1)),
                "Normalize": v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])
                if dtype == "uint8"
                else v2.Normalize(MEAN, STD),
                "Cutout": per_sample(v2.RandomErasing(p=1.0, scale=(area, area), ratio=(1.0, 1.0), value=0)),
            }
        )
        for name, t in (("ColorJitter", jitter), ("PCALighting", lighting), ("Normalize", normalize), ("Cutout", cutout)):
            reason = missing if v2 is None else "no torchvision equivalent"
            rows.append((name, dtype, lambda t=t, x=x: t(x, rng=rng), (lambda p=peer[name], x=x: p(x)) if name in peer else reason))
    mixup = Mixup(alpha=0.2, num_classes=1000)
    tv_mixup = missing
    if v2 is not None:
        tv_mixup_transform = v2.MixUp(alpha=0.2, num_classes=1000)
        tv_mixup = lambda: tv_mixup_transform(data["float32"], labels)  # noqa: E731
    rows.append(("Mixup", "float32", lambda: mixup(data["float32"], labels, rng=rng), tv_mixup))
    results = {}
    for name, dtype, ours, theirs in rows:
        entry = {"augkit": _guard(lambda: {"ok": True, "ms": _median_ms(ours, device, reps)})}
        entry["torchvision"] = f"skipped: {theirs}" if isinstance(theirs, str) else _guard(lambda: {"ms": _median_ms(theirs, device, reps)})
        if "ms" in entry["augkit"] and "ms" in entry["torchvision"]:
            entry["speedup_vs_torchvision"] = entry["torchvision"]["ms"] / max(entry["augkit"]["ms"], 1e-9)
        results[f"{name}/{dtype}"] = entry
    return {
        "ok": all(e["augkit"]["ok"] for e in results.values()),
        "batch": [64, 3, 224, 224],
        "reps": reps,
        "ops": results,
        "semantics": "torchvision ColorJitter/RandomErasing per sample in a loop; Normalize/MixUp on the batch",
    }


def check_tta_on_gpu(device: str, reps: int) -> dict:
    """augkit.tta.predict with a small conv net on the device vs on the CPU."""
    from augkit.io import decode
    from augkit.samples import sample_paths
    from augkit.tta import MultiScaleTenCrop, predict

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, 2, 1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, 2, 1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(32, 10),
    ).eval()
    net_dev = copy.deepcopy(net).to(device)
    images = [decode(p) for p in sample_paths()[:4]]
    normalize = Normalize(MEAN, STD)
    stacks = {
        "3 scales x 10 @224": MultiScaleTenCrop(scales=(256, 288, 320), size=224),
        "2 scales x 10 @64": MultiScaleTenCrop(scales=(72, 96), size=64),
    }
    results, ok = {}, True
    for name, views in stacks.items():
        for reduce in ("mean", "max"):

            def run(model, dev, reduce=reduce, views=views):
                return predict(model, images, views, transform=normalize, reduce=reduce, batch_size=48, device=dev)

            with _no_tf32():
                ref, out = run(net, "cpu"), run(net_dev, device)
                entry = {**_diff(ref, out), "tol": 1e-4}
                entry["ok"] = tuple(out.shape) == (len(images), 10) and bool(torch.isfinite(out).all()) and entry["max_diff"] <= 1e-4
                if reduce == "mean":
                    entry["device_ms"] = _median_ms(lambda: run(net_dev, device), device, reps, warmup=1)
                    entry["cpu_ms"] = 1e3 * _timed(lambda: run(net, "cpu"), "cpu")
            if reduce == "mean":
                entry["max_diff_with_default_tf32"] = _diff(ref, run(net_dev, device))["max_diff"]  # informative only
            results[f"{name}/{reduce}"] = entry
            ok &= entry["ok"]
    return {"ok": bool(ok), "images": len(images), "views": results}


def check_device_loader_real(device: str, repeat: int) -> dict:
    """DataLoader(workers) -> AugmentedDataset(resnet_train) -> DeviceLoader: device == CPU."""
    from augkit.presets import resnet_train
    from augkit.samples import sample_paths

    sample, batch = resnet_train()
    stage = list(batch) if isinstance(batch, Compose) else [batch]
    paths = sample_paths()
    items = [(str(p), k) for _ in range(repeat) for k, p in enumerate(paths)]
    dataset = AugmentedDataset(items, sample, seed=0)
    cuda = torch.device(device).type == "cuda"
    loader = torch.utils.data.DataLoader(dataset, batch_size=16, num_workers=4, persistent_workers=True, pin_memory=cuda, timeout=120)
    on_device, on_cpu = DeviceLoader(loader, device, batch, seed=0), DeviceLoader(loader, "cpu", batch, seed=0)
    # A uint8 ColorJitter before Normalize: judged in uint8 levels as in _jitter_u8 (PCALighting on
    # uint8 shifts both results alike); otherwise float tolerance 1e-5.
    normalize = next(i for i, t in enumerate(stage) if isinstance(t, Normalize))
    jitter_on_uint8 = any(isinstance(t, ColorJitter) for t in stage[:normalize])
    levels = 255 * torch.tensor(stage[normalize].std or (1.0,) * 3, dtype=torch.float64).view(1, 3, 1, 1)
    worst = worst_levels = 0.0
    over, count, finite, shapes_ok, targets_same, rates = 0, 0, True, True, True, []
    for epoch in (0, 1):
        on_device.set_epoch(epoch)
        start, got = time.perf_counter(), []
        for images, targets in on_device:
            got.append((images.cpu(), targets.cpu()))  # .cpu() synchronizes
        rates.append(len(items) / (time.perf_counter() - start))
        on_cpu.set_epoch(epoch)
        for (xd, yd), (xc, yc) in zip(got, on_cpu):
            finite &= bool(torch.isfinite(xd).all())
            shapes_ok &= xd.shape[1:] == (3, 224, 224) and xd.dtype == torch.float32 and xd.shape == xc.shape
            targets_same &= torch.equal(yd, yc)
            d = (xd.double() - xc.double()).abs()
            in_levels = d * levels
            worst, worst_levels = max(worst, float(d.max())), max(worst_levels, float(in_levels.max()))
            over += int((in_levels > JITTER_U8_LEVELS + 0.01).sum() if jitter_on_uint8 else (d > 1e-5).sum())
            count += d.numel()
    close = over == 0
    first = torch.stack([dataset[i][0] for i in range(16)]).to(device)
    stage_ms = _median_ms(lambda: on_device.apply_transforms(first, None, 0), device, 5, warmup=1)
    ok = finite and shapes_ok and targets_same and close and count == 2 * len(items) * 3 * 224 * 224
    return {
        "ok": bool(ok),
        "images_per_epoch": len(items),
        "batch": 16,
        "workers": 4,
        "batch_stage": [type(t).__name__ for t in stage],
        "finite": finite,
        "shapes_ok": bool(shapes_ok),
        "targets_identical": targets_same,
        "max_diff": worst,
        "max_diff_in_uint8_levels": worst_levels,
        "frac_over_tol": over / max(count, 1),
        "uint8_jitter_in_batch_stage": jitter_on_uint8,
        "tol": f"{JITTER_U8_LEVELS} level" if jitter_on_uint8 else 1e-5,
        "images_per_s_epoch0_1": rates,
        "batch_stage_ms_per_16": stage_ms,
    }


def _fused_stages() -> dict:
    """name -> (transforms, uint8 level bound): the fused plans the GPU check compares."""

    def resnet():
        return [HorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1), PCALighting(0.1), Normalize(MEAN, STD)]

    return {
        "resnet": (resnet, 2),
        "resnet_cutout_mix": (lambda: resnet() + [Cutout(56, p=0.5), MixupOrCutMix(0.8, 1.0, num_classes=10, mode="elem")], 2),
        "uint8_out": (lambda: [VerticalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1), Cutout(32, fill=128)], 2),
        "two_contrasts": (lambda: [ColorJitter(0, 0.5), HorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1), Normalize(MEAN, STD)], 2),
    }


def _fused_compare(name, make, bound, x_cpu, labels, device, backend, seed, **options) -> dict:
    """One fused plan on the device vs the transforms' own apply on the CPU, same parameters."""
    from augkit.fused import build_plan

    transforms = make()
    plan = build_plan(transforms)
    params = plan.sample(np.random.default_rng(seed), x_cpu)
    ref, ref_targets = x_cpu, labels
    for t, p in zip(transforms, params):
        if getattr(t, "mixes_targets", False):
            ref, ref_targets = t.apply(ref, ref_targets, p)
        else:
            ref = t.apply(ref, p)
    # The parameters the unfused stage draws on the device, one generator in order.
    rng, x_dev, y_dev, same_params = np.random.default_rng(seed), x_cpu.to(device), labels.to(device), True
    for t, p in zip(transforms, params):
        if getattr(t, "mixes_targets", False):
            (x_dev, y_dev), q = t.run(x_dev, y_dev, rng)
        else:
            x_dev, q = t.run(x_dev, rng)
        same_params &= _params_equal(p, q)
    x, y = x_cpu.to(device), labels.to(device)
    cuda = torch.device(device).type == "cuda"
    sync_free = None
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.set_sync_debug_mode("error")
    try:
        out, out_targets = plan.apply(x, params, y, backend=backend, **options)
        sync_free = True if cuda else None
    except RuntimeError as error:
        if not cuda or "synchroniz" not in str(error):
            raise
        sync_free = str(error)
        torch.cuda.set_sync_debug_mode(0)
        out, out_targets = plan.apply(x, params, y, backend=backend, **options)
    finally:
        if cuda:
            torch.cuda.set_sync_debug_mode(0)
    out, ref = out.cpu(), ref
    entry = {"plan": plan.describe(), "passes": plan.passes, "params_equal": bool(same_params), "sync_free": sync_free}
    d = (out.double() - ref.double()).abs()
    if out.dtype == torch.bfloat16:
        entry["max_diff"], entry["tol"] = float(d.max()), "1 bfloat16 ulp"
        entry["ok"] = bool((d <= ref.double().abs() * 2.0**-7 + 1e-5).all())
    elif x_cpu.dtype == torch.uint8:
        if out.is_floating_point():  # normalized: back to uint8 levels
            d = d * 255 * torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
        entry["max_diff_levels"], entry["tol"] = float(d.max()), f"{bound} levels"
        entry["frac_differing"] = float((d > 0.01).double().mean())
        entry["ok"] = entry["max_diff_levels"] <= bound + 0.01
    else:
        entry["max_diff"], entry["tol"] = float(d.max()), 1e-5
        entry["ok"] = entry["max_diff"] <= 1e-5
    if out_targets is not None:
        entry["max_target_diff"] = float((out_targets.cpu().double() - ref_targets.double()).abs().max())
        entry["ok"] = entry["ok"] and entry["max_target_diff"] <= 1e-6
    entry["ok"] = bool(entry["ok"] and same_params and sync_free in (True, None) and out.shape == ref.shape)
    return entry


def check_fused_batch_stage(device: str, reps: int, batch: int, size: int) -> dict:
    """augkit.fused on the device vs the CPU path; the ResNet stage's speed (CUDA only)."""
    from augkit.fused import build_plan, triton_kernels

    cuda = torch.device(device).type == "cuda"
    backend = "triton" if cuda and triton_kernels.AVAILABLE else "torch"
    if not cuda:  # the self-test on the CPU: the torch reference, on a small batch
        batch, size = min(batch, 4), min(size, 48)
    g = np.random.default_rng(0)
    u8 = torch.from_numpy(g.integers(0, 256, (batch, 3, size, size), dtype=np.uint8))
    u8[:, :, : size // 2] = torch.linspace(0, 255, size).to(torch.uint8)  # smooth half: natural-image-like values
    labels = torch.from_numpy(g.integers(0, 10, batch))
    results = {}
    for name, (make, bound) in _fused_stages().items():
        for dtype, x in (("uint8", u8), ("float32", u8.float() / 255)):
            variants = {"default": {}, "channels_last": {"channels_last": True}}
            if name != "uint8_out":
                variants["bfloat16"] = {"out_dtype": torch.bfloat16, "channels_last": True}
            for variant, options in variants.items():
                source = x.contiguous(memory_format=torch.channels_last) if variant != "default" else x
                results[f"{name}/{dtype}/{variant}"] = _guard(
                    lambda: _fused_compare(name, make, bound, source, labels, device, backend, 11, **options)
                )
    speed = {"skipped": "needs CUDA"}
    if cuda:
        speed = _guard(lambda: _fused_speed(device, reps, build_plan, backend))
    failed = [k for k, e in results.items() if not e.get("ok")]
    return {
        "ok": not failed and speed.get("ok", True),
        "failed": failed,
        "backend": backend,
        "batch": [batch, 3, size, size],
        "compare": results,
        "speed": speed,
    }


def _fused_speed(device: str, reps: int, build_plan, backend: str) -> dict:
    """ms per [64, 3, 224, 224] uint8 batch on the device: fused plan, unfused stage, torchvision v2 per sample."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (64, 3, 224, 224), dtype=torch.uint8, generator=g).to(device)
    stage = _fused_stages()["resnet"][0]()
    plan, rng = build_plan(stage), np.random.default_rng(0)

    def fused(**options):
        return lambda: plan.apply(x, plan.sample(rng, x), backend=backend, **options)

    def unfused():
        y = x
        for t in stage:
            y = t(y, rng=rng)
        return y

    rows = {
        "fused_float32": fused(),
        "fused_bfloat16_channels_last": fused(out_dtype=torch.bfloat16, channels_last=True),
        "unfused_on_device": unfused,
    }
    out = {name: {"ms": _median_ms(f, device, reps)} for name, f in rows.items()}
    # The training thread's cost: host time of one call, nothing waited for.
    call = fused()
    for _ in range(3):
        call()
    torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(reps):
        call()
    out["fused_host_ms_per_call"] = 1e3 * (time.perf_counter() - start) / reps
    torch.cuda.synchronize(device)
    try:
        from torchvision.transforms import v2

        per_image = v2.Compose(
            [v2.RandomHorizontalFlip(), v2.ColorJitter(0.4, 0.4, 0.4, 0.1), v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
        )
        out["torchvision_v2_per_sample"] = {
            "ms": _median_ms(lambda: torch.stack([per_image(img) for img in x]), device, max(2, reps // 3), warmup=1)
        }
    except ImportError as error:
        out["torchvision_v2_per_sample"] = f"skipped: {error}"
    fused_ms = out["fused_float32"]["ms"]
    out["fused_images_per_s"] = 64 / (1e-3 * fused_ms)
    out["speedup_vs_unfused"] = out["unfused_on_device"]["ms"] / fused_ms
    if isinstance(out["torchvision_v2_per_sample"], dict):
        out["speedup_vs_torchvision"] = out["torchvision_v2_per_sample"]["ms"] / fused_ms
    out["goal"] = (
        "<= 0.3 ms per batch and >= 50x torchvision v2 per sample (stage: flip + ColorJitter + PCALighting + Normalize; torchvision has no PCA lighting)"
    )
    out["meets_goal"] = fused_ms <= 0.3 and out.get("speedup_vs_torchvision", 0.0) >= 50
    out["plan"] = plan.describe()
    out["ok"] = True  # speed is reported, not failed on
    return out


def check_device_decode(device: str, reps: int) -> dict:
    """Decode + geometry on the device vs augkit.decode + the CPU transforms, same parameters."""
    from augkit import CenterCrop, RandomResizedCrop, Resize
    from augkit.fused import device_decode as D
    from augkit.samples import sample_paths

    jpegs = [p.read_bytes() for p in sample_paths() if p.suffix == ".jpg"]
    datas = [jpegs[k % len(jpegs)] for k in range(64)]
    results = {}
    for name, make in (
        ("RandomResizedCrop(224)", lambda: [RandomResizedCrop(224)]),
        ("Resize(256)+CenterCrop(224)", lambda: [Resize(shorter=256), CenterCrop(224)]),
    ):
        transforms = make()

        def on_device(transforms=transforms):
            shapes = [D.upright_shape(d) for d in datas]
            params = [D.draw_geometry(transforms, np.random.default_rng(k), s) for k, s in enumerate(shapes)]
            windows = [D.geometry_window(transforms, p, s) for p, s in zip(params, shapes)]
            return D.resample(D.decode_jpegs(datas, device), windows), params

        def on_cpu(transforms=transforms):
            images, params = [], []
            for k, data in enumerate(datas):
                image, rng, drawn = augkit.decode(data), np.random.default_rng(k), []
                for t in transforms:
                    image, p = t.run(image, rng)
                    drawn.append(p)
                images.append(torch.from_numpy(image).permute(2, 0, 1))
                params.append(drawn)
            return torch.stack(images), params

        out, params = on_device()
        ref, ref_params = on_cpu()
        entry = {**_diff(ref, out.cpu()), "tol": 2, "params_equal": params == ref_params}
        entry["ok"] = entry["max_diff"] <= 2 and entry["params_equal"]
        entry["device_images_per_s"] = 64 / (1e-3 * _median_ms(lambda: on_device()[0], device, reps, warmup=1))
        entry["cpu_images_per_s_1_process"] = 64 / _timed(on_cpu, "cpu")
        results[name] = entry
    return {
        "ok": all(e["ok"] for e in results.values()),
        "batch": 64,
        "files": len(jpegs),
        "windows": results,
        "dali": "not compared here (nvidia-dali is not a dependency); run its image_random_crop + resize pipeline on the same files",
    }


def _environment(device: str) -> dict:
    env = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "augkit": getattr(augkit, "__version__", "?"),
        "device": device,
    }
    if torch.device(device).type == "cuda":
        env.update(gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version())
    for name in ("torchvision", "cv2", "simplejpeg", "albumentations", "kornia", "timm", "triton"):
        try:
            env[name] = getattr(__import__(name), "__version__", "present")
        except Exception:
            env[name] = None
    return env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and loader passes")
    parser.add_argument("--only", default="", help="comma-separated check names to run (default: all)")
    parser.add_argument("--device", default=None, help=argparse.SUPPRESS)  # "cpu": CPU-vs-CPU self-test
    args = parser.parse_args(argv)
    if args.device is None and not torch.cuda.is_available():
        print("no GPU available (torch.cuda.is_available() is False): nothing to check")
        return 0
    device = args.device or "cuda"
    reps, repeat = (3, 2) if args.quick else (10, 8)
    env = _environment(device)
    print(json.dumps({"environment": env}), flush=True)
    batches = make_batches(args.batches, args.batch, args.size, pin=torch.device(device).type == "cuda")
    checks = {
        "same_as_cpu": lambda: check_same_as_cpu(batches, device),
        "overlap": lambda: check_overlap(device, args.size),
        "throughput": lambda: throughput(device, batches, reps),
        "batch_ops_match_cpu": lambda: check_batch_ops_match_cpu(device),
        "batch_ops_speed": lambda: check_batch_ops_speed(device, reps),
        "tta_on_gpu": lambda: check_tta_on_gpu(device, reps),
        "device_loader_real": lambda: check_device_loader_real(device, repeat),
        "fused_batch_stage": lambda: check_fused_batch_stage(device, reps, args.batch, args.size),
        "device_decode": lambda: check_device_decode(device, reps),
    }
    wanted = [n for n in args.only.split(",") if n] or list(checks)
    unknown = [n for n in wanted if n not in checks]
    if unknown:
        parser.error(f"unknown checks {unknown}; choose from {list(checks)}")
    results, out_dir = {}, os.environ.get("OUT")
    for name in wanted:
        start = time.perf_counter()
        results[name] = _guard(checks[name])
        results[name]["seconds"] = round(time.perf_counter() - start, 2)
        print(json.dumps({"check": name, **results[name]}, default=str), flush=True)
        summary = {"failed": [n for n, r in results.items() if r.get("ok") is False], "environment": env, **results}
        if out_dir:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            Path(out_dir, "gpu_check.json").write_text(json.dumps(summary, indent=1, default=str))
    print(json.dumps(summary, indent=1, default=str))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
