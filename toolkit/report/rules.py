"""The rules a report definition may name, each registered with the arguments it takes.

A rule builds a :class:`~toolkit.report.figures.Spec` (how one blank is computed and
written) from a key, a label and its arguments. The vocabulary is closed: ``figures.yaml``
names a rule of :data:`RULES` and gives its arguments, and nothing else; a new rule is one
function here under ``@rule(name, doc, **arguments)``, which registers both at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from toolkit.data.contract import (
    ACTIVITIES,
    ACTIVITY_KINDS,
    INDICATORS,
    PROBLEM_SOURCES,
    PROBLEM_STATUSES,
)
from toolkit.report.figures import Result, Row, Scope, Source, Spec, sources_of


@dataclass(frozen=True)
class Argument:
    """One argument of a rule: what it means and which values it takes."""

    doc: str
    choices: tuple[object, ...] = ()
    required: bool = True
    kind: type = str
    to: str = ""  # the builder's parameter name, when it differs


@dataclass(frozen=True)
class Rule:
    """A rule kind of the vocabulary: the builder that implements it and its arguments."""

    doc: str
    build: Callable[..., Spec]
    arguments: dict[str, Argument] = field(default_factory=dict)


#: Every rule a report definition may name, by name, in the order they are documented.
RULES: dict[str, Rule] = {}

Builder = TypeVar("Builder", bound=Callable[..., Spec])


def rule(name: str, doc: str, **arguments: Argument) -> Callable[[Builder], Builder]:
    """Register the decorated builder as rule ``name`` taking ``arguments``."""

    def register(build: Builder) -> Builder:
        RULES[name] = Rule(doc, build, dict(arguments))
        return build

    return register


#: Units an indicator may be written in (see formatting.AMOUNT_UNITS), and 人次 for counts.
INDICATOR_UNITS = ("万元", "万元取整", "亿元", "元", "人次")

_TEXT_COLUMNS = tuple(c.name for c in ACTIVITIES.columns if c.type in ("text", "enum") and c.name != "kind")
_NUMBER_COLUMNS = tuple(c.name for c in ACTIVITIES.columns if c.type == "int")
_KIND = Argument("活动类型", ACTIVITY_KINDS)
_AUDIENCE = Argument("参加对象（可选）：只取参加对象为此值的活动", required=False)
_INDICATOR = Argument("财政指标名称", INDICATORS, to="name")


def _none(reason: str, sources: list[Source] | None = None) -> Result:
    return None, sources or [], reason


def _param_source(s: Scope, yaml_key: str) -> Source:
    path = s.params.path
    return Source("parameters", path.relative_to(path.parent.parent).as_posix(), yaml_key, ())


@rule("parameter", "单位参数文件中的一个键的值", field=Argument("参数文件中的键，如 name", to="yaml_key"))
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


@rule("first_date", "某类活动当年最早一条的日期", kind=_KIND, audience=_AUDIENCE)
def first_date(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _no_activity(s, kind, audience)
        return rows[0]["date"], sources_of("activities", rows[:1]), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, audience)}、当年最早一条的日期", compute, "date")


@rule("first_venue", "某类活动当年最早一条的地点", kind=_KIND, audience=_AUDIENCE)
def first_venue(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _no_activity(s, kind, audience)
        venue = rows[0]["venue"]
        src = sources_of("activities", rows[:1])
        return (venue, src, None) if venue else _none("该活动的“地点”为空", src)

    return Spec(key, label, f"活动台账中{_activity_label(kind, audience)}、当年最早一条的地点", compute)


@rule("first_span", "某类活动当年最早一条的日期至结束日期", kind=_KIND, audience=_AUDIENCE)
def first_span(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _no_activity(s, kind, audience)
        return (rows[0]["date"], rows[0]["end_date"]), sources_of("activities", rows[:1]), None

    rule = f"活动台账中{_activity_label(kind, audience)}、当年最早一条的日期至结束日期"
    return Spec(key, label, rule, compute, "date_span")


@rule("month_span", "某类活动当年的首末月份", kind=_KIND)
def month_span(key: str, label: str, kind: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        if not rows:
            return _no_activity(s, kind, None)
        first = rows[0]["date"]
        last = max(r["end_date"] or r["date"] for r in rows)
        return (first, last), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, None)}的首末月份", compute, "month_span")


@rule("distinct_count", "某类活动当年某一列不同值的个数", kind=_KIND, column=Argument("活动台账的列", _TEXT_COLUMNS))
def distinct(key: str, label: str, kind: str, column: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        n = len({r[column] for r in rows if r[column] is not None})
        return n, sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, None)}的不同“参加对象”个数", compute, "count")


@rule("activity_count", "某类活动当年的条数", kind=_KIND)
def activity_count(key: str, label: str, kind: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        return len(rows), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中当年{_activity_label(kind, None)}的条数", compute, "count")


@rule("activity_sum", "某类活动当年某一数字列的合计", kind=_KIND, column=Argument("活动台账的数字列", _NUMBER_COLUMNS))
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


@rule(
    "problem_count",
    "问题台账中当年某来源（及办理状态）的问题条数",
    source=Argument("问题来源", PROBLEM_SOURCES),
    status=Argument("办理状态（可选）", PROBLEM_STATUSES, required=False),
)
def problem_count(key: str, label: str, source: str, status: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = _problems(s, source, status)
        return len(rows), sources_of("problems", rows), None

    rule = f"问题台账中当年收集、{_problem_label(source, status)}的问题条数"
    return Spec(key, label, rule, compute, "count")


@rule(
    "problem_examples",
    "问题台账中某来源、某办理状态、按收集日期最早的几个问题的描述",
    source=Argument("问题来源", PROBLEM_SOURCES),
    status=Argument("办理状态", PROBLEM_STATUSES),
    n=Argument("取几个问题（1至10，默认2）", tuple(range(1, 11)), required=False, kind=int),
)
def problem_examples(key: str, label: str, source: str, status: str, n: int = 2) -> Spec:
    def compute(s: Scope) -> Result:
        rows = _problems(s, source, status)[:n]
        if not rows:
            return _none(f"问题台账中没有{s.year}年{_problem_label(source, status)}的问题")
        names = [str(r["summary"]).rstrip("。；;，,、") for r in rows]
        return names, sources_of("problems", rows), None

    rule = f"问题台账中{_problem_label(source, status)}、按收集日期最早的{n}个问题的描述"
    return Spec(key, label, rule, compute, "list")


@rule(
    "indicator",
    "财政指标当年的数值，按单位折算",
    indicator=_INDICATOR,
    unit=Argument("写入报告的单位", INDICATOR_UNITS),
)
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


@rule("through_month", "财政指标当年数值的截至月份（空白为12）", indicator=_INDICATOR)
def through_month(key: str, label: str, name: str) -> Spec:
    def compute(s: Scope) -> Result:
        row = s.finance.get(name)
        if row is None:
            return _none(f"财政指标中没有{s.year}年“{name}”，无法确定截至月份")
        return int(row["through_month"]), sources_of("finance", [row]), None

    return Spec(key, label, f"财政指标中当年“{name}”的截至月份（空白为12）", compute, "month")


@rule("report_year", "报告年度")
def report_year(key: str, label: str) -> Spec:
    return Spec(key, label, "报告年度（运行参数）", lambda s: (s.year, [], None), "year")


@rule("signature_date", "落款日期：参数文件 signed_on 中当年的日期，未填写时为生成当天")
def signature_date(key: str, label: str) -> Spec:
    return Spec(
        key,
        label,
        "参数文件 signed_on 中当年的落款日期，未填写时为生成当天",
        lambda s: (s.signed_on, [], None),
        "date",
        full=True,
    )
