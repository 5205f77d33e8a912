"""Folder walks (``list_images``, ``ImageFolder``, ``stats.compute``, ``augkit stats``):
symbolic link cycles are followed once, unreadable sub-folders are reported, never dropped silently."""

from __future__ import annotations

import contextlib
import os
import signal
import warnings

import numpy as np
import pytest
from PIL import Image

from augkit.cli import main
from augkit.data import ImageFolder
from augkit.io import list_images
from augkit.stats import compute


class Hang(Exception):
    """A walk ran past its deadline."""


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail, rather than block the suite, when the block runs past ``seconds``."""

    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _png(path, value: int) -> None:
    Image.fromarray(np.full((4, 5, 3), value, np.uint8)).save(path)


@pytest.fixture
def classes(tmp_path):
    """root/cat (2 images, one in a sub-folder) and root/dog (1 image)."""
    root = tmp_path / "root"
    (root / "cat" / "inner").mkdir(parents=True)
    (root / "dog").mkdir()
    _png(root / "cat" / "a.png", 10)
    _png(root / "cat" / "inner" / "b.png", 20)
    _png(root / "dog" / "c.png", 30)
    return root


def test_a_link_to_its_own_folder_lists_each_image_once(classes):
    os.symlink(".", classes / "cat" / "again")  # ln -s . again
    with pytest.warns(UserWarning, match=r"skipped 1 symbolic link.*again"), deadline(20):
        images, _ = list_images(classes)
    assert [p.name for p in images] == ["a.png", "b.png", "c.png"]


def test_two_links_to_the_same_folder_end_quickly(classes):
    # Two self-links make the plain walk exponential (2**40 paths): effectively endless.
    os.symlink(".", classes / "cat" / "again")
    os.symlink(".", classes / "cat" / "more")
    os.symlink("..", classes / "cat" / "inner" / "up")
    with pytest.warns(UserWarning, match="skipped 3 symbolic link") as caught, deadline(20):
        images, _ = list_images(classes)
    assert [p.name for p in images] == ["a.png", "b.png", "c.png"]
    assert len(caught) == 1


def test_a_second_link_to_a_folder_is_listed_once(classes):
    os.symlink(classes / "dog", classes / "cat" / "dog_too")
    with pytest.warns(UserWarning, match="dog_too"):
        images, _ = list_images(classes)
    assert sorted(p.name for p in images) == ["a.png", "b.png", "c.png"]


def test_a_plain_tree_warns_nothing(classes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images, skipped = list_images(classes)
    assert len(images) == 3 and skipped == []


def test_image_folder_and_stats_see_each_image_once(classes):
    os.symlink(".", classes / "cat" / "again")
    os.symlink(".", classes / "cat" / "more")
    with pytest.warns(UserWarning, match="symbolic link"), deadline(20):
        dataset = ImageFolder(classes)
    assert len(dataset) == 3 and dataset.targets == [0, 0, 1]
    with pytest.warns(UserWarning, match="symbolic link"), deadline(20):
        stats = compute(classes, progress=False)
    assert stats.num_images == 3
    np.testing.assert_allclose(stats.mean, [20 / 255] * 3)


def _unreadable(monkeypatch, folder) -> None:
    """Make ``os.scandir`` of ``folder`` fail as an unreadable folder does (root ignores chmod 000)."""
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_sub_folder_is_reported_not_dropped(classes, monkeypatch):
    _unreadable(monkeypatch, classes / "cat" / "inner")
    with pytest.warns(UserWarning, match=r"skipped 1 folder\(s\).*inner.*Permission denied.*strict=True"):
        images, _ = list_images(classes)
    assert [p.name for p in images] == ["a.png", "c.png"]
    with pytest.raises(PermissionError, match="inner"):
        list_images(classes, strict=True)
    with pytest.raises(PermissionError, match="inner"):
        ImageFolder(classes, strict=True)
    with pytest.raises(PermissionError, match="inner"):
        compute(classes, progress=False, strict=True)
    with pytest.warns(UserWarning, match="cannot be read"):
        assert len(ImageFolder(classes)) == 2


def test_an_unreadable_top_folder_is_an_error(classes, monkeypatch):
    _unreadable(monkeypatch, classes)
    with pytest.raises(PermissionError):
        list_images(classes)


def test_cli_reports_unreadable_folders_and_strict_fails(classes, tmp_path, monkeypatch, capsys):
    _unreadable(monkeypatch, classes / "dog")
    out = tmp_path / "stats.json"
    assert main(["stats", str(classes), "--out", str(out), "--no-progress"]) == 0
    assert "cannot be read" in capsys.readouterr().err and out.exists()
    out.unlink()
    assert main(["stats", str(classes), "--out", str(out), "--no-progress", "--strict"]) == 1
    assert "dog" in capsys.readouterr().err and not out.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_a_chmod_000_folder_is_reported(classes):
    inner = classes / "cat" / "inner"
    inner.chmod(0)
    try:
        with pytest.warns(UserWarning, match="cannot be read"):
            images, _ = list_images(classes)
        assert [p.name for p in images] == ["a.png", "c.png"]
        with pytest.raises(PermissionError):
            list_images(classes, strict=True)
    finally:
        inner.chmod(0o755)
