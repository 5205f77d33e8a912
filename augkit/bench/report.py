"""What the benchmark prints and writes: the table, augkit's ratios against its peers, the JSON figures."""

from __future__ import annotations

import importlib
import json
import math
import os
import platform
import statistics
from pathlib import Path

import numpy as np
import torch

import augkit
from augkit._atomic import atomic_write_bytes
from augkit.bench.harness import Row, paired_ratios

#: Decode-only rows that the sample-stage cases carry: the rate of decoding alone, a ceiling.
CEILING = ("decode only: simplejpeg", "decode only: OpenCV")


def group(row: Row) -> str:
    """Rows compare with the augkit row of their group ("op: implementation" names; the ceiling joins augkit's)."""
    return row.name.split(":", 1)[0] if ":" in row.name and row.name not in CEILING else ""


def format_table(rows: list[Row]) -> str:
    """Markdown table: case, implementation, median, min-max, augkit's median paired ratio to the row."""
    lines = ["| case | implementation | median | min-max | augkit / this |", "|---|---|---:|---:|---:|"]
    for row in rows:
        if row.skipped:
            lines.append(f"| {row.case} | {row.name} | skipped: {row.skipped} | | |")
            continue
        ours = [r for r in rows if r.case == row.case and r.augkit and r.rates and group(r) == group(row)]
        ratio = f"{statistics.median(paired_ratios(ours[0], [row])):.2f}x" if ours and not row.augkit else ("—" if row.augkit else "")
        lines.append(f"| {row.case} | {row.name} | {row.median:,.0f} {row.unit} | {min(row.rates):,.0f}-{max(row.rates):,.0f} | {ratio} |")
    return "\n".join(lines)


def peer_ratios(rows: list[Row]) -> list[dict]:
    """augkit's first row of each case and group against the fastest peer in each round.

    Peers are the group's rows that are not augkit's; the decode-only rows of a case are a
    second comparison of their own (the fraction of the decode-only ceiling reached).

    Returns:
        One dict per comparison: ``case``, ``group``, ``augkit`` (the row), ``against`` (the
        peers' names), and the median, min and max of the paired ratios.
    """
    results = []
    for case in dict.fromkeys(r.case for r in rows):
        case_rows = [r for r in rows if r.case == case and r.rates]
        for name in dict.fromkeys(group(r) for r in case_rows):
            members = [r for r in case_rows if group(r) == name]
            ours = next((r for r in members if r.augkit), None)
            if ours is None:
                continue
            others = [r for r in members if not r.augkit]
            for peers in ([r for r in others if r.name not in CEILING], [r for r in others if r.name in CEILING]):
                if not peers:
                    continue
                ratios = paired_ratios(ours, peers)
                results.append(
                    {
                        "case": case,
                        "group": name,
                        "augkit": ours.name,
                        "against": [p.name for p in peers],
                        "ratio": statistics.median(ratios),
                        "min": min(ratios),
                        "max": max(ratios),
                    }
                )
    return results


def format_ratios(ratios: list[dict]) -> str:
    """One line per comparison of ``peer_ratios``."""
    lines = ["augkit against its peers (augkit's rate / the fastest peer's in the same round; median, min-max):"]
    for r in ratios:
        label = r["case"] + (f" / {r['group']}" if r["group"] else "")
        lines.append(f"  {label}: {r['ratio']:.2f}x ({r['min']:.2f}-{r['max']:.2f}) against {', '.join(r['against'])}")
    return "\n".join(lines)


def environment() -> dict:
    """Machine and versions for the report."""
    info = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": _cpu_name(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "augkit": augkit.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
    }
    for module in ("torchvision", "albumentations", "cv2", "PIL", "simplejpeg", "kornia", "timm"):
        try:
            info[module] = importlib.import_module(module).__version__
        except (ImportError, AttributeError):
            info[module] = "not installed"
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_json(figures: dict, path: str | os.PathLike) -> None:
    """Write the figures (NaN medians of skipped rows become null)."""

    def clean(value):
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    atomic_write_bytes(path, json.dumps(clean(figures), indent=2).encode())
