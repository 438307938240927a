"""The city office's 汇总表: one row per bureau, a 合计 row, every cell traced to ledger rows.

A cell is a :class:`~toolkit.report.figures.Figure` computed by the rule kinds of the bureau's
own report (activity counts, problems by source and status, indicators), so both
documents agree; revenue is written in 万元 with two decimals, as a table column aligns
it. A correction saved for the bureau's report (``parameters/overrides/``) applies to
the same cell here, so the table never disagrees with the report. The 合计 row is the sum of what the rows print, so the printed column adds up; a
note under the table gives the exact sum of the ledger values where rounding makes it
differ. The Word layout is ``summary_docx``'s business; this module computes and writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from toolkit.data.ledgers import Ledgers
from toolkit.data.params import BureauParams, list_bureaus, load_bureau
from toolkit.data.problems import ParameterError
from toolkit.errors import MissingValuesError
from toolkit.report import formatting as fmt
from toolkit.report.definitions import load_definition
from toolkit.report.figures import Figure, Result, Scope, Spec, sources_of
from toolkit.report.overrides import saved_values
from toolkit.report.rules import activity_count, indicator, problem_count

#: Activity kinds with a column of their own; every other kind is counted under 其他活动.
MAIN_KINDS = {
    "lecture": "宣讲",
    "visit": "参观学习",
    "traffic_volunteer": "文明交通志愿服务",
    "home_visit": "入户走访",
    "drill": "演练",
    "open_day": "开放日",
}
OTHER_ACTIVITIES = "other_activities"
#: Problems of the 大调研 as the bureau's report counts them: key → (label, status).
SURVEY = {
    "survey_collected": ("大调研收集问题数", None),
    "survey_resolved": ("大调研已解决问题数", "已解决"),
    "survey_longterm": ("大调研长期坚持解决问题数", "长期坚持"),
}
#: Revenue indicators, written in 万元 with two decimals.
REVENUE = {
    "fiscal_revenue": "财政总收入",
    "tax_revenue": "税收收入",
    "general_budget_revenue": "一般公共预算收入",
}
ROUNDING_NOTE = "注：财政收入各行以万元为单位四舍五入保留两位小数，合计为各行数字之和。按台账原始数据相加{}。"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    spec: Spec
    amount: bool = False  # an amount of money (Decimal 元) rather than a count


def _other_activities() -> Spec:
    kinds = "、".join(MAIN_KINDS.values())

    def compute(s: Scope) -> Result:
        rows = [r for r in s.activities if r["kind"] not in MAIN_KINDS.values()]
        return len(rows), sources_of("activities", rows), None

    rule = f"活动台账中当年活动类型不是{kinds}的活动条数"
    return Spec(OTHER_ACTIVITIES, "其他活动次数", rule, compute, "count")


def _columns() -> tuple[Column, ...]:
    columns = [Column(key, f"{kind}次数", activity_count(key, f"{kind}次数", kind)) for key, kind in MAIN_KINDS.items()]
    columns.append(Column(OTHER_ACTIVITIES, "其他活动次数", _other_activities()))
    columns += [Column(k, label, problem_count(k, label, "大调研", status)) for k, (label, status) in SURVEY.items()]
    columns += [Column(k, name, indicator(k, name, name, "万元"), amount=True) for k, name in REVENUE.items()]
    return tuple(columns)


def wan_text(amount_yuan: Decimal) -> str:
    """An amount in 元 written in 万元 with exactly two decimals, as a table column aligns them."""
    return format(fmt.round_half_up(Decimal(amount_yuan) / fmt.WAN, 2), "f")


def _cell(column: Column, scope: Scope) -> Figure:
    figure = column.spec.figure(scope)
    if column.amount and figure.text is not None:
        figure.text = wan_text(Decimal(str(figure.value)))
    return figure


COLUMNS = _columns()
_COLUMN = {column.key: column for column in COLUMNS}


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
    columns: tuple[Column, ...] = COLUMNS
    notes: list[str] = field(default_factory=list)

    def missing(self) -> list[str]:
        """Every missing bureau cell as ``单位名称：数据项：原因``."""
        return [
            f"{row.name}（{row.bureau}）：{f.label}：{f.missing}"
            for row in self.rows
            for f in row.cells.values()
            if f.text is None
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "columns": [{"key": c.key, "label": c.label, "rule": c.spec.rule} for c in self.columns],
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
        return f"{self.year}年汇总表缺少{len(self.missing)}项数据，不能生成正式稿（未写出任何文件）：\n{items}"


def _unavailable(column: Column, reason: str) -> Figure:
    return Figure(column.key, column.label, column.spec.rule, missing=reason, form=column.spec.form(None))


def _row(
    seq: int, code: str, params: BureauParams | str, ledgers: Ledgers, year: int, params_dir: Path, broken: str = ""
) -> Row:
    if isinstance(params, str):  # the parameter file cannot be used: every cell says why
        return Row(seq, code, code, {c.key: _unavailable(c, params) for c in COLUMNS})
    if broken or code not in ledgers.bureaus:
        reason = broken or f"台账中没有单位代码为“{code}”的可用记录"
        return Row(seq, code, params.name, {c.key: _unavailable(c, reason) for c in COLUMNS})
    scope = Scope.of(ledgers, params, year)
    return Row(seq, code, params.name, _corrected({c.key: _cell(c, scope) for c in COLUMNS}, params_dir, code, year))


def _corrected(cells: dict[str, Figure], params_dir: Path, code: str, year: int) -> dict[str, Figure]:
    """The cells with the bureau's saved corrections to its report applied (same keys, same value).

    A correction file that cannot be read leaves the cells it could touch missing, with the
    reason, rather than printing the ledger value the report no longer carries.
    """

    forms = {spec.key: spec.form(year) for spec in load_definition().specs if spec.key in cells}
    try:
        values = saved_values(params_dir, code, year, forms)
    except ParameterError as err:
        reason = "修改记录有误：" + "；".join(str(p) for p in err.problems)
        return {**cells, **{k: _unavailable(_COLUMN[k], reason) for k in forms}}
    for key, (value, entry) in values.items():
        cell, column = cells[key], _COLUMN[key]
        computed = cell.text
        cell.value = value
        cell.text = wan_text(Decimal(str(value))) if column.amount else fmt.count(int(str(value)))
        cell.override = {**entry, "computed": computed}
        cell.missing = None
    return cells


def _total(column: Column, cells: list[Figure]) -> Figure:
    """The column's 合计: the sum of what the rows print, so the printed column adds up.

    Amounts are summed as the rows show them (万元, two decimals); the exact sum of the
    ledger values can differ from it by rounding, which :func:`_exact_note` states.
    """
    label = f"合计：{column.label}"
    rule = f"各单位“{column.label}”之和（各行所列数字相加）"
    sources = [s for f in cells for s in f.sources]
    form = column.spec.form(None)
    lacking = [f for f in cells if f.text is None]
    if lacking:
        return Figure(column.key, label, rule, sources=sources, missing=f"{len(lacking)}个单位缺少该数据", form=form)
    if column.amount:
        shown = sum((Decimal(f.text or "0") for f in cells), Decimal(0))
        return Figure(column.key, label, rule, shown * fmt.WAN, format(shown, "f"), sources, form=form)
    count = sum(int(str(f.value)) for f in cells)
    return Figure(column.key, label, rule, count, fmt.count(count), sources, form=form)


def _exact_note(column: Column, cells: list[Figure], total: Figure) -> str:
    """``财政总收入合计为…万元`` when the exact sum of the ledger values rounds to another total."""
    if not column.amount or total.text is None:
        return ""
    exact = sum((Decimal(str(f.value)) for f in cells), Decimal(0))
    text = wan_text(exact)
    return "" if text == total.text else f"{column.label}合计为{text}万元"


def build_table(
    ledgers: Ledgers,
    params_dir: Path,
    year: int,
    *,
    bureaus: list[str] | None = None,
    broken: dict[str, str] | None = None,
) -> SummaryTable:
    """Every bureau's row (all bureaus with a parameter file unless ``bureaus`` names some).

    ``broken`` maps a bureau whose ledger rows failed validation (and were left out) to
    the reason, so its row says why it is empty instead of counting nothing.
    """
    params_dir = Path(params_dir)
    codes = list(dict.fromkeys(bureaus if bureaus is not None else list_bureaus(params_dir)))
    rows = []
    for seq, code in enumerate(codes, start=1):
        try:
            params: BureauParams | str = load_bureau(params_dir, code)
        except ParameterError as err:
            params = "参数文件有误：" + "；".join(str(p) for p in err.problems)
        rows.append(_row(seq, code, params, ledgers, int(year), params_dir, (broken or {}).get(code, "")))
    total, exact = {}, []
    for column in COLUMNS:
        cells = [row.cells[column.key] for row in rows]
        total[column.key] = _total(column, cells)
        exact.append(_exact_note(column, cells, total[column.key]))
    differs = [e for e in exact if e]
    notes = [ROUNDING_NOTE.format("，" + "，".join(differs))] if differs else []
    return SummaryTable(int(year), rows, total, notes=notes)


def table_json(table: SummaryTable) -> bytes:
    """Every cell with value, text, status, rule and source rows; compact, since a province's
    table holds tens of thousands of source rows (indenting triples the time to write it)."""
    return json.dumps(table.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
