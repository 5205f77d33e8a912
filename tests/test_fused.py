"""The fused batch stage (augkit.fused) against the transforms' own apply, in order.

The Triton kernels run in Triton's CPU interpreter (TRITON_INTERPRET=1, set by a fixture:
the kernels are built when first used, so it works whatever was imported before), on small
batches. Bounds are the SPEC's: uint8 within 1 level (hue 2), float within 1e-5.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import torch

from augkit import (
    CenterCrop,
    ColorJitter,
    CutMix,
    Cutout,
    HorizontalFlip,
    Mixup,
    MixupOrCutMix,
    Normalize,
    PCALighting,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    Resize,
    VerticalFlip,
    Whiten,
)
from augkit.fused import FusedSegment, UnfusedStep, build_plan
from augkit.fused import triton_kernels as K
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
COV = ((0.052, 0.046, 0.042), (0.046, 0.050, 0.048), (0.042, 0.048, 0.058))
FLOAT_TOL = 1e-5


def resnet_stage():
    return [HorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1), PCALighting(), Normalize(MEAN, STD)]


# name -> (transforms, level bound for uint8 data); each op alone, then chains.
CASES = {
    "hflip": (lambda: [HorizontalFlip()], 0),
    "vflip": (lambda: [VerticalFlip()], 0),
    "brightness": (lambda: [ColorJitter(brightness=0.9)], 1),
    "contrast": (lambda: [ColorJitter(contrast=0.9)], 1),
    "saturation": (lambda: [ColorJitter(saturation=0.9)], 1),
    "hue": (lambda: [ColorJitter(hue=0.5)], 2),
    "color_jitter": (lambda: [ColorJitter(0.4, 0.4, 0.4, 0.1)], 2),
    "pca_lighting": (lambda: [PCALighting(alphastd=0.5)], 1),
    "normalize": (lambda: [Normalize(MEAN, STD)], 0),
    "cutout": (lambda: [Cutout(5, p=0.7, fill=7)], 0),
    "cutmix": (lambda: [CutMix(1.0, num_classes=4, mode="elem")], 0),
    "resnet": (resnet_stage, 2),
    "everything": (
        lambda: [
            VerticalFlip(),
            Cutout(4, p=0.5, fill=3),
            HorizontalFlip(),
            ColorJitter(0.4, 0.4, 0.4, 0.1),
            PCALighting(),
            Normalize(MEAN, STD),
            Cutout(3, fill=0.5),
            MixupOrCutMix(0.8, 1.0, num_classes=4, mode="elem"),
        ],
        2,
    ),
    "three_contrasts": (
        lambda: [ColorJitter(0, 0.5), ColorJitter(0.5, 0.5, 0.5, 0.2), ColorJitter(0.5, 0.5, 0.5, 0.2), Normalize(MEAN, STD)],
        2,
    ),
}


@pytest.fixture(scope="module")
def interpret():
    """Run Triton kernels in the CPU interpreter for this module's tests."""
    if not K.AVAILABLE:
        pytest.skip("triton is not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRITON_INTERPRET", "1")
        yield


def make_batch(photo, batch: int, height: int, width: int, dtype: str, layout: str, seed: int = 0) -> torch.Tensor:
    """Photo crops with noise rows, flat gray and saturated pixels (hue's and contrast's edge cases)."""
    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(batch):
        top, left = rng.integers(0, photo.shape[0] - height), rng.integers(0, photo.shape[1] - width)
        crop = photo[top : top + height, left : left + width].copy()
        crop[0] = rng.integers(0, 256, crop[0].shape)
        crop[-1, : width // 2] = rng.integers(0, 256)  # gray: r == g == b
        crop[-1, width // 2 :] = (255, 0, 0)
        crops.append(crop)
    x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)
    x = x.contiguous(memory_format=torch.channels_last) if layout == "channels_last" else x.contiguous()
    return x.float() / 255 if dtype == "float32" else x


def run_unfused(transforms, images, params, targets):
    for t, p in zip(transforms, params):
        if getattr(t, "mixes_targets", False):
            images, targets = t.apply(images, targets, p)
        else:
            images = t.apply(images, p)
    return images, targets


def sequential_params(transforms, images, targets, seed: int) -> list:
    """Each transform's parameters as the unfused stage draws them (one generator, in order)."""
    rng, params = np.random.default_rng(seed), []
    for t in transforms:
        if getattr(t, "mixes_targets", False):
            (images, targets), p = t.run(images, targets, rng)
        else:
            images, p = t.run(images, rng)
        params.append(p)
    return params


def params_equal(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(params_equal(x, y) for x, y in zip(vars(a).values(), vars(b).values()))
    return np.array_equal(np.asarray(a), np.asarray(b))


def max_levels(out: torch.Tensor, ref: torch.Tensor, normalized: bool) -> float:
    """Largest difference in uint8 levels (a normalized result is scaled back by 255 * std)."""
    d = (out.double() - ref.double()).abs()
    if normalized:
        d = d * 255 * torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
    return float(d.max()) if d.numel() else 0.0


def check_against_unfused(transforms, images, bound: int, backend: str, seed: int = 1, **options):
    targets = torch.arange(images.shape[0]) % 4
    plan = build_plan(transforms)
    params = plan.sample(np.random.default_rng(seed), images)
    assert all(params_equal(a, b) for a, b in zip(params, sequential_params(transforms, images, targets, seed)))
    ref, ref_targets = run_unfused(transforms, images, params, targets)
    out, out_targets = plan.apply(images, params, targets, backend=backend, **options)
    assert out.shape == ref.shape and out.device == ref.device
    assert out.dtype == (options.get("out_dtype") or ref.dtype)
    normalized = any(isinstance(t, Normalize) for t in transforms)
    if out.dtype == torch.bfloat16:  # within bfloat16's rounding of the float32 result (one unit in the last place)
        assert bool(((out.double() - ref.double()).abs() <= ref.double().abs() * 2.0**-7 + FLOAT_TOL).all())
    elif images.dtype == torch.uint8:
        assert max_levels(out, ref, normalized) <= bound + (0.01 if normalized else 0)
    else:
        assert float((out.double() - ref.double()).abs().max()) <= FLOAT_TOL
    if out_targets is not None:
        assert torch.allclose(out_targets, ref_targets, atol=1e-7, rtol=0)
    return out, ref


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_triton_kernels_match_unfused(interpret, photo, name, dtype):
    make, bound = CASES[name]
    images = make_batch(photo, 3, 7, 13, dtype, "contiguous")
    if name == "cutmix" or (dtype == "uint8" and name == "everything"):
        images = make_batch(photo, 3, 7, 13, dtype, "channels_last")  # channels-last input too
    check_against_unfused(make(), images, bound, "triton")


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_triton_several_tiles_channels_last_and_bfloat16(interpret, photo, dtype):
    # 29 x 37 pixels: 3 tiles per image, so contrast means add tile sums; B = 1.
    images = make_batch(photo, 1, 29, 37, dtype, "channels_last", seed=3)
    out, _ = check_against_unfused(resnet_stage(), images, 2, "triton", seed=4, channels_last=True)
    assert out.is_contiguous(memory_format=torch.channels_last)
    check_against_unfused(resnet_stage() + [Mixup(0.4, num_classes=4)], images, 2, "triton", seed=5, out_dtype=torch.bfloat16)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_torch_reference_matches_unfused(photo, name, dtype):
    make, bound = CASES[name]
    for layout, size in (("contiguous", (7, 13)), ("channels_last", (29, 37))):
        check_against_unfused(make(), make_batch(photo, 3, *size, dtype, layout, seed=5), bound, "torch", seed=6)


def test_odd_batches_and_empty_batch(interpret, photo):
    stage = resnet_stage() + [Cutout(3), MixupOrCutMix(0.8, 1.0, num_classes=4, mode="elem")]
    for batch in (1, 3):  # an odd batch's middle sample is its own partner
        check_against_unfused(stage, make_batch(photo, batch, 8, 13, "uint8", "contiguous"), 2, "triton", seed=batch)
    empty = make_batch(photo, 1, 8, 13, "uint8", "contiguous")[:0]
    plan = build_plan(resnet_stage())
    out, targets = plan.apply(empty, plan.sample(np.random.default_rng(0), empty), backend="triton")
    assert out.shape == (0, 3, 8, 13) and out.dtype == torch.float32 and targets is None


def test_launches_one_per_pass(interpret, photo, monkeypatch):
    launches = []
    real = K.kernels()

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        @property
        def fused_pass(self):
            kernel = real.fused_pass

            class Grid:
                def __getitem__(self, grid):
                    launches.append(grid)
                    return kernel[grid]

            return Grid()

    monkeypatch.setattr(K, "kernels", Counting)
    images = make_batch(photo, 3, 7, 13, "uint8", "contiguous")
    for transforms in (resnet_stage(), CASES["three_contrasts"][0](), [HorizontalFlip(), Normalize(MEAN, STD)]):
        launches.clear()
        plan = build_plan(transforms)
        plan.apply(images, plan.sample(np.random.default_rng(0), images), backend="triton")
        assert len(launches) == plan.passes
    assert plan.passes == 1


def test_build_plan_is_pure():
    first = build_plan(resnet_stage())
    assert first == build_plan(resnet_stage())  # fresh, equally configured transforms
    assert first.describe() == build_plan(first.transforms).describe()
    assert first != build_plan(resnet_stage()[:3])
    images = torch.zeros(4, 3, 5, 6, dtype=torch.uint8)
    params = first.sample(np.random.default_rng(0), images)
    assert np.array_equal(first.pack(params, 4), build_plan(resnet_stage()).pack(params, 4))
    assert first.pack(params, 4).shape == (4, first.row_width)


def test_plan_structure():
    plan = build_plan(resnet_stage())
    assert len(plan.steps) == 1 and plan.steps[0].passes == 2 and plan.passes == 2
    no_contrast = build_plan([HorizontalFlip(), ColorJitter(0.4, 0, 0.4, 0.1), Normalize(MEAN, STD)])
    assert no_contrast.passes == 1
    three = build_plan(CASES["three_contrasts"][0]())
    assert [s.passes for s in three.steps] == [3, 2]  # at most two reductions (3 passes) per segment
    mixed = build_plan([Normalize(MEAN, STD), Mixup(0.2, num_classes=3), Cutout(2)])
    assert [s.indices for s in mixed.steps] == [(0, 1), (2,)]  # a mixing transform ends its segment

    class MyFlip(HorizontalFlip):  # a subclass may change apply: never fused
        pass

    unfusable = [
        HorizontalFlip(),
        RandomApply(VerticalFlip(p=1.0), p=0.5),
        Whiten(MEAN, COV),
        Normalize(mean_image=np.zeros((5, 6, 3))),
        MyFlip(),
        ColorJitter(0.4),
    ]
    plan = build_plan(unfusable)
    kinds = [(type(s).__name__, s.indices if isinstance(s, FusedSegment) else (s.index,)) for s in plan.steps]
    assert kinds == [
        ("FusedSegment", (0,)),
        ("UnfusedStep", (1,)),
        ("UnfusedStep", (2,)),
        ("UnfusedStep", (3,)),
        ("UnfusedStep", (4,)),
        ("FusedSegment", (5,)),
    ]
    assert all(isinstance(s, (FusedSegment, UnfusedStep)) for s in plan.steps)


class Record(Transform):
    """Adds 0 and records the batch it was given (to see the order of the steps)."""

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    seen: list = []

    def apply(self, image, params=None):
        Record.seen.append(image.clone())
        return image


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_unfusable_transforms_run_in_order(interpret, photo, backend):
    stage = [HorizontalFlip(p=1.0), ColorJitter(0.3, 0.3), Record(), Normalize(MEAN, STD), Whiten(MEAN, COV), Record(), Cutout(3)]
    images = make_batch(photo, 2, 7, 13, "uint8", "contiguous")
    Record.seen = []
    check_against_unfused(stage, images, 1, backend, seed=2)
    assert len(Record.seen) == 6  # drawing the parameters, the unfused stage, the plan: two each
    unfused, fused = Record.seen[2:4], Record.seen[4:]
    assert fused[0].dtype == torch.uint8 and torch.equal(fused[0], unfused[0])  # the flipped, jittered uint8 batch
    assert fused[1].dtype == torch.float32 and torch.allclose(fused[1], unfused[1], atol=1e-5)  # normalized floats
    assert not torch.equal(fused[0], images)


def test_errors_match_the_unfused_stage(interpret, photo, monkeypatch):
    images = make_batch(photo, 2, 7, 13, "uint8", "contiguous")
    targets = torch.tensor([0, 1])
    mixup = build_plan([HorizontalFlip(), Mixup(0.2, num_classes=2)])
    with pytest.raises(TypeError, match="float batch"):
        mixup.apply(images, mixup.sample(np.random.default_rng(0), images), targets, backend="torch")
    with pytest.raises(ValueError, match="mixes targets"):
        mixup.apply(images.float(), mixup.sample(np.random.default_rng(0), images), backend="torch")
    cutout = build_plan([Cutout(3, fill=0.5)])
    with pytest.raises(ValueError, match="fill must be an integer"):
        cutout.apply(images, cutout.sample(np.random.default_rng(0), images), backend="triton")
    plan = build_plan([HorizontalFlip()])
    params = plan.sample(np.random.default_rng(0), images)
    with pytest.raises(ValueError, match="out_dtype"):
        plan.apply(images, params, out_dtype=torch.bfloat16)
    with pytest.raises(ValueError, match="one entry per transform"):
        plan.apply(images, params + params)
    with pytest.raises(ValueError, match="backend"):
        plan.apply(images, params, backend="cuda")
    with pytest.raises(TypeError, match=r"\[B, C, H, W\]"):
        plan.apply(images[0], params)
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with pytest.raises(RuntimeError, match="TRITON_INTERPRET"):
        plan.apply(images, params, backend="triton")


def test_other_inputs_run_the_transforms_own_apply(photo):
    # float64 and 1-channel inputs are not the kernels' business: the result is the unfused one.
    images = make_batch(photo, 2, 7, 13, "float32", "contiguous").double()
    check_against_unfused([HorizontalFlip(), ColorJitter(0.4, 0.4), Cutout(2, fill=0.25)], images, 0, "auto")
    gray = torch.randint(0, 256, (2, 1, 5, 7), dtype=torch.uint8)
    check_against_unfused([VerticalFlip(), Normalize((0.5,), (0.25,))], gray, 0, "auto")


@pytest.mark.slow
def test_kernels_compile_for_cuda_without_a_gpu(monkeypatch):
    """The compiled (not interpreted) kernels build for an sm_90 GPU: PTX with no contracted or approximate float ops."""
    if not K.AVAILABLE:
        pytest.skip("triton is not installed")
    import triton
    from triton.backends.compiler import GPUTarget

    from augkit.fused.plan import _statics

    monkeypatch.setenv("TRITON_INTERPRET", "0")
    kernels = K.kernels()
    plan = build_plan(CASES["everything"][0]())
    statics = _statics(plan.steps[0], True)
    names = ["src", "dst", "prm", "part", "B", "H", "W", "T", "s_b", "s_c", "s_h", "s_w", "d_b", "d_c", "d_h", "d_w"]
    for stop in (0, -1):
        count = statics.reduction_prefix(0) if stop == 0 else len(statics.ops)
        constants = dict(
            P=plan.row_width,
            OPS=statics.ops[:count],
            OFFS=statics.offsets[:count],
            QUANT=statics.quant[:count],
            ENS=statics.enabled[:count],
            RED=statics.reduction[:count],
            STOPS=statics.stops(0, count) if stop == 0 else (0,) * count,
            STOP=stop,
            STOP_QUANT=statics.quant[count - 1] if stop == 0 else 0,
            MIX=-1 if stop == 0 else statics.mix,
            OUT=K.OUT_BFLOAT16,
            BLOCK=512,
            TP2=128,
        )
        signature = dict(zip(names, ["*u8", "*bf16", "*fp32", "*fp32"] + ["i32"] * 12))
        signature.update({k: "constexpr" for k in constants})
        source = triton.compiler.ASTSource(fn=kernels.fused_pass, signature=signature, constexprs=constants)
        try:
            compiled = triton.compile(source, target=GPUTarget("cuda", 90, 32), options={"enable_fp_fusion": False, "num_warps": 4})
        except RuntimeError as error:  # no CUDA backend tools in this triton build
            if "ptxas" in str(error).lower():
                pytest.skip(f"no ptxas: {error}")
            raise
        ptx = compiled.asm["ptx"]
        assert not re.search(r"\bfma\.rn\.f32\b", ptx)  # no contracted float32 multiply-adds
        assert not re.search(r"\bdiv\.(full|approx)\.f32\b", ptx)  # divisions correctly rounded


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_lighting_rounds_half_to_even(interpret, photo, backend):
    # An offset of exactly half a level: every value is a tie, rounded to even as numpy's rint.
    from augkit.transforms.color import PCALightingParams

    lighting = PCALighting(alphastd=0.1, eigval=(1.0, 1.0, 1.0), eigvec=np.eye(3))
    images = make_batch(photo, 2, 7, 13, "uint8", "contiguous")
    params = [PCALightingParams(np.full((2, 3), 0.5 / 255.0))]
    assert np.float32(0.5 / 255.0 * 255.0) == 0.5
    out, _ = build_plan([lighting]).apply(images, params, backend=backend)
    assert torch.equal(out, lighting.apply(images, params[0]))
    assert not torch.equal(out, (images.int() + 1).clamp(max=255).to(torch.uint8))


# --------------------------------------------------------------------------------------
# Decode and geometry on the device (tested on the CPU device).

GEOMETRIES = {
    "random_resized_crop": lambda: [RandomResizedCrop(96)],
    "random_resized_crop_no_antialias": lambda: [RandomResizedCrop((64, 80), antialias=False)],
    "resize_center_crop": lambda: [Resize(shorter=112), CenterCrop(96)],
    "random_scale_random_crop": lambda: [RandomScale(100, 160), RandomCrop(96)],
    "resize_center_crop_padded": lambda: [Resize(shorter=60), CenterCrop(80, fill=9)],
}


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_device_geometry_matches_cpu_path(name):
    pytest.importorskip("torchvision")
    import augkit
    from augkit.fused import device_decode as D
    from augkit.samples import sample_paths

    transforms = GEOMETRIES[name]()
    datas = [p.read_bytes() for p in sample_paths() if p.suffix == ".jpg"]
    shapes = [D.upright_shape(d) for d in datas]
    params = [D.draw_geometry(transforms, np.random.default_rng(k), s) for k, s in enumerate(shapes)]
    windows = [D.geometry_window(transforms, p, s) for p, s in zip(params, shapes)]
    out = D.resample(D.decode_jpegs(datas, "cpu"), windows, channels_last=True)
    assert out.dtype == torch.uint8 and out.is_contiguous(memory_format=torch.channels_last)
    for k, data in enumerate(datas):
        image, rng, cpu_params = augkit.decode(data), np.random.default_rng(k), []
        for t in transforms:
            image, p = t.run(image, rng)
            cpu_params.append(p)
        assert cpu_params == params[k]  # parameters identical
        reference = torch.from_numpy(image).permute(2, 0, 1)
        assert out[k].shape == reference.shape
        assert int((out[k].int() - reference.int()).abs().max()) <= 2


@pytest.mark.parametrize("orientation", [1, 3, 6, 7])
def test_device_decode_turns_exif_images_upright(photo, orientation):
    pytest.importorskip("torchvision")
    import io as std_io

    from PIL import Image

    import augkit
    from augkit.fused import device_decode as D

    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = std_io.BytesIO()
    Image.fromarray(photo[:40, :56]).save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    data = buffer.getvalue()
    reference = augkit.decode(data)
    assert D.upright_shape(data) == reference.shape
    (decoded,) = D.decode_jpegs([data], "cpu")
    assert int((decoded.permute(1, 2, 0).int() - torch.from_numpy(reference).int()).abs().max()) <= 2


def test_device_geometry_refuses_other_pipelines():
    from augkit.fused import device_decode as D

    with pytest.raises(ValueError, match="device geometry"):
        D.draw_geometry([CenterCrop(8), Resize(shorter=4)], np.random.default_rng(0), (10, 10, 3))
    with pytest.raises(ValueError, match="resamples bilinearly"):
        D.draw_geometry([Resize(shorter=4, interpolation="bicubic")], np.random.default_rng(0), (10, 10, 3))
    with pytest.raises(ValueError, match="pads with a constant"):
        D.draw_geometry([CenterCrop(12, padding_mode="reflect")], np.random.default_rng(0), (10, 10, 3))
    window = D.Window(0, 0, 4, 4, (4, 4), (0, 0, 4, 4))
    with pytest.raises(ValueError, match="one output size"):
        D.resample([torch.zeros(3, 4, 4, dtype=torch.uint8)] * 2, [window, D.Window(0, 0, 4, 4, (4, 4), (0, 0, 2, 2))])
