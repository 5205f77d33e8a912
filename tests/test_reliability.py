"""Reliability over a corpus of bad and odd inputs (SPEC section 8, issue 9).

Every input of ``tests/corpus.py`` goes through each place a user meets it: ``augkit.decode``,
the sample stage of a ResNet-style pipeline, ``AugmentedDataset`` with ``on_error="raise"``
and ``"skip"`` (in DataLoader workers), ``augkit stats`` and ``augkit preview``. Then:
errors raised in workers, interrupts while ``augkit stats`` writes, atomic writes, and
loading that never executes code. Fuzzing is in ``test_fuzz.py``, the soak in ``test_soak.py``.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from corpus import build_corpus, expected_pixels, materialize, special_files_supported, write_corpus
from PIL import Image
from torch.utils.data import DataLoader

import augkit
from augkit import CenterCrop, Compose, HorizontalFlip, ImageDecodeError, RandomCrop, RandomResizedCrop, RandomScale, Resize, ToTensor
from augkit._atomic import atomic_write, atomic_write_bytes
from augkit.cli import main
from augkit.config import from_config, save_config
from augkit.data import AugmentedDataset, DeviceLoader, ImageList, SkippedItemWarning, Uint8Collate

CASES = build_corpus()
GOOD = [c for c in CASES if c.decodes]
BAD = [c for c in CASES if not c.decodes]
LIBRARY = Path(augkit.__file__).parent
#: Generous wall-clock limit for anything that could hang (a DataLoader waiting on a dead worker).
HANG_LIMIT_S = 60


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """The corpus written to one folder: case name -> path."""
    return {case.name: path for case, path in write_corpus(tmp_path_factory.mktemp("corpus"))}


@pytest.fixture(scope="module")
def decoded(corpus) -> dict[str, np.ndarray]:
    return {c.name: augkit.decode(corpus[c.name]) for c in GOOD}


def test_corpus_covers_the_issue():
    names = {c.name for c in CASES}
    required = {
        "zero_bytes",
        "jpeg_cut_half",
        "jpeg_rst_in_scan",
        "jpeg_bad_marker",
        "jpeg_trailing_garbage",
        "png_bad_crc_idat",
        "text_as_jpg",
        "directory_png",
        "png_1x1",
        "png_1x40",
        "png_5x7",
        "png_gray",
        "png_palette_trns",
        "png_rgba",
        "png_la",
        "jpeg_cmyk",
        "png_16bit",
        "bomb_png",
        "gif_animated",
        "tiff_rgb",
        *(f"jpeg_exif{k}" for k in range(1, 9)),
        # JPEG layouts and scan scripts, orientation, sample types, special files
        "jpeg_441",
        "jpeg_410",
        "jpeg_h3v1",
        "jpeg_chroma_finer",
        "jpeg_sof_sampling_flipped",
        "jpeg_progressive_unrefined",
        "jpeg_progressive_cut_scans",
        "jpeg_exif_long6",
        "jpeg_cmyk_exif_long6",
        "tiff_exif6",
        "png_rgb16",
        "tiff_float01",
        "tiff_float255",
        *(["fifo_jpg", "dev_zero_jpg", "huge_sparse_jpg"] if special_files_supported() else []),
    }
    assert required <= names
    assert len([c for c in CASES if c.name.startswith("jpeg_cut_")]) >= 4
    assert len(names) == len(CASES)


# --------------------------------------------------------------------------- decode


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_decode_gives_the_documented_result(case, corpus, decoded):
    path = corpus[case.name]
    if case.decodes:
        out = decoded[case.name]
        assert out.dtype == np.uint8 and out.shape == case.shape and out.flags.c_contiguous
        expected = expected_pixels(case, decoded)
        if expected is not None:
            np.testing.assert_array_equal(out, expected)
        if case.data is not None:
            np.testing.assert_array_equal(augkit.decode(case.data), out)  # bytes agree with the path
        return
    with pytest.raises(ImageDecodeError) as info:
        augkit.decode(path)
    error = info.value
    assert error.source == str(path) and str(path) in str(error)
    assert re.search(case.error, error.reason), error.reason
    if case.data is not None:
        with pytest.raises(ImageDecodeError, match=case.error):
            augkit.decode(case.data)


# --------------------------------------------------------------------------- sample stage

SIZE = 224
PIPELINES = {
    # ResNet / VGG scale augmentation, Inception crops, and the evaluation transform.
    "resnet_train": Compose([RandomScale(256, 480), RandomCrop(SIZE), HorizontalFlip(), ToTensor()]),
    "inception_train": Compose([RandomResizedCrop(SIZE), HorizontalFlip(), ToTensor()]),
    "eval": Compose([Resize(shorter=256), CenterCrop(SIZE), ToTensor()]),
}


@pytest.mark.parametrize("case", GOOD, ids=lambda c: c.name)
def test_sample_stage_handles_every_decodable_input(case, decoded):
    image = decoded[case.name]
    for name, pipeline in PIPELINES.items():
        for seed in range(2):
            out = pipeline(image, rng=seed)
            assert isinstance(out, torch.Tensor) and out.dtype == torch.uint8, name
            assert tuple(out.shape) == (3, SIZE, SIZE), name


@pytest.mark.parametrize("name", ["png_1x1", "png_1x40", "png_40x1", "png_5x7", "jpeg_1x1"])
def test_crops_pad_images_smaller_than_the_crop(name, decoded):
    image = decoded[name]
    h, w = image.shape[:2]
    size = 9
    # CenterCrop pads around the image with fill (as torchvision v2).
    out = CenterCrop(size, fill=7)(image)
    top, left = (size - h) // 2 if h < size else None, (size - w) // 2 if w < size else None
    assert out.shape == (size, size, 3)
    window = out[top if top is not None else 0 : (top or 0) + min(h, size), left if left is not None else 0 : (left or 0) + min(w, size)]
    inside = image[: min(h, size), : min(w, size)] if h <= size and w <= size else None
    if inside is not None:
        np.testing.assert_array_equal(window, inside)
        assert (out == 7).sum() == out.size - inside.size
    # RandomCrop pads as pad_if_needed=True: every crop holds the whole image where it fits.
    for seed in range(4):
        crop = RandomCrop(size, fill=7)(image, rng=seed)
        assert crop.shape == (size, size, 3)
        if h <= size and w <= size:
            assert (crop != 7).any(axis=2).sum() <= h * w
            assert (crop == 7).all(axis=2).sum() >= size * size - h * w
    # pad_if_needed=False refuses, naming the sizes: a ValueError, never a kernel crash.
    if h < size or w < size:
        with pytest.raises(ValueError, match="larger than the padded image"):
            RandomCrop(size, pad_if_needed=False)(image, rng=0)
    # RandomResizedCrop resizes whatever window it takes up to the size.
    assert RandomResizedCrop(size)(image, rng=0).shape == (size, size, 3)


# --------------------------------------------------------------------------- AugmentedDataset

TINY = Compose([RandomResizedCrop(8), HorizontalFlip(), ToTensor()])


def _dataset(corpus, on_error):
    paths = [str(corpus[c.name]) for c in CASES]
    return AugmentedDataset(ImageList(paths, targets=list(range(len(paths)))), TINY, seed=3, on_error=on_error)


def test_dataset_on_error_raise_over_the_corpus(corpus):
    ds = _dataset(corpus, "raise")
    for index, case in enumerate(CASES):
        if case.decodes:
            image, target = ds[index]
            assert tuple(image.shape) == (3, 8, 8) and target == index
        else:
            with pytest.raises(ImageDecodeError, match=re.escape(str(corpus[case.name]))) as info:
                ds[index]
            assert re.search(case.error, info.value.reason)
    assert ds.num_skipped == 0


def _next_decodable(index: int) -> int:
    n = len(CASES)
    return next((index + step) % n for step in range(n) if CASES[(index + step) % n].decodes)


def test_dataset_on_error_skip_names_every_bad_file(corpus):
    ds = _dataset(corpus, "skip")
    with pytest.warns(SkippedItemWarning) as record:
        targets = [ds[i][1] for i in range(len(ds))]
    assert targets == [_next_decodable(i) for i in range(len(ds))]  # replaced, never dropped
    messages = "\n".join(str(w.message) for w in record)
    for case in BAD:
        assert str(corpus[case.name]) in messages, case.name
    # Each bad file is tried, warned about and counted once, however many items it would replace.
    assert ds.num_skipped == len(record) == len(BAD)


def test_dataset_on_error_skip_in_workers_keeps_batches_full_and_reports(corpus):
    ds = _dataset(corpus, "skip")
    batch_size = 4
    loader = DataLoader(ds, batch_size=batch_size, num_workers=2, collate_fn=Uint8Collate(), timeout=HANG_LIMIT_S)
    device_loader = DeviceLoader(loader, "cpu")
    for epoch in range(2):
        device_loader.set_epoch(epoch)
        if epoch == 0:
            with pytest.warns(SkippedItemWarning, match=f"{len(BAD)} undecodable items were skipped .* epoch 0"):
                batches = [(images.clone(), targets.clone()) for images, targets in device_loader]
        else:  # bad files are remembered across workers and epochs: not tried (nor reported) again
            batches = [(images.clone(), targets.clone()) for images, targets in device_loader]
        sizes = [len(t) for _, t in batches]
        assert sum(sizes) == len(ds) and all(s == batch_size for s in sizes[:-1])  # never short
        targets = torch.cat([t for _, t in batches]).tolist()
        assert targets == [_next_decodable(i) for i in range(len(ds))]
    assert ds.num_skipped == len(BAD)


# --------------------------------------------------------------------------- augkit stats


def test_stats_cli_over_the_corpus(corpus, tmp_path, capsys):
    folder = next(iter(corpus.values())).parent
    out = tmp_path / "stats.json"
    # Documented: an undecodable image is an error naming it; nothing is written.
    assert main(["stats", str(folder), "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "augkit stats: error: cannot decode" in err and str(folder) in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.name)
def test_stats_cli_names_each_bad_file(case, corpus, tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "good.png").write_bytes(next(c for c in CASES if c.name == "png_rgb").data)
    target = materialize(case, folder / case.filename)
    out = tmp_path / "stats.json"
    code = main(["stats", str(folder), "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    if case.data is None and case.special is None:
        # A directory named .png is a folder: searched (it is empty), not an image.
        assert code == 0 and "images:      1" in captured.out
        return
    assert code == 1 and str(target) in captured.err and re.search(case.error, captured.err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no output, no temp file


def test_stats_cli_over_the_decodable_corpus(corpus, decoded, tmp_path, capsys):
    folder = tmp_path / "good"
    folder.mkdir()
    for case in GOOD:
        (folder / case.filename).write_bytes(case.data)
    out = tmp_path / "stats.json"
    assert main(["stats", str(folder), "--out", str(out), "--no-progress", "--workers", "0"]) == 0
    loaded = augkit.stats.Stats.load(out)
    expected = augkit.stats.compute([decoded[c.name] for c in sorted(GOOD, key=lambda c: c.filename)], progress=False)
    assert loaded.num_images == len(GOOD) and loaded.num_pixels == expected.num_pixels
    np.testing.assert_allclose(loaded.mean, expected.mean, rtol=1e-12)
    capsys.readouterr()


# --------------------------------------------------------------------------- augkit preview


def test_preview_cli_over_the_corpus(corpus, tmp_path, capsys):
    out = tmp_path / "grid.png"
    paths = [str(corpus[c.name]) for c in CASES]
    assert main(["preview", *paths, "-n", "1", "--size", "16", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    for case in BAD:
        assert f"skipping {corpus[case.name]}:" in captured.err, case.name
    assert f"skipped {len(BAD)} of {len(CASES)} images" in captured.out
    with Image.open(out) as grid:
        assert grid.format == "PNG" and grid.height > 16 * len(GOOD)


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.name)
def test_preview_cli_refuses_a_single_bad_image(case, corpus, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["preview", str(corpus[case.name]), "-n", "1", "--size", "16", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(corpus[case.name]) in err and re.search(case.error, err)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- worker failures


class _Flaky(torch.utils.data.Dataset):
    """Items are tiny images; one index fails in the way ``mode`` says."""

    def __init__(self, bad_index: int, mode: str) -> None:
        self.bad_index, self.mode = bad_index, mode

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index):
        if index == self.bad_index:
            if self.mode == "oserror":
                raise OSError(f"stale file handle: /mnt/data/train/{index:05d}.jpg")
            if self.mode == "killed":
                os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
        return np.full((6, 6, 3), index, np.uint8), index


def test_a_worker_error_surfaces_with_its_type_and_path():
    loader = DataLoader(_Flaky(5, "oserror"), batch_size=2, num_workers=2, timeout=HANG_LIMIT_S)
    iterator = iter(loader)
    try:
        with pytest.raises(OSError, match=r"Caught OSError in DataLoader worker(.|\n)*/mnt/data/train/00005.jpg"):
            list(iterator)
    finally:
        iterator._shutdown_workers()


def test_a_pipeline_error_in_a_worker_names_the_file(corpus):
    # A transform that fails on one image: the error keeps its type and message, and the
    # note added by AugmentedDataset names the file (carried back from the worker).
    path = str(corpus["png_5x7"])
    ds = AugmentedDataset(ImageList([str(corpus["png_rgb"]), path]), Compose([RandomCrop(6, pad_if_needed=False), ToTensor()]))
    with pytest.raises(ValueError, match="larger than the padded image") as info:
        ds[1]
    assert any(path in note for note in getattr(info.value, "__notes__", []))
    loader = DataLoader(ds, batch_size=1, num_workers=1, timeout=HANG_LIMIT_S)
    iterator = iter(loader)
    try:
        with pytest.raises(ValueError, match=rf"(?s)larger than the padded image.*item 1 of AugmentedDataset \({re.escape(path)}\)"):
            list(iterator)
    finally:
        iterator._shutdown_workers()


def test_a_killed_worker_is_an_error_not_a_hang():
    loader = DataLoader(_Flaky(3, "killed"), batch_size=2, num_workers=2, timeout=HANG_LIMIT_S)
    iterator = iter(loader)
    try:
        with pytest.raises(RuntimeError, match="DataLoader worker .* (killed|exited unexpectedly)"):
            list(iterator)
    finally:
        iterator._shutdown_workers()


# --------------------------------------------------------------------------- interrupts


def _interrupt_on_call(n: int, then=None):
    """A stand-in that raises KeyboardInterrupt on its n-th call and calls ``then`` before."""
    calls = {"count": 0}

    def hook(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] >= n:
            raise KeyboardInterrupt
        return None if then is None else then(*args, **kwargs)

    return hook


def _good_folder(tmp_path, count=6) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


@pytest.mark.parametrize("workers", [0, 2])
def test_interrupt_while_computing_stats_writes_nothing(tmp_path, monkeypatch, capsys, workers):
    compute_module = importlib.import_module("augkit.stats.compute")

    folder = _good_folder(tmp_path)
    out = tmp_path / "stats.json"
    if workers == 0:
        original = compute_module.Accumulator.add
        hook = _interrupt_on_call(3)

        def add(self, image):
            hook()
            return original(self, image)

        monkeypatch.setattr(compute_module.Accumulator, "add", add)
    else:
        # The interrupt arrives in the main process while workers are busy.
        monkeypatch.setattr(compute_module.Stats, "merge", _interrupt_on_call(2, compute_module.Stats.merge))
    code = main(["stats", str(folder), "--out", str(out), "--no-progress", "--workers", str(workers), "--batch-size", "2"])
    assert code == 130 and "nothing written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_interrupt_while_writing_stats_keeps_the_old_files(tmp_path, monkeypatch, capsys):
    import augkit._atomic

    folder = _good_folder(tmp_path)
    out = tmp_path / "stats.json"
    args = ["stats", str(folder), "--out", str(out), "--no-progress", "--mean-image-size", "4"]
    assert main(args) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert sorted(before) == ["stats.json", "stats.mean_image.npy"]
    (folder / "extra.png").write_bytes((folder / "0.png").read_bytes())
    # fsync runs once each temporary file is complete: interrupted on the .npy, then on the JSON.
    for n in (1, 2):
        monkeypatch.setattr(augkit._atomic.os, "fsync", _interrupt_on_call(n, os.fsync))
        assert main(args) == 130
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
        monkeypatch.undo()
    # A real Ctrl-C between the two renames is held back until both are done.
    replace = os.replace

    def replace_then_interrupt(src, dst):
        os.kill(os.getpid(), signal.SIGINT)
        return replace(src, dst)

    monkeypatch.setattr(augkit._atomic.os, "replace", replace_then_interrupt)
    # A shell's background jobs start with SIGINT ignored: give this test Python's default handler.
    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(args) == 130
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert sorted(after) == sorted(before) and after != before
    assert augkit.stats.Stats.load(out).num_images == 7  # both files of the new save
    # A JSON beside another save's mean image is detected, never used silently.
    (tmp_path / "stats.mean_image.npy").write_bytes(before["stats.mean_image.npy"])
    with pytest.raises(augkit.stats.store.StatsFileError, match="different saves"):
        augkit.stats.Stats.load(out)
    capsys.readouterr()


# --------------------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_only_on_success(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write_bytes(path, b"first")
    os.chmod(path, 0o640)
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path) as handle:
            handle.write(b"half of the sec")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    atomic_write_bytes(path, b"second")
    assert path.read_bytes() == b"second" and (path.stat().st_mode & 0o777) == 0o640  # mode kept


def test_save_config_is_atomic_and_round_trips(tmp_path, monkeypatch):
    import augkit._atomic

    pipeline = Compose([RandomResizedCrop(32, scale=(0.25, 1.0)), HorizontalFlip(p=0.25), ToTensor()])
    for name in ("pipe.yaml", "pipe.json"):
        save_config(pipeline, tmp_path / name)
        assert from_config(tmp_path / name).to_config() == pipeline.to_config()
        assert from_config(str(tmp_path / name)).to_config() == pipeline.to_config()
    before = (tmp_path / "pipe.yaml").read_bytes()
    monkeypatch.setattr(augkit._atomic.os, "fsync", _interrupt_on_call(1))
    with pytest.raises(KeyboardInterrupt):
        save_config(HorizontalFlip(), tmp_path / "pipe.yaml")
    assert (tmp_path / "pipe.yaml").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.json", "pipe.yaml"]


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            yield node, owner, name


def _library_sources():
    for path in sorted(LIBRARY.rglob("*.py")):
        yield path.relative_to(LIBRARY.parent), ast.parse(path.read_text(encoding="utf-8"))


def test_only_the_atomic_helper_writes_and_renames_files():
    offenders = []
    for path, tree in _library_sources():
        if path.name == "_atomic.py":
            continue
        for node, owner, name in _calls(tree):
            if (owner, name) in {
                ("os", "replace"),
                ("os", "rename"),
                ("tempfile", "NamedTemporaryFile"),
                ("tempfile", "mkstemp"),
                ("shutil", "move"),
            }:
                offenders.append(f"{path}:{node.lineno} {owner}.{name}")
            if name in ("write_text", "write_bytes"):  # a file written in place, not atomically
                offenders.append(f"{path}:{node.lineno} .{name}")
    assert offenders == []


def test_loading_never_executes_code():
    """No pickle, no unsafe YAML, no pickled numpy or torch loading, no eval anywhere in augkit."""
    offenders = []
    for path, tree in _library_sources():
        for node, owner, name in _calls(tree):
            keywords = {k.arg: k.value for k in node.keywords}

            def is_false(key):
                value = keywords.get(key)
                return isinstance(value, ast.Constant) and value.value is False

            def is_true(key):
                value = keywords.get(key)
                return isinstance(value, ast.Constant) and value.value is True

            bad = (
                (owner in ("pickle", "cPickle", "dill", "marshal", "shelve", "joblib") and name in ("load", "loads", "open", "Unpickler"))
                or (owner == "yaml" and name in ("load", "load_all", "unsafe_load", "full_load", "Loader", "UnsafeLoader"))
                or (owner == "np" and name == "load" and not is_false("allow_pickle"))
                or (owner == "torch" and name == "load" and not is_true("weights_only"))
                or (owner == "" and name in ("eval", "exec", "__import__"))
            )
            if bad:
                offenders.append(f"{path}:{node.lineno} {owner + '.' if owner else ''}{name}")
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                offenders += [
                    f"{path}:{node.lineno} import {m}" for m in modules if m.split(".")[0] in ("pickle", "dill", "marshal", "shelve")
                ]
    assert offenders == []


def test_the_scan_would_see_unsafe_loading():
    tree = ast.parse("import yaml, numpy as np\nyaml.load(s)\nnp.load(f)\nnp.load(f, allow_pickle=False)\n")
    found = [(owner, name, {k.arg for k in node.keywords}) for node, owner, name in _calls(tree)]
    assert ("yaml", "load", set()) in found and ("np", "load", set()) in found


def test_decoding_the_corpus_warns_nothing(corpus):
    # Pillow's warnings (bomb, truncated) become errors; nothing leaks as a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for case in CASES:
            try:
                augkit.decode(corpus[case.name])
            except ImageDecodeError:
                pass
