"""The batch's local worker processes, started before the plan so their kernels start while the ledgers are validated.

Each worker keeps one kernel across notebooks (:mod:`toolkit.run.worker`). Starting a
worker and its kernel costs ~2–3 s of imports; a small batch would otherwise spend them
after planning, on its critical path. Here the workers and their kernels start first,
beside the main process's validation, and the notebooks find them ready.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import TypeVar

from toolkit.data.params import list_bureaus
from toolkit.errors import ZongjieError
from toolkit.outputs import SUMMARY_CSV
from toolkit.run import slot
from toolkit.run.lifetime import born_deaf_to_ctrl_c, deferred_stop, init_worker
from toolkit.run.spec import RunSpec

T = TypeVar("T")

#: Seconds a worker gets to end its kernel after SIGTERM before it is killed.
STOP_GRACE = 2.0


def start_method(fork: bool) -> str:
    """``fork`` when the caller may fork (the command line, first thing) and this process
    has no other thread, else ``spawn``.

    A forked worker starts with the modules already loaded and launches its kernel sooner
    than a spawned one, which first runs a new interpreter and re-imports the command's
    modules; that start is the critical path of a county's batch. Later in a process
    (threads of the summary table, a test's cluster, a kernel's ZMQ sockets) a fork could
    copy a lock another thread holds, so workers are spawned.
    """
    alone = threading.active_count() == 1
    return "fork" if fork and alone and "fork" in multiprocessing.get_all_start_methods() else "spawn"


class Workers:
    """A process pool whose first ``warm`` workers start their kernels at once."""

    def __init__(self, size: int, warm: int = 0, *, fork: bool = False) -> None:
        context = multiprocessing.get_context(start_method(fork))
        self.executor = ProcessPoolExecutor(size, mp_context=context, initializer=init_worker, initargs=(os.getpid(),))
        #: a worker died while the pool did other work for the batch (reading the ledgers)
        self.broken = False
        with born_deaf_to_ctrl_c():  # each submission starts a worker while none is idle
            for _ in range(min(warm, size)):
                self.executor.submit(slot.warm)

    def map(self, fn: Callable[..., T], *iterables: Iterable[object]) -> Iterator[T]:
        """``fn`` over ``iterables`` in the workers, results in order (``Executor.map``);
        a worker that dies meanwhile (killed, out of memory) marks the pool :attr:`broken`."""
        try:
            yield from self.executor.map(fn, *iterables)
        except BrokenExecutor:
            self.broken = True
            raise

    def close(self, *, stop: bool = False) -> None:
        """Let the workers leave (their kernels with them); ``stop`` ends them now.

        ``stop`` is for Ctrl-C, and for a batch whose notebooks have all come back: a worker
        told to stop kills its kernel and exits at once (~0.02 s), where leaving in good
        order (ending the kernel politely, then the interpreter) takes ~0.35 s.
        """
        with deferred_stop():  # another Ctrl-C meanwhile must not lose what finished
            if stop:
                stop_workers(self._children())
            self.executor.shutdown(wait=True, cancel_futures=True)

    def _children(self) -> list[multiprocessing.process.BaseProcess]:
        """This pool's worker processes (not other children of this process: a test's Dask cluster)."""
        processes = getattr(self.executor, "_processes", None) or {}
        return list(processes.values())


def stop_workers(children: list[multiprocessing.process.BaseProcess]) -> None:
    """End these workers now (each ends its kernel on SIGTERM; SIGKILL after a grace period)."""
    for child in children:
        child.terminate()
    deadline = time.monotonic() + STOP_GRACE
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(1)


#: Notebooks that make another worker worth starting: a worker and its kernel cost ~2–3 s
#: of CPU to start (imports), a notebook ~0.1–0.3 s. Five bureaus and the overview run
#: faster in one worker (4.0 s) than in two (4.5 s) on two cores; a province keeps one
#: worker per core.
NOTEBOOKS_PER_WORKER = 12


def pool_size(jobs: int | None, count: int) -> int:
    """Workers for ``count`` notebooks: ``jobs`` (never more than there are notebooks), else
    one per core, fewer when there are too few notebooks to repay a worker's start."""
    if jobs:
        return max(1, min(jobs, count))
    return max(1, min(os.cpu_count() or 1, -(-count // NOTEBOOKS_PER_WORKER)))


def early_pool(
    spec: RunSpec, bureaus: list[str] | None, jobs: int | None, force: bool, *, fork: bool = False
) -> Workers | None:
    """The workers, started before planning so that their kernels start while the ledgers are validated.

    As many as the bureaus asked for (and the overview) could use; only one starts its
    kernel at once when earlier results may be reused (more start on demand). ``None`` when
    the parameters folder cannot be listed: planning then says why. ``fork``: the caller
    has started no thread, ZMQ context or kernel yet (see :func:`start_method`).
    """
    spec = spec.resolved()
    try:
        asked = len(bureaus) if bureaus else len(list_bureaus(spec.params_dir))
    except (ZongjieError, OSError):
        return None
    size = pool_size(jobs, asked + 1)
    fresh = force or not (spec.year_dir / SUMMARY_CSV).is_file()
    return Workers(size, warm=size if fresh else 1, fork=fork)
