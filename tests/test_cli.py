"""The ``augkit`` command: ``python -m augkit``, light ``--help`` / ``--version``, SIGTERM, and
``augkit stats``'s checks before the pass and ``--on-error skip``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augkit.stats
from augkit.cli import COMMANDS, build_parser, main
from augkit.stats import Stats, compute

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, **kwargs)


# ---------------------------------------------------------------- entry points
def test_python_m_augkit_prints_version_without_importing_torch():
    done = _run("-X", "importtime", "-m", "augkit", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"augkit {augkit.__version__}"
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "augkit.cli" in imported  # the check can see imports
    assert not {"torch", "numpy", "PIL", "cv2"} & {name.split(".")[0] for name in imported}


def test_help_lists_every_command_without_importing_them():
    code = "import sys; from augkit.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy') or m.startswith('augkit.commands.')))"
    done = _run("-c", code)
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert name in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_import_augkit_is_lazy_but_complete():
    code = (
        "import sys, augkit\n"
        "assert 'torch' not in sys.modules\n"
        "missing = [n for n in augkit.__all__ if getattr(augkit, n, None) is None]\n"
        "assert not missing, missing\n"
        "print(type(augkit.from_config({'name': 'Mixup', 'alpha': 0.2, 'num_classes': 3})).__name__)"
    )
    done = _run("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Mixup"


def test_every_subcommand_parses():
    parser = build_parser()
    for name in COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([name, "--help"])
        assert exit_info.value.code == 0


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["nope"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


# ---------------------------------------------------------------- augkit stats: before and during the pass
def _images(folder: Path, count: int, side: int = 8) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        path = folder / f"{i:04d}.png"
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_stats_refuses_a_missing_output_folder_before_the_pass(tmp_path, monkeypatch, capsys):
    _images(tmp_path / "data", 3)

    def never(*args, **kwargs):
        raise AssertionError("the pass ran although the output cannot be written")

    monkeypatch.setattr(augkit.stats, "compute", never)
    missing = tmp_path / "missing" / "x.json"
    assert main(["stats", str(tmp_path / "data"), "--out", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"output folder {missing.parent} does not exist" in err
    assert main(["stats", str(tmp_path / "data"), "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_stats_on_error_skip_counts_and_lists_bad_files(tmp_path, capsys):
    good = _images(tmp_path / "data", 5)
    bad = [tmp_path / "data" / "broken.jpg", tmp_path / "data" / "sub" / "empty.png"]
    bad[1].parent.mkdir()
    bad[0].write_bytes(b"\xff\xd8 not a jpeg")
    bad[1].write_bytes(b"")
    out = tmp_path / "stats.json"
    assert main(["stats", str(tmp_path / "data"), "--out", str(out), "--no-progress"]) == 1
    assert "broken.jpg" in capsys.readouterr().err and not out.exists()
    for workers in ("0", "2"):
        code = main(["stats", str(tmp_path / "data"), "--out", str(out), "--no-progress", "--on-error", "skip", "--workers", workers])
        assert code == 0
        err = capsys.readouterr().err
        assert "skipped 2 image(s) that could not be decoded" in err
        for path in bad:
            assert str(path) in err
        loaded = Stats.load(out)
        expected = compute(good, progress=False)
        assert loaded.num_images == 5
        np.testing.assert_array_equal(loaded.mean, expected.mean)


def test_compute_skip_warns_once_with_every_file(tmp_path):
    good = _images(tmp_path, 3)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.warns(augkit.stats.SkippedImagesWarning, match="skipped 1 image") as caught:
        stats = compute([good[0], bad, good[1], good[2]], progress=False, on_error="skip", batch_size=2)
    assert stats.num_images == 3
    (warning,) = [w.message for w in caught if isinstance(w.message, augkit.stats.SkippedImagesWarning)]
    assert [source for source, _ in warning.skipped] == [str(bad)]
    with pytest.raises(ValueError, match="on_error"):
        compute(good, progress=False, on_error="ignore")
    with pytest.raises(ValueError, match="1 could not be decoded"), pytest.warns(augkit.stats.SkippedImagesWarning):
        compute([bad], progress=False, on_error="skip")


# ---------------------------------------------------------------- SIGTERM and orphans
def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stats_with_workers(tmp_path: Path, sig: int) -> tuple[int, list[int], str]:
    """Start ``augkit stats --workers 2``, send ``sig`` once both workers run; return
    ``(exit status, worker pids still alive 5 s later, stderr)``."""
    _images(tmp_path / "data", 300, side=32)
    # Each chunk's partial (with a 384x384 mean image, 3.5 MB) is larger than a pipe's buffer:
    # a worker whose parent stops reading blocks writing it.
    command = [sys.executable, "-m", "augkit", "stats", str(tmp_path / "data"), "--out", str(tmp_path / "s.json")]
    command += ["--workers", "2", "--batch-size", "2", "--mean-image-size", "384", "--no-progress"]
    with open(tmp_path / "stderr.txt", "w") as stderr:  # not a pipe: orphans would hold it open
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)
    workers: list[int] = []
    try:
        start = time.monotonic()
        while len(workers) < 2 and time.monotonic() - start < 60 and process.poll() is None:
            workers = _children(process.pid)
            time.sleep(0.02)
        assert len(workers) >= 2, "the workers did not start"
        time.sleep(0.3)
        assert process.poll() is None, "the pass ended before the signal"
        process.send_signal(sig)
        status = process.wait(timeout=30)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        return status, [pid for pid in workers if _alive(pid)], (tmp_path / "stderr.txt").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_stats_and_its_workers(tmp_path):
    status, alive, stderr = _stats_with_workers(tmp_path, signal.SIGTERM)
    assert alive == []
    assert status == 143, stderr
    assert "interrupted, nothing written" in stderr
    assert not (tmp_path / "s.json").exists()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_killed_parent(tmp_path):
    status, alive, _ = _stats_with_workers(tmp_path, signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert alive == []


def test_sigterm_in_any_command_exits_143():
    # In a subprocess: without the handler, SIGTERM would end the test run itself.
    code = (
        "import os, signal, sys, time\n"
        "from augkit.commands import demo\n"
        "from augkit.cli import main\n"
        "def terminated(args):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(30)  # the handler raises before this returns\n"
        "demo.run = terminated\n"
        "before = signal.getsignal(signal.SIGTERM)\n"
        "status = main(['demo'])\n"
        "assert signal.getsignal(signal.SIGTERM) == before, 'the handler was not restored'\n"
        "sys.exit(status)\n"
    )
    done = _run("-c", code)
    assert done.returncode == 143, done.stderr
    assert "augkit demo: terminated" in done.stderr
