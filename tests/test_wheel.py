"""augkit installs anywhere: a wheel, installed into a fresh virtual environment outside the
checkout, runs ``augkit demo``, ``python -m augkit``, the README's examples and
``augkit.samples.sample_paths()`` from another folder, and ships ``py.typed``."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Never part of a wheel build's input: build outputs, caches, local environments.
IGNORED = ("build", "dist", ".git", ".venv", "__pycache__", "*.egg-info", "*.so", ".pytest_cache", ".hypothesis", "out")


def _copy_source(target: Path) -> None:
    """Copy the checkout without its build outputs (a stale ``build/`` must not leak into the wheel)."""
    shutil.copytree(REPO, target, symlinks=True, ignore=shutil.ignore_patterns(*IGNORED))


def _site_dirs() -> list[str]:
    """The current environment's package folders (torch, numpy, ...), not the checkout."""
    dirs = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def _run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_the_wheel_runs_outside_the_checkout(tmp_path):
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    assert major >= 77, f"setuptools {setuptools.__version__} cannot build augkit: pip install -e '.[dev]' installs a newer one"
    source, wheels, env_dir, elsewhere = (tmp_path / name for name in ("src", "wheels", "venv", "elsewhere"))
    _copy_source(source)
    _run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels)], tmp_path, 300)
    (wheel,) = wheels.glob("augkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("augkit/py.typed", "augkit/__main__.py", "augkit/samples_data/china.jpg", "augkit/samples_data/LICENSES.md"):
        assert name in names

    # A fresh environment that sees this one's packages (torch, numpy, ...) but not its augkit:
    # the listed folders are appended to sys.path without running their .pth files, so an
    # editable install of the checkout there stays out of the way.
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, 60).stdout.strip()
    Path(purelib, "augkit_test_outer_env.pth").write_text("\n".join(_site_dirs()) + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)], tmp_path, 120)

    elsewhere.mkdir()
    check = (
        "import sys, augkit, augkit.samples\n"
        "print(augkit.__file__)\n"
        "print(len(augkit.samples.sample_paths()), augkit.samples.sample_path('china.jpg'))\n"
        "print('torch' in sys.modules)\n"
    )
    lines = _run([str(python), "-c", check], elsewhere, 60).stdout.splitlines()
    installed = Path(lines[0]).resolve()
    assert installed.is_relative_to(env_dir.resolve()), f"imported {installed}, not the wheel's augkit"
    count, china = lines[1].split(" ", 1)
    assert count == "8" and Path(china).is_file() and Path(china).resolve().is_relative_to(env_dir.resolve())
    assert lines[2] == "False"  # import augkit stays light

    assert _run([str(python), "-m", "augkit", "--version"], elsewhere, 60).stdout.strip().startswith("augkit ")
    demo = [str(env_dir / "bin" / "augkit"), "demo", "--out-dir", "out", "--epochs", "1", "--repeat", "1", "--workers", "0", "-n", "1"]
    printed = _run(demo, elsewhere, 180).stdout
    assert str(env_dir.resolve()) in printed or str(env_dir) in printed  # the photos came from the wheel
    for name in ("stats.json", "pipeline.yaml", "preview.png"):
        assert (elsewhere / "out" / name).is_file()

    shutil.copy(REPO / "README.md", elsewhere / "README.md")
    _run([str(python), "-m", "doctest", "README.md"], elsewhere, 180)
