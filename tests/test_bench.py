"""The benchmark runs end to end, its data set is deterministic, and its fast paths keep the semantics."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import augkit
from augkit import bench
from augkit.cli import main
from augkit.functional import geometry as G

REPO = Path(__file__).resolve().parent.parent


def _make_bench_data():
    spec = importlib.util.spec_from_file_location("make_bench_data", REPO / "scripts" / "make_bench_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench-data")
    assert _make_bench_data().main(["--out", str(out), "-n", "4", "--classes", "2"]) == 0
    return out


def test_make_bench_data_is_deterministic_and_imagenet_like(tiny_set, tmp_path):
    assert _make_bench_data().main(["--out", str(tmp_path), "-n", "4", "--classes", "2"]) == 0
    first = sorted(p.relative_to(tiny_set) for p in tiny_set.rglob("*.jpg"))
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.jpg"))
    assert first == second and len(first) == 4
    assert {p.parts[0] for p in first} == {"class_00", "class_01"}
    for rel in first:
        assert (tiny_set / rel).read_bytes() == (tmp_path / rel).read_bytes()
        with Image.open(tiny_set / rel) as image:
            assert image.format == "JPEG" and image.mode == "RGB"
            assert 300 <= min(image.size) <= 500 and max(image.size) <= 640
            assert image.layer[0][1:3] == (2, 2)  # luma sampled 2x2: 4:2:0 chroma
    # another seed gives other images
    other = tmp_path / "other"
    assert _make_bench_data().main(["--out", str(other), "-n", "1", "--seed", "1"]) == 0
    assert (other / first[0]).read_bytes() != (tmp_path / first[0]).read_bytes()


def test_bench_runs_end_to_end(tiny_set, tmp_path, capsys):
    out = tmp_path / "figures.json"
    args = ["bench", "--data", str(tiny_set), "--n-images", "2", "--repeats", "1", "--cases", "1,sample", "--json", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| decode | augkit.decode |" in printed and "| sample | augkit |" in printed
    figures = json.loads(out.read_text())
    assert figures["images"] == 2 and figures["repeats"] == 1
    rows = {(r["case"], r["name"]): r for r in figures["rows"]}
    assert rows[("sample", "augkit")]["median"] > 0 and len(rows[("sample", "augkit")]["rates"]) == 1
    assert {case for case, _ in rows} == {"decode", "sample"}
    assert ("sample", "decode only: simplejpeg") in rows and "augkit against its peers" in printed
    ceiling = [r for r in figures["ratios"] if r["case"] == "sample" and set(r["against"]) == set(bench.CEILING)]
    assert ceiling and ceiling[0]["ratio"] > 0 and "goal" not in printed
    for row in figures["rows"]:
        assert (row["skipped"] is None) == (row["median"] is not None)
    assert "torch" in figures["environment"]


def test_bench_reports_a_missing_peer_as_skipped():
    def missing():
        raise bench.Skip("somepeer: not installed")

    rows = bench.measure("x", [bench.Impl("augkit", lambda: lambda: 3, augkit=True), bench.Impl("somepeer", missing)], repeats=2)
    assert rows[1].skipped == "somepeer: not installed" and rows[1].rates == []
    assert len(rows[0].rates) == 2
    assert "skipped: somepeer: not installed" in bench.format_table(rows)


def test_bench_interleaves_per_image_loops_in_chunks():
    seen = {"a": [], "b": []}
    datas = [bytes([i]) for i in range(100)]

    def loop(name):
        return lambda: bench.Loop(datas, lambda data, i: seen[name].append((i, data[0])))

    impls = [bench.Impl("a", loop("a"), augkit=True), bench.Impl("b", loop("b"))]
    rows = bench.measure("x", impls, repeats=2)
    assert [len(r.rates) for r in rows] == [2, 2]
    for name in seen:  # warm-up plus two rounds, each covering every image once, in order, with its own index
        assert [i for i, _ in seen[name]] == list(range(100)) * 3
        assert all(i == byte for i, byte in seen[name])
    assert bench.chunks([(None, bench.Loop(datas, print))]) == [(0, 25), (25, 50), (50, 75), (75, 100)]
    assert bench.chunks([(None, lambda: 1)]) == [(0, None)]


def test_bench_ratios_use_paired_ratios_against_the_fastest_reference():
    ours = bench.Row("sample", "augkit", True, "img/s", [10.0, 20.0, 30.0])
    first = bench.Row("sample", "decode only: simplejpeg", False, "img/s", [10.0, 10.0, 40.0])
    second = bench.Row("sample", "decode only: OpenCV", False, "img/s", [5.0, 40.0, 20.0])
    assert bench.paired_ratios(ours, [first, second]) == [1.0, 0.5, 0.75]
    (ratio,) = bench.peer_ratios([ours, first, second])
    assert ratio["ratio"] == 0.75 and ratio["min"] == 0.5 and ratio["max"] == 1.0
    assert "sample: 0.75x (0.50-1.00) against decode only: simplejpeg, decode only: OpenCV" in bench.format_ratios([ratio])
    peer = bench.Row("sample", "albumentations", False, "img/s", [5.0, 10.0, 10.0])
    assert [r["against"] for r in bench.peer_ratios([ours, peer, first, second])] == [["albumentations"], list(bench.CEILING)]
    assert bench.peer_ratios([ours]) == []  # no reference measured: nothing to compare
    assert "| sample | decode only: simplejpeg | 10 img/s | 10-40 | 1.00x |" in bench.format_table([ours, first])


def test_bench_arguments(tmp_path, capsys):
    assert bench.parse_cases("3,2") == ["sample", "full", "loader"]
    assert bench.parse_cases("all") == bench.ALL_CASES
    with pytest.raises(ValueError, match="unknown case"):
        bench.parse_cases("99")
    assert main(["bench", "--cases", "nope"]) == 2
    assert main(["bench", "--data", str(tmp_path), "--cases", "1"]) == 2
    assert "no JPEGs" in capsys.readouterr().out


# ---------------------------------------------------------------------- fused resize + crop


def _window(draw, out_h, out_w):
    height = draw(st.integers(1, out_h))
    width = draw(st.integers(1, out_w))
    top = draw(st.integers(0, out_h - height))
    left = draw(st.integers(0, out_w - width))
    return top, left, height, width


@given(st.data())
def test_resize_crop_equals_resize_then_crop(data):
    in_h, in_w = data.draw(st.integers(2, 64)), data.draw(st.integers(2, 64))
    out_h, out_w = data.draw(st.integers(2, 96)), data.draw(st.integers(2, 96))
    antialias = data.draw(st.booleans())
    dtype = data.draw(st.sampled_from([np.uint8, np.float32]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    image = rng.integers(0, 256, (in_h, in_w, 3), dtype=np.uint8)
    if dtype == np.float32:
        image = image.astype(np.float32) / 255
    top, left, height, width = _window(data.draw, out_h, out_w)
    expected = G.crop(G.resize(image, (out_h, out_w), antialias), top, left, height, width)
    got = G.resize_crop(image, (out_h, out_w), top, left, height, width, antialias)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    diff = np.abs(got.astype(np.float64) - expected)
    # uint8 through augkit's C kernel is exact; torch on a region can move a level (see resize_crop)
    assert diff.max() <= (1e-5 if dtype == np.float32 else 0 if G._native is not None else 1)


def test_resize_crop_on_photos_is_exact_but_for_rare_rounding():
    from augkit.samples import sample_paths

    rng = np.random.default_rng(0)

    total = differing = 0
    for path in sample_paths()[:4]:
        photo = augkit.decode(path)
        for _ in range(5):
            shorter = int(rng.integers(256, 481))
            size = G.shorter_side_size(photo.shape[0], photo.shape[1], shorter)
            top, left = int(rng.integers(0, size[0] - 223)), int(rng.integers(0, size[1] - 223))
            expected = G.crop(G.resize(photo, size), top, left, 224, 224)
            got = G.resize_crop(photo, size, top, left, 224, 224)
            assert np.abs(got.astype(int) - expected).max() <= 1
            total += got.size
            differing += int((got != expected).sum())
    assert differing / total < (1e-3 if G._native is None else 1e-12)  # the C kernel: exact


def test_resize_crop_fills_outside_and_handles_equal_sizes():
    image = np.arange(10 * 12 * 3, dtype=np.uint8).reshape(10, 12, 3)
    padded = G.resize_crop(image, (8, 9), -2, -1, 12, 11, fill=7)
    assert np.array_equal(padded, G.crop(G.resize(image, (8, 9)), -2, -1, 12, 11, fill=7))
    assert np.array_equal(G.resize_crop(image, (10, 12), 1, 2, 5, 6), image[1:6, 2:8])
    # one axis unchanged, one output column: torch's special cases
    assert np.array_equal(G.resize_crop(image, (10, 5), 0, 4, 10, 1), G.resize(image, (10, 5))[:, 4:5])


@pytest.mark.parametrize(
    "steps",
    [
        lambda: [augkit.RandomScale(256, 480), augkit.RandomCrop(224), augkit.HorizontalFlip(), augkit.ToTensor()],
        lambda: [augkit.Resize(shorter=70), augkit.CenterCrop(64)],
        lambda: [augkit.RandomScale(20, 90), augkit.RandomCrop(48, padding=4, fill=3)],
        lambda: [augkit.Resize(size=(40, 50), antialias=False), augkit.RandomCrop(30)],
    ],
)
def test_compose_fusion_keeps_params_and_pixels(steps):
    from augkit.samples import sample_paths

    pipeline = augkit.Compose(steps())
    for seed, path in enumerate(sample_paths()[:3]):
        photo = augkit.decode(path)
        fused, params = pipeline.run(photo, np.random.default_rng(seed))
        unfused, rng = photo, np.random.default_rng(seed)
        for t, recorded in zip(pipeline.transforms, params.params):
            unfused, p = t.run(unfused, rng)
            assert p == recorded
        fused, unfused = torch.as_tensor(np.asarray(fused)), torch.as_tensor(np.asarray(unfused))
        assert fused.shape == unfused.shape
        assert (fused.int() - unfused.int()).abs().max() <= 1
        assert torch.equal(torch.as_tensor(np.asarray(pipeline.apply(photo, params))), fused)


@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3, 4]), st.sampled_from([np.uint8, np.float32, np.int32]))
def test_hflip_fast_path_equals_numpy(height, width, channels, dtype):
    image = np.arange(height * width * channels).reshape(height, width, channels).astype(dtype)
    for view in (image, image[:, ::-1], image[::2]):
        out = G.hflip(view)
        assert out.dtype == view.dtype and out.flags.c_contiguous
        assert np.array_equal(out, view[:, ::-1])


def test_batched_loops_hand_each_slice_on_in_batches():
    seen, batches = [], []
    loop = bench.cases._Batched([bytes([i]) for i in range(20)], lambda data, i: seen.append(i) or i, batches.append, batch_size=8)
    assert isinstance(loop, bench.Loop) and len(loop) == 20
    assert loop(0, 10) == 10 and loop(10, None) == 10
    assert seen == list(range(20))
    assert batches == [list(range(8)), [8, 9], list(range(10, 18)), [18, 19]]


@pytest.mark.filterwarnings("ignore:.*decoding and encoding capabilities of TorchVision:DeprecationWarning")
def test_segmentation_case_ends_every_implementation_with_the_same_batches(tiny_set):
    """augkit (batch stage on the collated batch) and each peer (stacked per-image outputs): float images, int64 masks."""
    cases = bench.Bench(bench.find_images(tiny_set, 3))
    for impl in cases.impls("seg"):
        try:
            runner = impl.setup()
        except bench.Skip:
            continue
        outputs, finish = [], runner.finish
        runner.finish = lambda items, finish=finish: outputs.append(finish(items))
        assert runner() == 3
        ((images, masks),) = outputs
        assert images.shape == (3, 3, 480, 480) and images.dtype == torch.float32, impl.name
        assert masks.shape == (3, 480, 480) and masks.dtype == torch.int64, impl.name
        assert set(masks.unique().tolist()) <= set(range(21)) | {255}, impl.name


@pytest.mark.filterwarnings("ignore:.*decoding and encoding capabilities of TorchVision:DeprecationWarning")
def test_policy_cases_compare_like_outputs(tiny_set):
    """The DeiT case ends every implementation in uint8 [3, 224, 224]; the policy case keeps the batch's shape and dtype."""
    cases = bench.Bench(bench.find_images(tiny_set, 3))
    seen = []
    for impl in cases.impls("deit"):
        try:
            runner = impl.setup()
        except bench.Skip:
            continue
        outputs, fn = [], runner.fn
        runner.fn = lambda data, i, fn=fn: outputs.append(fn(data, i))
        assert runner() == 3
        assert all(tuple(o.shape) == (3, 224, 224) and o.dtype == torch.uint8 for o in outputs), impl.name
        seen.append(impl.name)
    assert "augkit" in seen
    for impl in cases.impls("policy"):
        try:
            assert impl.setup()() == 64
        except bench.Skip:
            continue
    assert {c.name: c.cpu_time for c in bench.CASES if c.number == "9"} == {"deit": True, "policy": True}
