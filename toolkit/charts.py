"""Charts for reviewers, drawn with matplotlib's object API (no pyplot, no display needed).

Chinese labels need a CJK font from a system package (Debian ``fonts-noto-cjk``);
nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import io
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import ParamSpec

from .figures import Figures, Scope

P = ParamSpec("P")

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "AR PL UKai CN",
    "FandolFang",
)
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


#: Parts of font file names that mark the CJK families above, for fonts installed after matplotlib's cache.
_CJK_FILES = ("cjk", "sourcehan", "wqy", "ukai", "uming", "fandol")


def cjk_font() -> str | None:
    """The first installed CJK font family; registers system CJK fonts the cache does not know yet."""
    from matplotlib import font_manager

    def find() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((n for n in CJK_FONTS if n in names), None)

    found = find()
    if found is None:  # fonts installed after matplotlib built its cache
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known and any(part in Path(path).name.lower() for part in _CJK_FILES):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = find()
    return found


def _rc() -> dict:
    """Chart settings, applied with ``rc_context`` only while a chart is drawn."""
    import matplotlib

    rc: dict = {"axes.unicode_minus": False}
    font = cjk_font()
    if font:
        rc["font.family"] = "sans-serif"
        rc["font.sans-serif"] = [font, *matplotlib.rcParams["font.sans-serif"]]
    return rc


def _styled(chart: Callable[P, bytes]) -> Callable[P, bytes]:
    """Draw ``chart`` inside matplotlib's ``rc_context``: no process-wide setting changes."""

    @functools.wraps(chart)
    def draw(*args: P.args, **kwargs: P.kwargs) -> bytes:
        import matplotlib

        with matplotlib.rc_context(_rc()):
            return chart(*args, **kwargs)

    return draw


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _fixed_figure(width: float, height: float, *, left: float, bottom: float, top: float = 0.4, right: float = 0.15):
    """A figure with its margins given in inches, for the charts of every report.

    Constrained layout measures every label before drawing, about a third of a chart's
    cost; these charts' labels are known before drawing, so their margins are sized from them.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    return fig


def _text_inches(text: str, size: float | None = None) -> float:
    """A generous width of ``text`` at ``size`` points: CJK characters one em, others about two thirds."""
    import matplotlib

    points = float(size or matplotlib.rcParams["font.size"])
    return sum(1.0 if ord(ch) > 0x2E80 else 0.65 for ch in text) * points / 72


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


#: Twenty distinct colours (matplotlib's tab20, dark shades first): no two activity kinds share one.
def _palette(n: int) -> list:
    from matplotlib import colormaps

    tab = colormaps["tab20"].colors  # type: ignore[attr-defined]  # a ListedColormap
    ordered = list(tab[0::2]) + list(tab[1::2])
    if n <= len(ordered):
        return ordered[:n]
    more = colormaps["hsv"]
    return ordered + [more(i / (n - len(ordered))) for i in range(n - len(ordered))]


@_styled
def activities_per_month(scope: Scope) -> bytes:
    """Stacked bars: activities recorded each month of the report year, one distinct colour per kind.

    The legend stands to the right of the axes, so it never covers a month's bars.
    """
    rows = scope.activities
    counts = Counter((r["date"].month, r["kind"]) for r in rows)
    kinds = [k for k, _ in Counter(r["kind"] for r in rows).most_common()]
    ncols = 1 if len(kinds) <= 12 else 2
    peak = max([sum(counts.get((m, k), 0) for k in kinds) for m in range(1, 13)] + [1])
    # left: the y label and tick numbers as wide as the highest count; right: the legend's columns
    legend = ncols * (max((_text_inches(k, 7) for k in kinds), default=0.0) + 0.5) + 0.1 if kinds else 0.0
    fig = _fixed_figure(8.5, 3.6, left=0.4 + _text_inches(str(peak * 2)), bottom=0.35, right=0.15 + legend)
    ax = fig.add_subplot()
    months = list(range(1, 13))
    bottom = [0] * 12
    for kind, colour in zip(kinds, _palette(len(kinds))):
        heights = [counts.get((m, kind), 0) for m in months]
        ax.bar(months, heights, bottom=bottom, label=kind, color=colour)
        bottom = [b + h for b, h in zip(bottom, heights)]
    ax.set_xticks(months, [f"{m}月" for m in months])
    ax.set_ylabel("活动次数")
    ax.set_title(f"{scope.params.name}{scope.year}年各月活动")
    if kinds:
        ax.legend(fontsize=7, ncols=ncols, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _png(fig)


def _percent(now, then) -> float | None:
    if now is None or then is None or now.value is None or then.value is None:
        return None
    before = Decimal(then.value)
    return None if before == 0 else float((Decimal(now.value) - before) / before * 100)


@_styled
def finance_against_previous(figures: Figures, previous: Figures | None) -> bytes:
    """Finance indicators as percent change against last year, on a linear axis, each bar labelled.

    Without last year's comparable data, this year's amounts (万元) are drawn instead.
    """
    keys = [k for k in FINANCE_KEYS if k in figures and figures[k].value is not None]
    labels = [figures[k].label for k in keys]
    # without last year the bars' amounts stand past the longest bar: room for them on the right
    amounts = [] if previous is not None else [f"{float(Decimal(figures[k].value) / 10_000):,.0f}" for k in keys]
    right = 0.25 + max((_text_inches(a, 8) for a in amounts), default=0.0)
    widest = max((_text_inches(label) for label in labels), default=0.5)
    fig = _fixed_figure(8.5, 0.42 * max(len(keys), 3) + 1.2, left=widest + 0.2, bottom=0.6, right=right)
    ax = fig.add_subplot()
    y = list(range(len(keys)))
    if previous is not None:
        changes = [_percent(figures[k], previous.get(k)) for k in keys]
        values = [c if c is not None else 0.0 for c in changes]
        colours = ["#2e7d32" if v >= 0 else "#c62828" for v in values]
        bars = ax.barh(y, values, color=colours, height=0.6)
        texts = ["无上年数" if c is None else f"{c:+.1f}%" for c in changes]
        ax.bar_label(bars, texts, padding=3, fontsize=8)
        ax.axvline(0, color="#555", linewidth=0.8)
        span = max([abs(v) for v in values] + [10.0])
        ax.set_xlim(-span * 1.25, span * 1.25)
        ax.set_xlabel(f"与{previous.year}年相比的变化（%）")
        ax.set_title(f"财政指标与{previous.year}年相比")
    else:
        wan = [float(Decimal(figures[k].value) / 10_000) for k in keys]
        bars = ax.barh(y, wan, color="#1976d2", height=0.6)
        ax.bar_label(bars, [f"{v:,.0f}" for v in wan], padding=3, fontsize=8)
        ax.set_xlabel("万元")
        ax.set_title("财政指标（无可比的上年数据）")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    return _png(fig)


@_styled
def compare_bureaus(
    reports: dict, keys: tuple[str, ...] = ("fiscal_revenue", "tax_revenue", "general_budget_revenue")
) -> bytes:
    """Grouped bars: the main revenue indicators (亿元) of every bureau, side by side."""
    good = {c: r for c, r in reports.items() if not isinstance(r, Exception)}
    fig = _figure(7.5, 3.6)
    ax = fig.add_subplot()
    names = [r.params.name for r in good.values()]
    width = 0.8 / max(len(keys), 1)
    for i, key in enumerate(keys):
        values = [
            float(Decimal(r.figures[key].value) / 100_000_000) if r.figures[key].value is not None else 0.0
            for r in good.values()
        ]
        label = next(iter(good.values())).figures[key].label if good else key
        ax.bar([x + i * width for x in range(len(names))], values, width=width, label=label)
    ax.set_xticks([x + width * (len(keys) - 1) / 2 for x in range(len(names))], names, fontsize=8)
    ax.set_ylabel("亿元")
    ax.set_title("各单位主要收入指标")
    ax.legend(frameon=False, fontsize=8)
    return _png(fig)


@_styled
def attention_counts(reports: dict) -> bytes:
    """Stacked bars: missing values, warnings and overrides per bureau."""
    good = {c: r for c, r in reports.items() if not isinstance(r, Exception)}
    names = [r.params.name for r in good.values()]
    series = {
        "待补充": [len(r.figures.missing()) for r in good.values()],
        "提示": [len(r.findings) for r in good.values()],
        "已修改": [sum(1 for f in r.figures.values() if f.override) for r in good.values()],
    }
    fig = _figure(7.5, 3.0)
    ax = fig.add_subplot()
    bottom = [0] * len(names)
    for label, values in series.items():
        ax.bar(names, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("项数")
    ax.set_title("各单位需关注的数据")
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(frameon=False, fontsize=8)
    return _png(fig)
