"""What a batch worker process runs: one notebook at a time, on a kernel it keeps.

Kept apart from ``batch`` so a worker imports only what executing a notebook needs
(papermill, nbconvert), not the ledger and rendering libraries of the main process.
"""

from __future__ import annotations

from toolkit.run import execute
from toolkit.run.result import RunResult
from toolkit.run.slot import kernel
from toolkit.run.spec import RunSpec


def run_bureau(spec: RunSpec, fingerprint: str) -> RunResult:
    """One bureau in a worker process; every failure comes back as a value."""
    try:
        return execute.run_one(spec, kernel=kernel(), fingerprint=fingerprint, memory=kernel().memory_mb)
    except Exception as exc:  # isolation: a broken bureau must not stop the others
        return RunResult(spec.bureau, spec.year, ok=False, error=f"{type(exc).__name__}: {exc}")


def run_overview(spec: RunSpec) -> RunResult:
    try:
        return execute.run_overview(spec, kernel=kernel())
    except Exception as exc:  # the overview must not take the bureaus' results down with it
        return RunResult("overview", spec.year, ok=False, error=f"{type(exc).__name__}: {exc}")
