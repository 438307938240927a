"""Kernels for notebook runs: private IPC sockets, tied to their parent, reusable across notebooks.

Kernels talk over IPC sockets in a private folder instead of TCP ports, so parallel runs
cannot race for a port (papermill #511). Every kernel is killed by the operating system
when the process that started it dies.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import resource
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


#: Run by a batch kernel as it starts (``exec_lines``), before any notebook: what every
#: report notebook imports first, so a kernel started ahead (while the ledgers are validated
#: and its worker imports papermill) has it done; ``rfc3987_syntax`` is left out as in this
#: package (see ``toolkit/run/__init__.py``); empty flushes of its output streams made free
#: (:mod:`toolkit.run.streams`); the kernel's own logger set to the level its handler shows
#: (traitlets leaves it at DEBUG: ~55 debug records a notebook made and thrown away). The
#: names go with the first reset, the modules stay. A failure here is only logged; the
#: notebook's own cell then fails and says why.
PRELOAD = (
    'import sys; sys.modules.setdefault("rfc3987_syntax", None); import toolkit.ui.notebook; '
    "import toolkit.run.streams; toolkit.run.streams.install(); toolkit.run.streams.log_only_shown()"
)

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

        A new client has to wait until the kernel answers on both channels before it may
        be used; the slot keeps one client for its kernel's whole life, so only the first
        notebook waits.
        """
        self.attach()
        if self.km is not None and self.kc is not None and run_sync(self.km.is_alive)():
            try:
                run_sync(self._reset)(folder)
                return self.km, self.kc
            except Exception:  # a kernel that cannot be reset is replaced, never reused
                pass
        self.discard()
        try:
            run_sync(self._launch)(folder)
            run_sync(self._attach)()
        except BaseException:
            self.discard()
            raise
        assert self.km is not None
        return self.km, self.kc

    def attach(self) -> None:
        """Wait until a kernel launched ahead (:meth:`launch`) answers; one that does not, or
        has died, is discarded (:meth:`connect` then starts another)."""
        if self.km is not None and self.kc is None and run_sync(self.km.is_alive)():
            try:
                run_sync(self._attach)()
            except Exception:  # replaced by connect, like a kernel that cannot be reset
                self.discard()

    def launch(self) -> None:
        """Start this slot's kernel process now, without waiting for it, if it has none yet.

        The kernel imports what the notebooks need (:data:`PRELOAD`) while this process
        goes on (a batch worker imports papermill meanwhile); the first :meth:`connect`
        waits for it to answer.
        """
        if self.km is None:
            run_sync(self._launch)(self.ipc_root)

    async def _launch(self, folder: Path) -> None:
        self.km = ipc_kernel_manager(self.ipc_root)(kernel_name="python3")
        # input history in memory, as nbclient starts its kernels: no history file to write
        arguments = ["--HistoryManager.hist_file=:memory:", f"--IPKernelApp.exec_lines={PRELOAD}"]
        await self.km.start_kernel(extra_arguments=arguments, cwd=str(folder))

    async def _attach(self) -> None:
        assert self.km is not None
        self.kc = self.km.client()
        self.kc.start_channels()
        await self._ready()
        self.kc.allow_stdin = False

    async def _ready(self) -> None:
        """Wait until the kernel answers a ``kernel_info`` request on both channels.

        ``wait_for_ready`` of jupyter_client, but without its last step, waiting for 0.2 s
        of silence on the broadcast (IOPub) channel, which a batch pays on its critical path
        once per kernel. Here the request's reply on the shell channel and its ``idle``
        status on IOPub (so IOPub is subscribed) are enough; a broadcast that still comes
        belongs to an earlier request, and the reset and nbclient read only their own. A
        status lost while IOPub was still connecting is asked for again.
        """
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            if await self._answer(self.kc.get_shell_msg, msg_id, "kernel_info_reply") and await self._answer(
                self.kc.get_iopub_msg, msg_id, "status", "idle"
            ):
                return
            if self.km is None or not await self.km.is_alive():
                raise RuntimeError("内核在应答前已退出")
        raise RuntimeError(f"内核在{START_TIMEOUT}秒内没有应答")

    @staticmethod
    async def _answer(get: Any, msg_id: str, msg_type: str, state: str = "") -> bool:
        """Whether a message of ``msg_type`` (in ``state``) answering ``msg_id`` came within a second."""
        until = time.monotonic() + 1.0
        while (left := until - time.monotonic()) > 0:
            try:
                msg: dict[str, Any] = await get(timeout=left)
            except queue.Empty:
                return False
            answers = msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == msg_type
            if answers and (not state or msg["content"].get("execution_state") == state):
                return True
        return False

    async def _reset(self, folder: Path) -> None:
        """Run the reset and wait for its reply on the request channel (its broadcasts are not needed)."""
        reply = await self._quietly(_RESET.format(folder=str(folder)))
        if reply["content"]["status"] != "ok":
            raise KernelResetFailed(reply["content"].get("evalue", ""))

    async def _quietly(self, code: str) -> dict[str, Any]:
        """Run ``code`` silently and return its reply from the request channel."""
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + RESET_TIMEOUT
        while True:
            reply: dict[str, Any] = await self.kc.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def pid(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def memory_mb(self) -> dict[str, float]:
        """Peak resident memory of this process (the worker) and of this slot's kernels so far, in MB."""
        own = peak_kb("self") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"worker": round(own / 1024, 1), "kernel": round(self.peak_kb() / 1024, 1)}

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
                # reaped at once, so its CPU time counts in this process's children (the batch's)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        except (ProcessLookupError, PermissionError):
            pass
