"""The overview of a year's bureaus, readable at any size.

Up to :data:`SIDE_BY_SIDE` bureaus, every figure of every bureau fits one table side by
side. Beyond that such a table is thousands of columns nobody reads, so the overview
aggregates instead: one row per figure (how many bureaus are 正常 / 需核实 / 缺失 / 已修改,
and for numbers the total, minimum, median and maximum with the bureaus they belong to),
then the bureaus that need attention, most urgent first, a page of them. The full list
of bureaus, searchable and sortable, is ``index.html``; every bureau's figures in one
table are ``汇总表.docx``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from decimal import Decimal

from toolkit.publish import numbers
from toolkit.report.figures import Figure
from toolkit.report.prepare import Report
from toolkit.ui.present import STATUS, bureau_status, folded, html_table, label_of

#: Most bureaus shown side by side, one column each.
SIDE_BY_SIDE = 30
#: Most bureaus listed in the attention table of a large overview.
ATTENTION_PAGE = 100
#: Most bureaus drawn in one chart of a large overview.
CHART_BARS = 20
NUMERIC = numbers.NUMERIC_KINDS
#: The columns of :func:`figure_summary`.
SUMMARY_COLUMNS = ("数据项", "单位", *STATUS.values(), "合计", "最小", "中位数", "最大")


def good_reports(reports: Mapping[str, Report | Exception]) -> dict[str, Report]:
    return {code: r for code, r in reports.items() if not isinstance(r, Exception)}


def _attention(report: Report) -> tuple[int, int, int]:
    missing = len(report.figures.missing())
    overrides = sum(1 for f in report.figures.values() if f.override)
    return missing, len(report.findings), overrides


def figure_summary(reports: Mapping[str, Report | Exception]) -> str:
    """One row per figure across all bureaus: statuses counted; numbers summed and ranged, right-aligned
    in the figure's unit with one number of decimals per row, each extreme with its bureau."""
    good = good_reports(reports)
    if not good:
        return "<p>没有可以计算的单位。</p>"
    rows = []
    for key, first in next(iter(good.values())).figures.items():
        figures = [(r.params.name, r.figures[key]) for r in good.values() if key in r.figures]
        counts = [sum(f.status == status for _, f in figures) for status in STATUS]
        known = [(n, f) for n, f in figures if f.text is not None and f.value is not None]
        unit = numbers.unit_word(first) if first.form.kind in NUMERIC else ""
        rows.append((html.escape(first.label), html.escape(unit), *counts, *_numbers(first, known)))
    numeric = range(2, len(SUMMARY_COLUMNS))
    return html_table(SUMMARY_COLUMNS, rows, numeric=numeric, classes={1: "unit"}, raw=range(len(SUMMARY_COLUMNS)))


def _numbers(first: Figure, known: list[tuple[str, Figure]]) -> list[str]:
    """合计, 最小, 中位数, 最大 of a count or amount in its unit, one number of decimals for the four
    (the total of what the rows would print); each extreme with its bureau beneath (HTML)."""
    if first.form.kind not in NUMERIC or not known:
        return ["", "", "", ""]
    ordered = sorted(known, key=lambda nf: Decimal(str(nf[1].value)))
    median = ordered[(len(ordered) - 1) // 2]
    picked = [ordered[0], median, ordered[-1]]
    values = [numbers.scaled(f) for _, f in picked]
    shown = [numbers.scaled(f) for _, f in known]
    total = sum((v for v in shown if v is not None), Decimal(0))
    texts = numbers.column_texts([total, *values], numbers.places(first))
    cells = [html.escape(texts[0] or "")]
    cells += [f"{html.escape(t or '')}<small>{html.escape(name)}</small>" for t, (name, _) in zip(texts[1:], picked)]
    return cells


def attention_table(reports: Mapping[str, Report | Exception], limit: int = ATTENTION_PAGE) -> str:
    """The bureaus with an error, missing values, warnings or overrides, most urgent first."""
    listed: list[tuple[tuple[int, ...], tuple[object, ...]]] = []
    for code, r in reports.items():
        if isinstance(r, Exception):
            listed.append(((0, 0, 0, 0), (code, "", "无法计算", "", "", "", html.escape(str(r)))))
            continue
        missing, warnings, overrides = _attention(r)
        if not (missing or warnings or overrides):
            continue
        labels = [f"缺少{f.label}" for f in r.figures.missing()]
        notes = [f"{label_of(r.figures, x.key)}：{x.message}" for x in r.findings]
        row = (code, r.params.name, STATUS[bureau_status(r)], missing, warnings, overrides, folded(labels + notes))
        listed.append(((1, -missing, -warnings, -overrides), row))
    if not listed:
        return "<p>所有单位的数据均无缺失、提示或人工修改。</p>"
    listed.sort(key=lambda item: (item[0], str(item[1][0])))
    shown = [row for _, row in listed[:limit]]
    columns = ["单位代码", "单位名称", "状态", "待补充", "提示", "已修改", "说明"]
    more = len(listed) - len(shown)
    tail = f"<p>另有{more}个单位需关注，未在此列出：完整名单见同目录的 index.html（可搜索、排序）和 summary.csv。</p>"
    escaped = [(*(html.escape(str(v)) for v in row[:-1]), row[-1]) for row in shown]
    return html_table(columns, escaped, numeric=[3, 4, 5], classes={2: "st"}, raw=range(len(columns))) + (
        tail if more else ""
    )


def top(reports: Mapping[str, Report | Exception], n: int, key: Callable[[Report], Decimal | int]) -> dict[str, Report]:
    """The ``n`` bureaus with the largest ``key(report)``, in that order (for charts)."""
    good = good_reports(reports)
    ranked = sorted(good.items(), key=lambda item: key(item[1]), reverse=True)[:n]
    return dict(ranked)


def revenue(report: Report, key: str = "fiscal_revenue") -> Decimal:
    figure = report.figures.get(key)
    return Decimal(str(figure.value)) if figure is not None and figure.value is not None else Decimal(-1)


def attention_total(report: Report) -> int:
    return sum(_attention(report))
