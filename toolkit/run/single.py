"""One bureau-year from the command line (``zongjie run``): the ledgers checked as a batch checks them.

Kept apart from :mod:`execute` so that batch workers, which run notebooks on ledgers the
batch checked already, do not import the validation library.
"""

from __future__ import annotations

from toolkit.data.params import list_bureaus
from toolkit.data.validate import read_ledgers
from toolkit.errors import ZongjieError
from toolkit.report.gate import FinalGate, ledger_gate
from toolkit.run.execute import run_one
from toolkit.run.result import RunResult
from toolkit.run.spec import RunSpec


def ledgers_checked(spec: RunSpec) -> FinalGate | None:
    """What in the ledgers blocks the year's final reports (see :mod:`toolkit.report.gate`).

    None when they cannot be read at all: the notebook then shows every problem, as it does.
    """
    try:
        ledgers = read_ledgers(spec.data_dir, spec.params_dir)
        return ledger_gate(ledgers, list_bureaus(spec.params_dir), spec.year)
    except ZongjieError:
        return None


def run(spec: RunSpec) -> RunResult:
    """The report notebook for ``spec``'s bureau-year, refused as a final report while the ledgers block it."""
    return run_one(spec, gate=None if spec.ledger_cache else ledgers_checked(spec))
