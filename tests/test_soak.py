"""A short soak: a few epochs of the full ResNet pipeline with 2 workers; memory stays flat.

Runs ``scripts/soak.py`` in a fresh process with a fixed glibc mmap threshold, so that heap
fragmentation (bounded, but a few percent in the first tens of epochs) does not hide or
fake a leak. The full 20-epoch run and its numbers (with glibc's default too) are in
``docs/reliability.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "soak.py"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; glibc malloc")
def test_resident_memory_stays_flat_over_epochs(tmp_path):
    out = tmp_path / "soak.json"
    command = [
        sys.executable,
        str(SCRIPT),
        "--epochs",
        "6",
        "--repeat",
        "1",
        "--batch-size",
        "4",
        "--malloc-mmap-threshold",
        "131072",
        "--json",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.exists(), done.stderr
    result = json.loads(out.read_text())
    records = result["records"]
    assert [r["images"] for r in records] == [8] * 6  # every epoch complete
    assert all(len(r["workers_mib"]) == 2 for r in records)  # the same persistent workers measured
    assert result["growth_percent"] < 5.0, done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
