"""Charts for reviewers, drawn as SVG text (``toolkit.ui.svg``): a few milliseconds each, no plotting library.

The reader's browser draws the text, with the first of ``svg.FONT_FAMILY`` it has, so
Chinese shows wherever the page is read; no font is needed where the charts are made.
Each function returns the SVG document as a string.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal

from toolkit.data.contract import ACTIVITY_KINDS
from toolkit.report.figures import Figure, Figures, Scope
from toolkit.report.prepare import Report
from toolkit.ui.svg import Bars, Series, draw

#: Finance indicators compared against last year, with the figure keys that hold them.
FINANCE_KEYS = (
    "fiscal_revenue",
    "tax_revenue",
    "general_budget_revenue",
    "livelihood_funds",
    "agri_budget",
    "agri_spending",
    "farm_subsidy_funds",
    "livelihood_project_funds",
    "student_aid_funds",
    "boarding_meal_funds",
)
#: The twenty colours of the tab20 palette, dark shades first, then their light shades.
TAB20 = (
    *("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"),
    *("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"),
)
GROWTH, DECLINE, AMOUNT = "#2e7d32", "#c62828", "#1976d2"
#: Colours of the contract's activity kinds, by position: tab20 without its greys, kept for 其他.
KIND_COLOURS = tuple(c for c in TAB20 if c not in ("#7f7f7f", "#c7c7c7"))
OTHER_KIND, OTHER_COLOUR = "其他", "#7f7f7f"
#: The label of a value too large for a float (no bar is drawn for it).
TOO_LARGE = "数值过大"


def palette(n: int) -> list[str]:
    """``n`` distinct colours: tab20's, then evenly spaced hues, so no two activity kinds share one."""
    if n <= len(TAB20):
        return list(TAB20[:n])
    more = n - len(TAB20)
    hues = (colorsys.hsv_to_rgb(i / more, 0.75, 0.85) for i in range(more))
    return [*TAB20, *("#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in rgb)) for rgb in hues)]


def kind_colour(kind: str) -> str:
    """The one colour of an activity kind, the same in every chart of every bureau and year.

    A kind of the contract (``ACTIVITY_KINDS``) takes the colour of its position there; 其他 is
    grey. Any other kind (an office's own, added to its contract) takes a hue computed from
    its name, so it too keeps its colour wherever it appears.
    """
    if kind == OTHER_KIND:
        return OTHER_COLOUR
    if kind in ACTIVITY_KINDS:
        return KIND_COLOURS[ACTIVITY_KINDS.index(kind) % len(KIND_COLOURS)]
    digest = hashlib.sha256(kind.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:3], "big") / float(1 << 24)
    saturation = 0.45 + digest[3] / 255 * 0.35
    value = 0.65 + digest[4] / 255 * 0.25
    rgb = colorsys.hsv_to_rgb(hue, saturation, value)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in rgb))


def activities_per_month(scope: Scope) -> str:
    """Stacked bars: activities recorded each month of the report year, one fixed colour per kind
    (:func:`kind_colour`), so a kind reads the same in every bureau's chart.

    Kinds are stacked and listed most frequent first; the legend stands to the right of
    the plot, so it never covers a month's bars.
    """
    rows = scope.activities
    counts = Counter((r["date"].month, str(r["kind"])) for r in rows)
    kinds = [k for k, _ in Counter(str(r["kind"]) for r in rows).most_common()]
    months = range(1, 13)
    totals = [sum(counts.get((m, k), 0) for k in kinds) for m in months]
    return draw(
        Bars(
            title=f"{scope.params.name}{scope.year}年各月活动",
            categories=[f"{m}月" for m in months],
            series=[Series(kind, [counts.get((m, kind), 0) for m in months], kind_colour(kind)) for kind in kinds],
            value_title="活动次数",
            category_title=f"{scope.year}年",
            description=f"共{len(rows)}次活动，{len(kinds)}类；各月："
            + "，".join(f"{m}月{t}次" for m, t in zip(months, totals)),
            stacked=True,
            integer=True,
            note="" if rows else "本年没有活动记录",
        )
    )


def _amount(value: object) -> Decimal:
    """A figure's value as a number; anything else (a flag, a text) is never drawn as if it were one."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise TypeError(f"图中的数值不是数字：{value!r}")
    return Decimal(value)


def _percent(now: Figure | None, then: Figure | None) -> float | None:
    if now is None or then is None or now.value is None or then.value is None:
        return None
    before = _amount(then.value)
    return None if before == 0 else float((_amount(now.value) - before) / before * 100)


def _wan(amount: float) -> str:
    """万元 as read in reports: whole above a hundred, else up to four significant digits (never a bare 0 or -0)."""
    if not math.isfinite(amount):
        return TOO_LARGE
    return f"{amount:,.0f}" if abs(amount) >= 100 else f"{amount:.4g}"


def finance_against_previous(figures: Figures, previous: Figures | None) -> str:
    """Finance indicators as percent change against last year, on a linear axis, each bar labelled.

    Growth is green and decline red, each bar labelled ``+12.3%``; an indicator without
    last year's value has no bar and reads 无上年数. Without last year's comparable data,
    this year's amounts (万元) are drawn instead, each labelled.
    """
    keys = [k for k in FINANCE_KEYS if k in figures and figures[k].value is not None]
    labels = [figures[k].label for k in keys]
    empty = "" if keys else "没有财政指标数据"
    if previous is not None and any(previous.own(k) for k in keys):
        changes = [_percent(figures[k], previous.own(k)) for k in keys]
        texts = ["无上年数" if c is None else f"{c:+.1f}%" if math.isfinite(c) else TOO_LARGE for c in changes]
        bars = Bars(
            title=f"{figures.year}年财政指标与{previous.year}年相比",
            categories=labels,
            series=[
                Series(
                    "变化",
                    changes,
                    [DECLINE if c is not None and c < 0 else GROWTH for c in changes],
                    texts,
                )
            ],
            value_title=f"与{previous.year}年相比的变化（%）",
            description="；".join(f"{label} {text}" for label, text in zip(labels, texts)),
            horizontal=True,
            legend=False,
            symmetric=10.0,
            note=empty,
        )
    else:
        wan = [float(_amount(figures[k].value) / 10_000) for k in keys]
        texts = [_wan(v) for v in wan]
        bars = Bars(
            title=f"{figures.year}年财政指标（无可比的上年数据）",
            categories=labels,
            series=[Series(f"{figures.year}年", wan, AMOUNT, texts)],
            value_title=f"{figures.year}年数额（万元）",
            description="；".join(f"{label} {text}万元" for label, text in zip(labels, texts)),
            horizontal=True,
            legend=False,
            note=empty,
        )
    return draw(bars)


def compare_bureaus(
    reports: Mapping[str, Report | Exception],
    keys: tuple[str, ...] = ("fiscal_revenue", "tax_revenue", "general_budget_revenue"),
) -> str:
    """Grouped bars: the main revenue indicators (亿元) of every bureau, side by side; a missing one reads 无数据."""
    good = [r for r in reports.values() if not isinstance(r, Exception)]
    names = [r.params.name for r in good]
    series = []
    for key, colour in zip(keys, palette(len(keys))):
        figures = [r.figures.get(key) for r in good]
        values = [
            float(_amount(f.value) / 100_000_000) if f is not None and f.value is not None else None for f in figures
        ]
        label = next((f.label for f in figures if f is not None), key)
        series.append(Series(label, values, colour, ["无数据" if v is None else "" for v in values]))
    return draw(
        Bars(
            title="各单位主要收入指标",
            categories=names,
            series=series,
            value_title="亿元",
            description=_grouped_description(names, series, "亿元"),
            horizontal=True,
            note="" if good else "没有可比较的单位",
        )
    )


def _grouped_description(names: list[str], series: list[Series], unit: str) -> str:
    def one(v: float | None) -> str:
        return "无数据" if v is None else f"{v:,.2f}{unit}"

    return "；".join(
        f"{name}：" + "，".join(f"{s.label} {one(s.values[i])}" for s in series) for i, name in enumerate(names)
    )


def attention_counts(reports: Mapping[str, Report | Exception]) -> str:
    """Stacked bars: missing values, warnings and overrides per bureau."""
    good = [r for r in reports.values() if not isinstance(r, Exception)]
    names = [r.params.name for r in good]
    counts = {
        "待补充": [len(r.figures.missing()) for r in good],
        "提示": [len(r.findings) for r in good],
        "已修改": [sum(1 for f in r.figures.values() if f.override) for r in good],
    }
    series = [Series(label, values, colour) for (label, values), colour in zip(counts.items(), palette(len(counts)))]
    nothing = not any(v for values in counts.values() for v in values)
    return draw(
        Bars(
            title="各单位需关注的数据",
            categories=names,
            series=series,
            value_title="项数",
            description="；".join(
                f"{name}：" + "，".join(f"{label}{values[i]}项" for label, values in counts.items())
                for i, name in enumerate(names)
            ),
            horizontal=True,
            stacked=True,
            integer=True,
            note="没有可比较的单位" if not good else "各单位均无需关注的数据" if nothing else "",
        )
    )
