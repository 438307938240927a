"""Pages that read at a glance: statuses first and coloured, a defaulted date flagged, numbers
right-aligned in one unit and decimals, nothing said twice (chart colours: test_charts)."""

from __future__ import annotations

import re
from decimal import Decimal

from conftest import PARAMS

from toolkit.publish import numbers
from toolkit.report.checks import Finding
from toolkit.report.prepare import prepare, prepare_all
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


def test_defaulted_signature_date_needs_review(tmp_path):
    from datetime import date

    from conftest import minimal_folder

    from toolkit.data.validate import load_ledgers

    year = date.today().year  # a year still running: the day of rendering, flagged
    data, params = minimal_folder(tmp_path, year)
    rep = prepare(load_ledgers(data), params, "demo", year)
    assert rep.figures["signed_on"].status == "warning"
    assert any("落款日期" in f.message and f.key == "signed_on" for f in rep.findings)

    given = prepare(load_ledgers(data), params, "demo", year, date(year, 1, 10))
    assert given.figures["signed_on"].status == "ok"


def test_overview_warnings_are_a_list_per_bureau(sample_ledgers):
    from toolkit.report.prepare import prepare_all

    reports = prepare_all(sample_ledgers, PARAMS, 2022, ["hedong", "qingshan"])
    page = present.overview_status(reports)
    notes = sum(len(r.findings) for r in reports.values())
    assert page.count("<li>") >= notes - len(reports)  # one item per note (a single note needs no list)
    assert "<ul" in page and "</li>；<li>" not in page


# --- numbers right-aligned with their unit and one number of decimals; nothing said twice


def _rows(page: str) -> list[list[tuple[str, str]]]:
    """The first table's rows as (class, text) cells."""
    body = page.split("</table>")[0]
    return [
        [
            (cls, re.sub(r"<[^>]+>", "", text))
            for cls, text in re.findall(r'<t[dh](?: class="(\w+)")?>(.*?)</t[dh]>', row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _all_rows(page: str) -> list[list[tuple[str, str]]]:
    return [row for part in page.split("<table")[1:] for row in _rows("<table" + part)]


def test_figures_table_gives_numbers_a_column_with_unit_and_one_number_of_decimals(sample_ledgers):
    rep = prepare(sample_ledgers, PARAMS, "hedong", 2022)
    rows = _all_rows(present.figures_table(rep.figures))
    head = [text for _, text in rows[0]]
    assert head[:5] == ["数据项", "报告中的写法", "数值", "单位", "状态"]
    by_label = {r[0][1]: r for r in rows if r[0][1] != "数据项"}
    for key, f in rep.figures.items():
        _, (_, written), (cls, number), (_, unit), *_ = by_label[f.label]
        if f.form.kind in numbers.NUMERIC_KINDS and f.text is not None:
            assert cls == "num" and number and written == ""  # the number stands once, right-aligned
            assert unit == ("万元" if f.form.unit == "万元取整" else f.form.unit), key
            assert Decimal(number) == Decimal(f.text.removesuffix("万")), key  # the report's rounding
        else:
            assert number == "" and written == str(f), key
    places = {
        len(number.partition(".")[2])
        for f in rep.figures.values()
        if f.form.kind == "amount" and f.form.unit != "万元取整"
        for number in [by_label[f.label][2][1]]
    }
    assert len(places) == 1  # every amount with the same decimals


def test_checks_do_not_repeat_the_rows_of_the_figures_table(sample_ledgers):
    rep = prepare(sample_ledgers, PARAMS, "hedong", 2022)
    assert rep.findings and all(f.key in rep.figures for f in rep.findings)
    page = present.findings_table(rep.findings, rep.figures)
    assert "<table" not in page and f"共{len(rep.findings)}条提示" in page and "需核实" in page
    loose = [Finding(None, "各单位合计与上报数不一致，请核实")]
    page = present.findings_table(rep.findings + loose, rep.figures)
    assert page.count("<tr>") == 2 and "各单位合计与上报数不一致" in page  # only what no figure row shows


def test_normal_only_when_there_is_nothing_to_look_at(sample_ledgers):
    reports = prepare_all(sample_ledgers, PARAMS, 2022, ["hedong", "qingshan"])
    rows = _rows(present.overview_status(reports))
    assert {r[0][1]: r[2][1] for r in rows[1:]} == {"hedong": "需核实", "qingshan": "需核实"}  # nine 提示 each
    clean = reports["qingshan"]
    clean.findings.clear()
    for f in clean.figures.values():
        f.warnings.clear()
    assert present.bureau_status(clean) == "ok"
    clean.figures["liaison"].override = {"old": "甲", "reason": "更正"}
    assert present.bureau_status(clean) == "overridden"
    clean.figures["liaison"].text = None
    assert present.bureau_status(clean) == "missing"


def test_side_by_side_numbers_share_unit_and_decimals_per_row(sample_ledgers):
    reports = prepare_all(sample_ledgers, PARAMS, 2022, ["fengling", "hedong", "qingshan"])
    rows = {r[0][1]: r for r in _rows(present.overview_figures(reports))}
    _, unit, *cells = rows["寄宿生营养餐补助资金"]
    assert unit == ("unit", "万元") and all(cls == "num" for cls, _ in cells)
    numbers = [text.removeprefix("（!）") for _, text in cells]
    assert len({len(n.partition(".")[2]) for n in numbers}) == 1
    _, unit, *cells = rows["部署会日期"]
    assert unit[1] == "" and all(cls == "" for cls, _ in cells)  # text stays left


def test_changes_are_numbers_with_their_unit(sample_ledgers):
    from toolkit.report import changes as ch

    rep = prepare(sample_ledgers, PARAMS, "hedong", 2022)
    page = present.changes_html([], True, ch.from_last_year(rep.figures, rep.previous), rep)
    rows = {r[0][1]: r for r in _all_rows(page)}
    _, before, now, unit, growth = rows["民生配套资金"]  # written 2344万 in the report
    assert before[0] == now[0] == growth[0] == "num" and unit[1] == "万元"
    assert before[1].isdigit() and now[1].isdigit()
    _, before, now, unit, _ = rows["支农支出预算"]
    assert len(before[1].partition(".")[2]) == len(now[1].partition(".")[2])


def test_a_year_of_stray_rows_is_said_to_be_no_year_to_compare(sample_ledgers):
    from toolkit.report import changes as ch

    rep = prepare(sample_ledgers, PARAMS, "qingshan", 2021)  # 2020: one activity, one problem
    page = present.changes_html([], True, ch.from_last_year(rep.figures, rep.previous), rep)
    assert "台账中没有2020年可比的数据" in page and "与2020年相同" not in page


def test_reviewer_wording_only(sample_ledgers):
    reports = prepare_all(sample_ledgers, PARAMS, 2022, ["hedong", "qingshan"])
    rep = reports["hedong"]
    pages = [
        present.figures_table(rep.figures),
        present.findings_table(rep.findings, rep.figures),
        present.overview_status(reports),
        present.overview_figures(reports),
        present.review_summary(rep)[1],
    ]
    for page in pages:
        for developer in ("final = True", "final=True", "parameters/overrides", "--final"):
            assert developer not in page
