"""Mixup, CutMix and MixupOrCutMix: properties, the contract, and differential tests against timm."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import batches, seeds

import augkit
from augkit.batch import MixingTransform, MixParams
from augkit.functional import mix as M
from augkit.transforms.base import registered_transforms

K = 7


def make_all(per_sample: bool = False, smoothing: float = 0.0) -> list[MixingTransform]:
    return [
        augkit.Mixup(0.4, K, label_smoothing=smoothing, mode="elem" if per_sample else "batch"),
        augkit.CutMix(1.0, K, label_smoothing=smoothing, mode="elem" if per_sample else "batch"),
        augkit.MixupOrCutMix(0.8, 1.0, 0.5, num_classes=K, label_smoothing=smoothing, mode="elem" if per_sample else "batch"),
    ]


def labels_for(batch: int, seed: int) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).integers(0, K, batch))


def soft_labels_for(batch: int, seed: int) -> torch.Tensor:
    raw = torch.from_numpy(np.random.default_rng(seed).random((batch, K))).float()
    return raw / raw.sum(1, keepdim=True)


def params(lam, cutmix=None, box=None) -> MixParams:
    lam = np.asarray(lam, dtype=np.float64)
    n = lam.size
    cutmix = np.zeros(n, bool) if cutmix is None else np.asarray(cutmix, bool)
    box = [np.zeros(n, np.int64)] * 4 if box is None else [np.asarray(v, np.int64) for v in box]
    return MixParams(lam, cutmix, *box)


# ---- properties -------------------------------------------------------------------------------


@given(
    batches(min_batch=1, max_batch=7, min_side=1, max_side=12, dtype=torch.float32),
    st.sampled_from([0.0, 0.1, 1.0]),
    st.booleans(),
    st.booleans(),
    seeds,
)
@settings(max_examples=30)
def test_soft_targets_are_nonnegative_and_rows_sum_to_one(images, smoothing, per_sample, soft, seed):
    b = images.shape[0]
    targets = soft_labels_for(b, seed) if soft else labels_for(b, seed)
    for t in make_all(per_sample, smoothing):
        out_images, out_targets = t(images, targets, rng=seed)
        assert out_images.shape == images.shape and out_images.dtype == images.dtype
        assert out_targets.shape == (b, K) and out_targets.dtype == torch.float32
        assert (out_targets >= 0).all()
        assert torch.allclose(out_targets.sum(1), torch.ones(b), atol=1e-5)


@given(batches(min_batch=1, max_batch=6, min_side=1, max_side=10, dtype=torch.float32), seeds)
def test_lambda_one_mixup_is_identity(images, seed):
    b = images.shape[0]
    labels = labels_for(b, seed)
    mixup = augkit.Mixup(0.2, K, label_smoothing=0.1)
    out, targets = mixup.apply(images, labels, params(np.ones(b)))
    assert torch.equal(out, images)
    assert torch.equal(targets, M.soft_targets(labels, K, 0.1))


@given(batches(min_batch=2, max_batch=8, min_side=1, max_side=10, dtype=torch.float32), st.booleans(), seeds)
def test_mixed_image_is_the_blend_implied_by_the_targets(images, per_sample, seed):
    b = images.shape[0]
    labels = torch.arange(b)  # a class per sample, so the targets tell lambda
    mixup = augkit.Mixup(1.0, b, mode="elem" if per_sample else "batch")
    out, targets = mixup(images, labels, rng=seed)
    for i in range(b):
        j = b - 1 - i
        if int(labels[i]) == int(labels[j]):
            continue  # the middle sample of an odd batch: its own partner
        lam = float(targets[i, labels[i]])
        assert float(targets[i, labels[j]]) == pytest.approx(1 - lam, abs=1e-6)
        expected = lam * images[i].double() + (1 - lam) * images[j].double()
        assert (out[i].double() - expected).abs().max() <= 1e-5


@given(st.integers(1, 9), st.integers(1, 20), st.integers(1, 20), st.booleans(), seeds)
def test_cutmix_pasted_area_is_exactly_one_minus_lambda(b, h, w, per_sample, seed):
    images = torch.arange(b, dtype=torch.float32).view(b, 1, 1, 1).expand(b, 2, h, w).contiguous()
    labels = torch.arange(b)
    cutmix = augkit.CutMix(1.0, b, mode="elem" if per_sample else "batch")
    (out, targets), p = cutmix.run(images, labels, np.random.default_rng(seed))
    for i in range(b):
        j = b - 1 - i
        area = (p.bottom[i] - p.top[i]) * (p.right[i] - p.left[i])
        assert p.lam[i] == 1.0 - area / (h * w)  # exactly, as computed
        if i != j:
            pasted = int((out[i, 0] == j).sum())
            assert pasted == area
            assert float(targets[i, j]) == pytest.approx(area / (h * w), abs=1e-6)
            assert float(targets[i, i]) == pytest.approx(1 - area / (h * w), abs=1e-6)
        else:
            assert torch.equal(out[i], images[i])


@pytest.mark.parametrize("b", [1, 3, 5])
@pytest.mark.parametrize("per_sample", [False, True])
def test_odd_batches_pair_the_middle_sample_with_itself(b, per_sample):
    images = torch.rand(b, 3, 6, 6)
    labels = torch.arange(b)
    for t in make_all(per_sample, smoothing=0.1):
        out, targets = t(images, labels, rng=3)
        m = b // 2
        assert torch.equal(out[m], images[m])
        assert torch.allclose(targets[m], M.soft_targets(labels, K, 0.1)[m], atol=1e-6)


@pytest.mark.parametrize("per_sample", [False, True])
def test_empty_batch(per_sample):
    for t in make_all(per_sample):
        images, targets = t(torch.rand(0, 3, 5, 5), torch.zeros(0, dtype=torch.int64), rng=0)
        assert images.shape == (0, 3, 5, 5) and targets.shape == (0, K)


def test_inputs_are_never_modified():
    images = torch.rand(6, 3, 10, 10)
    for targets in (torch.arange(6), soft_labels_for(6, 0)):
        before_images, before_targets = images.clone(), targets.clone()
        for per_sample in (False, True):
            for t in make_all(per_sample, 0.2):
                out, out_t = t(images, targets, rng=1)
                assert out.data_ptr() != images.data_ptr() and out_t.data_ptr() != targets.data_ptr()
        assert torch.equal(images, before_images) and torch.equal(targets, before_targets)


@given(batches(min_batch=0, max_batch=7, min_side=1, max_side=12, dtype=torch.float32), seeds)
@settings(max_examples=30)
def test_vectorized_and_per_sample_kernels_agree(images, seed):
    t = augkit.MixupOrCutMix(0.5, 1.0, num_classes=K, mode="elem")
    p = t.sample(np.random.default_rng(seed), images)
    args = (p.lam, p.cutmix, p.top, p.left, p.bottom, p.right)
    a = M.mix_images(images, *args, vectorized=True)
    c = M.mix_images(images, *args, vectorized=False)
    assert (a - c).abs().max().item() <= 1e-6 if images.numel() else a.shape == c.shape


def test_draws_per_sample_or_per_batch():
    images = torch.rand(64, 3, 8, 8)
    for t in make_all(per_sample=True):
        p = t.sample(np.random.default_rng(0), images)
        assert p.lam.shape == (64,) and len(np.unique(p.lam)) > 8
    mixed = augkit.MixupOrCutMix(0.8, 1.0, num_classes=K, mode="elem").sample(np.random.default_rng(0), images)
    assert 0 < mixed.cutmix.sum() < 64
    assert (mixed.top[~mixed.cutmix] == mixed.bottom[~mixed.cutmix]).all()
    for t in make_all(per_sample=False):
        p = t.sample(np.random.default_rng(0), images)
        for field in (p.lam, p.cutmix, p.top, p.left, p.bottom, p.right):
            assert field.shape == (64,) and (field == field[0]).all()


def test_lambda_follows_beta():
    images = torch.zeros(20000, 1, 1, 1)
    p = augkit.Mixup(0.4, K, mode="elem").sample(np.random.default_rng(0), images)
    assert p.lam.mean() == pytest.approx(0.5, abs=0.01)
    assert p.lam.var() == pytest.approx(0.25 / (2 * 0.4 + 1), abs=0.01)  # Beta(a, a): 1 / (4 (2a + 1))


# ---- dtypes and errors ------------------------------------------------------------------------


def test_uint8_blending_raises_and_cutmix_keeps_uint8():
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    for t in (augkit.Mixup(0.2, K), augkit.MixupOrCutMix(0.2, 1.0, num_classes=K)):
        with pytest.raises(TypeError, match="needs a float batch.*after Normalize"):
            t(images, torch.arange(4), rng=0)
    out, targets = augkit.CutMix(1.0, K)(images, torch.arange(4), rng=0)
    assert out.dtype == torch.uint8 and targets.dtype == torch.float32


def test_float64_images_and_soft_targets_keep_dtype():
    images = torch.rand(4, 3, 8, 8, dtype=torch.float64)
    targets = soft_labels_for(4, 0).double()
    out, out_t = augkit.Mixup(0.2, K)(images, targets, rng=0)
    assert out.dtype == torch.float64 and out_t.dtype == torch.float64


@pytest.mark.parametrize(
    ("images", "targets", "error", "match"),
    [
        (torch.rand(3, 8, 8), torch.arange(3), TypeError, "needs a \\[B, C, H, W\\] tensor"),
        (torch.rand(4, 3, 8, 8), torch.arange(3), ValueError, "targets must be \\[B\\] = \\[4\\]"),
        (torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, K]), ValueError, "class indices must be in \\[0, 6\\]"),
        (torch.rand(4, 3, 8, 8), torch.rand(4, K + 1), ValueError, "soft targets must have shape"),
    ],
)
def test_bad_inputs_raise_clear_errors(images, targets, error, match):
    with pytest.raises(error, match=match):
        augkit.Mixup(0.2, K)(images, targets, rng=0)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: augkit.Mixup(0.0, 10), ValueError, "alpha must be > 0"),
        (lambda: augkit.Mixup(0.2, 0), ValueError, "num_classes must be >= 1"),
        (lambda: augkit.CutMix(1.0, 10, label_smoothing=1.5), ValueError, "label_smoothing must be a probability"),
        (lambda: augkit.MixupOrCutMix(0.2, -1.0, num_classes=10), ValueError, "cutmix_alpha must be >= 0"),
        (lambda: augkit.MixupOrCutMix(0.0, 0.0, num_classes=10), ValueError, "both 0"),
        (lambda: augkit.Mixup(0.2, 10, mode="row"), ValueError, "mode must be one of"),
        (lambda: augkit.MixupOrCutMix(0.2, 1.0, 2.0, num_classes=10), ValueError, "switch_prob must be a probability"),
        (lambda: augkit.Mixup("a", 10), TypeError, "alpha must be a real number"),
    ],
)
def test_argument_errors_name_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ---- the contract -----------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(6))
def test_contract(index):
    t = (make_all(False, 0.1) + make_all(True))[index]
    images, labels = torch.rand(6, 3, 9, 11), torch.tensor([0, 1, 2, 3, 4, 6])
    assert t.mixes_targets is True and isinstance(t, augkit.Transform)
    assert augkit.HorizontalFlip().mixes_targets is False
    first = t(images, labels, rng=np.random.default_rng(5))
    again = t(images, labels, rng=np.random.default_rng(5))
    (ran, p) = t.run(images, labels, np.random.default_rng(5))
    replay = t.apply(images, labels, t.sample(np.random.default_rng(5), images))
    clone = pickle.loads(pickle.dumps(t))(images, labels, rng=np.random.default_rng(5))
    rebuilt = augkit.from_config(t.to_config())
    assert type(rebuilt) is type(t) and repr(rebuilt) == repr(t)
    from_yaml = augkit.from_config(augkit.to_yaml(t))(images, labels, rng=np.random.default_rng(5))
    for other in (again, ran, replay, clone, from_yaml):
        assert torch.equal(first[0], other[0]) and torch.equal(first[1], other[1])
    assert isinstance(p, MixParams)


def test_mixing_transforms_are_registered_and_repr_reads_back():
    table = registered_transforms()
    for name in ("Mixup", "CutMix", "MixupOrCutMix"):
        assert issubclass(table[name], MixingTransform)
    assert "MixingTransform" not in table
    assert repr(augkit.MixupOrCutMix(0.8, 1.0, num_classes=10)) == (
        "MixupOrCutMix(mixup_alpha=0.8, cutmix_alpha=1.0, switch_prob=0.5, num_classes=10, label_smoothing=0.0, prob=1.0,"
        " mode='batch', bce_target_thresh=None, cutmix_minmax=None, correct_lam=True)"
    )


# ---- timm: the same parameters give the same images and targets --------------------------------


class _Recorder:
    """Wraps timm's parameter functions to capture lambda, the CutMix choice and the boxes."""

    def __init__(self, monkeypatch, mixup_module, mixer):
        self.boxes, self.draws = [], []
        real_box = mixup_module.cutmix_bbox_and_lam
        real_elem, real_batch = mixer._params_per_elem, mixer._params_per_batch

        def box(*args, **kwargs):
            result = real_box(*args, **kwargs)
            self.boxes.append(result)
            return result

        def elem(*args, **kwargs):
            result = real_elem(*args, **kwargs)
            self.draws.append((result[0].copy(), result[1].copy()))
            return result

        def batch(*args, **kwargs):
            result = real_batch(*args, **kwargs)
            self.draws.append(result)
            return result

        monkeypatch.setattr(mixup_module, "cutmix_bbox_and_lam", box)
        monkeypatch.setattr(mixer, "_params_per_elem", elem)
        monkeypatch.setattr(mixer, "_params_per_batch", batch)

    def params(self, b: int, mode: str) -> MixParams:
        """Our parameters for what timm drew: one box for the batch, one per CutMix row (or pair).

        timm draws no box where lambda came out 1 (``prob`` < 1, or a pair/element left unmixed);
        in ``"pair"`` mode row ``B - 1 - i`` takes row ``i``'s lambda and box.
        """
        lam, cut = self.draws[-1]
        n = b // 2 if mode == "pair" else b
        lam = np.broadcast_to(np.asarray(lam, np.float64), (n,)).copy()
        cut = np.broadcast_to(np.asarray(cut, bool), (n,)).copy() & (lam != 1.0)
        rows = np.flatnonzero(cut)
        boxes = self.boxes * len(rows) if mode == "batch" else self.boxes
        assert len(boxes) == len(rows)
        box = np.zeros((4, n), np.int64)
        for row, ((yl, yh, xl, xh), corrected) in zip(rows, boxes):
            box[:, row] = (yl, xl, yh, xh)
            lam[row] = corrected
        if mode == "pair":
            lam, cut = np.concatenate([lam, lam[::-1]]), np.concatenate([cut, cut[::-1]])
            box = np.concatenate([box, box[:, ::-1]], axis=1)
        return MixParams(lam, cut, *box)


@pytest.mark.parametrize("mode", ["batch", "elem"])
@pytest.mark.parametrize(("mixup_alpha", "cutmix_alpha"), [(0.4, 0.0), (0.0, 1.0), (0.8, 1.0)])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_same_as_timm_for_the_same_parameters(monkeypatch, mode, mixup_alpha, cutmix_alpha, seed):
    timm_mixup = pytest.importorskip("timm.data.mixup")
    b = 8
    images = torch.rand(b, 3, 13, 17, generator=torch.Generator().manual_seed(seed))
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, 2])
    mixer = timm_mixup.Mixup(mixup_alpha=mixup_alpha, cutmix_alpha=cutmix_alpha, mode=mode, label_smoothing=0.1, num_classes=K)
    recorder = _Recorder(monkeypatch, timm_mixup, mixer)
    np.random.seed(seed)  # timm draws from numpy's global generator
    theirs_images, theirs_targets = mixer(images.clone(), labels)
    p = recorder.params(b, mode)
    if mixup_alpha and cutmix_alpha:
        ours = augkit.MixupOrCutMix(mixup_alpha, cutmix_alpha, num_classes=K, label_smoothing=0.1, mode=mode)
    elif mixup_alpha:
        ours = augkit.Mixup(mixup_alpha, K, label_smoothing=0.1, mode=mode)
    else:
        ours = augkit.CutMix(cutmix_alpha, K, label_smoothing=0.1, mode=mode)
    our_images, our_targets = ours.apply(images, labels, p)
    assert (our_images - theirs_images).abs().max().item() <= 1e-6
    assert (our_targets - theirs_targets).abs().max().item() <= 1e-6


def test_cutmix_box_is_timms_rand_bbox(monkeypatch):
    timm_mixup = pytest.importorskip("timm.data.mixup")
    rng = np.random.default_rng(0)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        lam, cy, cx = rng.random(), int(rng.integers(0, h)), int(rng.integers(0, w))
        centers = iter([cy, cx])
        monkeypatch.setattr(timm_mixup.np.random, "randint", lambda *a, **k: next(centers))
        (yl, yh, xl, xh), their_lam = timm_mixup.cutmix_bbox_and_lam((3, h, w), lam)
        top, left, bottom, right, our_lam = M.cutmix_box(h, w, np.array([lam]), np.array([cy]), np.array([cx]))
        assert (top[0], bottom[0], left[0], right[0]) == (yl, yh, xl, xh)
        assert our_lam[0] == pytest.approx(their_lam, abs=1e-12)


def test_per_sample_is_a_deprecated_spelling_of_elem_mode():
    with pytest.warns(DeprecationWarning, match="mode='elem'"):
        t = augkit.Mixup(0.4, K, per_sample=True)
    assert t.mode == "elem" and t.per_sample and "per_sample" not in t.to_config()


def _timm_and_ours(mixup_alpha, cutmix_alpha, **options):
    timm_mixup = pytest.importorskip("timm.data.mixup")
    theirs = timm_mixup.Mixup(mixup_alpha=mixup_alpha, cutmix_alpha=cutmix_alpha, label_smoothing=0.1, num_classes=K, **options)
    options.pop("switch_prob", None)
    if options.get("cutmix_minmax") is not None:
        cutmix_alpha = 1.0  # timm forces it with cutmix_minmax
    if mixup_alpha and cutmix_alpha:
        ours = augkit.MixupOrCutMix(mixup_alpha, cutmix_alpha, num_classes=K, label_smoothing=0.1, **options)
    elif mixup_alpha:
        ours = augkit.Mixup(mixup_alpha, K, label_smoothing=0.1, **options)
    else:
        ours = augkit.CutMix(cutmix_alpha, K, label_smoothing=0.1, **options)
    return timm_mixup, theirs, ours


#: timm's options beyond the defaults, each a case: (mixup_alpha, cutmix_alpha, options).
TIMM_OPTIONS = {
    "prob-batch": (0.8, 1.0, {"prob": 0.5, "mode": "batch"}),
    "prob-elem": (0.8, 1.0, {"prob": 0.6, "mode": "elem"}),
    "pair": (0.8, 1.0, {"mode": "pair"}),
    "pair-prob-mixup": (0.4, 0.0, {"mode": "pair", "prob": 0.7}),
    "pair-cutmix": (0.0, 1.0, {"mode": "pair"}),
    "minmax-batch": (0.0, 1.0, {"cutmix_minmax": (0.2, 0.8), "mode": "batch"}),
    "minmax-elem": (0.8, 1.0, {"cutmix_minmax": (0.3, 0.9), "mode": "elem"}),
    "no-correct-lam": (0.0, 1.0, {"correct_lam": False, "mode": "elem"}),
    "no-correct-lam-pair": (0.8, 1.0, {"correct_lam": False, "mode": "pair", "switch_prob": 0.7}),
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("case", sorted(TIMM_OPTIONS))
def test_timm_options_same_as_timm(monkeypatch, case, seed):
    """prob < 1, mode="pair", cutmix_minmax and correct_lam=False: timm's images and targets for timm's draws."""
    mixup_alpha, cutmix_alpha, options = TIMM_OPTIONS[case]
    mode = options.get("mode", "batch")
    timm_mixup, theirs_mixer, ours = _timm_and_ours(mixup_alpha, cutmix_alpha, **dict(options))
    b = 8
    images = torch.rand(b, 3, 13, 17, generator=torch.Generator().manual_seed(seed))
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, 2])
    recorder = _Recorder(monkeypatch, timm_mixup, theirs_mixer)
    state = np.random.get_state()
    np.random.seed(seed)  # timm draws from numpy's global generator
    try:
        theirs_images, theirs_targets = theirs_mixer(images.clone(), labels)
    finally:
        np.random.set_state(state)
    our_images, our_targets = ours.apply(images, labels, recorder.params(b, mode))
    assert (our_images - theirs_images).abs().max().item() <= 1e-6
    assert (our_targets - theirs_targets).abs().max().item() <= 1e-6


@pytest.mark.parametrize("thresh", [0.2, 0.5])
def test_bce_targets_are_timms_thresholded_targets(monkeypatch, thresh):
    """bce_target_thresh: the targets timm's BinaryCrossEntropy(target_threshold) trains on ("ResNet strikes back")."""
    bce_module = pytest.importorskip("timm.loss.binary_cross_entropy")
    seen = []
    monkeypatch.setattr(bce_module.F, "binary_cross_entropy_with_logits", lambda x, target, *a, **k: seen.append(target) or x.sum())
    loss = bce_module.BinaryCrossEntropy(target_threshold=thresh)
    images = torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 1, 2, 3, 4, 5])
    for t in (augkit.Mixup(0.4, K, label_smoothing=0.1, mode="elem"), augkit.CutMix(1.0, K, mode="elem")):
        params = t.sample(np.random.default_rng(3), images)
        soft = type(t)(**{**t.config_args(), "bce_target_thresh": None}).apply(images, labels, params)[1]
        binary = augkit.from_config({**t.to_config(), "bce_target_thresh": thresh}).apply(images, labels, params)[1]
        loss(torch.zeros(6, K), soft)
        assert torch.equal(binary, seen[-1])
        assert set(binary.unique().tolist()) <= {0.0, 1.0} and (binary.sum(1) >= 1).all()


def test_cutmix_minmax_boxes_reach_every_position_timm_draws():
    """timm's rand_bbox_minmax: box sides in [min, max) of the side, corners uniform over every fitting position."""
    t = augkit.CutMix(1.0, K, cutmix_minmax=(0.25, 0.75), mode="elem")
    p = t.sample(np.random.default_rng(0), torch.zeros(20000, 1, 8, 8))
    heights = p.bottom - p.top
    assert set(heights.tolist()) == {2, 3, 4, 5}  # randint(int(8 * 0.25), int(8 * 0.75))
    for h in (2, 5):
        tops = p.top[heights == h]
        assert set(tops.tolist()) == set(range(0, 8 - h + 1))  # randint(0, H - h + 1): touching the bottom too
