"""The rules a report definition may name, each registered with the arguments it takes.

A rule builds a :class:`~toolkit.report.figures.Spec` (how one blank is computed and
written) from a key, a label and its arguments. The vocabulary is closed: ``figures.yaml``
names a rule of :data:`RULES` and gives its arguments, and nothing else; a new rule is one
function here under ``@rule(name, doc, **arguments)``, which registers both at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from toolkit.data.contract import (
    ACTIVITIES,
    ACTIVITY_KINDS,
    INDICATOR_COUNT_UNITS,
    INDICATORS,
    PROBLEM_SOURCES,
    PROBLEM_STATUSES,
    Column,
    Contract,
    Table,
)
from toolkit.report import formatting as fmt
from toolkit.report.figures import Figures, Result, Row, Scope, Source, Spec, added_up, sources_of

#: What is wrong with one argument once the contract is known: (argument, message, value, expected).
Fault = tuple[str, str, object, str]
Arguments = dict[str, object]


@dataclass(frozen=True)
class Argument:
    """One argument of a rule: what it means and which values it takes."""

    doc: str
    choices: tuple[object, ...] = ()
    required: bool = True
    kind: type = str
    to: str = ""  # the builder's parameter name, when it differs
    #: the contract's word list the value must be in (an office may add words in contract.yaml)
    vocabulary: str = ""

    def choices_in(self, contract: Contract) -> tuple[object, ...]:
        """The values this argument accepts under ``contract``."""
        if self.vocabulary == "indicators":
            return contract.indicator_names
        if self.vocabulary:
            words: tuple[object, ...] = getattr(contract, self.vocabulary)
            return words
        return self.choices


@dataclass(frozen=True)
class Rule:
    """A rule kind of the vocabulary: the builder that implements it and its arguments."""

    doc: str
    build: Callable[..., Spec]
    arguments: dict[str, Argument] = field(default_factory=dict)
    #: checks the arguments against the contract (a table, its columns) and resolves them
    resolve: Callable[[Arguments, Contract], tuple[Arguments, list[Fault]]] | None = None


#: Every rule a report definition may name, by name, in the order they are documented.
RULES: dict[str, Rule] = {}

Builder = TypeVar("Builder", bound=Callable[..., Spec])


def rule(
    name: str,
    doc: str,
    *,
    resolve: Callable[[Arguments, Contract], tuple[Arguments, list[Fault]]] | None = None,
    **arguments: Argument,
) -> Callable[[Builder], Builder]:
    """Register the decorated builder as rule ``name`` taking ``arguments``."""

    def register(build: Builder) -> Builder:
        RULES[name] = Rule(doc, build, dict(arguments), resolve)
        return build

    return register


#: Units an indicator may be written in (see formatting.AMOUNT_UNITS), and the units counts are kept in.
MONEY_WRITTEN = ("万元", "万元取整", "亿元", "元")
INDICATOR_UNITS = (*MONEY_WRITTEN, *INDICATOR_COUNT_UNITS)

_TEXT_COLUMNS = tuple(c.name for c in ACTIVITIES.columns if c.type in ("text", "enum") and c.name != "kind")
_NUMBER_COLUMNS = tuple(c.name for c in ACTIVITIES.columns if c.type == "int")
_KIND = Argument("活动类型", ACTIVITY_KINDS, vocabulary="activity_kinds")
_AUDIENCE = Argument("参加对象（可选）：只取参加对象为此值的活动", required=False)
_INDICATOR = Argument("财政指标名称", INDICATORS, to="name", vocabulary="indicators")
_SOURCE = Argument("问题来源", PROBLEM_SOURCES, vocabulary="problem_sources")


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
    header = ACTIVITIES.column(column)

    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        total = int(sum(r[column] for r in rows if r[column] is not None))
        return _with_blanks(total, header, rows, "activities"), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中当年{_activity_label(kind, None)}的“人数”合计", compute, "count")


def _with_blanks(total: object, column: Column, rows: list[Row], table: str) -> object:
    """The sum, marked with the rows it left out for a blank cell unless the contract says blank is none."""
    blank = [] if column.blank_zero else [r for r in rows if r[column.name] is None]
    return added_up(total, column.zh, sources_of(table, blank))


def _problems(s: Scope, source: str, status: str | None) -> list[Row]:
    return [r for r in s.problems if r["source"] == source and (status is None or r["status"] == status)]


def _problem_label(source: str, status: str | None) -> str:
    return f"来源为“{source}”" + (f"、办理状态为“{status}”" if status else "")


@rule(
    "problem_count",
    "问题台账中当年某来源（及办理状态）的问题条数",
    source=_SOURCE,
    status=Argument("办理状态（可选）", PROBLEM_STATUSES, required=False, vocabulary="problem_statuses"),
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
    source=_SOURCE,
    status=Argument("办理状态", PROBLEM_STATUSES, vocabulary="problem_statuses"),
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
    """A finance indicator written in ``unit`` (万元, 万元取整, 亿元, 元, or the unit it is counted in)."""
    if unit not in INDICATOR_UNITS:
        raise ValueError(unit)
    counted = unit in INDICATOR_COUNT_UNITS

    def compute(s: Scope) -> Result:
        row = s.finance.get(name)
        if row is None:
            return _none(f"财政指标中没有{s.year}年“{name}”")
        amount = row["amount"]
        if counted and amount is not None and amount == int(amount):
            amount = int(amount)
        return amount, sources_of("finance", [row]), None

    rule = f"财政指标中当年“{name}”的数值，折算为{fmt.unit_described(unit)}"
    return Spec(key, label, rule, compute, "count" if counted else "amount", unit)


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


_SIGNED_ON = "参数文件 signed_on 中当年的落款日期；未填写时，年度结束三个月内为生成当天，此后缺失"


@rule("signature_date", f"落款日期：{_SIGNED_ON}")
def signature_date(key: str, label: str) -> Spec:
    def compute(s: Scope) -> Result:
        if s.signed_on is None:
            reason = f"参数文件 signed_on 中没有{s.year}年的落款日期（{s.year}年已结束三个月以上，不能用生成当天代替）"
            return _none(reason, [_param_source(s, "signed_on")])
        return s.signed_on, [], None

    return Spec(key, label, _SIGNED_ON, compute, "date", full=True)


# --- general rules: any table, base or added ------------------------------------------

_TABLE = Argument("台账：表名（如“培训台账”）或 contract.yaml 中的表代码", to="table")
_WHERE = Argument("筛选（可选）：列名: 值，或 列名: [值1, 值2]，只取这些行", required=False, kind=dict)
_COLUMN = Argument("列：表头（如“学时”）或列代码", to="column")
_UNIT = Argument("金额写入报告的单位（金额列必填）", MONEY_WRITTEN, required=False)
#: Column types whose values add up, and the form their sum is written in.
_SUMMABLE = {"int": "count", "number": "number", "amount": "amount"}
#: The form a column's value is written in when one cell is the figure.
_CELL_KIND = {"date": "date", "int": "count", "number": "number", "amount": "amount", "year": "year", "month": "month"}

Where = tuple[tuple[Column, tuple[object, ...]], ...]


def _find_table(args: Arguments, contract: Contract, faults: list[Fault]) -> Table | None:
    name = str(args["table"])
    table = contract.find_table(name)
    if table is None:
        known = "、".join(f"{t.zh}（{t.name}）" for t in contract.tables)
        faults.append(("table", "没有这个台账", name, f"以下之一：{known}"))
    return table


def _find_column(table: Table, name: object, argument: str, faults: list[Fault]) -> Column | None:
    column = table.find(str(name)) if isinstance(name, str) else None
    if column is None:
        known = "、".join(f"{c.zh}（{c.name}）" for c in table.columns)
        faults.append((argument, f"{table.zh}中没有这一列", name, f"以下之一：{known}"))
    return column


def _where(table: Table, where: object, faults: list[Fault]) -> Where:
    """The filter's columns and values, each value checked against a choice column's choices."""
    if where is None:
        return ()
    out: list[tuple[Column, tuple[object, ...]]] = []
    for name, wanted in dict(where).items():  # type: ignore[call-overload]  # checked to be a mapping
        column = _find_column(table, name, "where", faults)
        if column is None:
            continue
        values = tuple(wanted) if isinstance(wanted, list) else (wanted,)
        if not values or any(v is None or isinstance(v, (dict, list, bool)) for v in values):
            faults.append(("where", f"筛选“{column.zh}”的值不对", wanted, "一个值，或用 [值1, 值2] 列出几个值"))
            continue
        if column.choices:
            unknown = [v for v in values if str(v) not in column.choices]
            if unknown:
                faults.append(
                    ("where", f"“{column.zh}”没有这个值", unknown[0], "以下之一：" + "、".join(column.choices))
                )
                continue
        out.append((column, values))
    return tuple(out)


def _resolve_rows(args: Arguments, contract: Contract, *, summing: bool = False) -> tuple[Arguments, list[Fault]]:
    """The table, columns and filter named by their Chinese names or keys, checked against the contract."""
    faults: list[Fault] = []
    table = _find_table(args, contract, faults)
    if table is None:
        return args, faults
    resolved = {**args, "table": table, "where": _where(table, args.get("where"), faults)}
    if "column" in args:
        column = _find_column(table, args["column"], "column", faults)
        resolved["column"] = column
        if column is not None:
            faults += _column_faults(table, column, args, summing)
    return resolved, faults


def _column_faults(table: Table, column: Column, args: Arguments, summing: bool) -> list[Fault]:
    """A sum of what does not add up, an amount without the unit to write it in, a unit for no amount."""
    faults: list[Fault] = []
    if table.name == "finance":
        faults.append(
            ("column", "财政指标各行单位不同，不能直接相加或取值", column.zh, "请用 indicator 规则取某项指标")
        )
    elif summing and column.type not in _SUMMABLE:
        faults.append(("column", f"“{column.zh}”不是数字列，不能相加", column.zh, "数字、整数或金额列"))
    if column.type == "amount" and not args.get("unit"):
        faults.append(("unit", f"“{column.zh}”是金额，需要写入报告的单位", None, "、".join(MONEY_WRITTEN)))
    elif column.type != "amount" and args.get("unit"):
        faults.append(("unit", f"“{column.zh}”不是金额，不需要单位", args.get("unit"), "删除 unit"))
    return faults


def _matches(value: object, wanted: tuple[object, ...]) -> bool:
    if value is None:
        return False
    return any(str(value) == str(w) or _same_number(value, w) for w in wanted)


def _same_number(value: object, wanted: object) -> bool:
    try:
        return bool(Decimal(str(value)) == Decimal(str(wanted)))
    except (ArithmeticError, ValueError):
        return False


def _selected(s: Scope, table: Table, where: Where) -> list[Row]:
    """The year's rows of ``table`` that pass the filter, earliest first."""
    return [r for r in s.rows(table) if all(_matches(r[c.name], values) for c, values in where)]


def _described(table: Table, where: Where, when: str = "当年") -> str:
    """``培训台账中当年、类别为“线上”的`` for a rule's text (``when``: 当年, or the year itself)."""
    parts = [f"{c.zh}为" + "或".join(f"“{v}”" for v in values) for c, values in where]
    return f"{table.zh}中{when}" + ("、" + "、".join(parts) if parts else "") + "的"


def _nothing(s: Scope, table: Table, where: Where) -> Result:
    return _none(f"{_described(table, where, f'{s.year}年')}记录一条也没有")


@rule("count", "某个台账当年的条数（可用 where 筛选）", resolve=_resolve_rows, table=_TABLE, where=_WHERE)
def count_rows(key: str, label: str, table: Table, where: Where = ()) -> Spec:
    def compute(s: Scope) -> Result:
        rows = _selected(s, table, where)
        return len(rows), sources_of(table.name, rows), None

    return Spec(key, label, f"{_described(table, where)}条数", compute, "count")


@rule(
    "sum",
    "某个台账当年某一数字、整数或金额列的合计（可用 where 筛选；金额需 unit）",
    resolve=lambda args, contract: _resolve_rows(args, contract, summing=True),
    table=_TABLE,
    column=_COLUMN,
    where=_WHERE,
    unit=_UNIT,
)
def sum_column(key: str, label: str, table: Table, column: Column, where: Where = (), unit: str = "") -> Spec:
    kind = _SUMMABLE[column.type]

    def compute(s: Scope) -> Result:
        rows = _selected(s, table, where)
        values = [r[column.name] for r in rows if r[column.name] is not None]
        total = sum((Decimal(str(v)) for v in values), Decimal(0))
        value = _with_blanks(int(total) if kind == "count" else total, column, rows, table.name)
        return value, sources_of(table.name, rows), None

    rule_text = f"{_described(table, where)}“{column.zh}”合计" + (f"，折算为{unit}" if unit else "")
    return Spec(key, label, rule_text, compute, kind, unit if kind == "amount" else "")  # type: ignore[arg-type]


@rule(
    "first",
    "某个台账当年最早一行（按日期）某一列的值（可用 where 筛选；金额需 unit）",
    resolve=_resolve_rows,
    table=_TABLE,
    column=_COLUMN,
    where=_WHERE,
    unit=_UNIT,
)
def first_value(key: str, label: str, table: Table, column: Column, where: Where = (), unit: str = "") -> Spec:
    kind = _CELL_KIND.get(column.type, "text")

    def compute(s: Scope) -> Result:
        rows = _selected(s, table, where)
        if not rows:
            return _nothing(s, table, where)
        value = rows[0][column.name]
        sources = sources_of(table.name, rows[:1])
        if value is None:
            return _none(f"{table.zh}当年最早一行的“{column.zh}”为空", sources)
        return (int(value) if kind in ("count", "year", "month") else value), sources, None

    rule_text = f"{_described(table, where)}最早一行的“{column.zh}”"
    return Spec(key, label, rule_text, compute, kind, unit if kind == "amount" else "")  # type: ignore[arg-type]


@rule(
    "change", "本报告另一数据项与上年相比的增减幅度（增长9.5%、下降3.1%、持平）", figure=Argument("数据项代码（key）")
)
def change(key: str, label: str, figure: str) -> Spec:
    def not_yet(s: Scope) -> Result:
        return _none("与上年的比较尚未计算")

    def derive(now: Figures, before: Figures | None) -> Result:
        current = now.get(figure)
        if current is None or current.text is None or current.value is None:
            return _none(f"本年“{current.label if current else figure}”缺少数据，无法与上年比较")
        last = before.own(figure) if before is not None else None  # not a few stray rows
        if last is None or last.value is None:
            return _none(f"上年没有“{current.label}”的数据，无法计算增减幅度")
        if Decimal(str(last.value)) == 0:
            return _none(f"上年“{current.label}”为0，无法计算增减幅度")
        percent = fmt.percent_change(Decimal(str(current.value)), Decimal(str(last.value)))
        return percent, [*current.sources, *last.sources], None

    rule_text = f"本报告数据项“{figure}”本年数值与上年相比的增减幅度（保留一位小数）"
    return Spec(key, label, rule_text, not_yet, "change", derive=derive)


#: Kinds a ``change`` may compare: the figure it names must be a number.
CHANGEABLE = frozenset({"count", "amount", "number"})
