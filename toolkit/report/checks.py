"""Data checks that a reviewer would make by hand: what looks wrong in the figures.

Each check returns :class:`Finding` values and attaches a warning to the figures it
concerns, so the review table, the notebook and the batch summary show the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from toolkit.data.contract import BASE
from toolkit.data.ledgers import REPORT_MINIMUM, Ledgers
from toolkit.report.figures import Figure, Figures, Scope, Spec, compute_figures

#: A change against the previous year larger than this is flagged.
CHANGE_LIMIT = Decimal("0.30")


@dataclass(frozen=True)
class Finding:
    key: str | None  # the figure concerned, if any
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "message": self.message}


def _number(f: Figure | None) -> Decimal | None:
    if f is None or f.text is None or isinstance(f.value, bool) or not isinstance(f.value, (int, Decimal)):
        return None
    return Decimal(f.value)


def survey_totals(figures: Figures) -> list[Finding]:
    collected, resolved, longterm = (
        _number(figures.get(k)) for k in ("survey_collected", "survey_resolved", "survey_longterm")
    )
    if collected is None or resolved is None or longterm is None or resolved + longterm <= collected:
        return []
    return [
        Finding("survey_collected", f"已解决（{resolved}）与长期坚持（{longterm}）之和超过收集问题总数（{collected}）")
    ]


def dates_in_year(figures: Figures) -> list[Finding]:
    found = []
    for f in figures.values():
        values = f.value if isinstance(f.value, tuple) else (f.value,)
        for value in values:
            if isinstance(value, date) and f.key != "signed_on" and value.year != figures.year:
                found.append(Finding(f.key, f"日期{value.isoformat()}不在{figures.year}年内"))
    return found


def spending_against_budget(figures: Figures) -> list[Finding]:
    budget, spent = _number(figures.get("agri_budget")), _number(figures.get("agri_spending"))
    if budget is None or spent is None:
        return []
    if budget == 0:
        return [Finding("agri_budget", "支农支出预算为0，无法与实际支出比较")]
    ratio = spent / budget
    month = figures["through_month"].text or "12"
    if spent > budget:
        return [Finding("agri_spending", f"1-{month}月农林水事务支出为年初预算的{ratio:.0%}，超出预算，请核实")]
    return []


def zero_counts(figures: Figures) -> list[Finding]:
    return [
        Finding(f.key, f"{f.label}为0，报告中将写作“0”，请核实台账是否漏记")
        for f in figures.values()
        if f.text == "0" and isinstance(f.value, int)
    ]


def change_against(figures: Figures, previous: Figures | None) -> list[Finding]:
    """Counts and amounts (as computed or corrected) that moved by more than 30% against the
    previous year, wherever last year's own data give that figure (:meth:`Figures.own`)."""
    if previous is None:
        return []
    found = []
    for key, f in figures.items():
        now, before = _number(f), _number(previous.own(key))
        if key in ("year", "through_month") or now is None or before is None or before == 0:
            continue
        change = (now - before) / before
        if abs(change) > CHANGE_LIMIT:
            word = "增长" if change > 0 else "下降"
            found.append(
                Finding(key, f"比{previous.year}年（{previous[key].text}）{word}{abs(change):.1%}，超过30%，请核实")
            )
    return found


def previous_year(scope: Scope, ledgers: Ledgers, catalogue: Iterable[Spec], report: str = "report") -> Figures | None:
    """Last year's figures for the same bureau, whenever it has any row of that year (None else).

    Each figure is compared wherever last year's own data give it: a finance indicator's
    row always does; the activities or problems of a year holding fewer than a report's
    worth of rows are marked thin (a few stray rows dated into it), and nothing counted
    from them is. A table an office added holds what it holds (a few trainings a year).
    """
    year = scope.year - 1
    if year not in ledgers.years_of(scope.params.code):
        return None
    last = Scope.of(ledgers, scope.params, year, scope.signed_on)
    figures = compute_figures(last, catalogue, report)
    logs = [t for t in BASE.tables if t.year_column.type == "date"]
    figures.thin = frozenset(t.name for t in logs if len(last.rows(t)) < REPORT_MINIMUM)
    return figures


def run_checks(figures: Figures, previous: Figures | None = None) -> list[Finding]:
    """Every check; each finding is also added to its figure's warnings."""
    findings = [
        *survey_totals(figures),
        *dates_in_year(figures),
        *spending_against_budget(figures),
        *zero_counts(figures),
        *change_against(figures, previous),
    ]
    for finding in findings:
        if finding.key is None or finding.key not in figures:
            continue
        warnings = figures[finding.key].warnings
        if finding.message not in warnings:
            warnings.append(finding.message)
    return findings
