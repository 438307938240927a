"""What changed since the previous run, and why (toolkit.report.changes)."""

from __future__ import annotations

import json

import pytest

from toolkit.outputs import keep_previous
from toolkit.report.changes import from_last_year, read_previous, since_last_run
from toolkit.report.figures import Figure, Figures, Source
from toolkit.report.render import figures_json


def _figures(*items: Figure, year: int = 2021) -> Figures:
    return Figures("demo", year, list(items))


def test_reasons_data_override_and_template(tmp_path):
    old = _figures(
        Figure("a", "甲", "r", value=1, text="1"),
        Figure("b", "乙", "r", value=2, text="2"),
        Figure("gone", "旧项", "r", value=3, text="3"),
    )
    (tmp_path / "figures.json").write_bytes(figures_json(old))
    keep_previous(tmp_path)
    assert not (tmp_path / "figures.json").exists()
    previous = read_previous(tmp_path)
    new = _figures(
        Figure("a", "甲", "r", value=5, text="5"),
        Figure("b", "乙", "r", value=9, text="9", override={"computed": "2", "new": "9", "reason": "x", "by": "y"}),
        Figure("added", "新项", "r", value=1, text="1"),
    )
    shown = [str(c) for c in since_last_run(new, previous)]
    assert shown == [
        "甲：1→5（台账数据变化）",
        "乙：2→9（人工修改）",
        "新项：（无此项）→1（报告模板变化）",
        "旧项：3→（已删去）（报告模板变化）",
    ]
    assert since_last_run(new, None) == []


ROW = [Source("finance", "财政指标.csv", "", (2,))]


def test_last_year_numbers_with_relative_change():
    now = _figures(Figure("n", "收入", "r", value=152, text="152"), Figure("d", "名称", "r", value="x", text="x"))
    then = _figures(
        Figure("n", "收入", "r", value=100, text="100", sources=ROW),
        Figure("d", "名称", "r", value="y", text="y", sources=ROW),
        year=2020,
    )
    [(change, ratio)] = from_last_year(now, then)
    assert str(change) == "收入：100→152" and float(ratio) == 0.52
    assert from_last_year(now, None) == []


def test_clearing_a_folder_again_and_again_keeps_one_previous_copy(tmp_path):
    from toolkit.run.execute import clear

    for run in range(30):
        (tmp_path / "figures.json").write_text(json.dumps({"figures": [{"key": "a", "text": str(run)}]}), "utf-8")
        clear(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".previous.figures.json"]
    assert read_previous(tmp_path)["a"]["text"] == "29"


# --- last year, figure by figure -----------------------------------------------------------


def _two_years(tmp_path, last_finance: list[dict], last_activities: list[dict] = ()):
    """The minimal 2022 ledgers (财政总收入 0.1亿元) plus the given 2021 rows, prepared for 2022."""
    from conftest import minimal_folder, write_csv

    from toolkit.data.validate import load_ledgers
    from toolkit.report.prepare import prepare

    data, params = minimal_folder(tmp_path, 2022, "signed_on: {2022: 2023-01-10}\n")
    write_csv(data / "财政指标-2021.csv", last_finance)
    if last_activities:
        write_csv(data / "活动台账-2021.csv", list(last_activities))
    return params, (lambda: prepare(load_ledgers(data), params, "demo", 2022))


def _finance_2021(names: list[str], revenue: str = "23") -> list[dict]:
    rows = [{"单位代码": "demo", "年度": "2021", "指标": n, "数值": "1000", "计量单位": "万元"} for n in names]
    return [dict(r, 数值=revenue, 计量单位="亿元") if r["指标"] == "财政总收入" else r for r in rows]


@pytest.mark.parametrize("others", [[], ["税收收入"], ["税收收入", "一般公共预算收入", "民生配套资金"]])
def test_a_figure_is_compared_with_last_years_own_row_however_few_rows_last_year_has(tmp_path, others):
    _params, prepare = _two_years(tmp_path, _finance_2021(["财政总收入", *others]))
    rep = prepare()
    warned = [w for w in rep.figures["fiscal_revenue"].warnings if "比2021年（23）下降" in w]
    assert warned and any(f.key == "fiscal_revenue" and "比2021年" in f.message for f in rep.findings)
    for key in ("tax_revenue", "general_budget_revenue"):  # 1000万元 both years: no change to flag
        assert not [w for w in rep.figures[key].warnings if "比2021年" in w]
    assert [c.label for c, _ in from_last_year(rep.figures, rep.previous)][:1] == ["财政总收入"]


@pytest.mark.parametrize("new", ["99.9", "0.01"])
def test_a_correction_far_from_last_year_is_flagged(tmp_path, new):
    from toolkit.report.overrides import save_override

    params, prepare = _two_years(tmp_path, _finance_2021(["财政总收入"], revenue="0.1"))
    before = prepare()
    assert not [w for w in before.figures["fiscal_revenue"].warnings if "比2021年" in w]  # 0.1亿 both years
    save_override(params, before.figures, "fiscal_revenue", new, "以决算数为准", "张三")
    after = prepare().figures["fiscal_revenue"]
    assert after.status == "overridden" and any("比2021年（0.1）" in w and "超过30%" in w for w in after.warnings)


def _lectures_2021(n: int) -> list[dict]:
    day = [f"2021-12-{d:02d}" for d in range(20, 20 + n)]
    return [{"单位代码": "demo", "日期": d, "活动类型": "宣讲", "参加对象": f"第{i}党支部"} for i, d in enumerate(day)]


@pytest.mark.parametrize(("rows", "compared"), [(2, False), (4, False), (5, True), (8, True)])
def test_counts_are_compared_only_when_last_year_holds_a_years_worth_of_rows(tmp_path, rows, compared):
    """A few stray activities of last December are no year to compare a count against."""
    _params, prepare = _two_years(tmp_path, _finance_2021(["财政总收入"], revenue="0.1"), _lectures_2021(rows))
    rep = prepare()
    flagged = any("比2021年" in w for w in rep.figures["lecture_branches"].warnings)  # 1 branch this year
    assert flagged is compared
    assert ("lecture_branches" in {c.key for c, _ in from_last_year(rep.figures, rep.previous)}) is compared


@pytest.mark.parametrize(("thin", "text"), [(frozenset(), "增长50.0%"), (frozenset({"activities"}), None)])
def test_a_change_in_the_report_is_never_against_a_few_stray_rows(thin, text):
    from toolkit.report.rules import change

    spec = change("drills_change", "演练次数增减", "drills")
    rows = [Source("activities", "活动台账.csv", "", (2, 3))]
    now = _figures(Figure("drills", "演练次数", "r", value=3, text="3", sources=rows), year=2022)
    last = _figures(Figure("drills", "演练次数", "r", value=2, text="2", sources=rows))
    last.thin = thin
    figure = spec.made(spec.derive(now, last), 2022)
    assert figure.text == text and (text is not None or "上年没有" in figure.missing)
