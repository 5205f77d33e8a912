"""Atomic file writes: a temporary file beside the target, then ``os.replace``.

Every file augkit writes (statistics JSON and ``.npy``, preview PNGs, pipeline configs)
goes through here, so a reader never sees half a file and an interruption — an exception,
``KeyboardInterrupt``, a full disk — leaves the previous file (or none) in place and no
temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _new_file_mode(path: Path) -> int:
    """The replaced file's permission bits, or what ``open`` gives a new file under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, fsync: bool = True) -> Iterator[IO[bytes]]:
    """Open a binary handle whose contents replace ``path`` only when the block succeeds.

    The data goes to a hidden temporary file in the same folder (``.<name>.<random>.tmp``);
    on success it is flushed, optionally fsynced, given the permissions ``path`` has (or a
    new file would get) and moved over ``path`` with ``os.replace``. On any exception,
    ``KeyboardInterrupt`` included, the temporary file is removed and the error re-raised.

    Args:
        path: The file to write.
        fsync: Flush the data to disk before the rename (durable across a crash).

    Yields:
        A writable binary file object.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> with atomic_write(target) as handle:
        ...     _ = handle.write(b"hello")
        >>> target.read_bytes()
        b'hello'
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    mode = _new_file_mode(path)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see ``atomic_write``).

    Args:
        path: The file to write.
        data: Its complete contents.
        fsync: Flush the data to disk before the rename.
    """
    with atomic_write(path, fsync=fsync) as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str, *, fsync: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see ``atomic_write``)."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def atomic_write_files(files: dict[str | os.PathLike, bytes], *, fsync: bool = True) -> None:
    """Write several files so that they change together (e.g. a JSON file and its ``.npy``).

    Every file is first written completely to its temporary file; only then are they moved
    into place, in the order given. During the renames ``SIGINT`` is held back (when called
    from the main thread), so a Ctrl-C lands after the last rename rather than between two; an
    interruption before that point leaves every target as it was and no temporary file.

    Args:
        files: Target path -> complete contents, in rename order (dependencies first).
        fsync: Flush each file to disk before the renames.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            folder = path.parent if str(path.parent) else Path(".")
            mode = _new_file_mode(path)
            handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False)
            staged.append((handle.name, path))
            with handle:
                handle.write(data)
                handle.flush()
                if fsync:
                    os.fsync(handle.fileno())
            os.chmod(handle.name, mode)
        with _sigint_held():
            while staged:
                name, path = staged[0]
                os.replace(name, path)
                staged.pop(0)
    finally:
        for name, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(name)


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold Ctrl-C back in this block (main thread only): a SIGINT received meanwhile is
    replayed through the previous handler (normally raising ``KeyboardInterrupt``) at the end.

    A Python-level handler is used rather than a signal mask: a process-directed SIGINT
    may be delivered to any thread, and the main thread would still act on it.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        if callable(previous):
            previous(*received[0])
        elif previous == signal.SIG_DFL:
            raise KeyboardInterrupt
