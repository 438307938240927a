"""The charts as SVG: read back with an XML parser, their bars must be the data and their text whole."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PARAMS
from hypothesis import assume, given
from hypothesis import strategies as st

from toolkit.data.params import BureauParams
from toolkit.report.figures import Figure, Figures, Scope, Source
from toolkit.report.prepare import prepare, prepare_all
from toolkit.ui import charts, svg

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<b>青山</b> & \"局\" 'x' ]]> <!-- \x01\x0b"


class Chart:
    """An SVG chart parsed back: its elements by class, positions as numbers."""

    def __init__(self, text: str):
        assert isinstance(text, str) and text.startswith("<svg")
        self.root = ET.fromstring(text)  # raises on anything not well-formed
        _, _, w, h = map(float, self.root.get("viewBox").split())
        self.width, self.height = w, h

    def all(self, tag: str, cls: str) -> list[ET.Element]:
        return [e for e in self.root.iter(NS + tag) if e.get("class") == cls]

    def box(self, cls: str) -> tuple[float, float, float, float]:
        (e,) = self.all("rect", cls)
        return tuple(float(e.get(a)) for a in ("x", "y", "width", "height"))

    def bars(self) -> list[dict]:
        return [
            {
                **{a: float(e.get(a)) for a in ("x", "y", "width", "height")},
                "fill": e.get("fill"),
                "tip": e.findtext(NS + "title"),
            }
            for e in self.all("rect", "bar")
        ]

    def texts(self, cls: str) -> list[str]:
        return ["".join(e.itertext()) for e in self.all("text", cls)]

    def placed(self, cls: str) -> list[tuple[str, float, float]]:
        return [("".join(e.itertext()), float(e.get("x")), float(e.get("y"))) for e in self.all("text", cls)]

    def legend(self) -> tuple[list[str], list[str], float]:
        """Legend labels, swatch colours, and the legend's left edge."""
        (group,) = [g for g in self.root.iter(NS + "g") if g.get("class") == "legend"]
        swatches = [e for e in group.iter(NS + "rect")]
        labels = ["".join(e.itertext()) for e in group.iter(NS + "text")]
        return labels, [s.get("fill") for s in swatches], min(float(s.get("x")) for s in swatches)

    def scale(self, vertical: bool) -> float:
        """Pixels per unit of value, read from two gridlines and their tick labels."""
        values = [float(t.replace(",", "")) for t in self.texts("tick")]
        lines = self.all("line", "grid")
        at = [float(g.get("y1" if vertical else "x1")) for g in lines]
        return abs(at[1] - at[0]) / (values[1] - values[0])


def scope(name: str, activities: list[dict], year: int = 2022) -> Scope:
    params = BureauParams("x", Path("x.yaml"), {"name": name})
    return Scope("x", year, params, activities, [], {}, date(year + 1, 1, 10))


def activity(month: int, kind: str, year: int = 2022) -> dict:
    return {"date": date(year, month, 3), "kind": kind}


def test_stacked_bars_are_each_months_activities(sample_ledgers):
    rep = prepare(sample_ledgers, PARAMS, "qingshan", 2022)
    chart = Chart(charts.activities_per_month(rep.scope))
    months = Counter(r["date"].month for r in rep.scope.activities)
    kinds = Counter(str(r["kind"]) for r in rep.scope.activities)
    per_unit = chart.scale(vertical=True)
    columns = {name: x for name, x, _ in chart.placed("category")}
    assert list(columns) == [f"{m}月" for m in range(1, 13)]
    drawn = Counter()
    for bar in chart.bars():
        month = min(columns, key=lambda m: abs(columns[m] - (bar["x"] + bar["width"] / 2)))
        drawn[month] += bar["height"]
    for m in range(1, 13):
        assert drawn[f"{m}月"] == pytest.approx(months[m] * per_unit, abs=0.3), m
    labels, colours, left = chart.legend()
    assert labels == [k for k, _ in kinds.most_common()]  # most frequent kind first
    assert len(set(colours)) == len(kinds)
    assert {b["fill"] for b in chart.bars()} == set(colours)
    x, _, w, _ = chart.box("plot")
    assert left > x + w  # the legend stands beside the plot, never over a bar
    assert all(b["x"] + b["width"] <= x + w for b in chart.bars())
    assert f"{rep.scope.params.name}2022年各月活动" in chart.texts("title")[0]
    assert "2022年" in chart.texts("axis-title") and "活动次数" in chart.texts("axis-title")


def test_thirty_kinds_and_hostile_names_stay_text_and_in_view():
    kinds = [f"类别{i}{HOSTILE}" for i in range(30)] + ["特别长的活动类别名称" * 8]
    rows = [activity(1 + i % 12, kinds[i % len(kinds)]) for i in range(400)]
    long_name = HOSTILE + "非常长的单位名称" * 30
    text = charts.activities_per_month(scope(long_name, rows))
    assert "<b>" not in text and "<!--" not in text
    chart = Chart(text)
    shown = svg.clean(long_name)
    assert chart.root.findtext(NS + "title") == f"{shown}2022年各月活动"
    assert chart.root.get("aria-label") == f"{shown}2022年各月活动"
    assert chart.texts("title") == [f"{shown}2022年各月活动"]  # wrapped onto lines, nothing lost
    labels, colours, left = chart.legend()
    assert sorted(labels) == sorted(svg.clean(k) for k in kinds)
    assert len(set(colours)) == len(kinds) == 31
    x, _, w, _ = chart.box("plot")
    assert left > x + w
    for legend_text in (e for g in chart.root.iter(NS + "g") for e in g.iter(NS + "tspan")):
        right = float(legend_text.get("x")) + svg.text_width(legend_text.text, svg.TEXT_SIZE)
        assert right <= chart.width
    stacks = Counter()
    for bar in chart.bars():
        stacks[round(bar["x"])] += bar["height"]
    per_unit = chart.scale(vertical=True)
    assert sorted(round(h / per_unit) for h in stacks.values()) == sorted(
        Counter(r["date"].month for r in rows).values()
    )


def test_no_activities_draws_an_empty_plot_that_says_so():
    chart = Chart(charts.activities_per_month(scope("空局", [])))
    assert chart.bars() == [] and chart.texts("note") == ["本年没有活动记录"]
    assert not [g for g in chart.root.iter(NS + "g") if g.get("class") == "legend"]
    assert len(chart.texts("category")) == 12


def _figures(year: int, values: dict[str, object], labels: dict[str, str] | None = None) -> Figures:
    labels = labels or {}
    row = [Source("finance", "财政指标.csv", "", (2,))]  # each indicator's own row
    return Figures(
        "x", year, [Figure(k, labels.get(k, k), "rule", v, text=str(v), sources=row) for k, v in values.items()]
    )


def test_finance_bars_are_the_percent_change_labelled_and_coloured_by_sign(sample_ledgers):
    rep = prepare(sample_ledgers, PARAMS, "qingshan", 2022)
    chart = Chart(charts.finance_against_previous(rep.figures, rep.previous))
    keys = [k for k in charts.FINANCE_KEYS if k in rep.figures and rep.figures[k].value is not None]
    changes = [
        float((Decimal(rep.figures[k].value) - Decimal(rep.previous[k].value)) / Decimal(rep.previous[k].value) * 100)
        for k in keys
    ]
    assert chart.texts("category") == [rep.figures[k].label for k in keys]
    assert chart.texts("value") == [f"{c:+.1f}%" for c in changes]
    assert any(c < 0 for c in changes) and any(c > 0 for c in changes)  # the sample has both
    (zero,) = chart.all("line", "zero")
    at = float(zero.get("x1"))
    per_unit = chart.scale(vertical=False)
    for bar, change in zip(chart.bars(), changes):
        assert bar["width"] == pytest.approx(abs(change) * per_unit, abs=0.3)
        assert bar["fill"] == (charts.GROWTH if change >= 0 else charts.DECLINE)
        edge = bar["x"] + bar["width"] if change < 0 else bar["x"]
        assert edge == pytest.approx(at, abs=0.1)  # every bar starts at the zero line
    assert "与2021年相比的变化（%）" in chart.texts("axis-title")


def test_finance_without_last_years_value_reads_no_previous_figure():
    now = _figures(2022, {"fiscal_revenue": Decimal(120), "tax_revenue": Decimal(50), "agri_budget": Decimal(7)})
    before = _figures(2021, {"fiscal_revenue": Decimal(100), "tax_revenue": Decimal(0)})
    chart = Chart(charts.finance_against_previous(now, before))
    assert chart.texts("value") == ["+20.0%", "无上年数", "无上年数"]
    assert len(chart.bars()) == 1


def test_finance_without_previous_year_draws_amounts_in_wan_yuan():
    values = {"fiscal_revenue": Decimal("-50000"), "tax_revenue": Decimal(0), "agri_budget": Decimal("1e18")}
    now = _figures(2022, values, {"agri_budget": HOSTILE * 10})
    chart = Chart(charts.finance_against_previous(now, None))
    assert chart.texts("value") == ["-5", "0", "100,000,000,000,000"]
    assert "2022年数额（万元）" in chart.texts("axis-title")
    assert chart.texts("category")[-1] == svg.clean(HOSTILE * 10)
    negative, huge = chart.bars()  # a zero amount has no bar
    (zero,) = chart.all("line", "zero")
    assert negative["x"] + negative["width"] == pytest.approx(float(zero.get("x1")), abs=0.1)
    assert huge["x"] == pytest.approx(float(zero.get("x1")), abs=0.1)
    x, _, w, _ = chart.box("plot")
    for text, tx, _ in chart.placed("value"):
        width = svg.text_width(text, svg.VALUE_SIZE)
        assert x <= tx - width if text.startswith("-") else tx + width <= x + w  # inside the plot


def test_values_beyond_a_float_have_no_bar_and_say_so():
    now = _figures(2022, {"fiscal_revenue": Decimal("1e400"), "tax_revenue": Decimal(30)})
    before = _figures(2021, {"fiscal_revenue": Decimal("1e-400"), "tax_revenue": Decimal(20)})
    for previous, texts in ((None, [charts.TOO_LARGE, "0.003"]), (before, [charts.TOO_LARGE, "+50.0%"])):
        chart = Chart(charts.finance_against_previous(now, previous))
        assert chart.texts("value") == texts and len(chart.bars()) == 1


def test_finance_without_any_indicator_says_so():
    chart = Chart(charts.finance_against_previous(Figures("x", 2022, []), None))
    assert chart.bars() == [] and chart.texts("note") == ["没有财政指标数据"]


def test_overview_charts_draw_every_bureau(sample_ledgers):
    codes = ["fengling", "hedong", "meiling", "qingshan", "yunshui"]
    reports = prepare_all(sample_ledgers, PARAMS, 2022, codes)
    reports["broken"] = ValueError("无法计算")
    good = [reports[c] for c in codes]

    revenue = Chart(charts.compare_bureaus(reports))
    assert revenue.texts("category") == [r.params.name for r in good]
    bars = revenue.bars()
    assert len(bars) == 3 * len(good)
    per_unit = revenue.scale(vertical=False)
    keys = ("fiscal_revenue", "tax_revenue", "general_budget_revenue")
    expected = [float(r.figures[k].value) / 1e8 for r in good for k in keys]
    assert [b["width"] for b in bars] == pytest.approx([v * per_unit for v in expected], abs=0.3)
    labels, colours, left = revenue.legend()
    assert labels == [good[0].figures[k].label for k in keys] and len(set(colours)) == 3
    x, _, w, _ = revenue.box("plot")
    assert left > x + w

    attention = Chart(charts.attention_counts(reports))
    per_unit = attention.scale(vertical=False)
    rows = Counter()
    for bar in attention.bars():
        rows[round(bar["y"])] += bar["width"]
    totals = [
        len(r.figures.missing()) + len(r.findings) + sum(1 for f in r.figures.values() if f.override) for r in good
    ]
    assert sorted(round(v / per_unit) for v in rows.values()) == sorted(t for t in totals if t)
    assert attention.legend()[0] == ["待补充", "提示", "已修改"]


def test_overview_of_no_bureau_and_a_missing_value():
    assert Chart(charts.compare_bureaus({})).texts("note") == ["没有可比较的单位"]
    assert Chart(charts.attention_counts({})).texts("note") == ["没有可比较的单位"]


def test_charts_name_themselves_and_scale_to_the_page(sample_ledgers):
    rep = prepare(sample_ledgers, PARAMS, "hedong", 2022)
    for text in (charts.activities_per_month(rep.scope), charts.finance_against_previous(rep.figures, rep.previous)):
        chart = Chart(text)
        root = chart.root
        assert root.get("role") == "img" and root.get("aria-label") == root.findtext(NS + "title")
        assert root[0].tag == NS + "title" and root.findtext(NS + "desc")
        assert root.get("width") == str(int(chart.width)) and "max-width:100%" in root.get("style")
        fonts = [f.strip(" '") for f in root.get("font-family").split(",")]
        assert fonts[0] == "Noto Sans CJK SC" and "Microsoft YaHei" in fonts and fonts[-1] == "sans-serif"
        assert all(b["tip"] for b in chart.bars())  # every bar tells its value on hover


def _kind_colours(text: str) -> dict[str, str]:
    labels, colours, _ = Chart(text).legend()
    return dict(zip(labels, colours))


def test_each_activity_kind_keeps_one_colour_in_every_bureau_and_year(sample_ledgers):
    from toolkit.data.contract import ACTIVITY_KINDS
    from toolkit.data.params import list_bureaus

    seen: dict[str, set[str]] = {}
    for year in (2021, 2022):
        for rep in prepare_all(sample_ledgers, PARAMS, year, list_bureaus(PARAMS)).values():
            for kind, colour in _kind_colours(charts.activities_per_month(rep.scope)).items():
                seen.setdefault(kind, set()).add(colour)
    assert len(seen) > 3 and all(len(colours) == 1 for colours in seen.values()), seen
    fixed = {kind: charts.kind_colour(kind) for kind in ACTIVITY_KINDS}
    assert len(set(fixed.values())) == len(ACTIVITY_KINDS)  # no two kinds of the contract share one
    assert fixed["其他"] == "#7f7f7f" and list(fixed.values())[:3] == ["#1f77b4", "#ff7f0e", "#2ca02c"]
    assert {kind: colours.pop() for kind, colours in seen.items()} == {k: fixed[k] for k in seen}


def test_a_kind_outside_the_contract_keeps_its_colour_too():
    one = _kind_colours(charts.activities_per_month(scope("甲", [activity(1, "新增类别"), activity(2, "部署会")])))
    other = _kind_colours(
        charts.activities_per_month(scope("乙", [activity(3, "宣讲")] * 5 + [activity(4, "新增类别")], 2023))
    )
    assert one["新增类别"] == other["新增类别"] == charts.kind_colour("新增类别")
    assert re.fullmatch(r"#[0-9a-f]{6}", charts.kind_colour("新增类别"))
    assert charts.kind_colour("新增类别") != charts.kind_colour("另一新类别")


def test_palette_has_no_repeated_colour_and_starts_with_tab20_dark_shades():
    for n in (1, 5, 12, 20, 21, 30, 100):
        colours = charts.palette(n)
        assert len(colours) == n and len(set(colours)) == n
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert charts.palette(3) == ["#1f77b4", "#ff7f0e", "#2ca02c"]


@given(st.floats(-1e12, 1e12), st.floats(0.001, 1e12), st.integers(1, 12))
def test_nice_ticks_cover_the_range_in_round_steps(lo, span, intervals):
    assume(span > abs(lo) * 1e-6)  # a range floats can tell apart from its magnitude
    hi = lo + span
    ticks = svg.nice_ticks(lo, hi, intervals)
    step = ticks[1] - ticks[0]
    assert ticks[0] <= lo + step * 1e-6 and ticks[-1] >= hi - step * 1e-6
    assert len(ticks) <= intervals + 2
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m, rel_tol=1e-3) for m in (1, 2, 2.5, 5, 10))


@given(st.text(max_size=80), st.floats(10, 300))
def test_wrap_keeps_every_character_and_fits_the_width(text, width):
    lines = svg.wrap(text, width, 12)
    assert "".join(lines) == text
    assert all(len(line) == 1 or svg.text_width(line, 12) <= width for line in lines)


def test_finance_against_a_year_of_stray_rows_draws_this_years_amounts(sample_ledgers):
    """qingshan's 2020 holds one activity and one problem, no finance: nothing to compare against."""
    rep = prepare(sample_ledgers, PARAMS, "qingshan", 2021)
    assert rep.previous is not None and rep.previous.year == 2020
    chart = Chart(charts.finance_against_previous(rep.figures, rep.previous))
    assert "2021年数额（万元）" in chart.texts("axis-title") and "无上年数" not in chart.texts("value")
