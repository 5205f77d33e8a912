"""augkit.data: deterministic datasets, uint8 collation and the DeviceLoader (CPU path)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, DistributedSampler

import augkit
from augkit import Compose, HorizontalFlip, Normalize, RandomApply, RandomResizedCrop, ToTensor
from augkit.data import AugmentedDataset, DeviceLoader, ImageFolder, ImageList, SkippedItemWarning, Uint8Collate
from augkit.rng import derive_generator
from augkit.samples import sample_paths
from augkit.transforms.base import BATCH_STAGE, Transform

SIZE = 12


def _pipeline():
    return Compose([RandomResizedCrop(SIZE), HorizontalFlip(), ToTensor()])


@pytest.fixture(scope="module")
def image_paths(tmp_path_factory) -> list[str]:
    """Ten small generated images (PNG and JPEG) and two of the bundled photos."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(10):
        pixels = rng.integers(0, 256, (20 + i, 24, 3), dtype=np.uint8)
        path = folder / f"img{i:02d}.{'png' if i % 2 else 'jpg'}"
        Image.fromarray(pixels).save(path)
        paths.append(str(path))
    return paths + [str(p) for p in sample_paths()[:2]]


def _dataset(paths, seed=0, on_error="raise"):
    return AugmentedDataset(ImageList(paths, targets=list(range(len(paths)))), _pipeline(), seed=seed, on_error=on_error)


def _epochs(dataset, epochs=(0, 1), **loader_args):
    """All batches of the given epochs, as numpy arrays (copied out of the loader's buffers)."""
    loader = DataLoader(dataset, batch_size=4, collate_fn=Uint8Collate(), **loader_args)
    out = []
    for epoch in epochs:
        dataset.set_epoch(epoch)
        out.append([(images.numpy().copy(), targets.numpy().copy()) for images, targets in loader])
    return out


def _same_batches(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, b))


# --- AugmentedDataset: determinism -----------------------------------------------------


def test_items_are_a_pure_function_of_seed_epoch_index(image_paths):
    ds = _dataset(image_paths, seed=3)
    ds.set_epoch(2)
    image, target = ds[5]
    expected = _pipeline()(augkit.decode(image_paths[5]), rng=derive_generator(3, 2, 5))
    assert target == 5 and torch.equal(image, expected)
    assert torch.equal(ds[5 - len(ds)][0], image)  # negative indices name the same item


@pytest.mark.parametrize(
    "loader_args",
    [
        {"num_workers": 1},
        {"num_workers": 2},
        {"num_workers": 2, "persistent_workers": True},
    ],
    ids=["1-worker", "2-workers", "2-persistent-workers"],
)
def test_dataloader_batches_do_not_depend_on_workers(image_paths, loader_args):
    reference = _epochs(_dataset(image_paths))  # num_workers=0
    got = _epochs(_dataset(image_paths), **loader_args)
    for epoch in (0, 1):
        assert _same_batches(reference[epoch], got[epoch]), f"epoch {epoch} differs with {loader_args}"
    assert not _same_batches(reference[0], reference[1]), "different epochs must differ"


def test_persistent_workers_see_set_epoch_across_epochs(image_paths):
    ds = _dataset(image_paths)
    loader = DataLoader(ds, batch_size=6, num_workers=1, persistent_workers=True, collate_fn=Uint8Collate())
    seen = []
    for epoch in (0, 1, 0):
        ds.set_epoch(epoch)
        seen.append(torch.cat([images.clone() for images, _ in loader]))
    assert not torch.equal(seen[0], seen[1])
    assert torch.equal(seen[0], seen[2])
    ds.set_epoch(1)
    assert torch.equal(seen[1][3], ds[3][0])


def test_seeds_differ_and_order_and_batch_size_do_not_matter(image_paths):
    a = _epochs(_dataset(image_paths, seed=0), epochs=(0,))[0]
    b = _epochs(_dataset(image_paths, seed=1), epochs=(0,))[0]
    assert not _same_batches(a, b)
    ds = _dataset(image_paths, seed=0)
    loader = DataLoader(ds, batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(7), collate_fn=Uint8Collate())
    by_index = {int(t): img.clone() for images, targets in loader for img, t in zip(images, targets)}
    reference = np.concatenate([images for images, _ in a])
    assert len(by_index) == len(image_paths)
    for i, image in by_index.items():
        assert np.array_equal(image.numpy(), reference[i])


def test_distributed_sampler_with_set_epoch(image_paths):
    ds = _dataset(image_paths)
    seen = {}
    for epoch in (0, 1):
        indices = []
        for rank in (0, 1):
            sampler = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=True, seed=0)
            loader = DeviceLoader(DataLoader(ds, batch_size=2, sampler=sampler, collate_fn=Uint8Collate()), "cpu")
            loader.set_epoch(epoch)
            assert sampler.epoch == epoch and ds.epoch == epoch
            for images, targets in loader:
                for image, t in zip(images, targets):
                    assert torch.equal(image, ds[int(t)][0])
                    indices.append(int(t))
            assert loader.generator(1, size=2).batch_index == 1 * 2 + rank  # once-per-batch draws: global batch index
        assert sorted(indices) == list(range(len(ds)))
        seen[epoch] = indices
    assert seen[0] != seen[1]


# --- AugmentedDataset: errors ----------------------------------------------------------


@pytest.fixture
def with_corrupt(image_paths, tmp_path) -> tuple[list[str], list[str]]:
    bad_text = tmp_path / "not_an_image.jpg"
    bad_text.write_bytes(b"this is not an image")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(open(image_paths[1], "rb").read()[:60])
    paths = list(image_paths)
    paths[2], paths[7] = str(bad_text), str(truncated)
    return paths, [str(bad_text), str(truncated)]


def test_on_error_skip_replaces_counts_and_reports(with_corrupt):
    paths, bad = with_corrupt
    ds = _dataset(paths, on_error="skip")
    loader = DeviceLoader(DataLoader(ds, batch_size=4, collate_fn=Uint8Collate()), "cpu")
    with pytest.warns(SkippedItemWarning) as record:
        batches = list(loader)
    messages = " ".join(str(w.message) for w in record)
    assert all(path in messages for path in bad)
    assert "2 undecodable items were skipped" in messages  # the main-process epoch report
    assert ds.num_skipped == 2
    assert [len(images) for images, _ in batches] == [4, 4, 4]  # never short: replaced
    ds.set_epoch(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SkippedItemWarning)  # known bad: passed over without a retry
        replaced, target = ds[2]
    assert target == 3  # the next decodable item, with item 2's generator
    assert torch.equal(replaced, _pipeline()(augkit.decode(paths[3]), rng=derive_generator(0, 0, 2)))


def test_on_error_skip_counts_across_workers(with_corrupt):
    paths, _ = with_corrupt
    ds = _dataset(paths, on_error="skip")
    loader = DeviceLoader(DataLoader(ds, batch_size=4, num_workers=2, collate_fn=Uint8Collate()), "cpu")
    with pytest.warns(SkippedItemWarning, match="2 undecodable items"):
        sizes = [len(images) for images, _ in loader]
    assert sizes == [4, 4, 4]
    assert ds.num_skipped == 2


def test_on_error_skip_with_nothing_decodable_raises(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    ds = AugmentedDataset([str(bad)] * 3, _pipeline(), on_error="skip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemWarning)
        with pytest.raises(augkit.ImageDecodeError, match="can be decoded"):
            ds[0]


@pytest.mark.parametrize("num_workers", [0, 1])
def test_on_error_raise_names_the_path(with_corrupt, num_workers):
    paths, bad = with_corrupt
    loader = DataLoader(_dataset(paths), batch_size=4, num_workers=num_workers, collate_fn=Uint8Collate())
    iterator = iter(loader)
    try:
        with pytest.raises(augkit.ImageDecodeError, match="not_an_image.jpg"):
            list(iterator)
    finally:
        # Shut the worker down now: torch's shutdown at garbage collection, after a worker
        # error, waits its 5 s status-check timeout.
        getattr(iterator, "_shutdown_workers", lambda: None)()


def test_augmented_dataset_arguments(image_paths):
    with pytest.raises(ValueError, match="on_error"):
        AugmentedDataset([], _pipeline(), on_error="ignore")
    with pytest.raises(ValueError, match="seed"):
        AugmentedDataset([], _pipeline(), seed=-1)
    with pytest.raises(TypeError, match="pipeline"):
        AugmentedDataset([], lambda x: x)
    with pytest.raises(ValueError, match="sample stage"):
        AugmentedDataset([], _BatchOnly())
    ds = _dataset(image_paths)
    with pytest.raises(IndexError):
        ds[len(ds)]
    with pytest.raises(ValueError, match="epoch"):
        ds.set_epoch(-1)
    # Images without targets, and arrays that need no decoding, come out as tensors.
    plain = AugmentedDataset([np.zeros((16, 16, 3), np.uint8)], _pipeline())
    assert isinstance(plain[0], torch.Tensor) and plain[0].shape == (3, SIZE, SIZE)
    assert pickle.loads(pickle.dumps(ds)).seed == 0


# --- ImageFolder / ImageList -----------------------------------------------------------


def test_image_folder_layout(tmp_path):
    pixels = np.zeros((4, 4, 3), np.uint8)
    for name in ("zebra/a.png", "ant/b.JPG", "ant/nested/c.png", "ant/notes.txt", "ant/.hidden.png"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("txt"):
            path.write_text("x")
        else:
            Image.fromarray(pixels).save(path, format="PNG")
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["ant", "zebra"] and ds.class_to_idx == {"ant": 0, "zebra": 1}
    assert [(p[len(str(tmp_path)) + 1 :], t) for p, t in ds.samples] == [("ant/b.JPG", 0), ("ant/nested/c.png", 0), ("zebra/a.png", 1)]
    assert ds.targets == [0, 0, 1] and len(ds) == 3
    image, target = AugmentedDataset(ds, ToTensor())[2]
    assert target == 1 and image.shape == (3, 4, 4)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no class folders"):
        ImageFolder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(FileNotFoundError, match="empty_class"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True)) == 0
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        ImageFolder(tmp_path / "file.png")


def test_image_list():
    assert ImageList(["a.png"])[0] == "a.png"
    with pytest.raises(ValueError, match="one entry per path"):
        ImageList(["a.png", "b.png"], targets=[0])
    with pytest.raises(TypeError, match="sequence of paths"):
        ImageList("a.png")


# --- Uint8Collate ----------------------------------------------------------------------


def _items(n=3, value=0, size=(5, 6)):
    return [(torch.full((3, *size), value + i, dtype=torch.uint8), i) for i in range(n)]


def test_collate_values_layout_and_targets():
    hwc = [np.random.default_rng(i).integers(0, 256, (5, 6, 3), dtype=np.uint8) for i in range(3)]
    items = [(ToTensor()(a), i) for i, a in enumerate(hwc)]
    images, targets = Uint8Collate()(items)
    assert images.shape == (3, 3, 5, 6) and images.dtype == torch.uint8
    assert images.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(images, torch.stack([t for t, _ in items]))
    assert targets.dtype == torch.int64 and targets.tolist() == [0, 1, 2]
    nchw = Uint8Collate(channels_last=False)([img for img, _ in items])
    assert nchw.is_contiguous() and torch.equal(nchw, images)
    soft = Uint8Collate()([(img, np.array([0.25, 0.75])) for img, _ in items])[1]
    assert soft.dtype == torch.float32 and soft.shape == (3, 2)
    from_arrays = Uint8Collate()(hwc)
    assert torch.equal(from_arrays, images)


def test_collate_errors():
    with pytest.raises(ValueError, match="one size"):
        Uint8Collate()([torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(3, 4, 5, dtype=torch.uint8)])
    with pytest.raises(TypeError, match="uint8"):
        Uint8Collate()([torch.zeros(3, 4, 4)])
    with pytest.raises(ValueError, match="num_buffers"):
        Uint8Collate(num_buffers=0)


def test_collate_reuses_only_unreferenced_buffers():
    collate = Uint8Collate(num_buffers=2)
    first, _ = collate(_items(value=10))
    held = first.clone()
    view = first[1:]  # any view keeps the memory in use
    del first
    second, _ = collate(_items(value=50))
    assert torch.equal(view, held[1:]), "a batch still referenced was overwritten"
    ptr = second.data_ptr()
    del second
    third, _ = collate(_items(value=90))
    assert third.data_ptr() == ptr and third[0, 0, 0, 0].item() == 90  # dropped -> reused
    assert torch.equal(view, held[1:])
    clone = pickle.loads(pickle.dumps(collate))
    assert clone.num_buffers == 2 and torch.equal(clone(_items())[0], collate(_items())[0])


# --- DeviceLoader ----------------------------------------------------------------------


class _BatchOnly(Transform):
    stages = (BATCH_STAGE,)

    def apply(self, image, params=None):
        return image


class _MixStandIn(augkit.MixingTransform):
    """A stand-in for Mixup: mixes with the reversed batch, per-sample lambda from ``rng``."""

    def __init__(self, num_classes: int) -> None:
        self.num_classes = num_classes

    def sample(self, rng, images):
        return rng.random(images.shape[0]).astype(np.float32)

    def apply(self, batch, params):
        lam = torch.from_numpy(params)
        images, targets = batch.images, batch.labels
        one_hot = torch.nn.functional.one_hot(targets, self.num_classes).float()
        mixed = images * lam.view(-1, 1, 1, 1) + images.flip(0) * (1 - lam.view(-1, 1, 1, 1))
        return batch.replace(images=mixed, labels=one_hot * lam[:, None] + one_hot.flip(0) * (1 - lam[:, None]))


def _batches(n=3, b=4):
    rng = np.random.default_rng(1)
    return [
        (torch.from_numpy(rng.integers(0, 256, (b, 3, 6, 5), dtype=np.uint8)), torch.from_numpy(rng.integers(0, 10, b))) for _ in range(n)
    ]


def _stage():
    return [Normalize(mean=(0.4, 0.5, 0.6), std=(0.2, 0.25, 0.3)), RandomApply(HorizontalFlip(p=1.0), p=0.5), _MixStandIn(10)]


def test_device_loader_cpu_equals_transforms_by_hand(monkeypatch):
    for name in ("Stream", "current_stream", "Event", "stream", "synchronize"):
        monkeypatch.setattr(torch.cuda, name, lambda *a, **k: pytest.fail("a CUDA call on the CPU path"))
    batches = _batches()
    loader = DeviceLoader(batches, "cpu", _stage(), seed=4)
    assert len(loader) == 3
    for epoch in (0, 1):
        loader.set_epoch(epoch)
        got = list(loader)
        for k, ((images, targets), (x, y)) in enumerate(zip(got, batches)):
            rng = loader.generator(k, None, size=len(x), position=k * len(x))  # keyed by position in the epoch
            t_norm, t_flip, t_mix = _stage()
            expected = t_flip(t_norm(x, rng=rng), rng=rng)
            expected, soft = t_mix(expected, y, rng=rng)
            assert torch.equal(images, expected) and torch.equal(targets, soft)
            assert images.is_contiguous()
        if epoch == 0:
            first = got
    assert not torch.equal(first[0][0], got[0][0])
    assert torch.equal(batches[0][0], _batches()[0][0]), "the caller's batch was modified"


def test_device_loader_images_only_channels_last_and_errors():
    images_only = [x for x, _ in _batches()]
    loader = DeviceLoader(images_only, "cpu", Normalize(mean=(0.5,) * 3), channels_last=True)
    out = list(loader)
    assert all(isinstance(x, torch.Tensor) and x.is_contiguous(memory_format=torch.channels_last) for x in out)
    assert torch.allclose(out[0], images_only[0].float() / 255 - 0.5, atol=1e-6)
    with pytest.raises(ValueError, match="mixes targets"):
        list(DeviceLoader(images_only, "cpu", [Normalize(mean=(0.5,) * 3), augkit.Mixup(0.2, 10)], seed=0))
    with pytest.raises(TypeError, match=r"transforms\[0\]"):
        DeviceLoader(images_only, "cpu", [lambda x: x])
    with pytest.raises(ValueError, match="batch stage"):
        DeviceLoader(images_only, "cpu", [ToTensor()])
    with pytest.raises(TypeError, match="Uint8Collate"):
        list(DeviceLoader([{"images": 1}], "cpu"))


def test_device_loader_over_a_real_dataloader(image_paths):
    ds = _dataset(image_paths)
    stage = [Normalize(mean=(0.5,) * 3, std=(0.25,) * 3), RandomApply(HorizontalFlip(p=1.0), p=0.5)]
    loader = DeviceLoader(DataLoader(ds, batch_size=4, num_workers=2, collate_fn=Uint8Collate()), "cpu", stage, seed=1)
    loader.set_epoch(3)
    got = list(loader)
    assert ds.epoch == 3 and len(got) == len(loader) == 3
    for k, (images, targets) in enumerate(got):
        x = torch.stack([ds[int(i)][0] for i in targets])
        rng = loader.generator(k, targets)  # each sample's own stream, keyed by its index
        expected = x
        for t in stage:
            expected = t(expected, rng=rng)
        assert torch.equal(images, expected)


def test_device_loader_with_the_real_mixing_transforms():
    batches = _batches()
    stage = [Normalize(mean=(0.5,) * 3), augkit.CutMix(alpha=1.0, num_classes=10), augkit.Mixup(alpha=0.2, num_classes=10)]
    loader = DeviceLoader(batches, "cpu", stage, seed=2)
    for k, ((images, targets), (x, y)) in enumerate(zip(loader, batches)):
        rng = loader.generator(k, None, size=len(x), position=k * len(x))
        expected, soft = augkit.CutMix(alpha=1.0, num_classes=10)(Normalize(mean=(0.5,) * 3)(x, rng=rng), y, rng=rng)
        expected, soft = augkit.Mixup(alpha=0.2, num_classes=10)(expected, soft, rng=rng)
        assert torch.equal(images, expected) and torch.equal(targets, soft) and targets.shape == (4, 10)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_normalize_on_channels_last_uint8_batches(channels):
    """Uint8Collate batches are channels-last: Normalize has a kernel of its own for them."""
    x = torch.from_numpy(np.random.default_rng(channels).integers(0, 256, (3, channels, 5, 7), dtype=np.uint8))
    mean, std = np.linspace(0.3, 0.6, channels), np.linspace(0.2, 0.3, channels)
    t = Normalize(mean=mean, std=std)
    cl = t(x.contiguous(memory_format=torch.channels_last))
    expected = (x.double() / 255 - torch.from_numpy(mean).view(-1, 1, 1)) / torch.from_numpy(std).view(-1, 1, 1)
    assert cl.dtype == torch.float32 and cl.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(cl.double(), expected, atol=1e-6, rtol=0)
    assert torch.allclose(cl, t(x), atol=1e-6, rtol=0)
