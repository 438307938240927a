"""Every blank of the report as a :class:`Figure`: value, formatted text, rule, sources.

The catalogue at the bottom is declarative: one entry per blank, built from a few
rule kinds (a parameter, the first dated activity, a count of a kind, an indicator in
万元 or 亿元 …). Adding an indicator or a new activity count is one entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from toolkit.data.ledgers import Ledgers
from toolkit.data.params import BureauParams
from toolkit.report import formatting as fmt

MISSING_MARK = "【待补充：{}】"


@dataclass(frozen=True)
class Source:
    """Rows a figure was computed from: ledger rows, or a key of a parameter file.

    ``file`` is relative to the data folder (ledgers) or the parameters folder
    (parameter files); for a parameter, ``sheet`` holds the key and ``rows`` is empty.
    """

    table: str
    file: str
    sheet: str
    rows: tuple[int, ...]

    def __str__(self) -> str:
        if self.table == "parameters":
            return f"{self.file} 键“{self.sheet}”"
        sheet = f"“{self.sheet}”" if self.sheet else ""
        rows = "、".join(str(r) for r in self.rows)
        return f"{self.file}{sheet} 第{rows}行"


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


@dataclass
class Figure:
    """One value of the report: its typed value (the one truth), its text, rule and sources.

    ``value`` is what checks, charts and ``figures.json`` read; ``text`` is always
    made from it by :func:`toolkit.report.formatting.figure_text` with the figure's ``form``,
    also after an override. How a missing value looks in Word is the render layer's
    business.
    """

    key: str
    label: str
    rule: str
    value: object = None
    text: str | None = None
    sources: list[Source] = field(default_factory=list)
    missing: str | None = None  # why the data cannot fill it
    warnings: list[str] = field(default_factory=list)
    override: dict | None = None  # the audit entry, plus what the data gave
    form: fmt.Form = field(default_factory=lambda: fmt.Form("text"))

    @property
    def status(self) -> str:
        if self.text is None:
            return "missing"
        if self.override:
            return "overridden"
        return "warning" if self.warnings else "ok"

    def __str__(self) -> str:
        return self.text if self.text is not None else MISSING_MARK.format(self.label)

    def to_dict(self) -> dict:
        override = None
        if self.override:
            override = {k: _json_value(v) for k, v in self.override.items()}
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.form.kind,
            "value": _json_value(self.value),
            "text": self.text,
            "status": self.status,
            "rule": self.rule,
            "missing": self.missing,
            "warnings": self.warnings,
            "override": override,
            "sources": [
                {"table": s.table, "file": s.file, "sheet": s.sheet, "rows": list(s.rows)} for s in self.sources
            ],
        }


Row = dict  # one ledger row: canonical columns plus _file, _sheet, _row


#: Types whose values are never a missing marker (NaT is a datetime, so dates are checked by exact type).
_NEVER_MISSING = frozenset({str, int, bool, date, list, tuple})


def _clean(row: Row) -> Row:
    """A record with pandas' missing markers (NaN, NaT, NA) as None, so none reaches a figure."""
    return {k: (None if v is not None and type(v) not in _NEVER_MISSING and pd.isna(v) else v) for k, v in row.items()}


@dataclass
class Scope:
    """The rows of one bureau and one year (plain records, earliest first), and its parameters.

    Rows are records rather than data frames: a report reads a few dozen rows, where
    Python lists are faster than pandas' per-call overhead.
    """

    bureau: str
    year: int
    params: BureauParams
    activities: list[Row]
    problems: list[Row]
    finance: dict[str, Row]  # indicator → row
    signed_on: date
    _kinds: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, ledgers: Ledgers, params: BureauParams, year: int, signed_on: date | None = None) -> Scope:
        def mine(table: str) -> list[Row]:
            return ledgers.records(table, params.code)

        return cls.from_records(params, year, mine("activities"), mine("problems"), mine("finance"), signed_on)

    @classmethod
    def from_records(
        cls,
        params: BureauParams,
        year: int,
        activities: list[Row],
        problems: list[Row],
        finance: list[Row],
        signed_on: date | None = None,
    ) -> Scope:
        """The scope from one bureau's rows of each table, of any year (a table of many bureaus
        groups the ledgers' records once instead of filtering the frames per bureau)."""

        def dated(rows: list[Row], date_column: str) -> list[Row]:
            rows = [r for r in map(_clean, rows) if r[date_column] is not None and r[date_column].year == year]
            return sorted(rows, key=lambda r: (r[date_column], r["_file"], r["_sheet"], r["_row"]))

        return cls(
            params.code,
            year,
            params,
            dated(activities, "date"),
            dated(problems, "raised_on"),
            {r["indicator"]: r for r in map(_clean, finance) if r["year"] == year},
            signed_on or params.signed_on(year) or date.today(),
        )

    def kind(self, kind: str, audience: str | None = None) -> list[Row]:
        """Activities of one kind (and audience), earliest first, ties in ledger order."""
        key = (kind, audience)
        if key not in self._kinds:
            self._kinds[key] = [
                r for r in self.activities if r["kind"] == kind and (audience is None or r["audience"] == audience)
            ]
        return self._kinds[key]


def sources_of(table: str, rows: list[Row]) -> list[Source]:
    """Group rows by file and sheet, keeping spreadsheet row numbers."""
    groups: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        groups.setdefault((r["_file"], r["_sheet"]), []).append(int(r["_row"]))
    return [Source(table, f, s, tuple(sorted(n))) for (f, s), n in sorted(groups.items())]


# --- rule kinds -----------------------------------------------------------------

Result = tuple[object, list[Source], str | None]  # value, sources, missing reason


@dataclass(frozen=True)
class Spec:
    """One blank of a report: its key and label, its rule in words, and how it is computed and written."""

    key: str
    label: str
    rule: str
    compute: Callable[[Scope], Result]
    kind: fmt.Kind = "text"
    unit: str = ""
    full: bool = False

    def form(self, year: int | None) -> fmt.Form:
        return fmt.Form(self.kind, self.unit, year, self.full)

    def figure(self, scope: Scope) -> Figure:
        value, sources, missing = self.compute(scope)
        form = self.form(scope.year)
        if missing is not None:
            return Figure(self.key, self.label, self.rule, None, None, sources, missing, form=form)
        where = sources[0].file if sources else ""
        text = fmt.figure_text(value, form, label=self.label, where=where)
        return Figure(self.key, self.label, self.rule, value, text, sources, None, form=form)


def _none(reason: str, sources: list[Source] | None = None) -> Result:
    return None, sources or [], reason


def _param_source(s: Scope, yaml_key: str) -> Source:
    path = s.params.path
    return Source("parameters", path.relative_to(path.parent.parent).as_posix(), yaml_key, ())


def param(key: str, label: str, yaml_key: str) -> Spec:
    def compute(s: Scope) -> Result:
        value = s.params.get(yaml_key)
        src = [_param_source(s, yaml_key)]
        return (value, src, None) if value else _none(f"参数文件未填写“{yaml_key}”", src)

    return Spec(key, label, f"单位参数文件中的“{yaml_key}”", compute)


def _activity_label(kind: str, audience: str | None) -> str:
    return f"活动类型为“{kind}”" + (f"、参加对象为“{audience}”" if audience else "")


def _no_activity(s: Scope, kind: str, audience: str | None) -> Result:
    return _none(f"活动台账中没有{s.year}年{_activity_label(kind, audience)}的记录")


def first_date(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _no_activity(s, kind, audience)
        return rows[0]["date"], sources_of("activities", rows[:1]), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, audience)}、当年最早一条的日期", compute, "date")


def first_venue(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _no_activity(s, kind, audience)
        venue = rows[0]["venue"]
        src = sources_of("activities", rows[:1])
        return (venue, src, None) if venue else _none("该活动的“地点”为空", src)

    return Spec(key, label, f"活动台账中{_activity_label(kind, audience)}、当年最早一条的地点", compute)


def first_span(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _no_activity(s, kind, audience)
        return (rows[0]["date"], rows[0]["end_date"]), sources_of("activities", rows[:1]), None

    rule = f"活动台账中{_activity_label(kind, audience)}、当年最早一条的日期至结束日期"
    return Spec(key, label, rule, compute, "date_span")


def month_span(key: str, label: str, kind: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        if not rows:
            return _no_activity(s, kind, None)
        first = rows[0]["date"]
        last = max(r["end_date"] or r["date"] for r in rows)
        return (first, last), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, None)}的首末月份", compute, "month_span")


def distinct(key: str, label: str, kind: str, column: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        n = len({r[column] for r in rows if r[column] is not None})
        return n, sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, None)}的不同“参加对象”个数", compute, "count")


def activity_count(key: str, label: str, kind: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        return len(rows), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中当年{_activity_label(kind, None)}的条数", compute, "count")


def activity_sum(key: str, label: str, kind: str, column: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        total = int(sum(r[column] for r in rows if r[column] is not None))
        return total, sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中当年{_activity_label(kind, None)}的“人数”合计", compute, "count")


def _problems(s: Scope, source: str, status: str | None) -> list[Row]:
    return [r for r in s.problems if r["source"] == source and (status is None or r["status"] == status)]


def _problem_label(source: str, status: str | None) -> str:
    return f"来源为“{source}”" + (f"、办理状态为“{status}”" if status else "")


def problem_count(key: str, label: str, source: str, status: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = _problems(s, source, status)
        return len(rows), sources_of("problems", rows), None

    rule = f"问题台账中当年收集、{_problem_label(source, status)}的问题条数"
    return Spec(key, label, rule, compute, "count")


def problem_examples(key: str, label: str, source: str, status: str, n: int = 2) -> Spec:
    def compute(s: Scope) -> Result:
        rows = _problems(s, source, status)[:n]
        if not rows:
            return _none(f"问题台账中没有{s.year}年{_problem_label(source, status)}的问题")
        names = [str(r["summary"]).rstrip("。；;，,、") for r in rows]
        return names, sources_of("problems", rows), None

    rule = f"问题台账中{_problem_label(source, status)}、按收集日期最早的{n}个问题的描述"
    return Spec(key, label, rule, compute, "list")


#: Units an indicator may be written in (see formatting.AMOUNT_UNITS), and 人次 for counts.
INDICATOR_UNITS = ("万元", "万元取整", "亿元", "元", "人次")


def indicator(key: str, label: str, name: str, unit: str) -> Spec:
    """A finance indicator written in ``unit`` (万元, 万元取整, 亿元, 元 or 人次)."""
    if unit not in INDICATOR_UNITS:
        raise ValueError(unit)
    counted = unit == "人次"

    def compute(s: Scope) -> Result:
        row = s.finance.get(name)
        if row is None:
            return _none(f"财政指标中没有{s.year}年“{name}”")
        amount = row["amount"]
        if counted and amount is not None and amount == int(amount):
            amount = int(amount)
        return amount, sources_of("finance", [row]), None

    shown = "万元（取整）" if unit == "万元取整" else unit
    rule = f"财政指标中当年“{name}”的数值，折算为{shown}"
    return Spec(key, label, rule, compute, "count" if counted else "amount", "人次" if counted else unit)


def through_month(key: str, label: str, name: str) -> Spec:
    def compute(s: Scope) -> Result:
        row = s.finance.get(name)
        if row is None:
            return _none(f"财政指标中没有{s.year}年“{name}”，无法确定截至月份")
        return int(row["through_month"]), sources_of("finance", [row]), None

    return Spec(key, label, f"财政指标中当年“{name}”的截至月份（空白为12）", compute, "month")


def report_year(key: str, label: str) -> Spec:
    return Spec(key, label, "报告年度（运行参数）", lambda s: (s.year, [], None), "year")


def signature_date(key: str, label: str) -> Spec:
    return Spec(
        key,
        label,
        "参数文件 signed_on 中当年的落款日期，未填写时为生成当天",
        lambda s: (s.signed_on, [], None),
        "date",
        full=True,
    )


# --- the catalogue ------------------------------------------------------------------


def __getattr__(name: str) -> object:
    """``CATALOGUE`` and ``KEYS``: the seed report's figures, read from its definition (templates/report/)."""
    if name in ("CATALOGUE", "KEYS"):
        from toolkit.report.definitions import load_definition

        seed = load_definition()
        return seed.specs if name == "CATALOGUE" else seed.keys
    raise AttributeError(name)


class Figures(dict):
    """Figures of one bureau-year by key, in catalogue order."""

    def __init__(self, bureau: str, year: int, figures: Iterable[Figure], report: str = "report"):
        super().__init__((f.key, f) for f in figures)
        self.bureau, self.year, self.report = bureau, year, report

    def missing(self) -> list[Figure]:
        return [f for f in self.values() if f.text is None]

    def values_by_key(self) -> dict[str, object]:
        """Every figure's typed value (None when missing), for checks and charts."""
        return {k: f.value if f.text is not None else None for k, f in self.items()}

    def to_dict(self) -> dict:
        return {"bureau": self.bureau, "year": self.year, "figures": [f.to_dict() for f in self.values()]}


def compute_figures(scope: Scope, catalogue: Iterable[Spec] | None = None, report: str = "report") -> Figures:
    """Every figure of a report (by default the seed report) for one bureau and year."""
    if catalogue is None:
        from toolkit.report.definitions import load_definition

        catalogue = load_definition(report).specs
    return Figures(scope.bureau, scope.year, (spec.figure(scope) for spec in catalogue), report)
