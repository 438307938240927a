"""A Jupyter server run in the foreground by ``zongjie review`` and ``zongjie lab``, stopped whole.

The server runs in a session of its own, so Ctrl-C in the terminal reaches this process
only (JupyterLab would otherwise stop to ask whether to shut down). Ctrl-C, SIGTERM or
SIGHUP here becomes one SIGTERM to the server, which shuts its kernels down; whatever of
it is still alive after :data:`GRACE` seconds — the server, its kernels, what they started —
is killed, and the server's temporary folders are removed, however the server ended.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import webbrowser
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Seconds the server has, once told to stop, to shut its kernels down before all of it is killed.
GRACE = 6.0
#: Seconds what a stopped server left running (a kernel it did not shut down) has to end by itself.
LINGER = 1.0
#: Signals that stop the server (those this platform has).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_PROC = Path("/proc")


@dataclass(frozen=True)
class Served:
    """How a server ended: its exit status, and the signal that stopped it when one did."""

    status: int
    stopped_by: int | None = None


@dataclass
class _Stop:
    """A request to stop, set from a signal handler (which only records it)."""

    event: threading.Event = field(default_factory=threading.Event)
    signum: int | None = None

    def __call__(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
        self.event.set()


def serve(
    command: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None,
    url: str = "",
    open_browser: bool = False,
    folders: Iterable[Path] = (),
    child_setup: Callable[[], None] | None = None,
    grace: float = GRACE,
    on_ready: Callable[[], None] | None = None,
) -> Served:
    """Run ``command`` until it exits or this process is told to stop; then nothing of it is left.

    ``url`` is opened in the browser once its port answers (``open_browser``), and
    ``on_ready`` is called then (to say the address now works);
    ``child_setup`` runs in the child before the server starts (a ``preexec_fn``);
    ``folders`` are removed at the end.
    """
    stop = _Stop()
    previous = _catch(stop)
    process: subprocess.Popen[bytes] | None = None
    try:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=child_setup,
        )
        if url and (open_browser or on_ready):
            _when_listening(url, process, stop.event, open_browser, on_ready)
        status = _wait(process, stop.event)
        if status is not None:
            return Served(status)
        stop_all(process, grace)
        return Served(process.returncode, stop.signum)
    finally:
        if process is not None and process.poll() is None:  # an error of this process: the server goes too
            stop_all(process, grace)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _catch(stop: _Stop) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    for signum in STOP_SIGNALS:
        with contextlib.suppress(ValueError):  # not the main thread: the signals keep their handlers
            previous[signum] = signal.signal(signum, stop)
    return previous


def _wait(process: subprocess.Popen[bytes], stop: threading.Event) -> int | None:
    """The server's exit status once it exits by itself; None when asked to stop first."""
    while not stop.is_set():
        try:
            return process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
    return None


def stop_all(process: subprocess.Popen[bytes], grace: float = GRACE) -> None:
    """Ask the server to stop (SIGTERM) and wait up to ``grace`` seconds for it to shut its
    kernels down; then kill whatever of it is left: its process group, and every process
    seen below it (after a last :data:`LINGER` seconds once the server itself is gone)."""
    seen = _Descendants(process.pid)
    seen.look()
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while process.poll() is None and time.monotonic() < deadline:
        seen.look()
        time.sleep(0.1)
    if process.poll() is None and hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
    process.wait()
    last = min(deadline, time.monotonic() + LINGER)
    while seen.alive() and time.monotonic() < last:
        time.sleep(0.1)
    seen.kill()


class _Descendants:
    """Processes below one process, each known by pid and start time (a pid can be reused).

    A kernel starts in a session of its own and, once its server is gone, belongs to no one:
    it is found while its server is still there and remembered. Without ``/proc`` none are
    found; kernels then end by themselves when their server has (ipykernel watches its parent).
    """

    def __init__(self, root: int):
        self.root = root
        self.known: set[tuple[int, str]] = set()

    def look(self) -> None:
        table = _processes()
        todo = [self.root]
        while todo:
            parent = todo.pop()
            for pid, (ppid, started, _) in table.items():
                if ppid == parent and (pid, started) not in self.known:
                    self.known.add((pid, started))
                    todo.append(pid)

    def alive(self) -> list[int]:
        table = _processes()
        return [pid for pid, started in self.known if pid in table and table[pid][1:] == (started, True)]

    def kill(self) -> None:
        for pid in self.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _processes() -> dict[int, tuple[int, str, bool]]:
    """pid → (parent pid, start time, running) of every process, from ``/proc`` (empty elsewhere)."""
    table: dict[int, tuple[int, str, bool]] = {}
    if not _PROC.is_dir():
        return table
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # after the name: state, parent pid, …, start time (the 22nd field of the line)
        table[int(entry.name)] = (int(fields[1]), fields[19], fields[0] not in ("Z", "X"))
    return table


def _when_listening(
    url: str,
    process: subprocess.Popen[bytes],
    stop: threading.Event,
    open_browser: bool,
    on_ready: Callable[[], None] | None,
) -> None:
    """As soon as ``url``'s port accepts connections (not while the server starts): call
    ``on_ready``, open ``url`` in the browser when asked."""
    parts = urllib.parse.urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)

    def wait_then_open() -> None:
        while not stop.is_set() and process.poll() is None:
            try:
                socket.create_connection(address, timeout=1).close()
            except OSError:
                stop.wait(0.25)
                continue
            if on_ready is not None:
                on_ready()
            if open_browser:
                webbrowser.open(url)
            return

    threading.Thread(target=wait_then_open, name="zongjie-open-browser", daemon=True).start()


def port_taken(port: int, ip: str = "127.0.0.1") -> bool:
    """Whether something already listens on ``port`` (a server could not start there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: a port just left is free
        try:
            probe.bind((ip or "127.0.0.1", port))
        except OSError:
            return True
    return False
