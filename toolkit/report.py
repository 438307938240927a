"""One bureau-year from validated ledgers to figures, narrative and files on disk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import render
from .checks import Finding, previous_year, run_checks
from .errors import NotFoundError, ParameterError, ZongjieError
from .figures import Figures, Scope, compute_figures
from .ledgers import Ledgers
from .overrides import apply_saved
from .params import BureauParams, load_bureau


@dataclass
class Report:
    params: BureauParams
    scope: Scope
    figures: Figures
    story: dict
    findings: list[Finding]
    previous: Figures | None = None

    @property
    def bureau(self) -> str:
        return self.params.code

    @property
    def year(self) -> int:
        return self.scope.year


def prepare(ledgers: Ledgers, params_dir: Path, bureau: str, year: int, signed_on: date | None = None) -> Report:
    """Compute and check every figure of one bureau-year; the bureau must appear in the data."""
    params = load_bureau(params_dir, bureau)
    if bureau not in ledgers.bureaus:
        known = "、".join(ledgers.bureaus) or "无"
        raise NotFoundError(f"台账中没有单位代码为“{bureau}”的任何记录。台账中的单位代码：{known}。")
    ledgers.require_year(year, bureau)
    scope = Scope.of(ledgers, params, year, signed_on)
    figures = compute_figures(scope)
    apply_saved(figures, params_dir)
    previous = previous_year(scope, ledgers)
    if previous is not None:
        try:  # last year as corrected, when its corrections can be read (else they surface in its own run)
            apply_saved(previous, params_dir)
        except ParameterError:
            pass
    findings = run_checks(figures, previous)
    return Report(params, scope, figures, render.narrative(params, year), findings, previous)


def write(report: Report, out: Path, template: Path, *, final: bool = False) -> Path:
    return render.write_report(report.figures, report.story, template, out, final=final, findings=report.findings)


def prepare_all(ledgers: Ledgers, params_dir: Path, year: int, codes: list[str]) -> dict[str, Report | ZongjieError]:
    """Every bureau's report for one year; a bureau that cannot be computed maps to its error."""
    out: dict[str, Report | ZongjieError] = {}
    for code in codes:
        try:
            out[code] = prepare(ledgers, params_dir, code, year)
        except ZongjieError as err:
            out[code] = err
    return out
