"""Kernels for notebook runs: private IPC sockets, tied to their parent, reusable across notebooks.

Kernels talk over IPC sockets in a private folder instead of TCP ports, so parallel runs
cannot race for a port (papermill #511). Every kernel is killed by the operating system
when the process that started it dies.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from toolkit.outputs import HEADLESS
from toolkit.run.lifetime import child_setup

#: Start of the private folders (see ``lifetime.private_folder``) holding kernels' sockets and connection files.
IPC_PREFIX = "zongjie-ipc-"


class IPCKernelManager(AsyncKernelManager):
    """A kernel on IPC sockets under a private folder: no ports, so no collisions."""

    ipc_root: Path | None = None

    def __init__(self, **kwargs: Any):
        root = self.ipc_root or Path(tempfile.gettempdir())
        name = uuid.uuid4().hex[:12]
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", str(root / name))
        kwargs.setdefault("connection_file", str(root / f"{name}.json"))  # not loose in the temporary folder
        super().__init__(**kwargs)

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        """Start the kernel so that it dies with this process (``kw`` reaches ``Popen``),
        marked headless: the notebooks it runs are read later, never interacted with."""
        setup = child_setup()
        if setup is not None:
            kw.setdefault("preexec_fn", setup)
        # its temporary files (a PDF's first page…) in the private folder, which goes with the worker
        temp = {"TMPDIR": str(self.ipc_root)} if self.ipc_root else {}
        kw.setdefault("env", {**os.environ, HEADLESS: "1", **temp})
        await super().start_kernel(**kw)


def ipc_kernel_manager(root: Path) -> type[IPCKernelManager]:
    return type("IPCKernelManager", (IPCKernelManager,), {"ipc_root": Path(root)})


_RESET = """\
import os as _os, sys as _sys
if "ipywidgets" in _sys.modules:
    _sys.modules["ipywidgets"].Widget.close_all()
_os.chdir({folder!r})
get_ipython().run_line_magic("reset", "-f")
__import__("gc").freeze()
"""


#: Seconds a new kernel may take to answer, and a reset to finish.
START_TIMEOUT = 60
RESET_TIMEOUT = 60


class KernelResetFailed(RuntimeError):
    """The kernel could not be cleaned for the next notebook; it is replaced."""


def peak_kb(pid: int | str | None) -> int:
    """A process's own peak resident memory (VmHWM) in kB, 0 when unknown.

    Not ``ru_maxrss``: Linux carries it over an ``exec``, so a process spawned from a large
    one reports its parent's size from its first instruction.
    """
    if pid is None:
        return 0
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


class KernelSlot:
    """One kernel a batch worker keeps across notebooks, so imports are paid once, not per bureau.

    Before each notebook the user namespace is cleared (``%reset -f``), widgets are
    closed and the working folder is set; after any failure the kernel is discarded,
    so a broken bureau cannot leave state behind for the next one. What survives the
    reset (modules, the batch's ledgers, caches) is frozen out of the garbage collector
    (``gc.freeze``): the collections IPython's reset and pandas trigger then walk only
    the last notebook's objects, not the whole kernel, every time.
    """

    def __init__(self, ipc_root: Path):
        self.ipc_root = Path(ipc_root)
        self.km: IPCKernelManager | None = None
        #: the one client this slot talks to its kernel through, for resets and notebooks alike
        self.kc: Any = None
        self._peak_kb = 0

    def connect(self, folder: Path) -> tuple[IPCKernelManager, Any]:
        """The kernel manager and its connected client for the next notebook, reset and in ``folder``.

        A new client has to wait for the kernel's broadcast channel to connect (about
        0.2 s) before it may be used; the slot keeps one client for its kernel's whole
        life, so only the first notebook waits.
        """
        if self.km is not None and self.kc is not None and run_sync(self.km.is_alive)():
            try:
                run_sync(self._reset)(folder)
                return self.km, self.kc
            except Exception:  # a kernel that cannot be reset is replaced, never reused
                pass
        self.discard()
        self.km = ipc_kernel_manager(self.ipc_root)(kernel_name="python3")
        try:
            run_sync(self._start)(folder)
        except BaseException:
            self.discard()
            raise
        return self.km, self.kc

    async def _start(self, folder: Path) -> None:
        assert self.km is not None
        # input history in memory, as nbclient starts its kernels: no history file to write
        await self.km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"], cwd=str(folder))
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=START_TIMEOUT)
        self.kc.allow_stdin = False

    async def _reset(self, folder: Path) -> None:
        """Run the reset and wait for its reply on the request channel (its broadcasts are not needed)."""
        msg_id = self.kc.execute(_RESET.format(folder=str(folder)), silent=True, store_history=False)
        deadline = time.monotonic() + RESET_TIMEOUT
        while True:
            reply = await self.kc.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"]["status"] != "ok":
            raise KernelResetFailed(reply["content"].get("evalue", ""))

    def pid(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def peak_kb(self) -> int:
        """The peak resident memory (VmHWM) of this slot's kernels so far, 0 when unknown."""
        self._peak_kb = max(self._peak_kb, peak_kb(self.pid()))
        return self._peak_kb

    def discard(self) -> None:
        """Shut the kernel down (at once) and forget it."""
        self.peak_kb()  # kept: the slot's peak counts the kernels it replaced
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None and self.km.has_kernel:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # already gone: make sure of it below
                self.kill()
        self.km = None

    def kill(self) -> None:
        """End the kernel's whole process group now, without talking to it (signal handlers)."""
        pid = self.pid()
        if pid is None:
            return
        try:
            group = os.getpgid(pid)
            if group != os.getpgrp():  # kernels start in their own session; never signal ours
                os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
