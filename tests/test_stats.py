"""Dataset statistics: exactness against float64 numpy, merging, workers, files, CLI, Whiten."""

from __future__ import annotations

import json
import os
import socket

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import augkit
from augkit.cli import main
from augkit.functional.geometry import resize
from augkit.stats import Stats, StatsFileError, compute, list_images
from augkit.stats.moments import _moments_numpy, uint8_moments
from augkit.transforms import Normalize, Whiten

MEAN_IMAGE_SIZE = (6, 8)


def make_images(seed: int = 0, count: int = 7) -> list[np.ndarray]:
    """Small RGB images of different sizes with correlated channels."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        h, w = rng.integers(9, 40, size=2)
        base = rng.integers(0, 256, (h, w, 1))
        noise = rng.integers(-40, 41, (h, w, 3))
        images.append(np.clip(base * np.array([1.0, 0.8, 0.5]) + noise, 0, 255).astype(np.uint8))
    images.append(np.full((5, 7, 3), 255, np.uint8))
    return images


def reference(images, size=None):
    """float64 numpy reference (two-pass, over all pixels at once)."""
    pixels = np.concatenate([im.reshape(-1, 3) for im in images]).astype(np.float64) / 255
    mean = pixels.mean(axis=0)
    centered = pixels - mean
    cov = centered.T @ centered / len(pixels)
    mean_image = None
    if size is not None:
        mean_image = np.mean([resize(im, size).astype(np.float64) / 255 for im in images], axis=0)
    return mean, cov, mean_image


def assert_close_rel(actual, expected, rtol):
    scale = np.max(np.abs(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.fixture(scope="module")
def images():
    return make_images()


@pytest.fixture(scope="module")
def folder(tmp_path_factory, images):
    root = tmp_path_factory.mktemp("images")
    (root / "sub").mkdir()
    for i, im in enumerate(images):
        Image.fromarray(im).save(root / ("sub" if i % 2 else ".") / f"im{i}.png")
    (root / "notes.txt").write_text("not an image")
    return root


@pytest.fixture(scope="module")
def per_image(images):
    return [Stats.from_image(im) for im in images]


# ---------------------------------------------------------------- exact moments
@pytest.mark.parametrize("shape", [(1, 1, 3), (7, 5, 3), (64, 48, 3), (300, 400, 3)])
def test_uint8_moments_are_exact(shape):
    rng = np.random.default_rng(1)
    for image in (rng.integers(0, 256, shape, dtype=np.uint8), np.full(shape, 255, np.uint8)):
        n, sums, gram = uint8_moments(image)
        x = image.reshape(-1, 3).astype(np.int64)
        assert n == x.shape[0]
        assert sums == x.sum(axis=0).tolist()
        assert gram == (x.T @ x).tolist()
        assert _moments_numpy(x.astype(np.uint8)) == (sums, gram)


def test_uint8_moments_rejects_float():
    with pytest.raises(TypeError, match="uint8"):
        uint8_moments(np.zeros((2, 2, 3), np.float32))


# ---------------------------------------------------------------- vs float64 reference
def test_compute_matches_float64_reference(folder, images):
    with pytest.warns(UserWarning, match="skipped 1 non-image"):
        stats = compute(folder, mean_image_size=MEAN_IMAGE_SIZE, progress=False, batch_size=3)
    mean, cov, mean_image = reference(images, MEAN_IMAGE_SIZE)
    assert stats.num_images == len(images)
    assert stats.num_pixels == sum(im.shape[0] * im.shape[1] for im in images)
    assert_close_rel(stats.mean, mean, 1e-9)
    assert_close_rel(stats.cov, cov, 1e-9)
    assert_close_rel(stats.std, np.sqrt(np.diag(cov)), 1e-9)
    assert_close_rel(stats.mean_image, mean_image, 1e-9)
    assert stats.mean_image.shape == (*MEAN_IMAGE_SIZE, 3)
    values, vectors = stats.eigval, stats.eigvec
    assert np.all(np.diff(values) <= 0)
    np.testing.assert_allclose(vectors @ np.diag(values) @ vectors.T, cov, atol=1e-12)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(3), atol=1e-12)


def test_workers_give_the_same_answer(folder):
    kwargs = dict(mean_image_size=4, progress=False, batch_size=2)
    with pytest.warns(UserWarning):
        serial = compute(folder, workers=0, **kwargs)
    with pytest.warns(UserWarning):
        parallel = compute(folder, workers=2, **kwargs)
    assert parallel.num_images == serial.num_images and parallel.num_pixels == serial.num_pixels
    np.testing.assert_array_equal(parallel.mean, serial.mean)
    np.testing.assert_array_equal(parallel.m2, serial.m2)
    np.testing.assert_array_equal(parallel.mean_image, serial.mean_image)


def test_list_and_dataset_sources(folder, images):
    paths, skipped = list_images(folder)
    assert len(paths) == len(images) and [p.name for p in skipped] == ["notes.txt"]
    from_paths = compute([str(p) for p in paths], progress=False)

    class Pairs(torch.utils.data.Dataset):
        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            image = torch.from_numpy(images[i]).permute(2, 0, 1) if i % 2 else images[i]
            return image, i

    from_dataset = compute(Pairs(), progress=False)
    mean, cov, _ = reference(images)
    for stats in (from_paths, from_dataset):
        assert_close_rel(stats.mean, mean, 1e-9)
        assert_close_rel(stats.cov, cov, 1e-9)


# ---------------------------------------------------------------- merging
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_split_merged_in_any_order(per_image, data):
    one_pass = Stats.combine(per_image)
    order = data.draw(st.permutations(range(len(per_image))))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(per_image) - 1), max_size=len(per_image) - 1)))
    bounds = [0, *cuts, len(per_image)]
    shards = [Stats.combine(per_image[i] for i in order[a:b]) for a, b in zip(bounds, bounds[1:])]
    shard_order = data.draw(st.permutations(range(len(shards))))
    merged = Stats.combine(shards[i] for i in shard_order)
    assert merged.num_images == one_pass.num_images and merged.num_pixels == one_pass.num_pixels
    np.testing.assert_allclose(merged.mean, one_pass.mean, rtol=1e-13)
    assert_close_rel(merged.m2, one_pass.m2, 1e-12)


def test_merge_is_commutative_exactly(per_image):
    a, b = Stats.combine(per_image[:3]), Stats.combine(per_image[3:])
    ab, ba = a.merge(b), b.merge(a)
    np.testing.assert_array_equal(ab.mean, ba.mean)
    np.testing.assert_array_equal(ab.m2, ba.m2)


def test_merge_with_empty_is_identity(per_image):
    s = per_image[0]
    for merged in (s.merge(Stats()), Stats().merge(s)):
        np.testing.assert_array_equal(merged.mean, s.mean)
        np.testing.assert_array_equal(merged.m2, s.m2)


def test_merge_refuses_mismatched_mean_images(images):
    a = Stats.from_image(images[0], mean_image_size=4)
    with pytest.raises(ValueError, match="mean image"):
        a.merge(Stats.from_image(images[1]))
    with pytest.raises(ValueError, match="shapes"):
        a.merge(Stats.from_image(images[1], mean_image_size=5))
    with pytest.raises(TypeError):
        a.merge("stats")


# ---------------------------------------------------------------- precision
def test_billion_pixels_of_one_are_exact():
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 2_000_000, size=499)
    counts = [*counts.tolist(), 10**9 - int(counts.sum())]
    parts = [Stats(1, int(c), np.ones(3), np.zeros((3, 3))) for c in counts]
    parts.append(Stats.from_image(np.full((10, 10, 3), 255, np.uint8)))
    total = Stats.combine(parts)
    assert total.num_pixels == 10**9 + 100
    assert total.mean.tolist() == [1.0, 1.0, 1.0]
    assert np.all(total.std <= 1e-12) and np.all(np.abs(total.cov) <= 1e-24)


def test_no_drift_over_a_billion_pixels(images):
    """Doubling a real image's statistics 2^k times keeps mean and cov to 1e-12."""
    one = Stats.from_image(images[0])
    total = one
    while total.num_pixels < 10**9:
        total = total.merge(total)
    np.testing.assert_allclose(total.mean, one.mean, rtol=1e-13)
    assert_close_rel(total.cov, one.cov, 1e-12)


def test_constant_images_have_zero_std_without_nan():
    stats = compute([np.full((9, 11, 3), v, np.uint8) for v in (37, 37, 37)], progress=False)
    assert stats.std.tolist() == [0.0, 0.0, 0.0]
    assert stats.eigval.tolist() == [0.0, 0.0, 0.0]
    assert np.all(np.isfinite(stats.eigvec))
    assert stats.mean.tolist() == [37 / 255] * 3


def test_single_image():
    image = make_images(3, 1)[0]
    stats = compute([image], mean_image_size=image.shape[:2], progress=False)
    mean, cov, _ = reference([image])
    assert stats.num_images == 1
    assert_close_rel(stats.cov, cov, 1e-9)
    np.testing.assert_allclose(stats.mean_image, image / 255, rtol=1e-15)


def test_empty_sources_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="no images"):
        compute(tmp_path, progress=False)
    (tmp_path / "readme.md").write_text("x")
    with pytest.raises(ValueError, match="no images.*skipped 1"), pytest.warns(UserWarning):
        compute(tmp_path, progress=False)
    with pytest.raises(ValueError, match="no images"):
        compute([], progress=False)
    with pytest.raises(NotADirectoryError):
        compute(tmp_path / "missing", progress=False)
    with pytest.raises(ValueError, match="hold no images"):
        Stats().mean


def test_bad_arguments():
    with pytest.raises(ValueError, match="workers"):
        compute([np.zeros((2, 2, 3), np.uint8)], workers=-1)
    with pytest.raises(ValueError, match="mean_image_size"):
        compute([np.zeros((2, 2, 3), np.uint8)], mean_image_size=0)
    with pytest.raises(TypeError, match="source"):
        compute(42)
    with pytest.raises(ValueError, match="m2"):
        Stats(1, 4, np.zeros(3), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="num_pixels"):
        Stats(1, 0)


def test_undecodable_file_names_the_path(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xffnot really")
    with pytest.raises(augkit.ImageDecodeError, match="broken.jpg"):
        compute(tmp_path, progress=False)


# ---------------------------------------------------------------- files
def test_save_load_round_trip(tmp_path, images):
    stats = Stats.combine(Stats.from_image(im, mean_image_size=5) for im in images)
    path = tmp_path / "stats.json"
    stats.save(path)
    assert (tmp_path / "stats.mean_image.npy").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.json", "stats.mean_image.npy"]
    loaded = Stats.load(path)
    assert (loaded.num_images, loaded.num_pixels) == (stats.num_images, stats.num_pixels)
    for name in ("mean", "m2", "std", "cov", "eigval", "eigvec", "mean_image"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(stats, name))
    record = json.loads(path.read_text())
    assert record["version"] == 1 and record["format"] == "augkit-stats"
    plain = Stats.from_image(images[0])
    plain.save(tmp_path / "plain.json")
    assert Stats.load(tmp_path / "plain.json").mean_image is None


def _write(path, record):
    path.write_text(json.dumps(record))
    return path


def test_malformed_files_raise_clear_errors(tmp_path, images):
    good = tmp_path / "good.json"
    Stats.from_image(images[0], mean_image_size=3).save(good)
    record = json.loads(good.read_text())
    cases = {
        "missing": (tmp_path / "nope.json", "cannot read"),
        "not json": (tmp_path / "a.json", "invalid JSON"),
        "wrong format": (_write(tmp_path / "b.json", {**record, "format": "other"}), "not an augkit statistics"),
        "wrong version": (_write(tmp_path / "c.json", {**record, "version": 99}), "version 99"),
        "missing field": (_write(tmp_path / "d.json", {k: v for k, v in record.items() if k != "m2"}), "'m2'"),
        "bad shape": (_write(tmp_path / "e.json", {**record, "m2": [[1, 2], [3, 4]]}), "m2"),
        "bad count": (_write(tmp_path / "f.json", {**record, "num_pixels": -1}), "num_pixels"),
        "npy path": (_write(tmp_path / "g.json", {**record, "mean_image": {"file": "../x.npy", "shape": [3, 3, 3]}}), "plain file"),
        "npy shape": (_write(tmp_path / "h.json", {**record, "mean_image": {**record["mean_image"], "shape": [2, 2, 3]}}), "shape"),
    }
    (tmp_path / "a.json").write_text("{not json")
    for path, message in cases.values():
        with pytest.raises(StatsFileError, match=message):
            Stats.load(path)
    np.save(tmp_path / "good.mean_image.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(StatsFileError, match="mean image"):
        Stats.load(good)
    os.remove(tmp_path / "good.mean_image.npy")
    with pytest.raises(StatsFileError, match="mean image"):
        Stats.load(good)


def test_interrupted_save_leaves_no_partial_file(tmp_path, images, monkeypatch):
    stats = Stats.from_image(images[0], mean_image_size=3)
    path = tmp_path / "stats.json"

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        stats.save(path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    stats.save(path)
    before = path.read_bytes()
    monkeypatch.setattr(json, "dumps", interrupt)
    with pytest.raises(KeyboardInterrupt):
        Stats.from_image(images[1]).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.json", "stats.mean_image.npy"]


# ---------------------------------------------------------------- command line
def test_cli_writes_stats_and_summary(folder, tmp_path, capsys):
    out = tmp_path / "stats.json"
    code = main(["stats", str(folder), "--out", str(out), "--mean-image-size", "6x8", "--no-progress"])
    assert code == 0
    printed = capsys.readouterr()
    assert "images:      8" in printed.out and "eigenvalues:" in printed.out
    assert "skipped 1 non-image" in printed.err
    with pytest.warns(UserWarning):
        expected = compute(folder, mean_image_size=MEAN_IMAGE_SIZE, progress=False)
    loaded = Stats.load(out)
    np.testing.assert_array_equal(loaded.mean, expected.mean)
    np.testing.assert_array_equal(loaded.mean_image, expected.mean_image)


def test_cli_interrupt_writes_nothing(folder, tmp_path, monkeypatch, capsys):
    import augkit.stats

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(augkit.stats, "compute", interrupt)
    assert main(["stats", str(folder), "--out", str(tmp_path / "s.json")]) == 130
    assert list(tmp_path.iterdir()) == []
    assert "nothing written" in capsys.readouterr().err


def test_cli_empty_folder_fails_cleanly(tmp_path, capsys):
    assert main(["stats", str(tmp_path), "--out", str(tmp_path / "s.json"), "--no-progress"]) == 1
    assert "no images" in capsys.readouterr().err


# ---------------------------------------------------------------- consumers
def test_normalize_from_stats(images):
    stats = Stats.combine(Stats.from_image(im, mean_image_size=(5, 5)) for im in images)
    image = resize(images[0], (5, 5))
    out = Normalize.from_stats(stats, "per_channel_std")(image)
    np.testing.assert_allclose(out, (image / 255 - stats.mean) / stats.std, atol=1e-5)
    out = Normalize.from_stats(stats, "per_channel_mean")(image)
    np.testing.assert_allclose(out, image / 255 - stats.mean, atol=1e-6)
    out = Normalize.from_stats(stats, "mean_image")(image)
    np.testing.assert_allclose(out, image / 255 - stats.mean_image, atol=1e-6)


@pytest.mark.parametrize("method", ["zca", "pca"])
def test_whitened_pixels_have_zero_mean_identity_cov(images, method):
    stats = Stats.combine(Stats.from_image(im) for im in images)
    whiten = Whiten.from_stats(stats, method=method, eps=0)
    pixels = np.concatenate([whiten(im).reshape(-1, 3) for im in images]).astype(np.float64)
    mean = pixels.mean(axis=0)
    cov = (pixels - mean).T @ (pixels - mean) / len(pixels)
    np.testing.assert_allclose(mean, 0, atol=1e-6)
    np.testing.assert_allclose(cov, np.eye(3), atol=1e-6)
    if method == "zca":  # ZCA's matrix is symmetric
        np.testing.assert_allclose(whiten.matrix, whiten.matrix.T, atol=1e-12)


def test_whiten_batch_equals_sample_and_dtypes(images):
    stats = Stats.combine(Stats.from_image(im) for im in images)
    whiten = Whiten.from_stats(stats)
    crops = [im[:5, :5] for im in images]
    batch = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)
    out = whiten(batch)
    assert out.dtype == torch.float32 and out.shape == batch.shape
    for i, crop in enumerate(crops):
        sample = whiten(crop)
        assert sample.dtype == np.float32
        np.testing.assert_allclose(out[i].permute(1, 2, 0).numpy(), sample, atol=1e-5)
        np.testing.assert_allclose(whiten(crop.astype(np.float32) / 255), sample, atol=1e-5)
        np.testing.assert_allclose(whiten(batch[i]).numpy(), out[i].numpy(), atol=1e-6)
    assert batch.equal(torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2))  # input untouched


def test_whiten_validates_and_round_trips():
    cov = np.diag([0.04, 0.02, 0.01])
    with pytest.raises(ValueError, match="method"):
        Whiten((0.5,) * 3, cov, method="svd")
    with pytest.raises(ValueError, match="eps"):
        Whiten((0.5,) * 3, cov, eps=-1)
    with pytest.raises(ValueError, match="cov"):
        Whiten((0.5,) * 3, np.eye(2))
    with pytest.raises(ValueError, match="eps must be > 0"):
        Whiten((0.5,) * 3, np.diag([1.0, 1.0, 0.0]), eps=0)
    with pytest.raises(ValueError, match="channels"):
        Whiten((0.5,) * 3, cov)(np.zeros((2, 2, 4), np.uint8))
    t = Whiten((0.5, 0.4, 0.3), cov, method="pca", eps=1e-4)
    rebuilt = augkit.from_config(t.to_config())
    image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    np.testing.assert_array_equal(rebuilt(image), t(image))


# ---------------------------------------------------------------- distributed
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _distributed_worker(rank, world, port, folder, out_dir):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        import warnings

        warnings.simplefilter("ignore")
        stats = compute(folder, mean_image_size=4, batch_size=2, progress=False, distributed=True)
        stats.save(os.path.join(out_dir, f"rank{rank}.json"))
    finally:
        dist.destroy_process_group()


def test_distributed_all_reduce_equals_single_process(folder, tmp_path):
    import torch.multiprocessing as mp

    # torch.multiprocessing with fork: the children inherit the imported modules (fast start).
    args = (2, _free_port(), str(folder), str(tmp_path))
    mp.start_processes(_distributed_worker, args=args, nprocs=2, join=True, start_method="fork")
    with pytest.warns(UserWarning):
        single = compute(folder, mean_image_size=4, batch_size=2, progress=False)
    ranks = [Stats.load(tmp_path / f"rank{r}.json") for r in range(2)]
    for stats in ranks:
        assert (stats.num_images, stats.num_pixels) == (single.num_images, single.num_pixels)
        np.testing.assert_allclose(stats.mean, single.mean, rtol=1e-13)
        assert_close_rel(stats.m2, single.m2, 1e-12)
        np.testing.assert_allclose(stats.mean_image, single.mean_image, rtol=1e-13)
    np.testing.assert_array_equal(ranks[0].m2, ranks[1].m2)  # every rank holds the same bits


def test_all_reduce_needs_torch_distributed(per_image):
    with pytest.raises(RuntimeError, match="init_process_group"):
        per_image[0].all_reduce()
