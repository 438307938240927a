"""What a Dask worker runs for a batch: a bureau's task laid out, its notebook run, its outputs sent back.

The worker's side of :mod:`toolkit.run.cluster`, kept apart so that a worker imports only
this (no pandas, no client): unpickling the batch's :class:`KernelPlugin` as it registers
imports this module, and the plugin launches the worker's kernel at once, while the
submitting machine still reads the ledgers; papermill and nbconvert are imported meanwhile
(``KernelPlugin._warm``).

A :class:`Task` carries every file its notebook reads, by its place in a private folder
(:func:`unpack`); the notebook runs there on the kernel the worker process keeps for the
batch, and a :class:`Returned` brings back the result and the bureau folder's output files.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import shutil
import threading
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from distributed import Worker, WorkerPlugin, get_worker

from toolkit import __version__
from toolkit.errors import KernelDied
from toolkit.resources import DEFAULT_REPORT, definition_name
from toolkit.run.kernels import IPC_PREFIX, KernelResetFailed, KernelSlot
from toolkit.run.lifetime import private_folder, remove_orphans
from toolkit.run.result import RunResult, output_files
from toolkit.run.spec import RunSpec

#: Seconds for a worker to end its kernel when the batch ends.
STOP_TIMEOUT = 10.0
#: Seconds between looks at a worker's kernel while it is being reset (it may have been ended).
RESET_POLL = 1.0
#: Start of the private folders a worker lays a task out in (see ``lifetime.private_folder``).
TASK_PREFIX = "zongjie-task-"

#: Folders of a task's layout: the notebook sees ``<root>/params``, ``<root>/out``… as it would
#: see ``--params`` and ``--out``.
DATA, PARAMS, OUT, TEMPLATE, REPORT, LEDGERS = "data", "params", "out", "template", "report", "ledgers"


# --- what travels: a task and what comes back -------------------------------------------


@dataclass(frozen=True)
class Task:
    """One bureau's notebook run, with every file it reads, for a worker without our file system."""

    spec: RunSpec  # as on the submitting machine
    fingerprint: str
    #: relative path in the task's folder (``params/bureaus/x.yaml``, ``out/2021/x/figures.json``…) → bytes
    files: dict[str, bytes]
    plugin: str
    version: str = __version__


@dataclass
class Returned:
    """A worker's answer: the result and the output files of the bureau's folder (name → bytes)."""

    result: RunResult
    files: dict[str, bytes] = field(default_factory=dict)


def relative(path: Path, base: Path) -> str | None:
    """``path`` below ``base`` as a relative POSIX path, or ``None`` when it is elsewhere."""
    try:
        rel = Path(path).relative_to(base)
    except ValueError:
        return None
    return None if ".." in rel.parts or not rel.parts else rel.as_posix()


def ledger_name(spec: RunSpec) -> str:
    """Where a task's rows go in its folder: at the batch's place under ``out/``, else ``ledgers/``."""
    assert spec.ledger_cache is not None
    rel = relative(spec.ledger_cache, spec.out_dir)
    return f"{OUT}/{rel}" if rel else f"{LEDGERS}/{Path(spec.ledger_cache).name}"


def unpack(task: Task, root: Path) -> RunSpec:
    """Lay the task's files out under ``root``; the spec of the same run reading them there."""
    for name, data in task.files.items():
        path = root / name
        if relative(path, root) != name:  # only paths inside the task's folder
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    spec = task.spec
    for folder in (DATA, PARAMS, OUT):
        (root / folder).mkdir(exist_ok=True)
    changes: dict[str, Any] = {"data_dir": root / DATA, "params_dir": root / PARAMS, "out_dir": root / OUT}
    if spec.ledger_cache is not None:
        changes["ledger_cache"] = root / ledger_name(spec)
    if spec.template is not None:
        changes["template"] = root / TEMPLATE / Path(spec.template).name
    if spec.report != DEFAULT_REPORT:
        changes["report"] = str(root / REPORT / definition_name(spec.report))
    return spec.with_(**changes)


#: What a result says in words (its paths are the worker's; they are put back to the batch's).
_TEXTS = ("error", "pdf_error", "missing", "warnings", "overrides", "changes", "year_changes")


def _home(result: RunResult, there: RunSpec, here: RunSpec) -> RunResult:
    """``result`` with the worker's folders in its messages named as the batch's folders."""
    pairs = []
    for f in fields(RunSpec):
        a, b = getattr(there, f.name), getattr(here, f.name)
        if isinstance(a, str | Path) and isinstance(b, str | Path) and str(a) != str(b) and len(str(a)) > 1:
            pairs.append((str(a), str(b)))
    pairs.sort(key=lambda p: len(p[0]), reverse=True)  # the rows' file (inside out/) before out/

    def homed(text: str) -> str:
        for a, b in pairs:
            text = text.replace(a, b)
        return text

    changes: dict[str, Any] = {}
    for name in _TEXTS:
        value = getattr(result, name)
        changes[name] = [homed(v) for v in value] if isinstance(value, list) else homed(value)
    return replace(result, **changes)


def outputs(folder: Path) -> dict[str, bytes]:
    """The output files of a bureau's folder (not its record, not hidden files), by name."""
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in output_files(folder)}


# --- a worker: one kernel per process, kept across notebooks ------------------------------


class WorkerSlot(KernelSlot):
    """A Dask worker's kernel slot: once its batch has ended (``closed``) it starts no kernel, and a
    reset whose kernel was ended meanwhile gives up at once instead of waiting for a reply that
    cannot come (the batch's end kills the kernel whatever it is doing)."""

    closed = False

    async def _launch(self, folder: Path) -> None:
        if self.closed:
            raise KernelDied("批处理已结束，本工作节点不再启动内核")
        await super()._launch(folder)

    async def _reset(self, folder: Path) -> None:
        reset = asyncio.ensure_future(super()._reset(folder))
        try:
            while not (await asyncio.wait({reset}, timeout=RESET_POLL))[0]:
                if self.closed or self.km is None or not await self.km.is_alive():
                    raise KernelResetFailed("内核已结束")
            reset.result()
        finally:
            reset.cancel()


class KernelPlugin(WorkerPlugin):
    """One kernel per Dask worker process for one batch, kept across its notebooks.

    Registered by the batch under a name of its own (two batches on one cluster do not
    share kernels) and removed when the batch ends, however it ends: ``teardown`` ends the
    kernel (a notebook still running stops at once) and removes its socket folder. The
    kernel's LibreOffice (``--pdf``) is the kernel's own, so it too is one per worker.
    """

    def __init__(self, name: str):
        self.name = name
        self.root: Path | None = None
        self.slot: WorkerSlot | None = None
        self.lock: threading.Lock | None = None
        self.closed = False

    def setup(self, worker: Worker) -> None:
        remove_orphans(TASK_PREFIX)  # the task folders of a worker killed on this machine
        self.root = private_folder(IPC_PREFIX)
        self.slot = WorkerSlot(self.root)
        self.lock = threading.Lock()  # one notebook at a time on the kernel, whatever --nthreads says
        executor = worker.executors.get("default")
        if executor is not None:  # the thread that runs the notebooks launches their kernel
            executor.submit(self._warm)

    def _warm(self) -> None:
        """Launch the kernel and import papermill ahead of the first notebook: the batch registers
        its plugin as it connects, so this happens while the submitting machine reads and
        validates the ledgers.

        A kernel that fails to launch here is started again for the first notebook, which then
        reports the failure as its own.
        """
        assert self.lock is not None and self.slot is not None, "setup ran"
        with self.lock:
            if self.closed:
                return
            try:
                self.slot.launch()
            except Exception:  # said by the first notebook, which tries again
                self.slot.discard()
                return
            # what runs a notebook, imported while the kernel starts; the kernel is connected to
            # by the first notebook's task: Dask runs each task in a context of its own, and a
            # client made here would belong to another event loop than the task's
            importlib.import_module("toolkit.run.execute").prime()

    async def teardown(self, worker: Worker) -> None:
        self.closed = True
        if self.slot is None:
            return
        self.slot.closed = True
        self.slot.kill()  # a notebook running now ends at once
        executor = worker.executors.get("default")
        with contextlib.suppress(Exception):  # the worker is closing: its executor may be gone
            if executor is not None:  # the kernel's client belongs to the thread that ran the notebooks
                discarded = asyncio.wrap_future(executor.submit(self.slot.discard))
                await asyncio.wait_for(asyncio.shield(discarded), STOP_TIMEOUT)  # done later if not now
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
        remove_orphans(TASK_PREFIX)

    def run(self, task: Task) -> Returned:
        """One bureau's notebook in a private folder on this worker; every failure comes back as a value."""
        spec = task.spec
        if task.version != __version__:
            error = (
                f"工作节点上的 zongjie 版本为 {__version__}，提交端为 {task.version}：请在每台机器上安装相同的版本。"
            )
            return Returned(RunResult(spec.bureau, spec.year, error=error))
        assert self.lock is not None and self.slot is not None, "setup ran"
        with self.lock:
            if self.closed:
                return Returned(RunResult(spec.bureau, spec.year, error="已中断，未完成。", interrupted=True))
            root = private_folder(TASK_PREFIX)
            try:
                here = unpack(task, root)
                result = importlib.import_module("toolkit.run.execute").run_one(
                    here, kernel=self.slot, fingerprint=task.fingerprint, memory=self.slot.memory_mb
                )
                return Returned(_home(result, here, spec), outputs(here.folder))
            except Exception as exc:  # isolation: a broken bureau must not stop the others
                return Returned(RunResult(spec.bureau, spec.year, error=f"{type(exc).__name__}: {exc}"))
            finally:
                shutil.rmtree(root, ignore_errors=True)


def run_task(task: Task) -> Returned:
    """What a Dask worker runs for one bureau: the notebook on the kernel of the batch's plugin."""
    plugin = get_worker().plugins.get(task.plugin)
    if not isinstance(plugin, KernelPlugin):
        error = "工作节点上没有本批次的内核插件（批处理已结束或工作节点刚刚重启），未执行。"
        return Returned(RunResult(task.spec.bureau, task.spec.year, error=error))
    return plugin.run(task)
