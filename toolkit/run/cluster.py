"""Run a batch's bureau notebooks on a Dask distributed cluster instead of the local process pool.

``zongjie batch --cluster tcp://HOST:8786`` plans, validates and summarises on this (the
submitting) machine as always; only the bureaus' notebooks go to the cluster. The batch
connects and registers its kernel plugin (:class:`~toolkit.run.remote.KernelPlugin`, one
kernel per Dask worker process, as a pool worker keeps one) before the ledgers are read,
so a wrong address is said at once and the workers' kernels start meanwhile.

No shared file system is assumed: each task carries what its notebook reads (:func:`pack`):
the bureau's validated rows (the pickle ``batch.own_rows`` wrote), its parameter file and
corrections (every file of the parameters folder that :mod:`toolkit.run.inputs` lists), a
``--template``, the report definition of a non-default ``--report`` and the previous run's
figures JSON (for "changed since the last run"). A worker lays them out in a private
temporary folder with the batch's own relative layout and runs the notebook there
(:mod:`toolkit.run.remote`), and sends back the result with the bureau folder's output
files as bytes. A few threads here fetch them and write them into ``<out>/<year>/<bureau>/``
(:func:`store`), removing the bureau's old outputs first, and write ``result.json``, so the
next batch reuses unchanged bureaus whichever machine ran them.

The overview notebook (every bureau's rows) runs here, in a thread on a kernel of its own
(:class:`LocalOverview`), beside the cluster's work; the 汇总表 as with the pool.

A worker process killed mid-notebook: the scheduler gives its tasks to another worker
(a notebook is idempotent; ``retries`` covers a task that raised). A scheduler that goes
away ends the batch: what finished is kept, the rest is 已中断. Ctrl-C (and SIGTERM)
cancels the futures, removes the batch's plugin from the workers (which ends their
kernels, so running notebooks stop) and closes the client.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, ThreadPoolExecutor
from concurrent.futures import Future as LocalFuture
from concurrent.futures import wait as wait_local
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client, Future, wait
from distributed.comm.addressing import parse_address, parse_host_port
from distributed.comm.registry import backends

from toolkit.errors import WriteFailed, ZongjieError
from toolkit.outputs import RESULT, atomic_write, previous_figures
from toolkit.resources import DEFAULT_REPORT, definition_files, definition_name
from toolkit.run import execute
from toolkit.run.inputs import OWN, SHARED, Inputs
from toolkit.run.kernels import IPC_PREFIX, KernelSlot
from toolkit.run.lifetime import deferred_stop, private_folder
from toolkit.run.remote import (
    OUT,
    PARAMS,
    REPORT,
    TEMPLATE,
    KernelPlugin,
    Returned,
    Task,
    ledger_name,
    relative,
    run_task,
)
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
#: Seconds between looks at the overview notebook while the cluster's results come in, and at
#: the threads writing them.
POLL = 0.5
WRITTEN_POLL = 0.05
#: Threads writing the returned outputs into ``--out``; and seconds between asks for the cluster's size.
WRITERS = 4
SIZE_EVERY = 2.0
#: Seconds to stop the overview's kernel, and to finish writing what came back once stopped.
STOP_TIMEOUT = 10.0
OnResult = Callable[[str, RunResult], None]


class ClusterError(ZongjieError):
    """The cluster cannot be used: a wrong address, no scheduler there, no worker."""


# --- what travels: a task and what comes back -------------------------------------------


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
            rel = relative(path, spec.params_dir)
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
        files[ledger_name(spec)] = Path(spec.ledger_cache).read_bytes()
    for name, path in _previous(spec.folder).items():
        files[f"{OUT}/{spec.year}/{spec.bureau}/{name}"] = path.read_bytes()
    if spec.template is not None and Path(spec.template).is_file():
        files[f"{TEMPLATE}/{Path(spec.template).name}"] = Path(spec.template).read_bytes()
    if spec.report != DEFAULT_REPORT:
        name = definition_name(spec.report)
        for path in definition_files(spec.report):
            if path.is_file():
                files[f"{REPORT}/{name}/{path.name}"] = path.read_bytes()
    return Task(spec, fingerprint, files, plugin)


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
        #: the batch's kernel plugin (:class:`KernelPlugin`), by a name of its own: two batches
        #: on one cluster do not share kernels
        self.plugin = f"zongjie-kernel-{uuid.uuid4().hex[:12]}"
        try:
            self.client: Any = self._connect()  # a distributed.Client (its methods are untyped)
        except BaseException:
            self._stack.close()
            raise
        try:  # now, so the workers' kernels start while this machine reads the ledgers
            self._register()
        except BaseException:
            self.close()
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

    def _register(self) -> None:
        """The batch's kernel plugin on every worker (and on those that join later)."""
        try:
            self.client.register_plugin(KernelPlugin(self.plugin), name=self.plugin)
        except (OSError, TimeoutError, CancelledError):  # the scheduler went away
            raise ClusterError(f"与集群调度器“{self.address}”的连接已断开，批处理未开始。") from None
        except Exception as err:  # a worker without zongjie, or with another version of it
            raise ClusterError(
                f"集群工作节点无法加载 zongjie（{type(err).__name__}: {err}）：请在每台机器上安装与本机相同版本的 zongjie。"
            ) from None

    def close(self) -> None:
        """End the workers' kernels and close the client (once); nothing of the batch stays running."""
        if self.client is None:
            return
        with deferred_stop(), contextlib.suppress(Exception):  # a scheduler already gone
            if self.client.status == "running":  # ends each worker's kernel (a notebook still running stops)
                self.client.unregister_worker_plugin(self.plugin)
        with deferred_stop(), contextlib.suppress(Exception):
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
        return _Session(self.client, self.address, self.plugin, on_result).run(jobs, overview)


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
    """One batch's notebooks on the cluster: submitted a window at a time, collected as they finish.

    A finished task's outputs are fetched and written into ``--out`` by a few threads
    (:data:`WRITERS`), not by the loop that submits: each file is synced to disk before it
    replaces the old one, and one after another those waits left the workers without tasks.
    """

    def __init__(self, client: Any, address: str, plugin: str, on_result: OnResult | None):
        self.client, self.address, self.plugin = client, address, plugin
        self.on_result = on_result
        self.todo: deque[tuple[RunSpec, str]] = deque()
        self.futures: dict[Future[Returned], RunSpec] = {}
        self.writers = ThreadPoolExecutor(WRITERS, thread_name_prefix="zongjie-store")
        self.writing: dict[LocalFuture[RunResult], RunSpec] = {}
        self.shared: dict[str, bytes] | None = None  # the parameters folder's files every task carries
        self.size, self.sized = 0, -SIZE_EVERY  # the cluster's threads, and when they were counted
        self.ran = Ran()

    def run(self, jobs: Sequence[tuple[RunSpec, str]], overview: tuple[str, RunSpec] | None) -> Ran:
        self.todo.extend(jobs)
        local: LocalOverview | None = None
        try:
            local = LocalOverview(*overview) if overview is not None else None
            with self.client.as_current():  # distributed.wait finds its client there
                self._collect(local)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM
            self.ran.interrupted = True
        except (SchedulerLost, CancelledError, OSError, TimeoutError):
            self.ran.problem = f"与集群调度器“{self.address}”的连接已断开：已完成的单位已写入汇总，其余标为“已中断”。"
        finally:
            with deferred_stop():  # another Ctrl-C meanwhile must not lose what finished
                self._end(local)
        return self.ran

    def _collect(self, local: LocalOverview | None) -> None:
        self._submit()
        while self.futures or self.writing:
            if self.futures:
                timeout = WRITTEN_POLL if self.writing else POLL if local else None
                try:
                    done, _ = wait(  # type: ignore[no-untyped-call]
                        list(self.futures), timeout=timeout, return_when="FIRST_COMPLETED"
                    )
                except TimeoutError:  # only to look at the overview and the writers
                    done = set()
                for future in done:
                    self._take(future)
            else:
                wait_local(list(self.writing), timeout=POLL, return_when=FIRST_COMPLETED)
            self._written()
            if local is not None:
                self._overview(local.take(), local)
            self._submit()
        if local is not None:
            self._overview(local.wait(), local)

    def _overview(self, result: RunResult | None, local: LocalOverview) -> None:
        if result is not None:
            self._report(local.key, result)

    def _threads(self) -> int:
        """The cluster's worker threads, asked of the scheduler every few seconds (workers come and go)."""
        now = time.monotonic()
        if now - self.sized >= SIZE_EVERY:
            self.size, self.sized = sum(self.client.nthreads().values()), now
        return self.size

    def _submit(self) -> None:
        """Keep a window of tasks in flight: each worker busy, the scheduler holding a few bureaus' rows."""
        if not self.todo:
            return
        room = max(2, IN_FLIGHT_PER_THREAD * self._threads() + 2) - len(self.futures)
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
        """A finished task: a writer thread fetches its outputs and writes them."""
        spec = self.futures.pop(future)
        self.writing[self.writers.submit(_fetch, future, spec)] = spec

    def _written(self) -> None:
        """Report the bureaus whose outputs are written (a lost scheduler is raised here)."""
        for written in [f for f in self.writing if f.done()]:
            spec = self.writing.pop(written)
            self._report(spec.bureau, written.result())

    def _report(self, key: str, result: RunResult) -> None:
        self.ran.results[key] = result
        if self.on_result is not None:
            self.on_result(key, result)

    def _end(self, local: LocalOverview | None) -> None:
        """Cancel what is left, keep what is being written, end the overview's kernel if it still runs.

        The workers' kernels end when the batch's plugin is removed (:meth:`Cluster.close`).
        """
        connected = self.client.status == "running"
        if self.futures and connected:
            with contextlib.suppress(Exception):
                self.client.cancel(list(self.futures))
        self.futures.clear()
        wait_local(list(self.writing), timeout=STOP_TIMEOUT)
        for written in [f for f in self.writing if f.done() and f.exception() is None]:
            spec = self.writing.pop(written)
            self._report(spec.bureau, written.result())
        self.writing.clear()
        self.writers.shutdown(wait=False, cancel_futures=True)
        if local is not None and not local.taken:  # stopped, or the scheduler went away
            local.stop()


def _fetch(future: Future[Returned], spec: RunSpec) -> RunResult:
    """A finished task's result, its outputs written into the bureau's folder (a writer thread)."""
    try:
        returned = future.result()
    except CancelledError:
        raise SchedulerLost() from None
    except Exception as exc:  # the task failed on every try: workers that died with it, …
        return RunResult(spec.bureau, spec.year, error=f"集群工作节点执行失败（{type(exc).__name__}: {exc}）")
    finally:
        future.release()  # type: ignore[no-untyped-call]
    return store(spec, returned)
