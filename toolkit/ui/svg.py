"""Bar charts drawn as SVG text: axes with round ticks, stacked or grouped bars, a legend, labels.

The reader's browser draws the text with the reader's own fonts, so nothing here measures
glyphs: widths are estimated generously (a CJK character one em, other characters at
most three quarters of one), every margin is sized from those estimates, and text too
long for its place is wrapped onto more lines rather than cut. Every string is
XML-escaped, and characters XML cannot hold are dropped, so names from users' files
(``<``, ``&``, quotes, control characters) cannot break the drawing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

#: Fonts tried in order by the reader's browser: CJK families on Linux, Windows, macOS.
FONT_FAMILY = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"

WIDTH = 760.0  # the drawing's usual width; it grows only when labels leave too little room
PAD = 12.0
TITLE_SIZE = 15.0
TEXT_SIZE = 12.0  # tick labels, axis titles, legend
VALUE_SIZE = 11.0  # labels beside bars
LEADING = 1.3  # line height, in em
TICK = 4.0
SWATCH = 11.0
LEGEND_TEXT = 180.0  # longest legend line before wrapping
CATEGORY_TEXT = 220.0  # longest category label line (horizontal bars) before wrapping
MIN_PLOT = 360.0
PLOT_HEIGHT = 250.0  # vertical bars
BAR = 16.0  # thickness of a single (or stacked) horizontal bar
GROUPED_BAR = 13.0  # thickness of each bar of a group
INK, MUTED, GRID, FRAME, ZERO = "#222", "#666", "#e6e6e6", "#bbb", "#555"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NARROW = frozenset(" .,:;!|'`ilIjft()[]")


def clean(text: object) -> str:
    """``text`` as one line XML can hold: line breaks and tabs become spaces, other control characters go."""
    return _NOT_XML.sub("", re.sub(r"[\t\r\n\x85\u2028\u2029]+", " ", str(text)))


def text_width(text: str, size: float) -> float:
    """A generous estimate of ``text``'s width at ``size``: wide (CJK) characters one em."""
    em = 0.0
    for ch in text:
        if ord(ch) < 0x80:
            em += 0.34 if ch in _NARROW else 0.76 if ch.isupper() or ch in "mwMW%@&" else 0.62
        else:
            em += 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.76
    return em * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` split into lines no wider than ``width`` (a character too wide alone keeps its own line).

    Lines break after a space when the line has one and the words after it then fit, else
    between any two characters (as Chinese does); joined again they give ``text`` unchanged.
    """
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and text_width(line + ch, size) > width:
            cut = line.rfind(" ") + 1
            if 0 < cut < len(line) and text_width(line[cut:] + ch, size) <= width:
                lines.append(line[:cut])
                line = line[cut:]
            else:
                lines.append(line)
                line = ""
        line += ch
    return [*lines, line] if line or not lines else lines


def nice_ticks(lo: float, hi: float, intervals: int, *, integer: bool = False) -> list[float]:
    """Round values from at or below ``lo`` to at or above ``hi``, about ``intervals`` steps apart.

    The step is 1, 2, 2.5 or 5 times a power of ten (whole numbers only when ``integer``).
    """
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(intervals, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw * (1 - 1e-9))
    if integer:
        step = float(max(1, math.ceil(step)))
        if step == 3.0:
            step = 5.0  # 2.5 rounded up: keep the steps round
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [i * step for i in range(first, last + 1)]


def tick_text(value: float, step: float) -> str:
    """``value`` with as many decimals as ``step`` needs, thousands separated; never ``-0``."""
    decimals = next((d for d in range(0, 12) if abs(round(step, d) - step) <= abs(step) * 1e-9), 12)
    text = f"{value:,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


def number_text(value: float) -> str:
    """A value for a tooltip: whole numbers without decimals, others with at most two."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _n(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


class Drawing:
    """SVG elements in drawing order; every text is escaped here, once."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, *, cls: str = "", tip: str = "") -> None:
        attrs = f'x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill={quoteattr(fill)}'
        if cls:
            attrs = f'class="{cls}" {attrs}'
        if tip:
            self.parts.append(f"<rect {attrs}><title>{escape(clean(tip))}</title></rect>")
        else:
            self.parts.append(f"<rect {attrs}/>")

    def frame(self, x: float, y: float, w: float, h: float, *, cls: str) -> None:
        self.parts.append(
            f'<rect class="{cls}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
            f'fill="none" stroke="{FRAME}" stroke-width="1"/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, *, cls: str = "") -> None:
        c = f'class="{cls}" ' if cls else ""
        self.parts.append(
            f'<line {c}x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" stroke-width="1"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        lines: Sequence[str],
        *,
        size: float = TEXT_SIZE,
        anchor: str = "start",
        fill: str = INK,
        cls: str = "",
        bold: bool = False,
        rotate: bool = False,
    ) -> None:
        """``lines`` one under the other, the first one's baseline at ``y`` (rotated a quarter turn left if asked)."""
        attrs = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"'
        if cls:
            attrs = f'class="{cls}" {attrs}'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if fill != INK:
            attrs += f' fill="{fill}"'
        if bold:
            attrs += ' font-weight="bold"'
        if rotate:
            attrs += f' transform="rotate(-90 {_n(x)} {_n(y)})"'
        if len(lines) == 1:
            body = escape(lines[0])
        else:
            step = size * LEADING
            body = "".join(
                f'<tspan x="{_n(x)}" y="{_n(y + i * step)}">{escape(line)}</tspan>' for i, line in enumerate(lines)
            )
        self.parts.append(f"<text {attrs}>{body}</text>")

    def svg(self, width: float, height: float, title: str, description: str) -> str:
        """The whole drawing: fixed viewBox, scaled down to fit narrower pages, named for screen readers."""
        w, h = math.ceil(width), math.ceil(height)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            f'role="img" aria-label={quoteattr(title)} font-family={quoteattr(FONT_FAMILY)} '
            'style="max-width:100%;height:auto">'
            f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
            f'<rect width="{w}" height="{h}" fill="#fff"/>{"".join(self.parts)}</svg>'
        )


@dataclass(frozen=True)
class Series:
    """One set of bars: a value per category (None: no bar), in one colour or one colour per bar."""

    label: str
    values: Sequence[float | None]
    colour: str | Sequence[str]
    #: Text beside each bar's end ("" for none); a value of None puts it at the zero line.
    texts: Sequence[str] | None = None

    def colour_of(self, i: int) -> str:
        if isinstance(self.colour, str):
            return self.colour
        return self.colour[i] if i < len(self.colour) else MUTED


@dataclass(frozen=True)
class Bars:
    """A bar chart: categories along one axis, values along the other, stacked or side by side."""

    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    value_title: str
    description: str
    horizontal: bool = False  # categories top to bottom, bars growing right (or left, below zero)
    stacked: bool = False
    legend: bool = True
    integer: bool = False  # whole-number ticks (counts)
    symmetric: float | None = None  # value axis centred on zero, at least ± this
    category_title: str = ""
    note: str = ""  # written across an empty plot


@dataclass(frozen=True)
class _Legend:
    """Legend entries (colour, lines) filled column by column, each column as wide as its widest entry."""

    columns: list[list[tuple[str, list[str]]]]

    @property
    def widths(self) -> list[float]:
        return [SWATCH + 6.0 + max(text_width(x, TEXT_SIZE) for _, lines in c for x in lines) for c in self.columns]

    @property
    def width(self) -> float:
        return sum(self.widths) + 14.0 * (len(self.columns) - 1) if self.columns else 0.0

    @property
    def height(self) -> float:
        return max((sum(_item_height(lines) for _, lines in c) for c in self.columns), default=0.0)


def _legend(bars: Bars) -> _Legend:
    if not bars.legend or not bars.series:
        return _Legend([])
    items = [(s.colour_of(0), wrap(clean(s.label), LEGEND_TEXT, TEXT_SIZE)) for s in bars.series]
    per = math.ceil(len(items) / (1 if len(items) <= 12 else 2 if len(items) <= 40 else 3))
    return _Legend([items[i : i + per] for i in range(0, len(items), per)])


def _item_height(lines: list[str]) -> float:
    return len(lines) * TEXT_SIZE * LEADING + 3.0


def _draw_legend(d: Drawing, legend: _Legend, x: float, y: float) -> None:
    d.parts.append('<g class="legend">')
    for column, width in zip(legend.columns, legend.widths):
        top = y
        for colour, lines in column:
            d.rect(x, top + 2.0, SWATCH, SWATCH, colour, cls="swatch")
            d.text(x + SWATCH + 6.0, top + TEXT_SIZE, lines)
            top += _item_height(lines)
        x += width + 14.0
    d.parts.append("</g>")


def _value(series: Series, i: int) -> float | None:
    """The value of bar ``i``; one that is not a finite number has no bar."""
    v = series.values[i]
    return None if v is None or not math.isfinite(v) else float(v)


def _extent(bars: Bars) -> tuple[float, float]:
    """The smallest and largest value the bars reach, zero included."""
    lo = hi = 0.0
    n = len(bars.categories)
    if bars.stacked:
        for i in range(n):
            up = sum(v for s in bars.series if (v := _value(s, i)) is not None and v > 0)
            down = sum(v for s in bars.series if (v := _value(s, i)) is not None and v < 0)
            lo, hi = min(lo, down), max(hi, up)
    else:
        for s in bars.series:
            for i in range(n):
                if (v := _value(s, i)) is not None:
                    lo, hi = min(lo, v), max(hi, v)
    if bars.symmetric is not None:
        hi = max(abs(lo), abs(hi), bars.symmetric)
        lo = -hi
    return lo * 1.04, hi * 1.04  # the longest bar stops short of the plot's edge


@dataclass(frozen=True)
class _Segment:
    category: int
    series: int
    start: float  # value where the bar begins (0, or the top of the stack below it)
    end: float | None  # None: no value, only its text at the zero line
    offset: float  # across the category, from the middle of its band to the bar's near edge
    thickness: float


def _segments(bars: Bars, thickness: float) -> list[_Segment]:
    """Every bar (or text of a missing value) in drawing order, stacked or side by side."""
    grouped = not bars.stacked and len(bars.series) > 1
    block = thickness * (len(bars.series) if grouped else 1)
    out: list[_Segment] = []
    for i in range(len(bars.categories)):
        up = down = 0.0
        for j, s in enumerate(bars.series):
            v = _value(s, i)
            offset = -block / 2 + (j * thickness if grouped else 0.0)
            if v is None:
                out.append(_Segment(i, j, 0.0, None, offset, thickness))
            elif bars.stacked:
                base = up if v >= 0 else down
                out.append(_Segment(i, j, base, base + v, offset, thickness))
                up, down = (up + v, down) if v >= 0 else (up, down + v)
            else:
                out.append(_Segment(i, j, 0.0, v, offset, thickness))
    return out


def _value_texts(bars: Bars) -> tuple[float, float]:
    """Room the bar-end texts need past the value axis' low and high ends."""
    below = above = 0.0
    for s in bars.series:
        for i, t in enumerate(s.texts or ()):
            if t:
                v = _value(s, i)
                room = (text_width(clean(t), VALUE_SIZE) if bars.horizontal else VALUE_SIZE * LEADING) + 4.0
                if v is not None and v < 0:
                    below = max(below, room)
                else:
                    above = max(above, room)
    return below, above


def _ticks(bars: Bars, lo: float, hi: float, length: float) -> list[float]:
    """Ticks as many as fit ``length`` without their labels touching."""
    most = max(2, int(length // (70.0 if bars.horizontal else 40.0)))
    for intervals in range(most, 0, -1):
        ticks = nice_ticks(lo, hi, intervals, integer=bars.integer)
        if not bars.horizontal:
            return ticks
        step = ticks[1] - ticks[0]
        widest = max(text_width(tick_text(t, step), TEXT_SIZE) for t in ticks)
        if widest + 12.0 <= length / (len(ticks) - 1):
            return ticks
    return ticks


def draw(bars: Bars) -> str:
    """``bars`` as an SVG document (a string), sized so that no text is cut off or covers a bar."""
    if bars.horizontal:
        return _draw_horizontal(bars)
    return _draw_vertical(bars)


def _title(d: Drawing, bars: Bars, width: float) -> float:
    lines = wrap(clean(bars.title), width - 2 * PAD, TITLE_SIZE)
    d.text(width / 2, PAD + TITLE_SIZE, lines, size=TITLE_SIZE, anchor="middle", bold=True, cls="title")
    return PAD + len(lines) * TITLE_SIZE * LEADING + 8.0


@dataclass(frozen=True)
class Scale:
    """Values ``lo``..``hi`` onto pixels ``start``..``end`` (``end`` may be smaller: y grows downwards)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


def _draw_vertical(bars: Bars) -> str:
    d = Drawing()
    legend = _legend(bars)
    lo, hi = _extent(bars)
    below, above = _value_texts(bars)
    ticks = _ticks(bars, lo, hi, PLOT_HEIGHT - below - above)
    step = ticks[1] - ticks[0]
    labels = [tick_text(t, step) for t in ticks]
    left = PAD + TEXT_SIZE * LEADING + 8.0 + max(text_width(t, TEXT_SIZE) for t in labels) + TICK + 4.0
    right = PAD + (legend.width + 16.0 if legend.columns else 0.0)
    names = [clean(c) for c in bars.categories]
    n = max(len(names), 1)
    # every category's label fits its band on one line unless it is longer than CATEGORY_TEXT
    fits = n * (min(max((text_width(c, TEXT_SIZE) for c in names), default=0.0), CATEGORY_TEXT) + 8.0)
    width = max(WIDTH, left + max(MIN_PLOT, fits) + right)
    plot_w = width - left - right
    top = _title(d, bars, width)
    band = plot_w / n
    lines = [wrap(c, band - 4.0, TEXT_SIZE) for c in names]
    rows = max((len(x) for x in lines), default=1)
    bottom = TICK + 4.0 + rows * TEXT_SIZE * LEADING + (TEXT_SIZE * LEADING + 4.0 if bars.category_title else 0.0)
    height = top + max(PLOT_HEIGHT + bottom, legend.height) + PAD
    y = Scale(ticks[0], ticks[-1], top + PLOT_HEIGHT - below, top + above)

    d.frame(left, top, plot_w, PLOT_HEIGHT, cls="plot")
    for t, label in zip(ticks, labels):
        d.line(left, y(t), left + plot_w, y(t), GRID, cls="grid")
        d.line(left - TICK, y(t), left, y(t), ZERO)
        d.text(left - TICK - 3.0, y(t) + TEXT_SIZE * 0.35, [label], anchor="end", cls="tick")
    d.text(
        PAD + TEXT_SIZE,
        top + PLOT_HEIGHT / 2,
        [clean(bars.value_title)],
        anchor="middle",
        rotate=True,
        cls="axis-title",
    )
    for i, name in enumerate(lines):
        d.text(
            left + (i + 0.5) * band, top + PLOT_HEIGHT + TICK + TEXT_SIZE + 2.0, name, anchor="middle", cls="category"
        )
    if bars.category_title:
        title = [clean(bars.category_title)]
        d.text(left + plot_w / 2, top + PLOT_HEIGHT + bottom - 2.0, title, anchor="middle", cls="axis-title")
    grouped = not bars.stacked and len(bars.series) > 1
    for seg in _segments(bars, band * 0.72 / (len(bars.series) if grouped else 1)):
        s = bars.series[seg.series]
        x = left + (seg.category + 0.5) * band + seg.offset
        if seg.end is not None and seg.end != seg.start:
            y0, y1 = sorted((y(seg.start), y(seg.end)))
            d.rect(x, y0, seg.thickness, y1 - y0, s.colour_of(seg.category), cls="bar", tip=_tip(bars, seg))
        text = s.texts[seg.category] if s.texts else ""
        if text:
            end = seg.end if seg.end is not None else 0.0
            ty = y(end) + (VALUE_SIZE + 3.0 if end < 0 else -4.0)
            d.text(x + seg.thickness / 2, ty, [clean(text)], size=VALUE_SIZE, anchor="middle", cls="value")
    d.line(left, y(0.0), left + plot_w, y(0.0), ZERO, cls="zero")
    _note(d, bars, left + plot_w / 2, top + PLOT_HEIGHT / 2)
    if legend.columns:
        _draw_legend(d, legend, left + plot_w + 16.0, top)
    return d.svg(width, height, clean(bars.title), clean(bars.description))


def _draw_horizontal(bars: Bars) -> str:
    d = Drawing()
    legend = _legend(bars)
    names = [wrap(clean(c), CATEGORY_TEXT, TEXT_SIZE) for c in bars.categories]
    grouped = not bars.stacked and len(bars.series) > 1
    thickness = GROUPED_BAR if grouped else BAR
    block = thickness * (len(bars.series) if grouped else 1) / 0.7
    # each category's band: as tall as its bars, or its label's lines when they are taller
    bands = [max(block, len(x) * TEXT_SIZE * LEADING + 6.0) for x in names]
    plot_h = max(sum(bands), 3 * block)
    middles = [sum(bands[:i]) + b / 2 for i, b in enumerate(bands)]
    widest = max((text_width(line, TEXT_SIZE) for x in names for line in x), default=0.0)
    left = PAD + widest + TICK + 6.0
    right = PAD + (legend.width + 16.0 if legend.columns else 0.0)
    width = max(WIDTH, left + MIN_PLOT + right)
    plot_w = width - left - right
    top = _title(d, bars, width)
    bottom = TICK + 4.0 + TEXT_SIZE * LEADING + 6.0 + TEXT_SIZE * LEADING
    height = top + max(plot_h + bottom, legend.height) + PAD
    lo, hi = _extent(bars)
    below, above = _value_texts(bars)
    ticks = _ticks(bars, lo, hi, plot_w - below - above)
    step = ticks[1] - ticks[0]
    x = Scale(ticks[0], ticks[-1], left + below, left + plot_w - above)

    d.frame(left, top, plot_w, plot_h, cls="plot")
    for t in ticks:
        d.line(x(t), top, x(t), top + plot_h, GRID, cls="grid")
        d.line(x(t), top + plot_h, x(t), top + plot_h + TICK, ZERO)
        d.text(x(t), top + plot_h + TICK + TEXT_SIZE + 1.0, [tick_text(t, step)], anchor="middle", cls="tick")
    d.text(left + plot_w / 2, top + plot_h + bottom - 2.0, [clean(bars.value_title)], anchor="middle", cls="axis-title")
    for lines, middle in zip(names, middles):
        first = top + middle - (len(lines) - 1) * TEXT_SIZE * LEADING / 2 + TEXT_SIZE * 0.35
        d.text(left - TICK - 3.0, first, lines, anchor="end", cls="category")
    for seg in _segments(bars, thickness):
        s = bars.series[seg.series]
        y = top + middles[seg.category] + seg.offset
        if seg.end is not None and seg.end != seg.start:
            x0, x1 = sorted((x(seg.start), x(seg.end)))
            d.rect(x0, y, x1 - x0, seg.thickness, s.colour_of(seg.category), cls="bar", tip=_tip(bars, seg))
        text = s.texts[seg.category] if s.texts else ""
        if text:
            end = seg.end if seg.end is not None else 0.0
            negative = end < 0
            tx = x(end) + (-3.0 if negative else 3.0)
            ty = y + seg.thickness / 2 + VALUE_SIZE * 0.35
            d.text(tx, ty, [clean(text)], size=VALUE_SIZE, anchor="end" if negative else "start", cls="value")
    d.line(x(0.0), top, x(0.0), top + plot_h, ZERO, cls="zero")
    _note(d, bars, left + plot_w / 2, top + plot_h / 2)
    if legend.columns:
        _draw_legend(d, legend, left + plot_w + 16.0, top)
    return d.svg(width, height, clean(bars.title), clean(bars.description))


def _tip(bars: Bars, seg: _Segment) -> str:
    s = bars.series[seg.series]
    text = s.texts[seg.category] if s.texts and s.texts[seg.category] else None
    value = seg.end - seg.start if seg.end is not None else 0.0
    return f"{bars.categories[seg.category]} {s.label}：{text or number_text(value)}"


def _note(d: Drawing, bars: Bars, x: float, y: float) -> None:
    if bars.note:
        d.text(x, y, [clean(bars.note)], anchor="middle", fill=MUTED, cls="note")
