"""``augkit demo`` runs end to end, in-process, and writes its files."""

from __future__ import annotations

from PIL import Image

from augkit.cli import main
from augkit.preview import is_augkit_png, load_pipeline_config, split_pipeline


def test_demo_runs_and_writes_files(tmp_path, capsys):
    args = ["demo", "--out-dir", str(tmp_path), "--epochs", "2", "--repeat", "1", "--batch-size", "4", "--workers", "2", "-n", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "images/s" in out and str(tmp_path) in out
    assert is_augkit_png(tmp_path / "preview.png")
    sample, batch = split_pipeline(load_pipeline_config(tmp_path / "pipeline.yaml"))
    assert sample is not None
    with Image.open(tmp_path / "preview.png") as png:
        assert png.size[0] == 6 + 3 * (224 + 6)


def test_demo_keeps_a_foreign_preview(tmp_path, capsys):
    (tmp_path / "preview.png").write_text("mine")
    args = ["demo", "--out-dir", str(tmp_path), "--epochs", "1", "--repeat", "1", "--batch-size", "8", "--workers", "0", "-n", "1"]
    assert main(args) == 2
    assert (tmp_path / "preview.png").read_text() == "mine"
    assert "refusing to overwrite" in capsys.readouterr().err
