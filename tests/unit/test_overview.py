"""The overview at scale: aggregated by figure and a page of bureaus needing attention."""

from __future__ import annotations

import re

import pytest
from conftest import fictional_bureaus

from toolkit.data.params import list_bureaus
from toolkit.data.validate import load_ledgers
from toolkit.report.prepare import prepare_all
from toolkit.ui import overview


def _reports(tmp_path, n: int):
    data, params, plan = fictional_bureaus(tmp_path, n, seed=5)
    return prepare_all(load_ledgers(data), params, 2023, list_bureaus(params)), plan


def table(html: str) -> list[list[tuple[str, str]]]:
    """Every row of the first table as (class, text) cells; a bureau under a number reads ``number|bureau``."""
    body = html.split("</table>")[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[dh](?: class=\"(\w+)\")?>(.*?)</t[dh]>", row, re.S)
        rows.append([(cls, re.sub(r"<[^>]+>", "", text.replace("<small>", "|"))) for cls, text in cells])
    return rows


def _cells(html: str, label: str) -> list[str]:
    (row,) = [r for r in table(html) if r[0][1] == label]
    return [text for _, text in row[1:]]


def test_figure_summary_counts_statuses_and_totals(tmp_path):
    reports, plan = _reports(tmp_path, 40)
    html = overview.figure_summary(reports)
    assert [text for _, text in table(html)[0]] == list(overview.SUMMARY_COLUMNS)
    unit, ok, warning, missing, overridden, total, low, _median, high = _cells(html, "大调研收集问题数")
    assert int(ok) + int(warning) + int(missing) + int(overridden) == 40
    collected = {p["name"]: p["survey"][0] for p in plan.values()}
    assert int(total) == sum(collected.values())
    number, name = high.split("|")
    assert int(number) == max(collected.values()) and collected[name] == max(collected.values())
    assert int(low.split("|")[0]) == min(collected.values())
    unit, ok, warning, missing, *rest = _cells(html, "办公室主任")  # every bureau has one: a text, not summed
    assert int(ok) + int(warning) == 40 and rest[1] == "" and unit == ""


def test_figure_summary_numbers_are_right_aligned_in_one_unit_and_decimals(tmp_path):
    reports, _ = _reports(tmp_path, 40)
    html = overview.figure_summary(reports)
    (row,) = [r for r in table(html) if r[0][1] == "财政总收入"]
    assert row[1] == ("unit", "亿元")
    assert all(cls == "num" for cls, _ in row[2:])
    numbers = [text.split("|")[0] for _, text in row[6:]]  # 合计, 最小, 中位数, 最大
    decimals = {len(n.partition(".")[2]) for n in numbers}
    assert len(decimals) == 1 and decimals <= {0, 1, 2}  # one number of decimals for the row
    shown = [reports[c].figures["fiscal_revenue"].text for c in reports]
    assert float(numbers[0]) == pytest.approx(sum(float(t) for t in shown), abs=1e-6)  # what the rows print


def test_attention_table_is_a_page_most_urgent_first(tmp_path):
    reports, _ = _reports(tmp_path, 40)
    html = overview.attention_table(reports, limit=5)
    rows = table(html)[1:]
    assert len(rows) == 5
    assert all(r[3][0] == "num" for r in rows)
    missing = [int(r[3][1]) for r in rows]
    assert missing == sorted(missing, reverse=True)
    everyone = max(len(r.figures.missing()) for r in reports.values())
    assert missing[0] == everyone
    assert "另有35个单位需关注" in html and "index.html" in html


def test_charts_take_the_top_bureaus(tmp_path):
    reports, plan = _reports(tmp_path, 40)
    top = overview.top(reports, 3, overview.revenue)
    amounts = sorted((p["amounts"][0] for p in plan.values()), reverse=True)[:3]
    assert [reports[c].figures["fiscal_revenue"].value for c in top] == amounts


def test_an_overview_from_a_shelf_keeps_the_figures_not_the_rows(tmp_path):
    data, params, _ = fictional_bureaus(tmp_path, 6, seed=7)
    ledgers = load_ledgers(data)
    codes = list_bureaus(params)
    whole = prepare_all(ledgers, params, 2023, codes)
    slim = prepare_all(ledgers.shelve(), params, 2023, codes, keep_rows=False)
    assert list(slim) == list(whole)
    for code, rep in slim.items():
        full = whole[code]
        assert not isinstance(rep, Exception) and not isinstance(full, Exception)
        assert rep.figures.to_dict() == full.figures.to_dict()  # the same figures, sources and warnings
        assert [f.message for f in rep.findings] == [f.message for f in full.findings]
        assert rep.scope.activities == [] and rep.scope.ledgers is None  # the rows are let go
        assert full.scope.activities  # kept by default
