"""The city office's 汇总表: one row per bureau, a 合计 row, every cell traced to ledger rows.

Its columns are the chosen report's (``templates/<name>/summary.yaml``, read by
:mod:`toolkit.publish.summary_definition`): a cell is a
:class:`~toolkit.report.figures.Figure` computed by the report's own rule (or a rule of
the table's own), so both documents agree. A correction saved for the bureau's report
applies to the cells that show the corrected figure, so the table never disagrees with
the report. Every column is written in its unit with the decimals its rows need, the
same for all of them (no ``.00`` where every row is whole). The 合计 row is the sum of
what the rows print, so the printed column adds up; a note under the table gives the
exact sum of the ledger values where rounding makes it differ. The Word layout is
``summary_layout``'s and ``summary_docx``'s business; this module computes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from toolkit.data.ledgers import Ledgers
from toolkit.data.params import BureauParams, list_bureaus, load_bureau
from toolkit.data.problems import ParameterError
from toolkit.errors import MissingValuesError
from toolkit.publish import numbers
from toolkit.publish.summary_definition import SummaryColumn, SummaryDefinition, load_summary
from toolkit.report import formatting as fmt
from toolkit.report.figures import Figure, Scope
from toolkit.report.overrides import saved_values
from toolkit.resources import DEFAULT_REPORT

ROUNDING_NOTE = "注：金额各行按所列单位四舍五入，合计为各行所列数字之和；按台账原始数据相加，{}。"


@dataclass
class Row:
    """One bureau: its name and a figure per column."""

    seq: int
    bureau: str
    name: str
    cells: dict[str, Figure]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "bureau": self.bureau,
            "name": self.name,
            "cells": {k: f.to_dict() for k, f in self.cells.items()},
        }


@dataclass
class SummaryTable:
    year: int
    rows: list[Row]
    total: dict[str, Figure]
    summary: SummaryDefinition
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> tuple[SummaryColumn, ...]:
        return self.summary.columns

    def missing(self) -> list[str]:
        """Every missing bureau cell as ``单位名称：数据项：原因``."""
        return [
            f"{row.name}（{row.bureau}）：{f.label}：{f.missing}"
            for row in self.rows
            for f in row.cells.values()
            if f.text is None
        ]

    def incomplete(self) -> list[str]:
        """Every bureau cell summed over blank ledger cells (需核实) as ``单位名称：数据项：哪些行``."""
        return [
            f"{row.name}（{row.bureau}）：{f.label}：{'；'.join(f.warnings)}"
            for row in self.rows
            for f in row.cells.values()
            if f.incomplete
        ]

    def refused(self) -> tuple[list[str], set[str]]:
        """What a final table may not carry (missing cells, sums over blank cells), and whose rows they are."""
        cells = {row.bureau: [f for f in row.cells.values() if f.text is None or f.incomplete] for row in self.rows}
        return self.missing() + self.incomplete(), {code for code, bad in cells.items() if bad}

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "report": self.summary.report,
            "columns": [
                {"key": c.key, "label": c.label, "rule": c.spec.rule, "unit": c.unit_word, "total": c.total}
                for c in self.columns
            ],
            "rows": [row.to_dict() for row in self.rows],
            "total": {k: f.to_dict() for k, f in self.total.items()},
            "missing": self.missing(),
            "notes": self.notes,
        }


class SummaryMissingError(MissingValuesError):
    """A final 汇总表 was asked for but some bureaus lack values."""

    def __init__(self, year: int, missing: list[str], bureaus: set[str] | None = None):
        super().__init__("", year, missing)
        self.bureaus = set(bureaus or ())  # the codes of the bureaus lacking values

    def __str__(self) -> str:
        items = "\n".join(f"- {m}" for m in self.missing)
        return (
            f"{self.year}年汇总表缺少或需核实的数据共{len(self.missing)}项，不能生成正式稿（未写出任何文件）：\n{items}"
        )


def _unavailable(column: SummaryColumn, reason: str) -> Figure:
    spec = column.spec
    return Figure(column.key, spec.label, spec.rule, missing=reason, form=spec.form(None))


def _cell(column: SummaryColumn, scope: Scope) -> Figure:
    """The column's figure for one bureau, under the column's key."""
    figure = column.spec.figure(scope)
    figure.key, figure.rule = column.key, column.spec.rule
    return figure


def _row(
    seq: int,
    code: str,
    params: BureauParams | str,
    ledgers: Ledgers,
    year: int,
    params_dir: Path,
    summary: SummaryDefinition,
    broken: str = "",
) -> Row:
    columns = summary.columns
    if isinstance(params, str):  # the parameter file cannot be used: every cell says why
        return Row(seq, code, code, {c.key: _unavailable(c, params) for c in columns})
    if broken or code not in ledgers.bureaus:
        reason = broken or f"台账中没有单位代码为“{code}”的可用记录"
        return Row(seq, code, params.name, {c.key: _unavailable(c, reason) for c in columns})
    scope = Scope.of(ledgers, params, year)
    cells = {c.key: _cell(c, scope) for c in columns}
    return Row(seq, code, params.name, _corrected(cells, params_dir, code, year, summary))


def _corrected(
    cells: dict[str, Figure], params_dir: Path, code: str, year: int, summary: SummaryDefinition
) -> dict[str, Figure]:
    """The cells with the bureau's saved corrections to its report applied, where a column shows
    the corrected figure (the same value; the text follows the column's unit and decimals).

    A correction file that cannot be read leaves the cells it could touch missing, with the
    reason, rather than printing the ledger value the report no longer carries.
    """
    shown = {c.figure: c for c in summary.columns if c.figure is not None}
    forms = {figure: column.spec.form(year) for figure, column in shown.items()}
    if not forms:
        return cells
    try:
        values = saved_values(params_dir, code, year, forms, summary.report)
    except ParameterError as err:
        reason = "修改记录有误：" + "；".join(str(p) for p in err.problems)
        return {**cells, **{c.key: _unavailable(c, reason) for c in shown.values()}}
    for figure, (value, entry) in values.items():
        column = shown[figure]
        cell = cells[column.key]
        computed = cell.text
        cell.value = value
        cell.text = fmt.figure_text(value, column.spec.form(year), label=cell.label)
        cell.override = {**entry, "computed": computed}
        cell.missing = None
    return cells


def _scaled(column: SummaryColumn, value: object) -> Decimal | None:
    """A cell's value in the column's unit, rounded as the column may write it at most."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value)) / column.factor
    except (InvalidOperation, ValueError):
        return None
    return fmt.round_half_up(number, column.places) if number.is_finite() else None


def write_column(column: SummaryColumn, cells: list[Figure]) -> None:
    """Each cell's text in the column's unit, all with the decimals the column needs (at most its unit's)."""
    known = [f for f in cells if f.text is not None]
    texts = numbers.column_texts([_scaled(column, f.value) for f in known], column.places)
    for cell, text in zip(known, texts):
        if text is None:  # a value that is no number: the cell cannot be filled
            cell.text, cell.missing = None, "数值无法按该列的单位书写"
        else:
            cell.text = text


def _places_of(texts: list[str]) -> int:
    return max((len(t.partition(".")[2]) for t in texts), default=0)


def _total(column: SummaryColumn, cells: list[Figure]) -> Figure:
    """The column's 合计: the sum of what the rows print, so the printed column adds up.

    Written with the column's decimals; the exact sum of the ledger values can differ from
    it by rounding, which :func:`_exact_note` states.
    """
    label = f"合计：{column.label}"
    rule = f"各单位“{column.label}”之和（各行所列数字相加）"
    sources = [s for f in cells for s in f.sources]
    form = column.spec.form(None)
    lacking = [f for f in cells if f.text is None]
    if lacking:
        return Figure(column.key, label, rule, sources=sources, missing=f"{len(lacking)}个单位缺少该数据", form=form)
    texts = [f.text or "0" for f in cells]
    shown = sum((Decimal(t) for t in texts), Decimal(0))
    text = format(fmt.round_half_up(shown, _places_of(texts)), "f")
    value: object = int(shown) if column.spec.kind == "count" else shown * column.factor
    return Figure(column.key, label, rule, value, text, sources, form=form)


def _exact_note(column: SummaryColumn, cells: list[Figure], total: Figure) -> str:
    """``税收收入合计为73.43亿元`` when the exact sum of the ledger values rounds to another total."""
    if not column.amount or total.text is None:
        return ""
    exact = sum((Decimal(str(f.value)) for f in cells), Decimal(0)) / column.factor
    text = format(fmt.round_half_up(exact, _places_of([total.text])), "f")
    return "" if text == total.text else f"{column.label}合计为{text}{column.unit_word}"


def build_table(
    ledgers: Ledgers,
    params_dir: Path,
    year: int,
    *,
    bureaus: list[str] | None = None,
    broken: dict[str, str] | None = None,
    report: str = DEFAULT_REPORT,
    summary: SummaryDefinition | None = None,
) -> SummaryTable:
    """Every bureau's row (all bureaus with a parameter file unless ``bureaus`` names some), in
    the columns of ``report``'s 汇总表 (``summary``, read from its summary.yaml unless given).

    ``broken`` maps a bureau whose ledger rows failed validation (and were left out) to
    the reason, so its row says why it is empty instead of counting nothing. Raise
    ``NoSummaryTable`` for a report without a 汇总表.
    """
    summary = summary or load_summary(report, ledgers.contract)
    params_dir = Path(params_dir)
    codes = list(dict.fromkeys(bureaus if bureaus is not None else list_bureaus(params_dir)))
    rows = []
    for seq, code in enumerate(codes, start=1):
        try:
            params: BureauParams | str = load_bureau(params_dir, code)
        except ParameterError as err:
            params = "参数文件有误：" + "；".join(str(p) for p in err.problems)
        rows.append(_row(seq, code, params, ledgers, int(year), params_dir, summary, (broken or {}).get(code, "")))
    total, exact = {}, []
    for column in summary.columns:
        cells = [row.cells[column.key] for row in rows]
        write_column(column, cells)
        if column.total:
            total[column.key] = _total(column, cells)
            exact.append(_exact_note(column, cells, total[column.key]))
    differs = [e for e in exact if e]
    notes = [ROUNDING_NOTE.format("，".join(differs))] if differs else []
    return SummaryTable(int(year), rows, total, summary, notes=notes)


def table_json(table: SummaryTable) -> bytes:
    """Every cell with value, text, status, rule and source rows; compact, since a province's
    table holds tens of thousands of source rows (indenting triples the time to write it)."""
    return json.dumps(table.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
