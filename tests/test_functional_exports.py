"""``augkit.functional`` re-exports the user kernels, as torchvision's ``functional`` does."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import numpy as np
import torch

import augkit.functional as F

#: The torchvision-style names users reach for first.
TORCHVISION_NAMES = (
    "hflip",
    "vflip",
    "resize",
    "crop",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_saturation",
    "adjust_hue",
    "normalize",
    "rotate",
    "affine",
    "perspective",
    "solarize",
    "posterize",
    "equalize",
    "autocontrast",
    "invert",
    "adjust_sharpness",
    "rgb_to_grayscale",
    "gaussian_blur",
    "erase",
)


def _submodules() -> list[str]:
    return [info.name for info in pkgutil.iter_modules(F.__path__)]


def test_the_torchvision_names_are_there():
    missing = [name for name in TORCHVISION_NAMES if name not in F.__all__]
    assert not missing, missing
    assert "mix_images" in F.__all__


def test_each_export_is_its_modules_function_after_every_submodule_is_imported():
    for name in _submodules():  # importing a submodule sets an attribute of the package
        importlib.import_module(f"augkit.functional.{name}")
    for name in F.__all__:
        value = getattr(F, name)
        assert callable(value) and not isinstance(value, type(F)), name
        assert value is getattr(importlib.import_module(value.__module__), name)
        assert value.__module__.startswith("augkit.functional.") and not value.__name__.startswith("_")


def test_no_export_shares_a_submodule_name():
    clashes = sorted(set(F.__all__) & set(_submodules()))
    assert not clashes, f"a submodule import would replace these exports: {clashes}"


def test_exports_run_on_arrays_and_batches():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    assert F.hflip(image)[:, :, 0].tolist() == image[:, ::-1, 0].tolist()
    batch = torch.full((2, 3, 4, 4), 100, dtype=torch.uint8)
    assert F.adjust_brightness(batch, np.array([0.5, 2.0]))[:, 0, 0, 0].tolist() == [50, 200]
    out = F.normalize(batch, np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0]))
    assert out.dtype == torch.float32 and torch.allclose(out, batch.float() / 255)


def test_importing_the_package_imports_no_kernel_module():
    code = (
        "import sys, augkit.functional as F\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('augkit.functional.'))\n"
        "assert not loaded, loaded\n"
        "F.hflip\n"
        "assert 'augkit.functional.geometry' in sys.modules and 'augkit.functional.warping' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_dir_lists_the_exports():
    assert set(F.__all__) <= set(dir(F))
