"""The overview at scale: aggregated by figure and a page of bureaus needing attention."""

from __future__ import annotations

import re

from conftest import fictional_bureaus

from toolkit.data.params import list_bureaus
from toolkit.data.validate import load_ledgers
from toolkit.report.prepare import prepare_all
from toolkit.ui import overview


def _reports(tmp_path, n: int):
    data, params, plan = fictional_bureaus(tmp_path, n, seed=5)
    return prepare_all(load_ledgers(data), params, 2023, list_bureaus(params)), plan


def _cells(html: str, label: str) -> list[str]:
    row = re.search(rf"<tr>\s*<td>{label}</td>(.*?)</tr>", html, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row, re.S)


def test_figure_summary_counts_statuses_and_totals(tmp_path):
    reports, plan = _reports(tmp_path, 40)
    html = overview.figure_summary(reports)
    ok, warning, missing, overridden, total, low, _median, high = _cells(html, "大调研收集问题数")
    assert int(ok) + int(warning) + int(missing) + int(overridden) == 40
    collected = {p["name"]: p["survey"][0] for p in plan.values()}
    assert int(total) == sum(collected.values())
    assert high.startswith(f"{max(collected.values())}（") and high[high.index("（") + 1 : -1] in collected
    assert collected[high[high.index("（") + 1 : -1]] == max(collected.values())
    assert low.startswith(f"{min(collected.values())}（")
    ok, warning, missing, *_ = _cells(html, "办公室主任")  # every bureau has one: a text, not summed
    assert int(ok) + int(warning) == 40 and _cells(html, "办公室主任")[4] == ""


def test_attention_table_is_a_page_most_urgent_first(tmp_path):
    reports, _ = _reports(tmp_path, 40)
    html = overview.attention_table(reports, limit=5)
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>(\d+)</td>", html)
    assert len(rows) == 5
    missing = [int(m) for _, m in rows]
    assert missing == sorted(missing, reverse=True)
    everyone = max(len(r.figures.missing()) for r in reports.values())
    assert missing[0] == everyone
    assert "另有35个单位需关注" in html and "index.html" in html


def test_charts_take_the_top_bureaus(tmp_path):
    reports, plan = _reports(tmp_path, 40)
    top = overview.top(reports, 3, overview.revenue)
    amounts = sorted((p["amounts"][0] for p in plan.values()), reverse=True)[:3]
    assert [reports[c].figures["fiscal_revenue"].value for c in top] == amounts
