"""A batch worker's one kernel, and starting it ahead: light, so a new worker gets to it first.

A worker's first task is :func:`warm` (see :mod:`toolkit.run.pool`). Unpickling it imports
this module only (jupyter_client, no papermill, nbconvert or pandas), so the kernel process
is launched within a few hundred milliseconds of the worker's start; while it imports what
the notebooks need, the worker imports papermill and nbconvert and waits for it, so the
first notebook, which comes once the batch has validated its ledgers, finds both ready.
"""

from __future__ import annotations

import importlib
import shutil
from multiprocessing.util import Finalize

from toolkit.run.kernels import IPC_PREFIX, KernelSlot
from toolkit.run.lifetime import on_terminate, private_folder
from toolkit.run.result import RunResult
from toolkit.run.spec import RunSpec

_KERNEL: KernelSlot | None = None


def kernel() -> KernelSlot:
    """This worker's kernel slot; its IPC folder goes when the worker exits."""
    global _KERNEL
    if _KERNEL is None:
        root = private_folder(IPC_PREFIX)
        _KERNEL = KernelSlot(root)
        # pool workers leave through multiprocessing's exit hooks, not atexit
        Finalize(_KERNEL, shutil.rmtree, args=(root, True), exitpriority=1)
        Finalize(_KERNEL, _KERNEL.discard, exitpriority=2)
        on_terminate(lambda: shutil.rmtree(root, ignore_errors=True))
        on_terminate(_KERNEL.kill)
    return _KERNEL


def warm() -> None:
    """Make this worker ready for its first notebook while the batch validates the ledgers:
    launch its kernel, import what runs a notebook (papermill, nbconvert; :func:`execute.prime`)
    and wait for the kernel to answer.

    A kernel that fails to start here is started again for the first notebook, which then
    reports the failure as its own.
    """
    try:
        kernel().launch()
        importlib.import_module("toolkit.run.execute").prime()
    except Exception:  # said by the first notebook, which tries again
        kernel().discard()
        return
    kernel().attach()  # a kernel that does not answer is discarded; the first notebook starts another


# The batch submits these, not :mod:`toolkit.run.worker`'s functions themselves: naming a
# function in a task imports its module where the task is made, and the batch's main
# process would import papermill and nbconvert (~0.4 s) only to name them.
def run_bureau(spec: RunSpec, fingerprint: str) -> RunResult:
    """One bureau's notebook on this worker's kernel (:func:`toolkit.run.worker.run_bureau`)."""
    result: RunResult = importlib.import_module("toolkit.run.worker").run_bureau(spec, fingerprint)
    return result


def run_overview(spec: RunSpec) -> RunResult:
    """The overview notebook on this worker's kernel (:func:`toolkit.run.worker.run_overview`)."""
    result: RunResult = importlib.import_module("toolkit.run.worker").run_overview(spec)
    return result
