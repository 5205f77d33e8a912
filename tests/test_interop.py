"""augkit.interop: albumentations and torchvision v2 transforms seeded from augkit generators."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import albumentations as A
import numpy as np
import pytest
import torch
from checks import same
from transform_table import photo_like

import augkit
from augkit.interop import SEED_BOUND, Albumentations, SeedParams, TorchVision


def _image(height=40, width=48, seed=0):
    return photo_like(height, width, seed)


def _blurred(out, image) -> bool:
    return not np.array_equal(out, image)


# Builders of fresh albumentations objects (each test compares against a fresh one).
ALBU = {
    "GaussianBlur": lambda: A.GaussianBlur(p=0.5),
    "ColorJitter": lambda: A.ColorJitter(p=1.0),
    "RandomCrop": lambda: A.RandomCrop(20, 30, p=1.0),
    "Compose": lambda: A.Compose([A.HorizontalFlip(p=0.5), A.GaussianBlur(p=0.5), A.RandomResizedCrop((24, 24), p=1.0)]),
    "OneOf": lambda: A.OneOf([A.VerticalFlip(p=1.0), A.MedianBlur(p=1.0), A.Sharpen(p=1.0)], p=0.9),
}


def _albumentations_own(make, seed, image):
    """What albumentations itself gives for ``seed``: a seeded Compose around a fresh transform."""
    t = make()
    if isinstance(t, A.Compose):
        return A.Compose(t.transforms, seed=seed)(image=image)["image"]
    return A.Compose([t], seed=seed)(image=image)["image"]


# --- Albumentations -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALBU))
def test_output_is_albumentations_own_for_the_same_seed(name):
    image = _image()
    wrapper = Albumentations(ALBU[name]())
    for draw in range(6):
        out, params = wrapper.run(image, np.random.default_rng(draw))
        assert params == SeedParams(int(np.random.default_rng(draw).integers(SEED_BOUND)))
        expected = _albumentations_own(ALBU[name], params.seed, image)
        assert same(out, expected), f"{name}: seed {params.seed} differs from albumentations' own output"
        single = ALBU[name]()  # set_random_seed on a bare transform is the same thing
        single.set_random_seed(params.seed)
        assert same(out, single(image=image)["image"])


def test_calls_are_pure_functions_of_the_seed():
    image = _image()
    wrapper = Albumentations(ALBU["Compose"]())
    seeds = [SeedParams(s) for s in (5, 17, 5, 123456789, SEED_BOUND - 1, 17)]
    first = {}
    for params in seeds:  # interleaved: no state may carry from one call to the next
        out = wrapper.apply(image, params)
        if params.seed in first:
            assert same(out, first[params.seed])
        first.setdefault(params.seed, out)
    assert not same(first[5], first[17])


def test_replay_from_params():
    image = _image()
    wrapper = Albumentations(A.Compose([A.RandomResizedCrop((20, 20), p=1.0), A.ColorJitter(p=0.8)]))
    logged = [wrapper.run(image, np.random.default_rng(i)) for i in range(5)]
    for out, params in reversed(logged):
        assert same(wrapper.apply(image, params), out)


def test_wrapped_object_is_copied_and_left_alone():
    blur = A.GaussianBlur(p=0.5)
    blur.set_random_seed(99)
    state = copy.deepcopy(blur.py_random.getstate())
    wrapper = Albumentations(blur)
    wrapper(_image(), rng=0)
    assert wrapper.transform is not blur
    assert blur.seed == 99 and blur.py_random.getstate() == state


def test_single_transform_honours_its_p():
    image = _image()
    half = Albumentations(A.GaussianBlur(blur_limit=(5, 5), p=0.5))
    applied = [_blurred(half(image, rng=i), image) for i in range(200)]
    assert 70 <= sum(applied) <= 130  # Binomial(200, 0.5): outside this happens with p < 1e-4
    for i in range(20):
        assert same(Albumentations(A.GaussianBlur(p=0.0))(image, rng=i), image)
        assert _blurred(Albumentations(A.GaussianBlur(blur_limit=(5, 5), p=1.0))(image, rng=i), image)


def test_shape_changing_transforms():
    image = _image(40, 48)
    assert Albumentations(A.RandomCrop(20, 30))(image, rng=0).shape == (20, 30, 3)
    assert Albumentations(A.Resize(16, 12))(image, rng=0).shape == (16, 12, 3)
    pipe = augkit.Compose([augkit.RandomScale(50, 60), Albumentations(A.RandomCrop(32, 32)), augkit.HorizontalFlip()])
    out, params = pipe.run(image, np.random.default_rng(3))
    assert out.shape == (32, 32, 3) and same(pipe.apply(image, params), out)


def test_float_images():
    image = _image().astype(np.float32) / 255
    wrapper = Albumentations(A.Compose([A.ColorJitter(p=1.0), A.GaussianBlur(p=1.0)]))
    out, params = wrapper.run(image, np.random.default_rng(1))
    assert out.dtype == np.float32 and out.shape == image.shape
    assert same(out, A.Compose([A.ColorJitter(p=1.0), A.GaussianBlur(p=1.0)], seed=params.seed)(image=image)["image"])


def test_non_contiguous_input():
    image = _image()[:, ::-1]  # a view, as flips may return
    wrapper = Albumentations(A.GaussianBlur(p=1.0))
    before = image.copy()
    assert same(wrapper(image, rng=2), wrapper(np.ascontiguousarray(image), rng=2))
    assert same(image, before)


def test_threads_sharing_a_wrapper_stay_deterministic():
    image = _image()
    wrapper = Albumentations(ALBU["Compose"]())
    params = [SeedParams(s) for s in range(40)]
    expected = [wrapper.apply(image, p) for p in params]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda p: wrapper.apply(image, p), params))
    assert all(same(a, b) for a, b in zip(got, expected))


def test_pickle_and_deepcopy():
    image = _image()
    wrapper = Albumentations(ALBU["Compose"]())
    out = wrapper(image, rng=4)
    for clone in (pickle.loads(pickle.dumps(wrapper)), copy.deepcopy(wrapper)):
        assert same(clone(image, rng=4), out)
        assert clone._lock is not wrapper._lock


# --- Albumentations: config -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALBU))
def test_config_round_trip(name):
    image = _image()
    wrapper = Albumentations(ALBU[name]())
    config = wrapper.to_config()
    assert config["name"] == "Albumentations"
    assert config["transform"] == augkit.transforms.base.to_plain(A.to_dict(ALBU[name]()))
    for rebuilt in (augkit.from_config(config), augkit.from_config(augkit.to_yaml(wrapper))):
        assert isinstance(rebuilt, Albumentations) and repr(rebuilt) == repr(wrapper)
        for seed in range(4):
            assert same(rebuilt(image, rng=seed), wrapper(image, rng=seed))


def test_config_round_trip_inside_an_augkit_pipeline():
    image = _image(60, 80)
    pipe = augkit.Compose([augkit.RandomScale(40, 50), Albumentations(A.GaussianBlur(p=0.5)), augkit.RandomCrop(32)])
    rebuilt = augkit.from_config(augkit.to_yaml(pipe))
    for seed in range(4):
        assert same(rebuilt(image, rng=seed), pipe(image, rng=seed))


def _keep(image, **kwargs):
    return image


def test_config_errors():
    with pytest.raises(NotImplementedError, match="cannot serialize"):
        Albumentations(A.Lambda(image=_keep)).to_config()
    with pytest.raises(ValueError, match="'transform' key"):
        Albumentations({"__class_fullname__": "GaussianBlur"})
    with pytest.raises(ValueError, match="could not rebuild"):
        Albumentations({"__version__": "2.0.8", "transform": {"__class_fullname__": "NoSuchTransform", "p": 0.5}})


# --- Albumentations: validation --------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [augkit.HorizontalFlip(), lambda image: image, "GaussianBlur", None, A.GaussianBlur],
    ids=["augkit-transform", "function", "string", "none", "class-not-instance"],
)
def test_rejects_non_albumentations_objects(bad):
    with pytest.raises(TypeError, match="transform must be an albumentations transform"):
        Albumentations(bad)


def test_rejects_bad_images_and_params():
    wrapper = Albumentations(A.GaussianBlur(p=1.0))
    with pytest.raises(TypeError, match="HWC numpy array"):
        wrapper(torch.zeros(3, 8, 8, dtype=torch.uint8), rng=0)
    with pytest.raises(ValueError, match="height, width, channels"):
        wrapper(np.zeros((8, 8), np.uint8), rng=0)
    with pytest.raises(TypeError, match="uint8 or floating point"):
        wrapper(np.zeros((8, 8, 3), np.int32), rng=0)
    with pytest.raises(TypeError, match="params must be SeedParams"):
        wrapper.apply(_image(), 3)


# --- TorchVision ----------------------------------------------------------------------------


@pytest.fixture
def v2():
    return pytest.importorskip("torchvision.transforms.v2")


def _tv_pipeline(v2):
    return v2.Compose([v2.RandomResizedCrop(24), v2.RandomHorizontalFlip(), v2.ColorJitter(0.4, 0.4, 0.4, 0.1)])


def test_torchvision_is_deterministic_and_matches_torchvision(v2):
    image = _image()
    wrapper = TorchVision(_tv_pipeline(v2))
    for draw in range(4):
        out, params = wrapper.run(image, np.random.default_rng(draw))
        assert out.shape == (24, 24, 3) and out.dtype == np.uint8
        assert same(wrapper.apply(image, params), out)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(params.seed)
            expected = _tv_pipeline(v2)(torch.from_numpy(image).permute(2, 0, 1))
        assert same(out, np.ascontiguousarray(expected.permute(1, 2, 0).numpy()))
    assert not same(wrapper(image, rng=0), wrapper(image, rng=1))


def test_torchvision_leaves_global_rng_alone(v2):
    image = _image()
    wrapper = TorchVision(_tv_pipeline(v2))
    torch.manual_seed(1234)
    before = torch.random.get_rng_state()
    expected_next = torch.rand(3)
    torch.random.set_rng_state(before)
    outs = [wrapper(image, rng=seed) for seed in range(3)]
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(torch.rand(3), expected_next)
    # ... and the global state does not leak into the result either.
    torch.manual_seed(999)
    assert all(same(wrapper(image, rng=seed), out) for seed, out in enumerate(outs))


def test_torchvision_honours_p_and_keeps_input(v2):
    image = _image()
    before = image.copy()
    assert same(TorchVision(v2.RandomHorizontalFlip(p=0.0))(image, rng=0), image)
    assert same(TorchVision(v2.RandomHorizontalFlip(p=1.0))(image, rng=0), image[:, ::-1].copy())
    flips = [not same(TorchVision(v2.RandomHorizontalFlip(p=0.5))(image, rng=i), image) for i in range(100)]
    assert 25 <= sum(flips) <= 75
    assert same(image, before)


def test_torchvision_float_output(v2):
    wrapper = TorchVision(v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.RandomVerticalFlip(p=1.0)]))
    image = _image()
    out = wrapper(image, rng=0)
    assert out.dtype == np.float32 and np.allclose(out, image[::-1] / 255.0)


def test_torchvision_has_no_config(v2):
    wrapper = TorchVision(v2.RandomHorizontalFlip())
    with pytest.raises(NotImplementedError, match="no config form"):
        wrapper.to_config()
    with pytest.raises(NotImplementedError, match="no config form"):
        augkit.Compose([augkit.RandomCrop(8), wrapper]).to_config()
    assert repr(wrapper).startswith("TorchVision(transform=RandomHorizontalFlip(")
    clone = pickle.loads(pickle.dumps(wrapper))
    assert same(clone(_image(), rng=5), wrapper(_image(), rng=5))


def test_torchvision_validation(v2):
    import torchvision.transforms as v1

    for bad in (v1.RandomHorizontalFlip(), A.HorizontalFlip(), lambda x: x, None):
        with pytest.raises(TypeError, match="torchvision.transforms.v2 transform"):
            TorchVision(bad)
    with pytest.raises(TypeError, match=r"must return a \[C, H, W\] tensor"):
        TorchVision(v2.Lambda(lambda x: x.numpy()))(_image(), rng=0)


def test_torchvision_missing_gives_a_clear_error(monkeypatch):
    for name in ("torchvision", "torchvision.transforms", "torchvision.transforms.v2"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match="needs torchvision"):
        TorchVision(object())


def test_importing_augkit_does_not_import_torchvision():
    code = "import sys, augkit; augkit.Albumentations, augkit.TorchVision; print('torchvision' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- Inside AugmentedDataset and a real DataLoader -------------------------------------------


@pytest.fixture(scope="module")
def small_images() -> list[np.ndarray]:
    return [photo_like(90 + 7 * i, 110 - 5 * i, seed=i) for i in range(6)]


def _batches(images, seed, num_workers):
    from torch.utils.data import DataLoader

    from augkit.data import AugmentedDataset

    pipeline = augkit.Compose([augkit.RandomScale(230, 260), Albumentations(A.GaussianBlur(p=0.5)), augkit.RandomCrop(224)])
    dataset = AugmentedDataset([(image, i) for i, image in enumerate(images)], pipeline, seed=seed)
    loader = DataLoader(dataset, batch_size=3, num_workers=num_workers)
    out = []
    for epoch in (0, 1):
        dataset.set_epoch(epoch)
        out.extend((images.numpy().copy(), targets.numpy().copy()) for images, targets in loader)
    return out


def test_augmented_dataset_batches_do_not_depend_on_workers(small_images):
    reference = _batches(small_images, seed=0, num_workers=0)
    workers = _batches(small_images, seed=0, num_workers=2)
    assert len(reference) == len(workers) == 4
    assert reference[0][0].shape == (3, 224, 224, 3)
    for (a, ta), (b, tb) in zip(reference, workers):
        assert np.array_equal(a, b) and np.array_equal(ta, tb)
    other = _batches(small_images, seed=1, num_workers=0)
    assert not any(np.array_equal(a, b) for (a, _), (b, _) in zip(reference, other))
    assert not np.array_equal(reference[0][0], reference[2][0])  # epochs differ too
