"""Special and huge files, and one pixel limit honoured by every format, settable everywhere.

FIFOs and devices named like images are refused without blocking (every test here that
could hang runs under an alarm of a few seconds); files larger than any image within the
pixel limit are refused unread; running out of memory is an ``ImageDecodeError``.
``max_pixels`` applies to every format, above or below Pillow's own limit, which stays as it is.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import threading
import warnings

import numpy as np
import pytest
from corpus import base_image
from PIL import Image
from torch.utils.data import DataLoader

import augkit
import augkit.io
from augkit import Compose, ImageDecodeError, RandomCrop, ToTensor
from augkit.cli import main
from augkit.data import AugmentedDataset, ImageList, SkippedItemWarning
from augkit.encoded import open_image

#: Anything that could block gets this long (seconds) before the test fails instead of hanging.
LIMIT_S = 10

posix_only = pytest.mark.skipif(
    not (hasattr(os, "mkfifo") and os.path.exists("/dev/zero") and os.path.exists("/proc/self/status")),
    reason="needs FIFOs, /dev/zero, /proc",
)


class Hang(Exception):
    """The block ran past its time limit."""


@contextlib.contextmanager
def no_hang(seconds: float = LIMIT_S):
    def alarm(signum, frame):
        raise Hang(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def encode(image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


@contextlib.contextmanager
def memory_headroom(extra: int):
    """Cap this process's address space at its current size plus ``extra`` bytes (Linux), so a
    regression that reads a huge file whole fails with MemoryError instead of exhausting the machine."""
    import resource

    with open("/proc/self/status") as status:
        current = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = current + extra if hard == resource.RLIM_INFINITY else min(current + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture
def specials(tmp_path):
    """A folder with a good PNG, a FIFO and a /dev/zero link named as JPEGs."""
    (tmp_path / "good.png").write_bytes(encode(base_image()))
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "zero.jpg").symlink_to("/dev/zero")
    return tmp_path


# --------------------------------------------------------------------------- special files


@posix_only
@pytest.mark.parametrize("name,kind", [("pipe.jpg", "FIFO"), ("zero.jpg", "character device")])
def test_special_files_are_refused_without_blocking(specials, name, kind):
    path = specials / name
    with no_hang(), memory_headroom(1 << 30):
        for read in (augkit.decode, open_image, lambda p: augkit.decode(p, mode="unchanged")):
            with pytest.raises(ImageDecodeError, match=f"not a regular file \\(a {kind}\\)") as info:
                read(path)
            assert info.value.source == str(path)


@posix_only
def test_stats_and_preview_report_special_files_instead_of_blocking(specials, tmp_path_factory, capsys):
    out = tmp_path_factory.mktemp("out")
    with no_hang(), memory_headroom(1 << 30):
        assert main(["stats", str(specials), "--out", str(out / "s.json"), "--no-progress"]) == 1
        assert main(["preview", str(specials / "pipe.jpg"), "-n", "1", "--size", "16", "--out", str(out / "g.png")]) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err and ("pipe.jpg" in err or "zero.jpg" in err)


@posix_only
def test_dataloader_workers_skip_special_files(specials):
    paths = [str(specials / name) for name in ("pipe.jpg", "good.png", "zero.jpg", "good.png")]
    ds = AugmentedDataset(ImageList(paths, targets=[0, 1, 2, 3]), Compose([RandomCrop(8), ToTensor()]), on_error="skip")
    loader = DataLoader(ds, batch_size=2, num_workers=1, timeout=LIMIT_S)
    with no_hang(3 * LIMIT_S), memory_headroom(1 << 30), warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedItemWarning)
        targets = [t.tolist() for _, t in loader]
    assert targets == [[1, 1], [3, 3]]
    assert ds.num_skipped == 2


@posix_only
def test_a_file_larger_than_any_image_within_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.jpg"
    with open(path, "wb") as handle:  # sparse: takes no disk space
        handle.write(encode(base_image(8, 8), "JPEG"))
        handle.truncate(5 << 30)
    with no_hang(), memory_headroom(1 << 30):
        with pytest.raises(ImageDecodeError, match="file too large: 5368709120 bytes"):
            augkit.decode(path)
        with pytest.raises(ImageDecodeError, match="file too large"):
            open_image(path)
    small = tmp_path / "padded.jpg"
    small.write_bytes(encode(base_image(8, 8), "JPEG") + bytes(300_000))
    assert augkit.decode(small).shape == (8, 8, 3)  # trailing bytes within the bound are fine
    bound = augkit.io.max_file_bytes(1000)
    with open(small, "r+b") as handle:
        handle.truncate(bound + 1)
    with pytest.raises(ImageDecodeError, match=f"at most {bound}"):
        augkit.decode(small, max_pixels=1000)


@posix_only
def test_a_large_file_declaring_a_bomb_is_refused_from_its_header(tmp_path):
    data = bytearray(encode(base_image(8, 8), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (40000).to_bytes(2, "big") * 2
    path = tmp_path / "bomb.jpg"
    with open(path, "wb") as handle:  # 2.5 GB (sparse): within the size bound, so only its header can refuse it
        handle.write(bytes(data))
        handle.truncate(2_500_000_000)
    assert augkit.io.max_file_bytes(augkit.io.MAX_PIXELS) > 2_500_000_000
    with no_hang(), memory_headroom(1 << 30):  # reading the body would not fit
        with pytest.raises(ImageDecodeError, match="decompression bomb refused: 40000x40000"):
            augkit.decode(path)


def test_running_out_of_memory_is_an_image_decode_error_that_skip_handles(tmp_path, monkeypatch):
    paths = []
    for name, data in (("a.jpg", encode(base_image(), "JPEG")), ("b.png", encode(base_image()))):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(data)

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(augkit.io.simplejpeg, "decode_jpeg", exhausted)
    with pytest.raises(ImageDecodeError, match="a.jpg: out of memory while decoding") as info:
        augkit.decode(paths[0])
    assert isinstance(info.value.__cause__, MemoryError)
    ds = AugmentedDataset(ImageList([str(p) for p in paths], targets=[0, 1]), None, on_error="skip")
    with pytest.warns(SkippedItemWarning, match="a.jpg"):
        assert ds[0][1] == 1
    monkeypatch.setattr(augkit.io, "_READ_WHOLE_BYTES", 0)  # read header first, then the body...

    class Exhausted(io.FileIO):
        def readall(self):
            raise MemoryError

    monkeypatch.setattr(augkit.io.os, "fdopen", lambda fd, *a, **k: Exhausted(fd, "rb", closefd=True))
    with pytest.raises(ImageDecodeError, match="out of memory while reading"):
        augkit.decode(paths[1])  # ...which does not fit in memory


# --------------------------------------------------------------------------- max_pixels


def formats():
    image = base_image(40, 50)  # 2000 pixels
    found = {"png": encode(image), "tiff": encode(image, "TIFF"), "gif": encode(image, "GIF"), "jpeg": encode(image, "JPEG")}
    from PIL import features

    if features.check("webp"):
        found["webp"] = encode(image, "WEBP", lossless=True)
    return found


FORMATS = formats()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_max_pixels_above_pillows_limit_is_honoured(fmt, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # Pillow's process-wide limit, here far below the image
    data = FORMATS[fmt]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning either
        assert augkit.decode(data, max_pixels=2000).shape == (40, 50, 3)
        assert augkit.decode(data, max_pixels=2000, mode="unchanged").shape[:2] == (40, 50)
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        augkit.decode(data, max_pixels=1999)
    assert Image.MAX_IMAGE_PIXELS == 500  # never changed
    with pytest.raises(Image.DecompressionBombError):  # other code keeps Pillow's own limit
        Image.open(io.BytesIO(FORMATS["png"])).load()


def test_pillows_limit_is_untouched_for_other_threads_during_a_decode(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    inside, results = threading.Event(), {}
    release = threading.Event()
    original = augkit.io._from_pil

    def slow(*args, **kwargs):  # holds augkit's per-call limit open while another thread opens
        inside.set()
        release.wait(LIMIT_S)
        return original(*args, **kwargs)

    monkeypatch.setattr(augkit.io, "_from_pil", slow)

    def other():
        inside.wait(LIMIT_S)
        try:
            Image.open(io.BytesIO(FORMATS["png"]))
            results["other"] = "opened"
        except Image.DecompressionBombError:
            results["other"] = "refused"
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert augkit.decode(FORMATS["png"], max_pixels=10**6).shape == (40, 50, 3)
    thread.join(LIMIT_S)
    assert results == {"other": "refused"}  # Pillow's limit (500) still applied to the other thread


def test_max_pixels_is_settable_everywhere(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    for fmt in ("png", "jpeg", "gif"):
        (folder / f"a.{fmt}").write_bytes(FORMATS[fmt])
    paths = sorted(str(p) for p in folder.iterdir())
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        open_image(paths[0], max_pixels=1999)
    ds = AugmentedDataset(ImageList(paths), Compose([RandomCrop(8), ToTensor()]), max_pixels=1999)
    for index in range(len(paths)):
        with pytest.raises(ImageDecodeError, match="max_pixels=1999"):
            ds[index]
    assert tuple(AugmentedDataset(ImageList(paths), None, max_pixels=2000)[1].shape) == (40, 50, 3)
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        augkit.stats.compute(paths, max_pixels=1999, progress=False)
    assert augkit.stats.compute(paths, max_pixels=2000, progress=False).num_images == 3
    out = tmp_path / "s.json"
    assert main(["stats", str(folder), "--out", str(out), "--no-progress", "--max-pixels", "1999"]) == 1
    assert "decompression bomb" in capsys.readouterr().err and not out.exists()
    assert main(["stats", str(folder), "--out", str(out), "--no-progress", "--max-pixels", "2000"]) == 0
    assert augkit.stats.Stats.load(out).num_images == 3
    assert main(["stats", str(folder), "--out", str(out), "--no-progress", "--max-pixels", "0"]) == 1
    assert "max_pixels must be >= 1" in capsys.readouterr().err


def test_a_pixel_limit_far_above_pillows_default_decodes_a_large_png():
    big = np.zeros((10000, 9000), np.uint8)  # 90 megapixels: above Pillow's default limit
    big[::97, ::89] = 255
    data = encode(big)
    assert Image.MAX_IMAGE_PIXELS < big.size
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        augkit.decode(data, mode="L")  # the default limit is Pillow's default
    out = augkit.decode(data, mode="L", max_pixels=10**8)
    assert out.shape == (10000, 9000, 1) and int(out.sum()) == int(big.sum())
