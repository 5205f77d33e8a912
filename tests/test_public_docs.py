"""The public API documents itself: doctested examples, and behaviour (not speed) in docstrings."""

from __future__ import annotations

import ast
import doctest
import re
from pathlib import Path

import pytest

import augkit

ROOT = Path(augkit.__file__).resolve().parent

#: Base classes users subclass rather than call.
BASES = {"Transform", "MixingTransform"}

#: Speed figures and measurements: they belong under a ``Notes:`` section (or docs/benchmarks.md).
SPEED = re.compile(r"\b\d+(\.\d+)?(-\d+(\.\d+)?)?x (faster|slower)\b|\b\d+(\.\d+)?\s?ms\b|\bmeasured\b|\bimg/s\b", re.IGNORECASE)


def public_transforms() -> list[str]:
    return sorted(
        name
        for name in augkit.__all__
        if isinstance(getattr(augkit, name), type) and issubclass(getattr(augkit, name), augkit.Transform) and name not in BASES
    )


@pytest.mark.parametrize("name", public_transforms())
def test_every_public_transform_has_a_doctested_example(name):
    cls = getattr(augkit, name)
    examples = [example for test in doctest.DocTestFinder(recurse=False).find(cls) for example in test.examples]
    assert "Example:" in (cls.__doc__ or "") and examples, f"{name} needs an Example: section with a doctest"


def _docstrings():
    for path in sorted(ROOT.rglob("*.py")):
        if "bench" in path.relative_to(ROOT).parts:  # the benchmark's own module reports speed
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in [tree, *ast.walk(tree)]:
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    yield f"{path.relative_to(ROOT)}:{getattr(node, 'name', '<module>')}", doc


def test_docstrings_keep_speed_figures_in_notes():
    offending = []
    for where, doc in _docstrings():
        behaviour = re.split(r"^\s*Notes?:\s*$", doc, maxsplit=1, flags=re.MULTILINE)[0]
        offending += [f"{where}: {match.group(0)!r}" for match in [SPEED.search(behaviour)] if match]
    assert not offending, "move speed figures to a Notes: section or docs/benchmarks.md:\n" + "\n".join(offending)
