"""What a batch worker process runs: one notebook at a time, on a kernel it keeps.

Kept apart from ``batch`` so a worker imports only what executing a notebook needs
(papermill, nbconvert), not the ledger and rendering libraries of the main process.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from multiprocessing.util import Finalize
from pathlib import Path

from . import execute
from .outputs import atomic_write, report_dir

_KERNEL: execute.KernelSlot | None = None


def _kernel() -> execute.KernelSlot:
    """This worker's kernel slot; its IPC folder goes when the worker exits."""
    global _KERNEL
    if _KERNEL is None:
        root = Path(tempfile.mkdtemp(prefix="zongjie-ipc-"))
        _KERNEL = execute.KernelSlot(root)
        # pool workers leave through multiprocessing's exit hooks, not atexit
        Finalize(_KERNEL, shutil.rmtree, args=(root, True), exitpriority=1)
        Finalize(_KERNEL, _KERNEL.discard, exitpriority=2)
    return _KERNEL


def run_bureau(job: dict) -> execute.RunResult:
    """One bureau in a worker process; every failure comes back as a value."""
    import resource

    fingerprint = job.pop("fingerprint")
    try:
        result = execute.run_one(**job, kernel=_kernel())
    except Exception as exc:  # isolation: a broken bureau must not stop the others
        result = execute.RunResult(job["bureau"], job["year"], ok=False, error=f"{type(exc).__name__}: {exc}")
    result.fingerprint = fingerprint
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kernels = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, _kernel().peak_kb())
    result.memory_mb = {"worker": round(own / 1024, 1), "kernel": round(kernels / 1024, 1)}
    folder = report_dir(job["out"], job["year"], job["bureau"])
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "result.json", json.dumps(result.to_dict(), ensure_ascii=False, indent=2).encode())
    return result


def run_overview(job: dict) -> execute.RunResult:
    try:
        return execute.run_overview(**job, kernel=_kernel())
    except Exception as exc:  # the overview must not take the bureaus' results down with it
        return execute.RunResult("overview", job["year"], ok=False, error=f"{type(exc).__name__}: {exc}")
