"""Run a batch's bureau notebooks on a Dask distributed cluster instead of the local process pool.

``zongjie batch --cluster tcp://HOST:8786`` plans, validates and summarises on this (the
submitting) machine as always; only the bureaus' notebooks go to the cluster. No shared
file system is assumed: each task carries what its notebook reads (:func:`pack`): the
bureau's validated rows (the pickle ``batch.own_rows`` wrote), its parameter file and
corrections (every file of the parameters folder that :mod:`toolkit.run.inputs` lists),
a ``--template``, the report definition of a non-default ``--report`` and the previous
run's figures JSON (for "changed since the last run"). A worker lays them out in a private temporary folder with
the batch's own relative layout (:func:`unpack`), runs :func:`execute.run_one` there on
the kernel its process keeps (:class:`KernelPlugin`, one per Dask worker process, as a
pool worker keeps one) and sends back the result with the bureau folder's output files as
bytes. This machine writes them into ``<out>/<year>/<bureau>/`` (:func:`store`), removing
the bureau's old outputs first, and writes ``result.json`` itself, so the next batch reuses
unchanged bureaus whichever machine ran them.

The overview notebook (every bureau's rows) runs here, in a thread on a kernel of its own
(:class:`LocalOverview`), beside the cluster's work; the 汇总表 as with the pool.

A worker process killed mid-notebook: the scheduler gives its tasks to another worker
(a notebook is idempotent; ``retries`` covers a task that raised). A scheduler that goes
away ends the batch: what finished is kept, the rest is 已中断. Ctrl-C (and SIGTERM)
cancels the futures, removes the batch's plugin from the workers (which ends their
kernels, so running notebooks stop) and closes the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor
from concurrent.futures import wait as wait_local
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from distributed import Client, Future, Worker, WorkerPlugin, get_worker, wait
from distributed.comm.addressing import parse_address, parse_host_port
from distributed.comm.registry import backends

from toolkit import __version__
from toolkit.errors import KernelDied, WriteFailed, ZongjieError
from toolkit.outputs import RESULT, atomic_write, previous_figures
from toolkit.report.definitions import definition_files, definition_folder
from toolkit.resources import DEFAULT_REPORT
from toolkit.run import execute
from toolkit.run.inputs import OWN, SHARED, Inputs
from toolkit.run.kernels import IPC_PREFIX, KernelResetFailed, KernelSlot, peak_kb
from toolkit.run.lifetime import deferred_stop, private_folder, remove_orphans
from toolkit.run.result import RunResult, clear, record
from toolkit.run.spec import RunSpec

#: Seconds to reach the scheduler, and to wait for its first worker.
CONNECT_TIMEOUT = 10.0
WORKER_TIMEOUT = 60.0
#: Times a task that raised (not a notebook that failed: that is a result) is tried again.
RETRIES = 2
#: Tasks in flight per worker thread: enough that no worker waits, few enough that the
#: scheduler does not hold every bureau's rows at once.
IN_FLIGHT_PER_THREAD = 2
#: Seconds between looks at the overview notebook while the cluster's results come in.
POLL = 0.5
#: Seconds to stop the overview's kernel, and for a worker to end its kernel when the batch ends.
STOP_TIMEOUT = 10.0
#: Seconds between looks at a worker's kernel while it is being reset (it may have been ended).
RESET_POLL = 1.0
#: Start of the private folders a worker lays a task out in (see ``lifetime.private_folder``).
TASK_PREFIX = "zongjie-task-"

#: Folders of a task's layout: the notebook sees ``<root>/params``, ``<root>/out``… as it would
#: see ``--params`` and ``--out``.
DATA, PARAMS, OUT, TEMPLATE, REPORT, LEDGERS = "data", "params", "out", "template", "report", "ledgers"

OnResult = Callable[[str, RunResult], None]


class ClusterError(ZongjieError):
    """The cluster cannot be used: a wrong address, no scheduler there, no worker."""


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


def _relative(path: Path, base: Path) -> str | None:
    """``path`` below ``base`` as a relative POSIX path, or ``None`` when it is elsewhere."""
    try:
        rel = Path(path).relative_to(base)
    except ValueError:
        return None
    return None if ".." in rel.parts or not rel.parts else rel.as_posix()


def _ledger_name(spec: RunSpec) -> str:
    """Where a task's rows go in its folder: at the batch's place under ``out/``, else ``ledgers/``."""
    assert spec.ledger_cache is not None
    rel = _relative(spec.ledger_cache, spec.out_dir)
    return f"{OUT}/{rel}" if rel else f"{LEDGERS}/{Path(spec.ledger_cache).name}"


def _previous(folder: Path) -> dict[str, Path]:
    """What each report of the bureau last showed, by its figures JSON's name ("changed since" reads it).

    The shown ``<name>`` when there is one, else the copy a run that did not write it left
    aside (``.previous.<name>``). A task carries it as ``<name>``: the worker's run moves it
    aside itself (``result.clear``), as a run in a pool worker does.
    """
    if not folder.is_dir():
        return {}
    aside = previous_figures("")
    shown: dict[str, Path] = {}
    kept: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or not path.name.endswith("figures.json"):
            continue
        if not path.name.startswith("."):
            shown[path.name] = path
        elif path.name.startswith(aside) and not path.name[len(aside) :].startswith("."):
            kept[path.name[len(aside) :]] = path
    return {**kept, **shown}


def params_files(groups: dict[str, Inputs], spec: RunSpec) -> dict[str, bytes]:
    """The files of the parameters folder among the inputs ``groups`` lists, by their place in a task."""
    files: dict[str, bytes] = {}
    for find in groups.values():
        for path in find(spec):
            rel = _relative(path, spec.params_dir)
            if rel and path.is_file():
                files[f"{PARAMS}/{rel}"] = path.read_bytes()
    return files


def pack(spec: RunSpec, fingerprint: str, plugin: str, shared: dict[str, bytes] | None = None) -> Task:
    """The task for one bureau: its spec and the bytes of every file its notebook reads.

    ``shared`` is what every bureau's task carries alike (``params_files(SHARED, spec)``,
    read once per batch: the ledger contract); the bureau's own are added here (its
    parameters, corrections of this year and last, own template: every file ``OWN`` lists).
    """
    files = {**(shared or {}), **params_files(OWN, spec)}
    if spec.ledger_cache is not None:
        files[_ledger_name(spec)] = Path(spec.ledger_cache).read_bytes()
    for name, path in _previous(spec.folder).items():
        files[f"{OUT}/{spec.year}/{spec.bureau}/{name}"] = path.read_bytes()
    if spec.template is not None and Path(spec.template).is_file():
        files[f"{TEMPLATE}/{Path(spec.template).name}"] = Path(spec.template).read_bytes()
    if spec.report != DEFAULT_REPORT:
        name = definition_folder(spec.report).name
        for path in definition_files(spec.report):
            if path.is_file():
                files[f"{REPORT}/{name}/{path.name}"] = path.read_bytes()
    return Task(spec, fingerprint, files, plugin)


def unpack(task: Task, root: Path) -> RunSpec:
    """Lay the task's files out under ``root``; the spec of the same run reading them there."""
    for name, data in task.files.items():
        path = root / name
        if _relative(path, root) != name:  # only paths inside the task's folder
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    spec = task.spec
    for folder in (DATA, PARAMS, OUT):
        (root / folder).mkdir(exist_ok=True)
    changes: dict[str, Any] = {"data_dir": root / DATA, "params_dir": root / PARAMS, "out_dir": root / OUT}
    if spec.ledger_cache is not None:
        changes["ledger_cache"] = root / _ledger_name(spec)
    if spec.template is not None:
        changes["template"] = root / TEMPLATE / Path(spec.template).name
    if spec.report != DEFAULT_REPORT:
        changes["report"] = str(root / REPORT / definition_folder(spec.report).name)
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
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != RESULT and not p.name.startswith(".")
    }


def store(spec: RunSpec, returned: Returned) -> RunResult:
    """Write a worker's outputs into the bureau's folder here, then its ``result.json``.

    The bureau's earlier outputs go first (``result.clear``, which keeps its figures aside
    for the next comparison), as a local run does. A file that cannot be written fails the
    bureau and keeps none of its files; a bureau without a record is redone next time.
    """
    result = returned.result
    folder = spec.folder
    result.folder = str(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        clear(folder)
        for name, data in returned.files.items():
            if Path(name).name == name and not name.startswith(".") and name != RESULT:
                atomic_write(folder / name, data)
    except OSError as err:  # WriteFailed among them: a full disk
        failure = err if isinstance(err, WriteFailed) else WriteFailed(folder, err)
        result.ok, result.error = False, str(failure)
        with contextlib.suppress(OSError):
            clear(folder)
    try:
        record(result, folder)
    except ZongjieError as err:  # no record: the bureau is redone next time
        result.ok, result.error = False, str(err)
    return result


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

    def memory(self) -> dict[str, float]:
        """Peak resident memory of this worker process and of its kernels so far, in MB."""
        kernel = self.slot.peak_kb() if self.slot is not None else 0
        return {"worker": round(peak_kb("self") / 1024, 1), "kernel": round(kernel / 1024, 1)}

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
                result = execute.run_one(here, kernel=self.slot, fingerprint=task.fingerprint, memory=self.memory)
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


# --- this machine: the connection, the overview, the loop ---------------------------------


def check_address(address: str) -> None:
    """A scheduler's address as ``dask scheduler`` prints it (``tcp://HOST:PORT``), else a clear error."""
    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            raise ValueError(scheme)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)  # the port is required
    except ValueError:
        raise ClusterError(
            f"集群地址“{address}”格式不对：应写作 tcp://主机:端口，即 dask scheduler 启动时显示的地址，"
            "如 tcp://127.0.0.1:8786。"
        ) from None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Dask's own log lines (reconnection attempts, a lost scheduler's traceback) stay out of a
    batch's output, which reports every failure itself; ``ZONGJIE_DEBUG=1`` keeps them."""
    handlers = [] if os.environ.get("ZONGJIE_DEBUG") else logging.getLogger("distributed").handlers
    above = logging.Filter()
    above.filter = lambda record: record.levelno >= logging.CRITICAL  # type: ignore[method-assign]
    for handler in handlers:
        handler.addFilter(above)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(above)


class Cluster:
    """A batch's connection to a Dask scheduler, made before the ledgers are read so a wrong
    address is said at once. :meth:`run` runs the bureaus' notebooks there; :meth:`close` ends it."""

    def __init__(self, address: str):
        check_address(address)
        self.address = address
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(_quiet())
        try:
            self.client: Any = self._connect()  # a distributed.Client (its methods are untyped)
        except BaseException:
            self._stack.close()
            raise

    def _connect(self) -> Any:
        try:
            client: Any = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, ValueError, TimeoutError):
            raise ClusterError(
                f"无法连接集群调度器“{self.address}”（{CONNECT_TIMEOUT:.0f}秒内无应答）："
                "请确认 dask scheduler 已启动、地址和端口正确，且本机能访问该地址。"
            ) from None
        try:
            client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
        except (OSError, TimeoutError):
            client.close()
            raise ClusterError(
                f"集群调度器“{self.address}”上没有工作节点（等待了{WORKER_TIMEOUT:.0f}秒）："
                f"请在各台机器上运行 dask worker {self.address} --nthreads 1（每台机器都需安装 zongjie）。"
            ) from None
        return client

    def close(self) -> None:
        """Close the client (once); nothing of the batch stays running on this machine."""
        if self.client is None:
            return
        with deferred_stop(), contextlib.suppress(Exception):  # a scheduler already gone
            self.client.close(timeout=STOP_TIMEOUT)
        self.client = None
        self._stack.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        jobs: Sequence[tuple[RunSpec, str]],
        *,
        overview: tuple[str, RunSpec] | None = None,
        on_result: OnResult | None = None,
    ) -> Ran:
        """Run each ``(spec, fingerprint)`` on the cluster (and the overview here); what finished."""
        if self.client is None:
            raise ClusterError(f"与集群调度器“{self.address}”的连接已关闭。")
        return _Session(self.client, self.address, on_result).run(jobs, overview)


@dataclass
class Ran:
    """What :meth:`Cluster.run` got back: results by bureau (and the overview's key), whether it
    was stopped (Ctrl-C, SIGTERM), and what ended it early otherwise (the scheduler went away)."""

    results: dict[str, RunResult] = field(default_factory=dict)
    interrupted: bool = False
    problem: str = ""


class LocalOverview:
    """The overview notebook on this machine, in a thread with a kernel of its own."""

    def __init__(self, key: str, spec: RunSpec):
        self.key, self.year = key, spec.year
        self.root = private_folder(IPC_PREFIX)
        self.slot = KernelSlot(self.root)
        self.stopping = threading.Event()
        thread = ThreadPoolExecutor(1, thread_name_prefix="zongjie-overview")
        self.future = thread.submit(self._run, spec)
        thread.shutdown(wait=False)
        self.taken = False

    def _run(self, spec: RunSpec) -> RunResult:
        try:
            if self.stopping.is_set():
                return RunResult(self.key, self.year, error="已中断。", interrupted=True)
            return execute.run_overview(spec, kernel=self.slot)
        finally:
            self.slot.discard()  # from the thread that started the kernel
            shutil.rmtree(self.root, ignore_errors=True)

    def take(self) -> RunResult | None:
        """The overview's result once, when it has finished."""
        if self.taken or not self.future.done():
            return None
        self.taken = True
        try:
            return self.future.result()
        except Exception as exc:  # the overview must not take the bureaus' results down with it
            return RunResult(self.key, self.year, ok=False, error=f"{type(exc).__name__}: {exc}")

    def wait(self) -> RunResult | None:
        wait_local([self.future])
        return self.take()

    def stop(self) -> None:
        """End the overview's kernel now (a notebook running there fails) and its thread."""
        self.stopping.set()
        deadline = time.monotonic() + STOP_TIMEOUT
        while not self.future.done() and time.monotonic() < deadline:
            self.slot.kill()  # also one started a moment ago
            wait_local([self.future], timeout=0.2)
        shutil.rmtree(self.root, ignore_errors=True)


class SchedulerLost(Exception):
    """The client's connection to the scheduler is gone; the batch ends with what finished."""


class _Session:
    """One batch's notebooks on the cluster: submitted a window at a time, collected as they finish."""

    def __init__(self, client: Any, address: str, on_result: OnResult | None):
        self.client, self.address = client, address
        self.on_result = on_result
        self.plugin = f"zongjie-kernel-{uuid.uuid4().hex[:12]}"
        self.todo: deque[tuple[RunSpec, str]] = deque()
        self.futures: dict[Future[Returned], RunSpec] = {}
        self.shared: dict[str, bytes] | None = None  # the parameters folder's files every task carries
        self.ran = Ran()

    def run(self, jobs: Sequence[tuple[RunSpec, str]], overview: tuple[str, RunSpec] | None) -> Ran:
        self.todo.extend(jobs)
        local: LocalOverview | None = None
        registered = False
        try:
            local = LocalOverview(*overview) if overview is not None else None
            if self.todo:
                registered = True  # removed at the end even if registering was cut short
                self._register()
            with self.client.as_current():  # distributed.wait finds its client there
                self._collect(local)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM
            self.ran.interrupted = True
        except (SchedulerLost, CancelledError, OSError, TimeoutError):
            self.ran.problem = f"与集群调度器“{self.address}”的连接已断开：已完成的单位已写入汇总，其余标为“已中断”。"
        finally:
            with deferred_stop():  # another Ctrl-C meanwhile must not lose what finished
                self._end(registered, local)
        return self.ran

    def _register(self) -> None:
        """The batch's kernel plugin on every worker (and on those that join later)."""
        try:
            self.client.register_plugin(KernelPlugin(self.plugin), name=self.plugin)
        except (OSError, TimeoutError, CancelledError):  # the scheduler went away
            raise
        except Exception as err:  # a worker without zongjie, or with another version of it
            raise ClusterError(
                f"集群工作节点无法加载 zongjie（{type(err).__name__}: {err}）：请在每台机器上安装与本机相同版本的 zongjie。"
            ) from None

    def _collect(self, local: LocalOverview | None) -> None:
        self._submit()
        while self.futures:
            try:
                done, _ = wait(  # type: ignore[no-untyped-call]
                    list(self.futures), timeout=POLL if local else None, return_when="FIRST_COMPLETED"
                )
            except TimeoutError:  # only to look at the overview
                done = set()
            for future in done:
                self._take(future)
            if local is not None:
                self._overview(local.take(), local)
            self._submit()
        if local is not None:
            self._overview(local.wait(), local)

    def _overview(self, result: RunResult | None, local: LocalOverview) -> None:
        if result is not None:
            self._report(local.key, result)

    def _submit(self) -> None:
        """Keep a window of tasks in flight: each worker busy, the scheduler holding a few bureaus' rows."""
        if not self.todo:
            return
        threads = sum(self.client.nthreads().values())
        room = max(2, IN_FLIGHT_PER_THREAD * threads + 2) - len(self.futures)
        while room > 0 and self.todo:
            spec, fingerprint = self.todo.popleft()
            key = f"zongjie-{spec.year}-{spec.bureau}-{uuid.uuid4().hex[:8]}"
            try:
                if self.shared is None:
                    self.shared = params_files(SHARED, spec)
                task = pack(spec, fingerprint, self.plugin, self.shared)
            except OSError as err:  # an input gone since the plan: this bureau fails, as its notebook would
                error = f"无法读取本单位的输入文件“{err.filename or ''}”（{err.strerror or err}）。"
                self._report(spec.bureau, store(spec, Returned(RunResult(spec.bureau, spec.year, error=error))))
                continue
            self.futures[self.client.submit(run_task, task, key=key, retries=RETRIES, pure=False)] = spec
            room -= 1

    def _take(self, future: Future[Returned]) -> None:
        spec = self.futures.pop(future)
        try:
            returned = future.result()
        except CancelledError:
            raise SchedulerLost() from None
        except Exception as exc:  # the task failed on every try: workers that died with it, …
            result = RunResult(spec.bureau, spec.year, error=f"集群工作节点执行失败（{type(exc).__name__}: {exc}）")
        else:
            result = store(spec, returned)
        future.release()  # type: ignore[no-untyped-call]
        self._report(spec.bureau, result)

    def _report(self, key: str, result: RunResult) -> None:
        self.ran.results[key] = result
        if self.on_result is not None:
            self.on_result(key, result)

    def _end(self, registered: bool, local: LocalOverview | None) -> None:
        """Cancel what is left, end the workers' kernels, and the overview's if it still runs."""
        connected = self.client.status == "running"
        if self.futures and connected:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self.futures))
        if registered and connected:
            with contextlib.suppress(Exception):
                self.client.unregister_worker_plugin(self.plugin)
        self.futures.clear()
        if local is not None and not local.taken:  # stopped, or the scheduler went away
            local.stop()
