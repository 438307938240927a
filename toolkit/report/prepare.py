"""One bureau-year from validated ledgers to figures, narrative and files on disk."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit.data.ledgers import Ledgers, Shelf
from toolkit.data.params import BureauParams, check_signature_date, list_bureaus, load_bureau
from toolkit.data.problems import ParameterError
from toolkit.errors import NotFoundError, ZongjieError
from toolkit.record import NotebookRecord
from toolkit.report import render
from toolkit.report.checks import Finding, previous_year, run_checks
from toolkit.report.definitions import (
    DefinitionError,
    ReportDefinition,
    bureau_template,
    check_template,
    load_definition,
)
from toolkit.report.figures import Figures, Scope, compute_figures, derive_figures
from toolkit.report.gate import FinalGate, final_gate
from toolkit.report.overrides import apply_saved, recorded_old
from toolkit.resources import DEFAULT_REPORT


@dataclass
class Report:
    params: BureauParams
    scope: Scope
    figures: Figures
    story: render.Story
    findings: list[Finding]
    previous: Figures | None = None
    definition: ReportDefinition | None = None

    @property
    def bureau(self) -> str:
        return self.params.code

    @property
    def year(self) -> int:
        return self.scope.year

    @property
    def name(self) -> str:
        """The report definition's name (``report`` for the seed report)."""
        return self.definition.name if self.definition else DEFAULT_REPORT

    @property
    def params_dir(self) -> Path:
        """The parameters folder the bureau's file was read from (``<params>/bureaus/<code>.yaml``)."""
        return self.params.path.parent.parent

    def gate(self) -> FinalGate:
        """What blocks this report as a final one: its figures and the ledgers it was computed from."""
        return final_gate(self.figures, self.scope.ledgers, list_bureaus(self.params_dir))

    def record(self) -> NotebookRecord:
        """What the report found, in words: missing values, warnings (every figure's, and the
        report's own) and corrections; the one account ``render``, ``run`` and ``batch`` give."""
        keyed = {f.key for f in self.figures.values()}
        return NotebookRecord(
            missing=[f"{f.label}：{f.missing}" for f in self.figures.missing()],
            warnings=[f"{f.label}：{w}" for f in self.figures.values() for w in f.warnings]
            + [f"报告：{x.message}" for x in self.findings if x.key not in keyed],
            overrides=[f"{f.label}：{recorded_old(f.override)}→{f.text}" for f in self.figures.values() if f.override],
        )


#: A signature date nobody gave while the year is recent: the day of rendering, to be confirmed
#: (after that, no date is missing: see :func:`toolkit.data.params.default_signature`).
DEFAULT_DATE_NOTE = "落款日期未在参数文件 signed_on 中给出，暂用生成当天；{year}年报告请填写实际落款日期"


def prepare(
    ledgers: Ledgers | Shelf,
    params_dir: Path,
    bureau: str,
    year: int,
    signed_on: date | None = None,
    report: str = DEFAULT_REPORT,
) -> Report:
    """Compute and check every figure of one bureau-year for ``report``; the bureau must appear in the data.

    From a :class:`~toolkit.data.ledgers.Shelf` only the bureau's own rows are read.
    """
    definition = load_definition(report, contract=ledgers.contract)
    params = load_bureau(params_dir, bureau)
    _require_bureau(ledgers, bureau)
    if isinstance(ledgers, Shelf):
        ledgers = ledgers.of(bureau)
    ledgers.require_year(year, bureau)
    if signed_on is not None:
        check_signature_date(signed_on, year)
    elif problems := params.signed_on_problems(year):
        raise ParameterError(problems)
    scope = Scope.of(ledgers, params, year, signed_on)
    figures = compute_figures(scope, definition.specs, definition.name)
    apply_saved(figures, params_dir, definition.name)
    previous = previous_year(scope, ledgers, definition.specs, definition.name)
    if previous is not None:
        # last year as corrected, when its corrections can be read (else they surface in its own run)
        with suppress(ParameterError):
            apply_saved(previous, params_dir, definition.name)
    derive_figures(figures, previous, definition.specs)
    findings = run_checks(figures, previous)
    dated_today = signed_on is None and params.signed_on(year) is None and scope.signed_on is not None
    if dated_today and "signed_on" in figures:
        finding = Finding("signed_on", DEFAULT_DATE_NOTE.format(year=year))
        findings.append(finding)
        figures["signed_on"].warnings.append(finding.message)
    return Report(params, scope, figures, render.narrative(params, year), findings, previous, definition)


def template_for(report: Report, template: Path | str | None = None) -> Path:
    """The Word template to render: the one asked for, else the bureau's own for this report, else the definition's."""
    if template:
        return Path(template)
    definition = report.definition or load_definition()
    own = bureau_template(report.params, definition)
    if own is not None:
        problems = check_template(definition, own, all_used=False)
        if problems:
            raise DefinitionError(problems)
        return own
    return definition.template


def write(report: Report, out: Path, template: Path | None = None, *, final: bool = False) -> Path:
    """Write the report's docx and figures JSON (``report.docx``/``figures.json`` for the seed report)."""
    return render.write_report(
        report.figures,
        report.story,
        template_for(report, template),
        out,
        final=final,
        findings=report.findings,
        name=report.name,
    )


def _require_bureau(ledgers: Ledgers | Shelf, bureau: str) -> None:
    if bureau not in ledgers.bureaus:
        known = "、".join(ledgers.bureaus) or "无"
        raise NotFoundError(f"台账中没有单位代码为“{bureau}”的任何记录。台账中的单位代码：{known}。")


def prepare_all(
    ledgers: Ledgers | Shelf,
    params_dir: Path,
    year: int,
    codes: list[str],
    report: str = DEFAULT_REPORT,
    *,
    keep_rows: bool = True,
) -> dict[str, Report | ZongjieError]:
    """Every bureau's report for one year; a bureau that cannot be computed maps to its error.

    From a :class:`~toolkit.data.ledgers.Shelf` each bureau's rows are read in turn (its own
    copy, as its notebook reads it); with ``keep_rows=False`` each report keeps its figures
    and findings, not the rows they came from, so an overview of a province never holds
    every bureau's rows at once.
    """
    out: dict[str, Report | ZongjieError] = {}
    for code in codes:
        try:
            rep = out[code] = prepare(ledgers, params_dir, code, year, report=report)
            if not keep_rows:
                rep.scope = rep.scope.without_rows()
        except ZongjieError as err:
            out[code] = err
    return out
