"""Child processes that end with their parent, however the parent ends (``kill -9`` included).

On Linux a child asks the kernel for ``SIGKILL`` when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); batch workers call it at start, kernels between fork and
exec. Elsewhere this is a no-op and the ordinary shutdown paths apply.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
_LIBC = None


def _libc() -> ctypes.CDLL | None:
    global _LIBC
    if _LIBC is None and sys.platform.startswith("linux"):
        try:
            _LIBC = ctypes.CDLL(None, use_errno=True)
        except OSError:
            return None
    return _LIBC


def die_with_parent(parent: int) -> None:
    """Have this process killed when ``parent`` (its parent's pid) ends; exit now if it already has."""
    libc = _libc()
    if libc is None:
        return
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_ON_TERMINATE: list[Callable[[], None]] = []


def init_worker(parent: int) -> None:
    """Start of a batch worker process: die with the batch (even a killed one), leave Ctrl-C
    to the batch, and on SIGTERM run the registered clean-ups (ending the kernel) and leave.

    Kept in this small module so a new worker runs it before importing anything heavy.
    """
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminate)


def on_terminate(cleanup: Callable[[], None]) -> None:
    """Run ``cleanup`` when this worker is told to stop (SIGTERM)."""
    _ON_TERMINATE.append(cleanup)


def _terminate(signum: int, frame: object) -> None:
    for cleanup in reversed(_ON_TERMINATE):
        try:
            cleanup()
        except Exception:  # leaving anyway; the kernel also dies with this process
            pass
    os._exit(128 + signum)


def child_setup() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child dies with this process."""
    if _libc() is None:
        return None
    parent = os.getpid()
    return lambda: die_with_parent(parent)
