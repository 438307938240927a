"""Run a notebook for one bureau-year (or the overview) and keep what it produced.

The parts live beside this module: :mod:`kernels` (kernel lifetime and reuse),
:mod:`engine` (the papermill engine and parameter translator), :mod:`export` (the
reviewer's HTML). Here: one run from a :class:`RunSpec` to files on disk and a
:class:`RunResult`. A run that fails raises a :class:`NotebookError` subclass carrying
the executed notebook; the notebook and its HTML are written all the same, whole.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from toolkit.errors import (
    CellFailed,
    ExecutionTimeout,
    IncompleteOutputs,
    KernelDied,
    NotebookError,
    WriteFailed,
    ZongjieError,
)
from toolkit.outputs import NOTEBOOK, OVERVIEW_NOTEBOOK, atomic_write
from toolkit.publish.html import for_reading, notebook_html
from toolkit.record import NotebookRecord
from toolkit.resources import notebook
from toolkit.run.engine import Deadline
from toolkit.run.engine import execute_notebook as run_notebook
from toolkit.run.kernels import IPC_PREFIX, KernelSlot, ipc_kernel_manager
from toolkit.run.lifetime import private_folder
from toolkit.run.result import RunResult, clear, record
from toolkit.run.spec import RunSpec

if TYPE_CHECKING:  # a worker does not import the report stage (pandas) for a name
    from toolkit.report.gate import FinalGate


def _project_errors() -> set[str]:
    """Names of zongjie's own exception types: their message is meant for the user as it is."""
    names, todo = set(), [ZongjieError]
    while todo:
        kind = todo.pop()
        names.add(kind.__name__)
        todo += kind.__subclasses__()
    return names


def cell_failure(ename: str, evalue: str) -> CellFailed:
    """The typed error for a cell that raised ``ename: evalue`` in the kernel."""
    message = evalue if evalue and ename in _project_errors() else f"{ename}: {evalue}"
    return CellFailed(ename, evalue, message)


@functools.cache
def prime() -> None:
    """Pay now, once per process, what the first notebook would pay on its way out (~0.1 s):
    compiling the notebook format's validator and the reader's HTML templates.

    :func:`execute` calls it before it waits for its kernel, so in a batch worker it runs
    while the kernel it launched ahead is still starting (on the other core), not after
    the first notebook.
    """
    cell = nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("display_data", {"text/html": "<p></p>"})])  # type: ignore[no-untyped-call]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("#"), cell])  # type: ignore[no-untyped-call]
    nbformat.validate(nb)
    notebook_html(nb, "")


def execute(
    source: Path,
    parameters: dict[str, Any],
    output: Path,
    *,
    timeout: int = 600,
    kernel: KernelSlot | None = None,
) -> Any:
    """Run ``source`` with ``parameters`` into ``output`` (and its HTML beside it); the executed notebook.

    With a ``kernel`` slot the kernel is reused (and discarded after a failure); without
    one, a kernel on a private IPC folder is started for this notebook alone. Raises a
    :class:`NotebookError` (with ``.notebook`` set when there is one) after writing both files.
    """

    prime()
    executed: list[Any] = []
    own_ipc = None if kernel is not None else private_folder(IPC_PREFIX)
    manager: dict[str, Any] = (
        dict(zip(("km", "kc"), kernel.connect(output.parent)))
        if kernel is not None
        else {"kernel_manager_class": ipc_kernel_manager(own_ipc or Path(tempfile.gettempdir()))}
    )
    error: NotebookError | None = None
    try:
        run_notebook(
            source,
            parameters,
            output.parent,
            execution_timeout=timeout,
            timeout_func=Deadline(timeout),
            sink=executed.append,
            **manager,
        )
    except PapermillExecutionError as exc:
        error = cell_failure(exc.ename, exc.evalue)
    except CellTimeoutError:
        error = ExecutionTimeout(timeout)
    except DeadKernelError as exc:
        error = KernelDied(str(exc))
    except BaseException:
        if kernel is not None:
            kernel.discard()
        raise
    finally:
        if own_ipc is not None:
            shutil.rmtree(own_ipc, ignore_errors=True)
    if error is not None and kernel is not None:
        kernel.discard()
    if not executed:
        raise error or IncompleteOutputs("笔记本没有产生执行结果。")
    nb = for_reading(executed[-1])
    atomic_write(output, nbformat.writes(nb).encode("utf-8"))  # type: ignore[no-untyped-call]
    atomic_write(output.with_suffix(".html"), notebook_html(nb, output.parent.name))
    if error is not None:
        error.notebook = nb
        raise error
    return nb


def run_one(
    spec: RunSpec,
    *,
    kernel: KernelSlot | None = None,
    fingerprint: str = "",
    memory: Callable[[], dict[str, float]] | None = None,
    gate: FinalGate | None = None,
) -> RunResult:
    """Execute the report notebook for one bureau-year into ``<out>/<year>/<bureau>/``.

    ``gate`` is what the ledgers hold against the year's final reports (:mod:`toolkit.run.single`
    reads it; a batch checks its whole data folder before planning): a final run it blocks is
    refused before anything is written, a draft carries it in ``ledger_notes``.

    ``result.json`` is removed first and written last, listing the other files with their
    sizes and digests: a run cut short leaves no record and is redone by the next batch.
    A file that cannot be written (a full disk) fails this bureau with a message naming it.
    """
    start = time.monotonic()
    folder = spec.folder  # checks the bureau code before any folder is made
    result = RunResult(spec.bureau, spec.year, folder=str(folder))
    if gate is not None and gate.blocked:
        if spec.final:  # refused before anything is written
            try:
                gate.refuse()
            except ZongjieError as err:
                result.error = str(err)
            return result
        result.ledger_notes = [[heading, *items] for heading, items in gate.ledger_sections()]
    folder.mkdir(parents=True, exist_ok=True)
    clear(folder)
    try:
        nb = execute(notebook(), spec.notebook_parameters(), folder / NOTEBOOK, timeout=spec.timeout, kernel=kernel)
    except NotebookError as err:
        nb, result.error = err.notebook, str(err)
    except WriteFailed as err:  # a full disk: keep none of this bureau's files, only the failure
        nb, result.error = None, str(err)
        clear(folder)
    except ZongjieError as err:
        nb, result.error = None, str(err)
    else:
        result.ok = True
    if nb is not None:
        shown = NotebookRecord.read(nb.cells)
        result.missing, result.warnings, result.overrides = shown.missing, shown.warnings, shown.overrides
        result.pdf_error = shown.pdf_error if spec.pdf else ""
        result.changes, result.year_changes = shown.changes, shown.year_changes
    result.fingerprint = fingerprint
    result.memory_mb = memory() if memory is not None else {}
    result.seconds = round(time.monotonic() - start, 2)
    try:
        record(result, folder)
    except ZongjieError as err:  # no record: the bureau is redone next time
        result.ok, result.error = False, str(err)
    return result


#: The overview notebook's parameters: the spec fields it declares.
OVERVIEW_PARAMETERS = {"year", "data_dir", "params_dir", "ledger_cache", "report"}


def run_overview(spec: RunSpec, *, kernel: KernelSlot | None = None) -> RunResult:
    """Execute the overview notebook (every bureau side by side) into ``<out>/<year>/overview.ipynb``."""
    start = time.monotonic()
    folder = spec.year_dir
    folder.mkdir(parents=True, exist_ok=True)
    result = RunResult("overview", spec.year, folder=str(folder))
    try:
        execute(
            notebook("overview.ipynb"),
            spec.notebook_parameters(OVERVIEW_PARAMETERS),
            folder / OVERVIEW_NOTEBOOK,
            timeout=spec.timeout,
            kernel=kernel,
        )
        result.ok = True
    except ZongjieError as err:
        result.error = str(err)
    result.seconds = round(time.monotonic() - start, 2)
    return result
