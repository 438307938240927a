"""Every blank of every sample bureau-year against the independently written expectations."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import PARAMS, expected_cases, expected_texts

from toolkit.report import prepare as report
from toolkit.report.definitions import load_definition


@pytest.mark.parametrize(("bureau", "year"), expected_cases())
def test_every_figure_matches_expectation(sample_ledgers, bureau, year):
    rep = report.prepare(sample_ledgers, PARAMS, bureau, year, date(2022, 1, 10))
    got = {key: f.text for key, f in rep.figures.items()}
    expected = expected_texts(bureau, year)
    assert {k: got[k] for k in expected} == expected
    assert not rep.figures.missing()


def test_catalogue_covers_all_36_blanks():
    # 36 blanks in placeholders.md, several written by one figure (a date fills 2-3 blanks),
    # plus the year, the cut-off month, the open-day examples and the signature date.
    seed = load_definition("report")
    assert len(seed.keys) == len(set(seed.keys)) == len(seed.specs) == 35


def test_every_figure_has_sources_back_to_ledger_rows(sample_ledgers):
    rep = report.prepare(sample_ledgers, PARAMS, "qingshan", 2021, date(2022, 1, 10))
    for key in ("kickoff_date", "lecture_branches", "fiscal_revenue", "open_day_examples", "survey_collected"):
        figure = rep.figures[key]
        assert figure.sources, key
        for source in figure.sources:
            assert source.rows and all(r >= 2 for r in source.rows)
    lectures = rep.figures["lecture_branches"]
    rows = sum(len(s.rows) for s in lectures.sources)
    assert rows > int(lectures.text)  # a branch visited twice: more lectures than branches


def test_rows_of_other_years_do_not_count(sample_ledgers):
    for bureau, year in expected_cases():
        rep = report.prepare(sample_ledgers, PARAMS, bureau, year, date(2022, 1, 10))
        for figure in rep.figures.values():
            for value in figure.value if isinstance(figure.value, tuple) else (figure.value,):
                if isinstance(value, date) and figure.key != "signed_on":
                    assert value.year == year


def test_missing_indicator_is_missing_not_guessed(minimal):
    from conftest import FINANCE, write_csv

    from toolkit.data.validate import load_ledgers

    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "税收收入"])
    rep = report.prepare(load_ledgers(data), params, "demo", 2021)
    figure = rep.figures["tax_revenue"]
    assert figure.status == "missing" and figure.text is None
    assert "税收收入" in figure.missing
    assert str(figure) == "【待补充：税收收入】"
    assert [f.key for f in rep.figures.missing()] == ["tax_revenue"]


def test_open_day_examples_take_first_two_resolved_by_date(minimal):
    from conftest import PROBLEMS, write_csv

    from toolkit.data.validate import load_ledgers

    data, params = minimal
    extra = [
        {
            "单位代码": "demo",
            "问题编号": "K0",
            "来源": "开放日",
            "收集日期": "2021-06-30",
            "办理状态": "已解决",
            "问题描述": "最早的问题。",
        },
        {
            "单位代码": "demo",
            "问题编号": "K2",
            "来源": "开放日",
            "收集日期": "2021-08-01",
            "办理状态": "已解决",
            "问题描述": "最晚的问题",
        },
        {
            "单位代码": "demo",
            "问题编号": "K3",
            "来源": "开放日",
            "收集日期": "2021-01-01",
            "办理状态": "办理中",
            "问题描述": "未解决",
        },
    ]
    write_csv(data / "问题台账.csv", PROBLEMS + extra)
    rep = report.prepare(load_ledgers(data), params, "demo", 2021)
    assert rep.figures["open_day_examples"].text == "最早的问题、丙"
    assert rep.figures["open_day_resolved"].text == "3"
    assert rep.figures["open_day_problems"].text == "4"
