"""Check DeviceLoader's CUDA path against its CPU path, that copies overlap compute, and throughput.

    python scripts/check_gpu.py [--batches 8] [--batch 64] [--size 224]

Prints one line per check and a JSON summary; exits 1 when a check fails. Without CUDA it
prints that no GPU is available and exits 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import augkit  # noqa: E402
from augkit import HorizontalFlip, Normalize, RandomApply  # noqa: E402
from augkit.data import DeviceLoader, Uint8Collate  # noqa: E402
from augkit.rng import BATCH_STREAM, derive_generator  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def batch_transforms(num_classes: int) -> list:
    """Every batch-stage transform available in this checkout (the batch ops may be absent)."""
    stage = [Normalize(mean=MEAN, std=STD), RandomApply(HorizontalFlip(p=1.0), p=0.5)]
    if hasattr(augkit, "Cutout"):
        stage.append(augkit.Cutout(16, p=0.5))
    if hasattr(augkit, "Mixup"):
        stage.append(augkit.Mixup(alpha=0.2, num_classes=num_classes))
    return stage


def make_batches(n: int, batch: int, size: int, pin: bool) -> list:
    rng = np.random.default_rng(0)
    collate = Uint8Collate(pin_memory=pin, num_buffers=n)
    out = []
    for _ in range(n):
        items = [(torch.from_numpy(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).permute(2, 0, 1), int(rng.integers(10))) for _ in range(batch)]
        images, targets = collate(items)
        out.append((images, targets.pin_memory() if pin else targets))
    return out


def _params_equal(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(_params_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_params_equal(x, y) for x, y in zip(a, b))
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def check_same_as_cpu(batches: list, device: str) -> dict:
    stage = batch_transforms(10)
    worst_images = worst_targets = 0.0
    same_params = True
    for epoch in (0, 1):
        cpu = DeviceLoader(batches, "cpu", stage, seed=3)
        gpu = DeviceLoader(batches, device, stage, seed=3)
        cpu.set_epoch(epoch)
        gpu.set_epoch(epoch)
        for k, ((xc, yc), (xg, yg)) in enumerate(zip(cpu, gpu)):
            worst_images = max(worst_images, (xc - xg.cpu()).abs().max().item())
            worst_targets = max(worst_targets, (yc.float() - yg.cpu().float()).abs().max().item())
            # Parameters: the same generator on both devices, for the image-only transforms.
            x_cpu, x_gpu = batches[k][0], batches[k][0].to(device)
            rng_cpu = derive_generator(3, epoch, k, stream=BATCH_STREAM)
            rng_gpu = derive_generator(3, epoch, k, stream=BATCH_STREAM)
            for t in stage:
                if getattr(t, "mixes_targets", False):
                    break
                x_cpu, p_cpu = t.run(x_cpu, rng_cpu)
                x_gpu, p_gpu = t.run(x_gpu, rng_gpu)
                same_params &= _params_equal(p_cpu, p_gpu)
    ok = worst_images <= 1e-5 and worst_targets <= 1e-5 and same_params
    return {"ok": ok, "max_abs_image_diff": worst_images, "max_abs_target_diff": worst_targets, "same_params": same_params, "transforms": [type(t).__name__ for t in stage]}


def _timed(f, device) -> float:
    torch.cuda.synchronize(device)
    start = time.perf_counter()
    f()
    torch.cuda.synchronize(device)
    return time.perf_counter() - start


def check_overlap(device: str, size: int) -> dict:
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


def throughput(device: str, batches: list) -> dict:
    stage = [Normalize(mean=MEAN, std=STD), RandomApply(HorizontalFlip(p=1.0), p=0.5)]
    loader = DeviceLoader(batches, device, stage, channels_last=True)
    for _ in loader:  # warm up
        pass
    seconds = min(_timed(lambda: [None for _ in loader], device) for _ in range(5))
    images = sum(len(b[0]) for b in batches)
    return {"images_per_s": images / seconds, "ms_per_batch": 1e3 * seconds / len(batches), "transforms": "Normalize + RandomApply(HorizontalFlip)"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("no GPU available (torch.cuda.is_available() is False): nothing to check")
        return 0
    device = "cuda"
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    batches = make_batches(args.batches, args.batch, args.size, pin=True)
    results = {}
    for name, check in (
        ("same_as_cpu", lambda: check_same_as_cpu(batches, device)),
        ("overlap", lambda: check_overlap(device, args.size)),
        ("throughput", lambda: throughput(device, batches)),
    ):
        try:
            results[name] = check()
        except Exception as error:  # report every check, whatever fails
            results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        print(name, json.dumps(results[name]))
    failed = [n for n, r in results.items() if r.get("ok") is False]
    print(json.dumps({"failed": failed, **results}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
