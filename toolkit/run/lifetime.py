"""Child processes that end with their parent, however the parent ends (``kill -9`` included),
and a batch that stops the same way for Ctrl-C and for ``kill`` (SIGTERM).

On Linux a child asks the kernel for ``SIGKILL`` when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); batch workers call it at start, kernels between fork and
exec. Elsewhere this is a no-op and the ordinary shutdown paths apply.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

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
    if hasattr(signal, "pthread_sigmask"):  # born with Ctrl-C held (see born_deaf_to_ctrl_c); now ignored
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def born_deaf_to_ctrl_c() -> Iterator[None]:
    """Processes started inside begin with Ctrl-C held back (a signal mask survives ``exec``),
    so one pressed while a worker is still starting cannot kill it with a traceback before
    :func:`init_worker` ignores it. This process gets such a Ctrl-C when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def on_terminate(cleanup: Callable[[], None]) -> None:
    """Run ``cleanup`` when this worker is told to stop (SIGTERM)."""
    _ON_TERMINATE.append(cleanup)


def _terminate(signum: int, frame: object) -> None:
    for cleanup in reversed(_ON_TERMINATE):
        with contextlib.suppress(Exception):  # leaving anyway; the kernel also dies with this process
            cleanup()
    os._exit(128 + signum)


def child_setup() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child dies with this process."""
    if _libc() is None:
        return None
    parent = os.getpid()
    return lambda: die_with_parent(parent)


#: Longest temporary folder used for sockets: a Unix socket's path holds at most 107 bytes,
#: and a kernel's are ``<folder>/<prefix><pid>-<random>/<12 characters>-<n>`` (up to 59 more).
SOCKET_ROOM = 48


def private_folder(prefix: str) -> Path:
    """A new temporary folder ``<prefix><pid>-<random>`` for this process (kernel sockets and
    connection files). Folders of the same kind whose process no longer exists — killed
    with ``-9``, so nothing ran its clean-up — are removed first.
    """
    remove_orphans(prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=_socket_base()))


def _socket_base() -> Path:
    base = Path(tempfile.gettempdir())
    if len(os.fsencode(base)) > SOCKET_ROOM and os.access("/tmp", os.W_OK):
        base = Path("/tmp")  # a deep temporary folder (a test's, a CI job's) leaves no room for socket names
    return base


def remove_orphans(prefix: str) -> None:
    """Remove this user's ``<prefix><pid>-…`` folders whose process no longer exists."""
    for old in _socket_base().glob(f"{prefix}*-*"):
        owner = old.name[len(prefix) :].split("-", 1)[0]
        try:
            mine = old.is_dir() and old.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and owner.isdigit() and not _exists(int(owner)):
            shutil.rmtree(old, ignore_errors=True)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


# --- the main process: SIGTERM stops a batch as Ctrl-C does


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill PID``, a scheduler, a container stopping), raised where Ctrl-C's
    ``KeyboardInterrupt`` would be, so the batch stops its workers and writes its summary."""


_STOPPED_BY: list[int] = []


def _raise_terminated(signum: int, frame: object) -> None:
    _STOPPED_BY.append(signum)
    raise Terminated


def stop_on_terminate() -> None:
    """In the main process: SIGTERM raises :class:`Terminated` instead of ending the process unseen."""
    with contextlib.suppress(ValueError):  # not the main thread: SIGTERM keeps its default
        signal.signal(signal.SIGTERM, _raise_terminated)


def interrupted_status() -> int:
    """The exit status of a run stopped by a signal: 128 + the signal (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + (_STOPPED_BY[-1] if _STOPPED_BY else int(signal.SIGINT))


def exit_status(*, ok: bool, interrupted: bool) -> int:
    """A command's exit status: 0 when all went well, 1 when something failed, 128 + the signal when stopped."""
    if interrupted:
        return interrupted_status()
    return 0 if ok else 1


@contextmanager
def deferred_stop() -> Iterator[None]:
    """Let a summary be written whole if Ctrl-C is pressed again or SIGTERM comes meanwhile.

    The signals are caught and dropped rather than ignored (``SIG_IGN``), which children
    started meanwhile (LibreOffice for a PDF) would inherit.
    """
    stops = (signal.SIGINT, signal.SIGTERM)
    try:
        previous = {s: signal.signal(s, _disregard) for s in stops}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def finishing() -> None:
    """From here the process only writes what it has and exits: Ctrl-C and SIGTERM change
    nothing (caught and dropped, so none lands in the summary or in the interpreter's exit)."""
    for s in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(s, _disregard)
        except ValueError:  # not the main thread
            return
    atexit.unregister(exiting)  # once, however often a process finishes a command
    atexit.register(exiting)


def exiting() -> None:
    """Nothing more to do or to start: Ctrl-C and SIGTERM are ignored while the process exits.

    The interpreter's finalisation puts back the default action of every signal it had a
    handler for, so a Ctrl-C pressed just then (an impatient second press) would end the
    process by the signal and hide the exit status the batch chose. Ignoring is safe here,
    since no child is started any more (it would inherit it).

    Everything still alive is also moved out of the garbage collector's reach
    (``gc.freeze``): the interpreter's final collections would otherwise walk every object
    of pandas, docx and the notebooks' libraries, ~0.4 s for nothing (the memory goes with
    the process; every file was written and closed before).
    """
    gc.freeze()
    for s in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(s, signal.SIG_IGN)
        except ValueError:  # not the main thread
            return


def _disregard(signum: int, frame: object) -> None:
    pass
