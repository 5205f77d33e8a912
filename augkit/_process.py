"""Worker processes that never outlive the process that started them.

A ``DataLoader`` worker blocked writing a result to its parent (a full pipe) never notices
that the parent is gone: killed, its workers would run on as orphans. ``die_with_parent``,
called in each worker (``worker_init_fn``), asks the kernel to send the worker SIGKILL when
its parent exits (Linux ``prctl(PR_SET_PDEATHSIG)``); elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

#: ``prctl`` option: the signal a process gets when its parent exits (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    """Make this process exit (SIGKILL) when its parent process exits (Linux only).

    With the ``fork`` start method the parent is the process that made the worker; with
    ``forkserver`` it is the fork server, which exits with that process. A process already
    orphaned (adopted by init) exits at once.

    Returns:
        True where the kernel supports it (Linux), False elsewhere.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() == 1:  # the parent exited before the request took effect
        os._exit(1)
    return True


def init_worker(worker_id: int) -> None:
    """augkit's ``DataLoader`` ``worker_init_fn``: one compute thread, and the worker dies with its parent.

    Each worker uses one torch and one OpenCV thread (the workers are the parallelism; more
    threads per worker oversubscribe the cores), and exits when the process that started it
    does (``die_with_parent``).

    Args:
        worker_id: The worker's id (unused; ``DataLoader`` passes it).
    """
    die_with_parent()
    import torch

    torch.set_num_threads(1)
    try:
        import cv2

        cv2.setNumThreads(0)
    except ImportError:  # pragma: no cover - OpenCV is a dependency
        pass
