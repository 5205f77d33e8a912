"""``augkit.bench`` stays out of the library's import path and builds its own data set on a fresh install."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from augkit.bench import data
from augkit.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_import_augkit_does_not_import_the_benchmark():
    code = "import sys, augkit; print(sorted(m for m in sys.modules if m.startswith('augkit.bench')))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_the_default_set_lives_in_the_user_cache(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data.default_data_dir() == tmp_path / "augkit" / "bench-data"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data.default_data_dir() == Path.home() / ".cache" / "augkit" / "bench-data"
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    help_text = capsys.readouterr().out
    assert "/tmp" not in help_text and "XDG_CACHE_HOME" in help_text


def test_bench_builds_its_data_set_when_none_is_given(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(data, "DEFAULT_IMAGES", 4)
    assert main(["bench", "--cases", "decode", "--n-images", "2", "--repeats", "1"]) == 0
    printed = capsys.readouterr().out
    folder = tmp_path / "augkit" / "bench-data"
    assert "building the benchmark set" in printed and str(folder) in printed
    assert "| decode | augkit.decode |" in printed and "augkit against its peers" in printed
    assert len(data.find_images(folder, None)) == 4 and json.loads((folder / data.MANIFEST).read_text())["images"] == 4
    # built once: the next run reuses it
    assert main(["bench", "--cases", "decode", "--n-images", "1", "--repeats", "1"]) == 0
    assert "building" not in capsys.readouterr().out


def test_an_interrupted_build_is_never_used(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "DEFAULT_IMAGES", 3)
    folder = tmp_path / "bench-data"
    real_build = data.build

    def interrupted(out, sources, n, classes, seed):
        real_build(out, sources, 1, classes, seed)  # one image written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "build", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.ensure_default_data(folder, log=lambda line: None)
    assert not (folder / data.MANIFEST).exists()
    monkeypatch.setattr(data, "build", real_build)
    lines = []
    assert data.ensure_default_data(folder, log=lines.append) == folder and len(lines) == 1
    assert len(data.find_images(folder, None)) == 3
    assert data.ensure_default_data(folder, log=lines.append) == folder and len(lines) == 1  # complete: reused


def _claims_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_bench_claims", REPO / "scripts" / "check_bench_claims.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_claims_are_read_from_the_docs_and_checked_on_paired_ratios(tmp_path, capsys):
    script = _claims_script()
    claims = script.read_claims((REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8"))
    assert ("sample", ["decode only: simplejpeg", "decode only: OpenCV"], 0.85) in claims
    row = lambda name, rates, ours=False: {"case": "sample", "name": name, "augkit": ours, "rates": rates}  # noqa: E731
    figures = {
        "rows": [
            row("augkit", [10.0, 20.0, 30.0], True),
            row("decode only: simplejpeg", [10.0, 10.0, 40.0]),
            row("decode only: OpenCV", [5.0, 40.0, 20.0]),
        ]
    }
    path = tmp_path / "figures.json"
    path.write_text(json.dumps(figures))
    assert script.main([str(path)]) == 1  # paired ratios 1.0, 0.5, 0.75: median 0.75 < 0.85
    assert "sample: 0.75x" in capsys.readouterr().out
    figures["rows"][0]["rates"] = [40.0, 40.0, 40.0]
    path.write_text(json.dumps(figures))
    assert script.main([str(path)]) == 0


def test_claims_compare_the_augkit_row_of_the_same_group():
    script = _claims_script()
    row = lambda name, rates, ours=False: {"case": "policy", "name": name, "augkit": ours, "rates": rates}  # noqa: E731
    figures = {
        "rows": [
            row("RandAugment: augkit", [30.0, 30.0, 30.0], True),
            row("RandAugment: torchvision v2 per-sample", [10.0, 10.0, 10.0]),
            row("TrivialAugmentWide: augkit", [12.0, 12.0, 12.0], True),
            row("TrivialAugmentWide: torchvision v2 per-sample", [10.0, 10.0, 10.0]),
        ]
    }
    claims = [
        ("policy", ["RandAugment: torchvision v2 per-sample"], 2.0),
        ("policy", ["TrivialAugmentWide: torchvision v2 per-sample"], 2.0),
    ]
    results = script.check(figures, claims)
    assert [(r["ratio"], r["met"]) for r in results] == [(3.0, True), (1.2, False)]
