"""The policies: their draws against torchvision's and timm's definitions, their pixels against
torchvision's functional ops, the batch stage against the sample stage, and their targets."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
import torch

import augkit
from augkit.functional import policy_ops as PO
from augkit.targets import Batch, Boxes, Keypoints, Sample
from augkit.transforms.affine import RotateParams, ShearParams, TranslateParams
from augkit.transforms.base import params_at
from augkit.transforms.policies import AugMixParams, PolicyParams, parse_timm_config

stats = pytest.importorskip("scipy.stats")
v2 = pytest.importorskip("torchvision.transforms.v2")
TF = pytest.importorskip("torchvision.transforms.v2.functional")
tv_aa = pytest.importorskip("torchvision.transforms.v2._auto_augment")

#: The smallest p-value accepted for "same distribution" (fixed seeds: the tests are deterministic).
P_MIN = 1e-3
HEIGHT, WIDTH = 48, 64
NO_MAGNITUDE = ("Identity", "AutoContrast", "Equalize", "Invert", "Grayscale")


def stand_in(n: int, height: int = HEIGHT, width: int = WIDTH) -> torch.Tensor:
    """A zero-copy [n, 3, H, W] uint8 batch (the policies draw from its shape)."""
    return torch.zeros((), dtype=torch.uint8).expand(n, 3, height, width)


@pytest.fixture(scope="module")
def photos(sample_images) -> list[np.ndarray]:
    """Real photos cut to HEIGHT x WIDTH (plus a square and an odd size)."""
    names = sorted(sample_images)
    cuts = [sample_images[name][30 : 30 + HEIGHT, 50 : 50 + WIDTH] for name in names[:5]]
    return [np.ascontiguousarray(c) for c in cuts] + [np.ascontiguousarray(sample_images[names[5]][:57, :57])]


def chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def hwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(1, 2, 0).contiguous().numpy()


def max_diff(a, b) -> float:
    a = a.numpy() if isinstance(a, torch.Tensor) else a
    b = b.numpy() if isinstance(b, torch.Tensor) else b
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) if a.size else 0.0


# ---- torchvision's draws ------------------------------------------------------------------------


def tv_to_ours(op: str, magnitude: float) -> float:
    """A torchvision policy magnitude -> the argument augkit records (what torchvision's op is called with)."""
    if op in NO_MAGNITUDE:
        return math.nan
    if op in ("Brightness", "Color", "Contrast", "Sharpness"):
        return 1.0 + magnitude
    if op in ("ShearX", "ShearY"):
        return math.degrees(math.atan(magnitude))
    if op in ("TranslateX", "TranslateY", "Posterize"):
        return float(int(magnitude))
    if op == "Solarize":
        return 255.0 * magnitude
    return magnitude


def record_torchvision(policy, n: int, seed: int, monkeypatch) -> list[list[tuple[str, float]]]:
    """Run torchvision's policy ``n`` times on a blank image; return each call's (op, argument) list."""
    calls: list[list[tuple[str, float]]] = []

    def record(self, image, transform_id, magnitude, interpolation, fill):
        calls[-1].append((transform_id, tv_to_ours(transform_id, magnitude)))
        return image

    monkeypatch.setattr(type(policy), "_apply_image_or_video_transform", record)
    image = torch.zeros(3, HEIGHT, WIDTH, dtype=torch.uint8)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for _ in range(n):
            calls.append([])
            policy(image)
    monkeypatch.undo()
    return calls


def our_calls(params, applied_only: bool = True) -> list[list[tuple[str, float]]]:
    ops, mags, applied = np.asarray(params.ops), np.asarray(params.magnitudes), np.asarray(params.applied)
    return [[(str(o), float(m)) for o, m, a in zip(ops[i], mags[i], applied[i]) if a or not applied_only] for i in range(ops.shape[0])]


def key(call: tuple[str, float]) -> str:
    op, value = call
    return op if math.isnan(value) else f"{op}:{value:.9g}"


def two_sample_chi2(ours: list, theirs: list, min_count: int = 10) -> float:
    """p-value of a chi-square test that two samples of categories come from one distribution."""
    a, b = Counter(ours), Counter(theirs)
    cells = sorted(set(a) | set(b))
    big = [c for c in cells if a[c] + b[c] >= min_count]
    rare = [c for c in cells if a[c] + b[c] < min_count]
    table = [[a[c] for c in big] + [sum(a[c] for c in rare)], [b[c] for c in big] + [sum(b[c] for c in rare)]]
    if not rare:
        table = [row[:-1] for row in table]
    if len(table[0]) < 2:
        return 1.0
    return float(stats.chi2_contingency(table)[1])


TV_CASES = {
    "RandAugment": (lambda: augkit.RandAugment(), lambda: v2.RandAugment()),
    "RandAugment-m25-bins31-n3": (lambda: augkit.RandAugment(num_ops=3, magnitude=25), lambda: v2.RandAugment(num_ops=3, magnitude=25)),
    "RandAugment-m4-bins10": (
        lambda: augkit.RandAugment(magnitude=4, num_magnitude_bins=10),
        lambda: v2.RandAugment(magnitude=4, num_magnitude_bins=10),
    ),
    "TrivialAugmentWide": (lambda: augkit.TrivialAugmentWide(), lambda: v2.TrivialAugmentWide()),
    "AutoAugment-imagenet": (lambda: augkit.AutoAugment("imagenet"), lambda: v2.AutoAugment(v2.AutoAugmentPolicy.IMAGENET)),
    "AutoAugment-cifar10": (lambda: augkit.AutoAugment("cifar10"), lambda: v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10)),
    "AutoAugment-svhn": (lambda: augkit.AutoAugment("svhn"), lambda: v2.AutoAugment(v2.AutoAugmentPolicy.SVHN)),
}


@pytest.mark.parametrize("name", sorted(TV_CASES))
def test_draws_follow_torchvision(name, monkeypatch):
    """Ops, magnitudes (exact values) and their joint frequencies match torchvision's own draws."""
    make_ours, make_theirs = TV_CASES[name]
    n = 12000
    theirs = record_torchvision(make_theirs(), n, seed=0, monkeypatch=monkeypatch)
    ours = our_calls(make_ours().sample(np.random.default_rng(0), stand_in(n)))
    # every (op, argument) value either side draws exists on the other side, exactly
    values_ours = {key(c) for calls in ours for c in calls}
    values_theirs = {key(c) for calls in theirs for c in calls}
    assert values_ours == values_theirs
    # single ops, and whole per-image sequences (AutoAugment: sub-policy and which ops ran)
    p_ops = two_sample_chi2([key(c) for calls in ours for c in calls], [key(c) for calls in theirs for c in calls])
    p_seq = two_sample_chi2(["|".join(map(key, calls)) for calls in ours], ["|".join(map(key, calls)) for calls in theirs])
    assert p_ops > P_MIN and p_seq > P_MIN, (p_ops, p_seq)


def test_randaugment_ops_are_uniform_and_signs_fair():
    """Against the definition itself: 14 ops uniformly, signed magnitudes negative half the time."""
    params = augkit.RandAugment().sample(np.random.default_rng(1), stand_in(14000))
    ops = np.asarray(params.ops).reshape(-1)
    names, counts = np.unique(ops, return_counts=True)
    assert len(names) == 14
    assert stats.chisquare(counts).pvalue > P_MIN
    rotations = np.asarray(params.magnitudes)[np.asarray(params.ops) == "Rotate"]
    assert set(np.round(rotations, 6)) == {-9.0, 9.0}  # bin 9 of linspace(0, 30, 31)
    assert stats.binomtest(int((rotations < 0).sum()), rotations.size).pvalue > P_MIN


def test_trivial_augment_bins_are_uniform():
    params = augkit.TrivialAugmentWide().sample(np.random.default_rng(2), stand_in(20000))
    rotations = np.asarray(params.magnitudes)[np.asarray(params.ops) == "Rotate"]
    bins = np.rint(np.abs(rotations) / (135.0 / 30)).astype(int)
    assert np.allclose(np.abs(rotations), bins * 4.5, atol=1e-4)
    assert stats.chisquare(np.bincount(bins, minlength=31)).pvalue > P_MIN


# ---- timm's draws -------------------------------------------------------------------------------


def timm_to_ours(name: str, args: tuple, width: int = WIDTH, height: int = HEIGHT) -> float:
    """timm's op arguments -> the argument augkit records."""
    if not args:
        return math.nan
    value = float(args[0])
    if name in ("ShearX", "ShearY"):
        return math.degrees(math.atan(value))
    if name == "TranslateXRel":
        return -value * width
    if name == "TranslateYRel":
        return -value * height
    if name == "Desaturate":
        return min(1.0, max(0.0, 1.0 - value))
    return value


def record_timm(config: str, n: int, seed: int) -> list[list[tuple[str, float]]]:
    timm_aa = pytest.importorskip("timm.data.auto_augment")
    from PIL import Image

    transform = timm_aa.rand_augment_transform(config, {"translate_const": 100, "img_mean": (124, 116, 104)})
    calls: list[list[tuple[str, float]]] = []
    for op in transform.ops:
        op.aug_fn = lambda img, *args, _name=op.name, **kwargs: (calls[-1].append((_name, timm_to_ours(_name, args))), img)[1]
    image = Image.new("RGB", (WIDTH, HEIGHT))
    state, np_state = random.getstate(), np.random.get_state()
    try:
        random.seed(seed)
        np.random.seed(seed)  # timm draws from the global generators
        for _ in range(n):
            calls.append([])
            transform(image)
    finally:
        random.setstate(state)
        np.random.set_state(np_state)
    return calls


TIMM_CONFIGS = [
    "rand-m9-mstd0.5-inc1",  # DeiT, ConvNeXt
    "rand-m7-mstd0.5-inc1",  # ResNet strikes back A1/A2
    "rand-m9-mstd0.5",  # the non-increasing set
    "rand-m6-n3-p0.7-mstd101",  # uniform magnitudes
    "rand-m9-mstd0.5-tweights",  # weighted, without replacement
    "rand-m12-mmax15-mstd1-n3-t3aw",  # 3-Augment weights, a magnitude above 10
    "rand-m9-p1.0-t3a",
]


@pytest.mark.parametrize("config", TIMM_CONFIGS)
def test_draws_follow_timm(config):
    """Op frequencies, ops per image, and each op's argument distribution match timm's RandAugment."""
    n = 8000
    theirs = record_timm(config, n, seed=0)
    ours = our_calls(augkit.TimmRandAugment(config).sample(np.random.default_rng(0), stand_in(n)))
    p_values = {
        "ops": two_sample_chi2([op for calls in ours for op, _ in calls], [op for calls in theirs for op, _ in calls]),
        "count": two_sample_chi2([len(c) for c in ours], [len(c) for c in theirs]),
        "pairs": two_sample_chi2([tuple(op for op, _ in c) for c in ours], [tuple(op for op, _ in c) for c in theirs]),
    }
    for op in sorted({op for calls in theirs for op, _ in calls}):
        a = np.array([v for calls in ours for o, v in calls if o == op])
        b = np.array([v for calls in theirs for o, v in calls if o == op])
        if np.isnan(b).all():
            assert np.isnan(a).all()
            continue
        if len(np.unique(np.round(b, 9))) <= 60:  # discrete: bits, thresholds, ...
            p_values[op] = two_sample_chi2(list(np.round(a, 9)), list(np.round(b, 9)))
        else:
            p_values[op] = float(stats.ks_2samp(a, b).pvalue)
    failing = {k: v for k, v in p_values.items() if not v > P_MIN}
    assert not failing, failing


def test_weighted_sets_draw_distinct_ops():
    params = augkit.TimmRandAugment("rand-m9-n4-tweights").sample(np.random.default_rng(3), stand_in(500))
    ops = np.asarray(params.ops)
    assert all(len(set(row)) == 4 for row in ops)


def test_timm_config_grammar():
    spec = parse_timm_config("rand-m7-mstd101-mmax15-n3-p0.7-inc1")
    assert (spec.magnitude, spec.magnitude_std, spec.magnitude_max, spec.num_ops, spec.p, spec.increasing) == (
        7.0,
        math.inf,
        15.0,
        3,
        0.7,
        True,
    )
    assert spec.ops[4] == "PosterizeIncreasing" and spec.weights is None
    assert parse_timm_config("rand-w0").ops == parse_timm_config("rand-tweights").ops
    assert parse_timm_config("rand").magnitude == 10.0 and parse_timm_config("rand").ops[4] == "Posterize"
    for bad, match in [
        ("rand-m9-q3", "unknown section 'q3'"),
        ("rand-inc", "section 'inc' has no value"),
        ("rand-m9-tfoo", "unknown op set 'tfoo'"),
        ("augmix-m3", "must start with 'rand'"),
        ("rand-m9x", "malformed"),
        ("rand-n20-tweights", "n must be"),
    ]:
        with pytest.raises(ValueError, match=match):
            augkit.RandAugment.from_timm(bad)


def test_from_timm_fill_is_timms_image_mean():
    ra = augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1", mean=(0.5, 0.25, 1.0))
    assert ra.fill == (128.0, 64.0, 255.0) and ra.translate_pct == 0.45 and ra.interpolation == "bilinear"
    assert augkit.from_config(ra.to_config()).config == "rand-m9-mstd0.5-inc1"


# ---- pixels: replaying augkit's draws through torchvision ---------------------------------------


def tv_magnitude(policy, op: str, argument: float, height: int, width: int) -> float:
    """The torchvision magnitude whose op argument is ``argument`` (found among torchvision's own bins)."""
    function, signed = policy._AUGMENTATION_SPACE[op]
    bins = getattr(policy, "num_magnitude_bins", 10)
    values = function(bins, height, width)
    if values is None:
        return 0.0
    for value in values.tolist():
        for magnitude in (value, -value) if signed else (value,):
            if tv_to_ours(op, magnitude) == argument:
                return magnitude
    raise AssertionError(f"{op}({argument}) is not one of torchvision's magnitudes")


def tv_functional(op: str, image: torch.Tensor, argument: float, interpolation: str, fill) -> torch.Tensor:
    """torchvision's functional op for augkit's recorded argument (ops outside torchvision's policies too)."""
    mode = TF.InterpolationMode(interpolation)
    fill = list(fill) if isinstance(fill, tuple) else fill
    if op in ("ShearX", "ShearY"):
        shear = [argument, 0.0] if op == "ShearX" else [0.0, argument]
        return TF.affine(image, angle=0.0, translate=[0, 0], scale=1.0, shear=shear, interpolation=mode, fill=fill, center=[0, 0])
    if op in ("TranslateX", "TranslateY", "TranslateXRel", "TranslateYRel"):
        translate = [argument, 0.0] if op.startswith("TranslateX") else [0.0, argument]
        return TF.affine(image, angle=0.0, translate=translate, scale=1.0, shear=[0.0, 0.0], interpolation=mode, fill=fill)
    if op == "Rotate":
        return TF.rotate(image, argument, interpolation=mode, fill=fill)
    base = op.replace("Increasing", "").replace("Original", "")
    if base == "Desaturate":
        base = "Color"
    functions = {
        "Brightness": TF.adjust_brightness,
        "Color": TF.adjust_saturation,
        "Contrast": TF.adjust_contrast,
        "Sharpness": TF.adjust_sharpness,
    }
    if base in functions:
        return functions[base](image, argument)
    if base == "Posterize":
        return TF.posterize(image, int(argument))
    if base == "Solarize":
        return image.clone() if argument > 255 else TF.solarize(image, argument)
    if base == "SolarizeAdd":  # PIL's lookup table (timm's solarize_add)
        table = torch.tensor([min(255, i + int(argument)) if i < 128 else i for i in range(256)], dtype=torch.uint8)
        return table[image.long()]
    if base == "GaussianBlur":
        return TF.gaussian_blur(image, [13, 13], [argument, argument])
    if base == "Grayscale":
        return TF.rgb_to_grayscale(image, num_output_channels=3)
    return {"AutoContrast": TF.autocontrast, "Equalize": TF.equalize, "Invert": TF.invert, "Identity": lambda x: x}[base](image)


#: Per-op bound (uint8 levels) of augkit against torchvision's functional op: exact, but for
#: bilinear warps and the blur (rounding ties, see augkit.functional.warping / photometric).
def bound(op: str, interpolation: str) -> float:
    if any(op.startswith(g) for g in ("Shear", "Translate", "Rotate")) and interpolation == "bilinear":
        return 1.0
    return 1.0 if op == "GaussianBlur" else 0.0


def one_op(params_type, name: str, magnitude: float) -> PolicyParams:
    return params_type((name,), (magnitude,), (True,))


REPLAYED = {
    "RandAugment": lambda: augkit.RandAugment(num_ops=3, magnitude=20),
    "RandAugment-bilinear-fill": lambda: augkit.RandAugment(num_ops=3, magnitude=13, interpolation="bilinear", fill=(10, 200, 30)),
    "TrivialAugmentWide": lambda: augkit.TrivialAugmentWide(),
    "AutoAugment": lambda: augkit.AutoAugment("imagenet", fill=128),
    "TimmRandAugment": lambda: augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1"),
    "TimmRandAugment-3aw": lambda: augkit.RandAugment.from_timm("rand-m9-n3-p1.0-t3aw", interpolation="nearest"),
    "ThreeAugment": lambda: augkit.ThreeAugment(),
}


@pytest.mark.parametrize("name", sorted(REPLAYED))
def test_each_drawn_op_equals_torchvision(name, photos):
    """Each op augkit drew, on the image it ran on, against torchvision's functional op (same argument)."""
    policy = REPLAYED[name]()
    tv_policy = {"RandAugment": v2.RandAugment(), "TrivialAugmentWide": v2.TrivialAugmentWide(), "AutoAugment": v2.AutoAugment()}.get(
        type(policy).__name__
    )
    worst: dict[str, float] = {}
    for seed in range(8):
        for k, photo in enumerate(photos):
            image = photo
            params = policy.sample(np.random.default_rng([seed, k]), image)
            for op, argument, ran in zip(params.ops, params.magnitudes, params.applied):
                if not ran:
                    continue
                ours = policy.apply(image, one_op(PolicyParams, op, argument))
                if tv_policy is not None:  # torchvision's own policy code, with its magnitude for this argument
                    magnitude = tv_magnitude(tv_policy, op, argument, *image.shape[:2])
                    fill = tv_aa._setup_fill_arg(list(policy.fill) if isinstance(policy.fill, tuple) else policy.fill)
                    theirs = tv_policy._apply_image_or_video_transform(
                        chw(image), op, magnitude, interpolation=policy.interpolation, fill=fill
                    )
                else:
                    theirs = tv_functional(op, chw(image), argument, policy.interpolation, policy.fill)
                worst[op] = max(worst.get(op, 0.0), max_diff(ours, hwc(theirs)))
                image = ours
    too_far = {op: d for op, d in worst.items() if d > bound(op, policy.interpolation)}
    assert not too_far, too_far
    assert len(worst) >= 3  # the draws reached several ops


@pytest.mark.parametrize("name", ["RandAugment", "AutoAugment"])
def test_whole_policy_equals_torchvision_chain(name, photos):
    """Nearest warps: the whole chain equals torchvision's ops applied in turn, exactly."""
    policy = REPLAYED[name]()
    tv_policy = v2.RandAugment() if name == "RandAugment" else v2.AutoAugment()
    fill = tv_aa._setup_fill_arg(policy.fill)
    for seed in range(10):
        for k, photo in enumerate(photos):
            params = policy.sample(np.random.default_rng([seed, k]), photo)
            expected = chw(photo)
            for op, argument, ran in zip(params.ops, params.magnitudes, params.applied):
                if ran:
                    magnitude = tv_magnitude(tv_policy, op, argument, *photo.shape[:2])
                    expected = tv_policy._apply_image_or_video_transform(expected, op, magnitude, interpolation="nearest", fill=fill)
            assert np.array_equal(policy.apply(photo, params), hwc(expected))


POLICIES = {
    "RandAugment": lambda: augkit.RandAugment(num_ops=2, magnitude=9),
    "RandAugment-bilinear": lambda: augkit.RandAugment(num_ops=3, magnitude=20, interpolation="bilinear", fill=(10, 20, 30)),
    "TrivialAugmentWide": lambda: augkit.TrivialAugmentWide(interpolation="bilinear"),
    "AutoAugment": lambda: augkit.AutoAugment("cifar10"),
    "AugMix": lambda: augkit.AugMix(),
    "ThreeAugment": lambda: augkit.ThreeAugment(),
    "TimmRandAugment": lambda: augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1"),
}


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_batch_stage_equals_sample_stage(name, dtype, photos):
    """Each row of the grouped batch stage equals the sample stage (HWC) with that row's parameters."""
    policy = POLICIES[name]()
    same_size = [p for p in photos if p.shape[:2] == (HEIGHT, WIDTH)]
    batch = torch.stack([chw(p) for p in same_size * 6])  # 30 rows: several rows share ops
    if dtype == torch.float32:
        batch = batch.float() / 255
    out, params = policy.run(batch, np.random.default_rng(4))
    assert out.dtype == dtype and out.shape == batch.shape
    tolerance = 1.0 if dtype == torch.uint8 else 2e-5
    for i in range(batch.shape[0]):
        row = params_at(params, i)
        single = policy.apply(hwc(batch[i]), row)
        assert max_diff(out[i], chw(single)) <= tolerance, (i, row)


def test_batch_stage_runs_one_kernel_per_op_and_step(monkeypatch):
    """Grouped kernels: a step calls each chosen op once (with per-row magnitudes), never once per sample.

    The batches the row kernels take (CPU uint8 RGB, tests/test_policy_rows.py) go the other way.
    """
    calls = []
    real = PO.photometric

    def counted(op, image, magnitude):
        calls.append((op, tuple(image.shape)))
        return real(op, image, magnitude)

    monkeypatch.setattr(PO, "photometric", counted)
    policy = augkit.RandAugment(num_ops=2)
    batch = torch.rand((64, 3, 16, 16), generator=torch.Generator().manual_seed(0))
    params = policy.sample(np.random.default_rng(0), batch)
    policy.apply(batch, params)
    ops = np.asarray(params.ops)
    expected = sum(len(set(ops[:, k]) - {"Identity"} - set(PO.GEOMETRIC_OPS)) for k in range(2))
    assert len(calls) == expected and expected < 2 * 14
    rows = sum(shape[0] for _, shape in calls)
    assert rows == int(np.isin(ops, [o for o in PO.PHOTOMETRIC_OPS if o != "Identity"]).sum())


# ---- AugMix against torchvision's AugMix --------------------------------------------------------


def torchvision_augmix(ours: augkit.AugMix, params: AugMixParams, image: torch.Tensor, monkeypatch) -> torch.Tensor:
    """torchvision's AugMix.forward fed with augkit's drawn chains, magnitudes and weights."""
    theirs = v2.AugMix(ours.severity, ours.mixture_width, ours.chain_depth, ours.alpha, ours.all_ops, interpolation=ours.interpolation)
    height, width = image.shape[-2:]
    chains = [[(op, arg) for op, arg, ran in zip(o, m, a) if ran] for o, m, a in zip(params.ops, params.magnitudes, params.applied)]
    queue = [step for chain in chains for step in chain]
    depths = iter([len(chain) for chain in chains])
    dirichlet = iter([torch.tensor([[params.original, 1.0]]), torch.tensor([list(params.weights)])])
    space = theirs._AUGMENTATION_SPACE if ours.all_ops else theirs._PARTIAL_AUGMENTATION_SPACE
    real_apply = tv_aa._AutoAugmentBase._apply_image_or_video_transform
    real_randint = torch.randint
    current: list[tuple[str, float]] = []

    def next_op(self, dct):
        op, argument = queue.pop(0)
        current.append((op, argument))
        return op, space[op]

    def apply(self, img, transform_id, magnitude, interpolation, fill):
        op, argument = current.pop(0)
        assert op == transform_id
        return real_apply(self, img, op, tv_magnitude(self, op, argument, height, width), interpolation, fill)

    def randint(*args, **kwargs):
        if kwargs.get("size") == (1,):  # a chain's depth
            return torch.tensor([next(depths)])
        return real_randint(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(type(theirs), "_sample_dirichlet", lambda self, p: next(dirichlet).to(p.dtype))
        patch.setattr(type(theirs), "_get_random_item", next_op)
        patch.setattr(type(theirs), "_apply_image_or_video_transform", apply)
        patch.setattr(torch, "randint", randint)
        out = theirs(image)
    assert not queue
    return out


@pytest.mark.parametrize(
    "make", [lambda: augkit.AugMix(), lambda: augkit.AugMix(severity=8, mixture_width=4, chain_depth=2, alpha=0.5, all_ops=False)]
)
def test_augmix_equals_torchvision_for_the_same_draws(make, photos, monkeypatch):
    ours = make()
    worst = 0.0
    for seed in range(6):
        for k, photo in enumerate(photos):
            params = ours.sample(np.random.default_rng([seed, k]), photo)
            theirs = torchvision_augmix(ours, params, chw(photo), monkeypatch)
            worst = max(worst, max_diff(ours.apply(photo, params), hwc(theirs)))
    assert worst <= 1.0, worst


def test_augmix_weights_follow_dirichlet():
    params = augkit.AugMix(alpha=1.0).sample(np.random.default_rng(5), stand_in(20000))
    original, weights = np.asarray(params.original), np.asarray(params.weights)
    assert np.allclose(original + weights.sum(1), 1.0, atol=1e-5)
    assert stats.kstest(original, "beta", args=(1.0, 1.0)).pvalue > P_MIN  # Dirichlet(a, a): Beta(a, a)
    depth = np.asarray(params.applied).sum(-1).reshape(-1)
    assert set(depth) == {1, 2, 3} and stats.chisquare(np.bincount(depth)[1:]).pvalue > P_MIN


def test_augmix_refuses_targets():
    sample = Sample(np.zeros((16, 16, 3), np.uint8), boxes=Boxes(np.array([[1, 1, 5, 5]], np.float32)))
    with pytest.raises(augkit.UnsupportedTargetError, match="AugMix"):
        augkit.AugMix()(sample, rng=0)


# ---- targets ------------------------------------------------------------------------------------


def targets_sample(photo: np.ndarray) -> Sample:
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[10:30, 5:40] = 1
    mask[25:45, 30:60] = 2
    boxes = Boxes(np.array([[5, 10, 40, 30], [30, 25, 60, 45]], np.float32), labels=np.array([1, 2]))
    keypoints = Keypoints(np.array([[10.0, 20.0], [45.0, 40.0], [60.0, 5.0]], np.float32))
    return Sample(photo, mask=mask, boxes=boxes, keypoints=keypoints)


AFFINE = {
    "ShearX": lambda fill: (augkit.ShearX(0, center=(0, 0), fill=fill), ShearParams),
    "ShearY": lambda fill: (augkit.ShearY(0, center=(0, 0), fill=fill), ShearParams),
    "TranslateX": lambda fill: (augkit.TranslateX(pixels=0, fill=fill), TranslateParams),
    "TranslateY": lambda fill: (augkit.TranslateY(pixels=0, fill=fill), TranslateParams),
    "Rotate": lambda fill: (augkit.Rotate(0, fill=fill), RotateParams),
}


def affine_reference(sample: Sample, params: PolicyParams, kinds: dict[str, str], fill) -> Sample:
    """The same geometry through the affine transforms, one after another (photometric ops skipped)."""
    for op, argument, ran in zip(params.ops, params.magnitudes, params.applied):
        kind = kinds[op]
        if ran and kind in AFFINE:
            transform, params_type = AFFINE[kind](fill)
            sample = transform.apply(sample, params_type(argument))
    return sample


def assert_same_targets(a: Sample, b: Sample) -> None:
    assert np.array_equal(a.mask, b.mask)
    assert np.array_equal(a.boxes.xyxy, b.boxes.xyxy) and np.array_equal(a.boxes.labels, b.boxes.labels)
    assert np.array_equal(a.keypoints.xy, b.keypoints.xy) and np.array_equal(a.keypoints.visible, b.keypoints.visible)


@pytest.mark.parametrize("name", ["RandAugment", "TrivialAugmentWide", "AutoAugment", "TimmRandAugment"])
def test_geometric_ops_move_targets_as_the_affine_transforms(name, photos):
    policy = {
        "RandAugment": lambda: augkit.RandAugment(num_ops=4, magnitude=20),
        "TrivialAugmentWide": lambda: augkit.TrivialAugmentWide(),
        "AutoAugment": lambda: augkit.AutoAugment("svhn"),
        "TimmRandAugment": lambda: augkit.RandAugment.from_timm("rand-m9-n4-mstd0.5-inc1", interpolation="nearest"),
    }[name]()
    kinds = policy._kinds()
    moved = 0
    for seed in range(24):
        sample = targets_sample(photos[seed % 5])
        out, params = policy.run(sample, np.random.default_rng(seed))
        expected = affine_reference(sample, params, kinds, policy.fill)
        assert_same_targets(out, expected)
        geometric = [kinds[o] in AFFINE for o, ran in zip(params.ops, params.applied) if ran]
        moved += any(geometric)
        if not any(geometric):
            assert np.array_equal(out.mask, sample.mask) and np.array_equal(out.boxes.xyxy, sample.boxes.xyxy)
        else:  # the pixels moved by the same warps: the geometry-only reference's image is the policy's when all ops are geometric
            if all(geometric):
                assert np.array_equal(out.image, expected.image)
    assert moved >= 3


def test_batch_targets_follow_each_row(photos):
    policy = augkit.RandAugment(num_ops=3, magnitude=15)
    samples = [targets_sample(p) for p in photos[:5]] * 2
    batch = Batch(
        torch.stack([chw(s.image) for s in samples]),
        torch.arange(len(samples)),
        masks=torch.stack([torch.from_numpy(s.mask) for s in samples]),
        boxes=[s.boxes for s in samples],
        keypoints=[s.keypoints for s in samples],
    )
    out, params = policy.run(batch, np.random.default_rng(7))
    for i, sample in enumerate(samples):
        single = policy.apply(sample, params_at(params, i))
        assert np.array_equal(out.masks[i].numpy(), single.mask)
        assert np.array_equal(out.boxes[i].xyxy, single.boxes.xyxy)
        assert np.array_equal(out.keypoints[i].xy, single.keypoints.xy)
        assert max_diff(out.images[i], chw(single.image)) <= 1.0


def test_photometric_policies_leave_targets():
    sample = targets_sample(np.full((HEIGHT, WIDTH, 3), 90, np.uint8))
    out = augkit.ThreeAugment()(sample, rng=0)
    assert_same_targets(out, sample)


# ---- kernels, parameters, captions --------------------------------------------------------------


@pytest.mark.parametrize("fill", [None, 0, 77, (10, 200, 30)])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_whole_pixel_shift_equals_the_warp(photos, fill, interpolation):
    from augkit.functional import warping as A

    rng = np.random.default_rng(8)
    batch = torch.stack([chw(p) for p in photos[:5]])
    dx, dy = rng.integers(-70, 70, 5), rng.integers(-50, 50, 5)
    warped = A.affine(batch, np.zeros(5), (dx, dy), np.ones(5), (np.zeros(5), np.zeros(5)), interpolation, fill)
    assert torch.equal(PO.shift(batch, dx, dy, fill), warped)
    for i, photo in enumerate(photos[:5]):
        assert np.array_equal(PO.shift(photo, dx[i], dy[i], fill), hwc(warped[i]))


def test_solarize_add_is_pils_table():
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    for add in (0, 37, 110):
        expected = np.where(levels < 128, np.minimum(255, levels.astype(int) + add), levels)
        assert np.array_equal(PO.solarize_add(levels, add), expected)
        assert np.array_equal(PO.solarize_add(chw(levels)[None], [add]).numpy()[0], chw(expected).numpy())
    floats = PO.solarize_add(chw(levels).float() / 255, 37)
    assert torch.allclose(floats * 255, chw(np.where(levels < 128, np.minimum(255, levels.astype(int) + 37), levels)).float(), atol=1e-3)


def test_params_replay_print_and_caption(photos):
    from augkit.preview.captions import describe_params

    policy = augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1")
    pipeline = augkit.Compose([augkit.HorizontalFlip(), policy])
    out, params = pipeline.run(photos[0], np.random.default_rng(3))
    assert np.array_equal(pipeline.apply(photos[0], params), out)
    inner = params.params[1]
    text = inner.describe()
    assert all(op in text for op in inner.ops)
    assert f"{type(policy).__name__}: {text}" in describe_params(params, pipeline)
    assert "PolicyParams(ops=(" in repr(inner)
    batch_params = policy.sample(np.random.default_rng(0), stand_in(4))
    row = params_at(batch_params, 2)
    assert repr(row) == repr(
        PolicyParams(*(tuple(np.asarray(f)[2].tolist()) for f in (batch_params.ops, batch_params.magnitudes, batch_params.applied)))
    )


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: augkit.RandAugment(num_ops=-1), ValueError, "num_ops must be >= 0"),
        (lambda: augkit.RandAugment(magnitude=31), ValueError, "magnitude must be <= 30"),
        (lambda: augkit.RandAugment(interpolation="bicubic"), ValueError, "interpolation must be one of"),
        (lambda: augkit.RandAugment(fill="red"), TypeError, "fill must be a real number"),
        (lambda: augkit.TrivialAugmentWide(num_magnitude_bins=1), ValueError, "num_magnitude_bins must be >= 2"),
        (lambda: augkit.AutoAugment("coco"), ValueError, "policy must be one of"),
        (lambda: augkit.AugMix(severity=11), ValueError, "severity must be <= 10"),
        (lambda: augkit.AugMix(chain_depth=0), ValueError, "chain_depth must be >= 1"),
        (lambda: augkit.AugMix(alpha=0), ValueError, "alpha must be > 0"),
        (lambda: augkit.TimmRandAugment(translate_pct=2.0), ValueError, "translate_pct must lie in"),
    ],
)
def test_arguments_are_checked(make, error, match):
    with pytest.raises(error, match=match):
        make()
