"""Pages that read at a glance: statuses first and coloured, a defaulted date flagged (chart colours: test_charts)."""

from __future__ import annotations

from conftest import PARAMS

from toolkit.report.prepare import prepare
from toolkit.ui import present


def test_figures_needing_attention_come_first_coloured_the_rest_folded(sample_ledgers):
    rep = prepare(sample_ledgers, PARAMS, "hedong", 2022)
    page = present.figures_table(rep.figures)
    statuses = [f.status for f in rep.figures.values()]
    attention = sum(s != "ok" for s in statuses)
    assert 0 < attention < len(statuses)
    shown, _, folded = page.partition("<details>")
    assert shown.count('<tr class="zj-') == attention and "zj-ok" not in shown
    assert folded.count('class="zj-ok"') == len(statuses) - attention
    first = [s for s in ("missing", "warning", "overridden") if s in statuses]
    order = [shown.index(f'class="zj-{s}"') for s in first]
    assert order == sorted(order)  # 缺失, then 需核实, then 已修改
    assert 'style="background:#fff4d6"' in shown  # 需核实 rows stand out


def test_defaulted_signature_date_needs_review(sample_ledgers, tmp_path):
    rep = prepare(sample_ledgers, PARAMS, "hedong", 2022)
    assert rep.figures["signed_on"].status == "warning"
    assert any("落款日期" in f.message and f.key == "signed_on" for f in rep.findings)
    from datetime import date

    given = prepare(sample_ledgers, PARAMS, "hedong", 2022, date(2023, 1, 10))
    assert given.figures["signed_on"].status == "ok"


def test_overview_warnings_are_a_list_per_bureau(sample_ledgers):
    from toolkit.report.prepare import prepare_all

    reports = prepare_all(sample_ledgers, PARAMS, 2022, ["hedong", "qingshan"])
    page = present.overview_status(reports)
    notes = sum(len(r.findings) for r in reports.values())
    assert page.count("<li>") >= notes - len(reports)  # one item per note (a single note needs no list)
    assert "<ul" in page and "</li>；<li>" not in page
