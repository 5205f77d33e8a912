"""The README and docs/ speak of the product only, and docs/porting.md names what exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch.utils.data

import augkit
import augkit.data
import augkit.tta

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: Words of a project's internal history or bookkeeping, and links that leave the repository.
FORBIDDEN = {
    "a link outside the repository": r"\]\((?!docs/|augkit/|[\w.-]+\.md)[^)]*\)|\.\./|https?://",
    "an issue number": r"\bissue\s*#?\d|#\d+\b",
    "a session": r"\bsessions?\b",
    "a numbered or lettered run": r"\brun [A-Z0-9]\b",
    "internal goals": r"\bgoals?\b|\bstretch\b",
}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_speak_of_the_product_only(page):
    text = page.read_text(encoding="utf-8")
    found = [f"{what}: {m.group(0)!r}" for what, pattern in FORBIDDEN.items() for m in re.finditer(pattern, text, re.IGNORECASE)]
    assert found == []


def test_links_between_pages_resolve():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_porting_table_names_what_augkit_has():
    text = (REPO / "docs" / "porting.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| ") and not line.startswith("| torchvision")]
    names = set()
    for cells in rows:
        augkit_cell = cells[3] if len(cells) == 5 else cells[-1]
        for span in re.findall(r"`([^`]+)`", augkit_cell):
            names |= set(re.findall(r"(?<![\w.])(?:augkit\.(?:data\.|tta\.)?)?([A-Z]\w+)\(", span))
    assert {"Resize", "RandomResizedCrop", "Cutout", "MixupOrCutMix", "TenCrop", "OneOf", "DeviceLoader", "ImageFolder"} <= names
    for name in names:
        assert any(hasattr(module, name) for module in (augkit, augkit.data, augkit.tta, torch.utils.data)), (
            f"porting.md names {name}, which augkit lacks"
        )
