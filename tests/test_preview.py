"""``augkit.preview`` and ``augkit preview``: grid geometry, captions, file safety, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import augkit
from augkit import constants
from augkit.cli import main
from augkit.preview import (
    PAD,
    augment_one,
    available_presets,
    default_pipeline,
    describe_params,
    fit_tile,
    get_preset,
    is_augkit_png,
    load_font,
    load_pipeline_config,
    render_grid,
    save_png,
    split_pipeline,
    wrap_lines,
)
from augkit.rng import derive_generator
from augkit.samples import sample_paths
from augkit.transforms import (
    Compose,
    HorizontalFlip,
    Normalize,
    OneOf,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    ToTensor,
    VerticalFlip,
    params_at,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def paths():
    by_name = {p.name: p for p in sample_paths()}
    return [by_name["china.jpg"], by_name["chelsea.png"]]


def _cell(grid: np.ndarray, layout, row: int, col: int) -> np.ndarray:
    x, y = layout.tile_origin(row, col)
    return grid[y : y + layout.tile, x : x + layout.tile]


# --------------------------------------------------------------------------- grid


@pytest.mark.parametrize("n, count", [(1, 1), (3, 2)])
def test_grid_geometry(n, count):
    images = [np.full((30 + 10 * i, 50, 3), 40 * i, np.uint8) for i in range(count)]
    grid, layout = render_grid(images, RandomCrop(16), n=n, size=32)
    assert (layout.rows, layout.cols) == (count, n + 1)
    assert grid.size == layout.size
    assert grid.size[0] == PAD + (n + 1) * (32 + PAD)
    assert grid.size[1] == layout.header_height + PAD + count * (32 + layout.caption_height + PAD)
    assert layout.caption_height > 0


def test_cli_grid_dimensions_and_cells(paths, tmp_path):
    out = tmp_path / "grid.png"
    n, size = 3, 64
    assert main(["preview", *map(str, paths), "-n", str(n), "--size", str(size), "--seed", "5", "--out", str(out)]) == 0
    with Image.open(out) as png:
        assert png.format == "PNG"
        grid = np.asarray(png.convert("RGB"))
    images = [augkit.decode(p) for p in paths]
    _, layout = render_grid(images, None, n=n, seed=5, size=size, labels=[p.name for p in paths], title="x")
    assert grid.shape[1] == PAD + (n + 1) * (size + PAD)
    assert grid.shape[0] > len(paths) * (size + PAD)
    # A PNG of a different title height is still aligned: the header is the only difference.
    header = grid.shape[0] - (layout.size[1] - layout.header_height)
    layout = type(layout)(layout.rows, layout.cols, layout.tile, layout.caption_height, header)
    pipeline = default_pipeline(size)
    for i, image in enumerate(images):
        assert np.array_equal(_cell(grid, layout, i, 0), fit_tile(image, size))
        for k in range(n):
            expected, _ = augment_one(image, pipeline, derive_generator(5, 0, i * n + k))
            assert np.array_equal(_cell(grid, layout, i, k + 1), fit_tile(expected, size))


def test_render_is_reproducible_and_seed_dependent(photo):
    a, _ = render_grid([photo], n=2, size=48, seed=1)
    b, _ = render_grid([photo], n=2, size=48, seed=1)
    c, _ = render_grid([photo], n=2, size=48, seed=2)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_fit_tile_letterboxes():
    image = np.full((20, 40, 3), 200, np.uint8)
    tile = fit_tile(image, 40)
    assert tile.shape == (40, 40, 3)
    assert np.all(tile[10:30] == 200) and np.all(tile[:10] == 128) and np.all(tile[30:] == 128)
    assert fit_tile(tile, 40) is not None and np.array_equal(fit_tile(tile, 40), tile)


def test_batch_stage_is_denormalized_for_display(photo):
    crop = RandomCrop(48)
    plain, _ = augment_one(photo, Compose([crop, HorizontalFlip()]), derive_generator(0, 0, 3))
    staged = (Compose([crop, ToTensor()]), Compose([HorizontalFlip(), Normalize(constants.IMAGENET_MEAN, constants.IMAGENET_STD)]))
    shown, lines = augment_one(photo, staged, derive_generator(0, 0, 3))
    assert shown.dtype == np.uint8 and shown.shape == plain.shape
    assert np.abs(shown.astype(int) - plain.astype(int)).max() <= 1
    assert any(line.startswith("batch HorizontalFlip: flip=") for line in lines)


def test_float_output_in_unit_range_is_scaled(photo):
    shown, _ = augment_one(photo[:8, :8], (None, Normalize(mean=(0.0, 0.0, 0.0))), derive_generator(0, 0, 0))
    assert np.abs(shown.astype(int) - photo[:8, :8].astype(int)).max() <= 1


# --------------------------------------------------------------------------- captions


def test_describe_nested_params(photo):
    pipeline = Compose(
        [
            RandomScale(100, 120),
            RandomApply(RandomCrop(64), p=1.0),
            RandomApply(VerticalFlip(p=1.0), p=0.0),
            OneOf([HorizontalFlip(p=1.0), VerticalFlip(p=1.0)], weights=[0, 1]),
            RandomResizedCrop(32),
            ToTensor(),
        ]
    )
    _, params = pipeline.run(photo, np.random.default_rng(0))
    lines = describe_params(params, pipeline)
    assert len(lines) == 5
    assert lines[0].startswith("RandomScale: shorter=") and 100 <= int(lines[0].split("=")[1]) <= 120
    assert lines[1].startswith("RandomCrop: box=64x64@(")
    assert lines[2] == "VerticalFlip: skipped"
    assert lines[3] == "VerticalFlip: flip=yes"
    assert lines[4].startswith("RandomResizedCrop: box=")
    assert not any("None" in line or "ToTensor" in line for line in lines)
    # Without the transform, names come from the params classes.
    assert describe_params(params)[0].startswith("Scale: shorter=")


def test_describe_rounds_floats_and_skips_none():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class JitterParams:
        brightness: float
        contrast: float | None
        order: tuple
        alpha: np.ndarray

    lines = describe_params(JitterParams(1.234567, None, (2, 0, 1), np.array([0.011111, -0.5, 2.0])))
    assert lines == ["Jitter: brightness=1.23 order=(2,0,1) alpha=(0.0111,-0.5,2)"]


def test_params_describe_themselves():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class TiltParams:
        degrees: float
        axis: str

        def describe(self):
            return f"{self.degrees:+.1f} deg about {self.axis}"

    @dataclass(frozen=True)
    class ShiftParams:
        dx: int

        def describe(self):
            return [f"right {self.dx}px", "wrapped"]

    class Tilt(augkit.Transform):
        def sample(self, rng, image):
            return TiltParams(float(rng.uniform(-10, 10)), "z")

        def apply(self, image, params=None):
            return image

    pipeline = Compose([Tilt(), RandomApply(Tilt(), p=0.0), OneOf([ToTensor()])])
    _, params = pipeline.run(np.zeros((4, 4, 3), np.uint8), np.random.default_rng(0))
    lines = describe_params(params, pipeline)
    assert lines[0] == f"Tilt: {params.params[0].degrees:+.1f} deg about z" and lines[1:] == ["Tilt: skipped", "OneOf: ToTensor"]
    assert describe_params(ShiftParams(3)) == ["Shift: right 3px wrapped"]


def test_describe_batch_params_of_one_sample():
    batch = torch.zeros(4, 3, 8, 8, dtype=torch.uint8)
    pipeline = Compose([RandomApply(HorizontalFlip(p=1.0), p=0.5), OneOf([HorizontalFlip(), VerticalFlip()])])
    _, params = pipeline.run(batch, np.random.default_rng(3))
    for i in range(4):
        lines = describe_params(params_at(params, i), pipeline)
        assert len(lines) == 2 and all(": " in line for line in lines)


def test_wrap_lines_fits_and_truncates():
    font = load_font(12)
    text = ["RandomResizedCrop: box=227x233@(120,91) scale=0.123 ratio=1.23 " + "x=1 " * 30]
    lines = wrap_lines(text, font, 100, max_lines=4)
    assert len(lines) == 4
    assert all(font.getlength(line) <= 100 for line in lines)
    assert lines[-1].endswith("\u2026")
    assert wrap_lines(["short"], font, 100, 4) == ["short"]
    long_word = wrap_lines(["a" * 200], font, 50, 3)
    assert len(long_word) == 1 and long_word[0].endswith("\u2026") and font.getlength(long_word[0]) <= 50


# --------------------------------------------------------------------------- files


def test_refuses_to_overwrite_foreign_files(paths, tmp_path, capsys):
    foreign = tmp_path / "notes.png"
    foreign.write_text("my notes")
    args = ["preview", str(paths[0]), "-n", "1", "--size", "32", "--out", str(foreign)]
    assert main(args) == 2
    assert foreign.read_text() == "my notes"
    assert "--force" in capsys.readouterr().err
    other_png = tmp_path / "photo.png"
    Image.new("RGB", (4, 4)).save(other_png)
    assert main([*args[:-1], str(other_png)]) == 2
    assert not is_augkit_png(other_png)
    assert main([*args, "--force"]) == 0
    assert is_augkit_png(foreign)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.png", "photo.png"]  # no temp files left


def test_overwrites_its_own_png(paths, tmp_path):
    out = tmp_path / "grid.png"
    args = ["preview", str(paths[0]), "--size", "32", "--out", str(out)]
    assert main([*args, "-n", "1"]) == 0
    first = out.stat().st_size
    assert main([*args, "-n", "2"]) == 0
    with Image.open(out) as png:
        assert png.size[0] == PAD + 3 * (32 + PAD)
        assert png.text["Software"] == "augkit preview"
        assert "RandomResizedCrop" in json.loads(png.text["augkit-pipeline"])["sample"]["transforms"][0]["name"]
    assert out.stat().st_size != first


def test_save_png_refuses_directory(tmp_path):
    with pytest.raises(IsADirectoryError):
        save_png(Image.new("RGB", (2, 2)), tmp_path)


def test_default_output_name(paths, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["preview", str(paths[0]), "-n", "1", "--size", "32"]) == 0
    assert is_augkit_png(tmp_path / "augkit-preview.png")


# --------------------------------------------------------------------------- bad input


def test_bad_single_image_is_an_error_naming_it(tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert main(["preview", str(bad), "--out", str(tmp_path / "g.png")]) == 1
    assert str(bad) in capsys.readouterr().err
    assert not (tmp_path / "g.png").exists()
    assert main(["preview", str(tmp_path / "missing.png"), "--out", str(tmp_path / "g.png")]) == 1
    assert "missing.png" in capsys.readouterr().err


def test_bad_images_among_several_are_skipped_and_reported(paths, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"nope")
    out = tmp_path / "g.png"
    assert main(["preview", str(paths[0]), str(bad), str(paths[1]), "-n", "1", "--size", "32", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"skipping {bad}" in captured.err and "skipped 1 of 3" in captured.out
    _, layout = render_grid([augkit.decode(paths[0])] * 2, n=1, size=32)
    with Image.open(out) as png:
        assert png.size[0] == layout.size[0]
        assert png.size[1] > 2 * (32 + PAD) and png.size[1] < 3 * (32 + PAD) + layout.header_height + 3 * layout.caption_height
    assert main(["preview", str(bad), str(bad), "--out", str(out)]) == 1


def test_bad_options(paths, tmp_path, capsys):
    base = ["preview", str(paths[0]), "--out", str(tmp_path / "g.png")]
    assert main([*base, "-n", "0"]) == 2
    assert main([*base, "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read config" in capsys.readouterr().err


# --------------------------------------------------------------------------- pipelines


def test_config_pair_and_single(paths, tmp_path):
    pair = {
        "sample": Compose([RandomScale(40, 60), RandomCrop(32), ToTensor()]).to_config(),
        "batch": Compose([HorizontalFlip(), Normalize(constants.IMAGENET_MEAN, constants.IMAGENET_STD)]).to_config(),
    }
    yaml_file = tmp_path / "pipe.yaml"
    yaml_file.write_text(augkit.config.yaml.safe_dump(pair))
    sample, batch = load_pipeline_config(yaml_file)
    assert isinstance(sample, Compose) and isinstance(batch, Compose)
    json_file = tmp_path / "pipe.json"
    json_file.write_text(json.dumps(RandomCrop(16).to_config()))
    assert isinstance(load_pipeline_config(json_file), RandomCrop)
    for config in (yaml_file, json_file):
        assert main(["preview", str(paths[0]), "-n", "2", "--size", "32", "--config", str(config), "--out", str(tmp_path / "g.png")]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="'name' key"):
        load_pipeline_config(bad)
    bad.write_text("name: NoSuchTransform")
    with pytest.raises(ValueError, match="unknown transform"):
        load_pipeline_config(bad)


def test_split_pipeline_checks_stages():
    crop, flip, resize = RandomCrop(8), HorizontalFlip(), augkit.Resize(shorter=8)
    assert split_pipeline(crop) == (crop, None)
    assert split_pipeline([None, flip]) == (None, flip)
    with pytest.raises(ValueError, match="batch stage"):
        split_pipeline((None, resize))
    with pytest.raises(ValueError, match="neither"):
        split_pipeline((None, None))
    with pytest.raises(TypeError):
        split_pipeline("RandomCrop")


def test_presets_are_looked_up_by_name(paths, tmp_path, capsys):
    assert available_presets() == augkit.presets.names() == sorted(augkit.presets.__all__)
    assert get_preset("cifar_train") is augkit.presets.get("cifar_train") is augkit.presets.cifar_train
    out = tmp_path / "g.png"
    assert main(["preview", str(paths[0]), "-n", "2", "--size", "32", "--preset", "cifar_train", "--out", str(out)]) == 0
    with Image.open(out) as png:
        assert json.loads(png.text["augkit-pipeline"]) == augkit.presets.cifar_train().to_config()
    listing = ", ".join(augkit.presets.names())
    with pytest.raises(ValueError, match=f"available: {listing}"):
        get_preset("nope")
    assert main(["preview", str(paths[0]), "--preset", "nope", "--out", str(out)]) == 2
    assert f"unknown preset 'nope'; available: {listing}" in capsys.readouterr().err


def test_presets_names_and_get():
    names = augkit.presets.names()
    assert names == sorted(names) and "resnet_train" in names and "names" not in names and "get" not in names
    for name in names:
        assert augkit.presets.get(name) is getattr(augkit.presets, name)
    with pytest.raises(ValueError, match=re.escape(f"unknown preset 'resnet'; available: {', '.join(names)}")):
        augkit.presets.get("resnet")
    with pytest.raises(ValueError, match="unknown preset '_mean_std'"):
        augkit.presets.get("_mean_std")  # a helper of the module is not a preset
    with pytest.raises(TypeError, match="a string"):
        augkit.presets.get(augkit.presets.resnet_train)


# --------------------------------------------------------------------------- --mask, --stats, bounds


def _grid_cells(out, images, pipeline, n: int, size: int) -> list[list[np.ndarray]]:
    """Cut the tiles out of a CLI grid of ``images`` (the title's height read from the PNG's size)."""
    with Image.open(out) as png:
        grid = np.asarray(png.convert("RGB"))
    _, layout = render_grid(images, pipeline, n=n, size=size)
    layout = type(layout)(
        layout.rows, layout.cols, layout.tile, layout.caption_height, grid.shape[0] - (layout.size[1] - layout.header_height)
    )
    return [[_cell(grid, layout, r, c) for c in range(n + 1)] for r in range(len(images))]


def _palette_mask(path, indices: np.ndarray) -> None:
    """A palette PNG whose index 1 is black and index 2 white: read as RGB or L, index 1 would be 0."""
    png = Image.fromarray(indices, mode="P")
    png.putpalette([0, 0, 0, 0, 0, 0, 255, 255, 255] + [9] * (256 * 3 - 9))
    png.save(path)


def test_cli_mask_is_read_as_palette_indices_and_follows_the_image(tmp_path):
    image, mask = tmp_path / "photo.png", tmp_path / "photo_mask.png"
    Image.fromarray(np.full((20, 30, 3), 77, np.uint8)).save(image)
    indices = np.zeros((20, 30), np.uint8)
    indices[2:9, 3:12], indices[10:18, 5:25] = 1, 2
    _palette_mask(mask, indices)
    with Image.open(mask) as png:
        assert png.mode == "P"
    config = tmp_path / "flip.json"
    config.write_text(json.dumps(HorizontalFlip(p=1.0).to_config()))
    out = tmp_path / "g.png"
    args = ["preview", str(image), "--mask", str(mask), "-n", "1", "--size", "60", "--config", str(config), "--out", str(out)]
    assert main(args) == 0
    gray = np.full((20, 30, 3), 77, np.uint8)
    original, variant = _grid_cells(out, [augkit.Sample(gray, mask=indices)], HorizontalFlip(p=1.0), 1, 60)[0]
    plain = fit_tile(gray, 60)
    for shown, labels in ((original, indices), (variant, indices[:, ::-1])):
        expected = np.zeros((60, 60), bool)
        expected[10:50] = np.repeat(np.repeat(labels != 0, 2, axis=0), 2, axis=1)
        assert np.array_equal(np.any(shown != plain, axis=2), expected)


def test_cli_bad_masks(paths, tmp_path, capsys):
    out = tmp_path / "g.png"
    base = ["preview", str(paths[0]), "-n", "1", "--size", "32", "--out", str(out)]
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(small)
    assert main([*base, "--mask", str(small)]) == 1
    assert f"mask {small} is 4x4 but image {paths[0]}" in capsys.readouterr().err
    rgb = tmp_path / "rgb.png"
    Image.new("RGB", (4, 4)).save(rgb)
    assert main([*base, "--mask", str(rgb)]) == 1
    assert "is a RGB image, not a label image" in capsys.readouterr().err
    assert main([*base, "--mask", str(tmp_path / "missing.png")]) == 1
    assert f"cannot read mask {tmp_path / 'missing.png'}" in capsys.readouterr().err
    assert main([*base, "--mask", str(small), str(small)]) == 2
    assert "one file per image: got 2 masks for 1 images" in capsys.readouterr().err
    assert not out.exists()


def test_cli_stats_are_passed_to_the_preset(paths, tmp_path, capsys):
    stats = augkit.stats.Stats(1, 100, np.array([0.25, 0.5, 0.75]), np.diag([1.0, 2.0, 3.0]))
    stats_file = tmp_path / "stats.json"
    stats.save(stats_file)
    out = tmp_path / "g.png"
    base = ["preview", str(paths[0]), "-n", "1", "--size", "32", "--out", str(out)]
    assert main([*base, "--preset", "resnet_eval", "--stats", str(stats_file)]) == 0
    with Image.open(out) as png:
        batch = json.loads(png.text["augkit-pipeline"])["batch"]
        assert "with stats stats.json" in png.text["Description"]
    normalize = batch if batch["name"] == "Normalize" else next(t for t in batch["transforms"] if t["name"] == "Normalize")
    assert normalize["mean"] == pytest.approx([0.25, 0.5, 0.75])
    assert normalize["mean"] != pytest.approx(list(constants.IMAGENET_MEAN))
    assert main([*base, "--stats", str(stats_file)]) == 2
    assert "--stats needs --preset" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main([*base, "--preset", "resnet_eval", "--stats", str(broken)]) == 2
    assert "broken.json" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--size", "100000"], "--size must be in [8, 2048], got 100000"),
        (["--size", "4"], "--size must be in [8, 2048], got 4"),
        (["-n", "100000"], "-n must be in [1, 256], got 100000"),
        (["-n", "256", "--size", "2048"], "fewer images, fewer variants or smaller tiles"),
    ],
)
def test_cli_refuses_grids_too_large(paths, tmp_path, capsys, options, message):
    out = tmp_path / "g.png"
    assert main(["preview", str(paths[0]), *options, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_render_grid_bounds():
    image = np.zeros((8, 8, 3), np.uint8)
    for kwargs in ({"n": 257}, {"size": 2049}, {"n": 0}, {"size": 7}, {"n": 2.0}):
        with pytest.raises(ValueError, match="must be an int in"):
            render_grid([image], RandomCrop(4), **kwargs)
    with pytest.raises(ValueError, match="would be at least"):
        render_grid([image] * 200, RandomCrop(4), n=200, size=512)


def test_preview_help_does_not_import_torch():
    code = (
        "import sys\nfrom augkit.cli import main\ntry:\n    main(['preview', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'numpy', 'PIL'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--mask" in done.stdout and "--stats" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
