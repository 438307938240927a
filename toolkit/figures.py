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
from markupsafe import Markup, escape

from . import formatting as fmt
from .ledgers import Ledgers
from .params import BureauParams

MISSING_MARK = "【待补充：{}】"
_RUN_CLOSE = "</w:t></w:r>"
_RUN_OPEN = '<w:r><w:t xml:space="preserve">'


@dataclass(frozen=True)
class Source:
    """Ledger rows a figure was computed from."""

    table: str
    file: str
    sheet: str
    rows: tuple[int, ...]

    def __str__(self) -> str:
        sheet = f"“{self.sheet}”" if self.sheet else ""
        rows = "、".join(str(r) for r in self.rows)
        return f"{self.file}{sheet} 第{rows}行"


@dataclass
class Figure:
    """One value of the report that knows its text, its rule and where it came from."""

    key: str
    label: str
    rule: str
    value: object = None
    text: str | None = None
    sources: list[Source] = field(default_factory=list)
    missing: str | None = None  # why the data cannot fill it
    warnings: list[str] = field(default_factory=list)
    override: dict | None = None

    @property
    def status(self) -> str:
        if self.text is None:
            return "missing"
        if self.override:
            return "overridden"
        return "warning" if self.warnings else "ok"

    def __str__(self) -> str:
        return self.text if self.text is not None else MISSING_MARK.format(self.label)

    def __html__(self) -> Markup:
        """Inside a docx run: plain text, or a highlighted marker in a run of its own."""
        if self.text is not None:
            return escape(self.text)
        marker = escape(MISSING_MARK.format(self.label))
        return Markup(
            f'{_RUN_CLOSE}<w:r><w:rPr><w:highlight w:val="yellow"/></w:rPr>'
            f'<w:t xml:space="preserve">{marker}</w:t></w:r>{_RUN_OPEN}'
        )

    def to_dict(self) -> dict:
        value = self.value
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, (list, tuple)):
            value = [v.isoformat() if isinstance(v, date) else v for v in value]
        return {
            "key": self.key,
            "label": self.label,
            "value": value,
            "text": self.text,
            "status": self.status,
            "rule": self.rule,
            "missing": self.missing,
            "warnings": self.warnings,
            "override": self.override,
            "sources": [
                {"table": s.table, "file": s.file, "sheet": s.sheet, "rows": list(s.rows)} for s in self.sources
            ],
        }


Row = dict  # one ledger row: canonical columns plus _file, _sheet, _row


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
        def rows(frame: pd.DataFrame, date_column: str) -> list[Row]:
            mine = frame[frame["bureau"] == params.code].to_dict("records")
            dated = [r for r in mine if r[date_column] is not None and r[date_column].year == year]
            return sorted(dated, key=lambda r: (r[date_column], r["_file"], r["_sheet"], r["_row"]))

        finance = ledgers.finance
        finance = finance[(finance["bureau"] == params.code) & (finance["year"] == year)].to_dict("records")
        return cls(
            params.code,
            year,
            params,
            rows(ledgers.activities, "date"),
            rows(ledgers.problems, "raised_on"),
            {r["indicator"]: r for r in finance},
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

Result = tuple[object, str | None, list[Source], str | None]  # value, text, sources, missing reason


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    rule: str
    compute: Callable[[Scope], Result]

    def figure(self, scope: Scope) -> Figure:
        value, text, sources, missing = self.compute(scope)
        return Figure(self.key, self.label, self.rule, value, text, sources, missing)


def _none(reason: str, sources: list[Source] | None = None) -> Result:
    return None, None, sources or [], reason


def param(key: str, label: str, yaml_key: str) -> Spec:
    def compute(s: Scope) -> Result:
        value = s.params.get(yaml_key)
        src = [Source("parameters", s.params.path.as_posix(), yaml_key, ())]
        return (value, value, src, None) if value else _none(f"参数文件未填写“{yaml_key}”", src)

    return Spec(key, label, f"单位参数文件中的“{yaml_key}”", compute)


def _activity_label(kind: str, audience: str | None) -> str:
    return f"活动类型为“{kind}”" + (f"、参加对象为“{audience}”" if audience else "")


def first_date(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _none(f"活动台账中没有{s.year}年{_activity_label(kind, audience)}的记录")
        day = rows[0]["date"]
        return day, fmt.month_day(day, s.year), sources_of("activities", rows[:1]), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, audience)}、当年最早一条的日期", compute)


def first_venue(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _none(f"活动台账中没有{s.year}年{_activity_label(kind, audience)}的记录")
        venue = rows[0]["venue"]
        src = sources_of("activities", rows[:1])
        return (venue, venue, src, None) if venue else _none("该活动的“地点”为空", src)

    return Spec(key, label, f"活动台账中{_activity_label(kind, audience)}、当年最早一条的地点", compute)


def first_span(key: str, label: str, kind: str, audience: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind, audience)
        if not rows:
            return _none(f"活动台账中没有{s.year}年{_activity_label(kind, audience)}的记录")
        start, end = rows[0]["date"], rows[0]["end_date"]
        return (start, end), fmt.date_range(start, end, s.year), sources_of("activities", rows[:1]), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, audience)}、当年最早一条的日期至结束日期", compute)


def month_span(key: str, label: str, kind: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        if not rows:
            return _none(f"活动台账中没有{s.year}年{_activity_label(kind, None)}的记录")
        first = rows[0]["date"]
        last = max(r["end_date"] or r["date"] for r in rows)
        return (first, last), fmt.month_range(first, last), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, None)}的首末月份", compute)


def distinct(key: str, label: str, kind: str, column: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        n = len({r[column] for r in rows if r[column] is not None})
        return n, fmt.count(n), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中{_activity_label(kind, None)}的不同“参加对象”个数", compute)


def activity_count(key: str, label: str, kind: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        return len(rows), fmt.count(len(rows)), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中当年{_activity_label(kind, None)}的条数", compute)


def activity_sum(key: str, label: str, kind: str, column: str) -> Spec:
    def compute(s: Scope) -> Result:
        rows = s.kind(kind)
        total = int(sum(r[column] for r in rows if r[column] is not None))
        return total, fmt.count(total), sources_of("activities", rows), None

    return Spec(key, label, f"活动台账中当年{_activity_label(kind, None)}的“人数”合计", compute)


def _problems(s: Scope, source: str, status: str | None) -> list[Row]:
    return [r for r in s.problems if r["source"] == source and (status is None or r["status"] == status)]


def _problem_label(source: str, status: str | None) -> str:
    return f"来源为“{source}”" + (f"、办理状态为“{status}”" if status else "")


def problem_count(key: str, label: str, source: str, status: str | None = None) -> Spec:
    def compute(s: Scope) -> Result:
        rows = _problems(s, source, status)
        return len(rows), fmt.count(len(rows)), sources_of("problems", rows), None

    return Spec(key, label, f"问题台账中当年收集、{_problem_label(source, status)}的问题条数", compute)


def problem_examples(key: str, label: str, source: str, status: str, n: int = 2) -> Spec:
    def compute(s: Scope) -> Result:
        rows = _problems(s, source, status)[:n]
        if not rows:
            return _none(f"问题台账中没有{s.year}年{_problem_label(source, status)}的问题")
        names = [str(r["summary"]).rstrip("。；;，,、") for r in rows]
        return names, "、".join(names), sources_of("problems", rows), None

    return Spec(key, label, f"问题台账中{_problem_label(source, status)}、按收集日期最早的{n}个问题的描述", compute)


_UNITS = {
    "万元": (fmt.wan, 2),
    # 民生配套资金: the template keeps only “约…元”, so the text carries 万 (约1235万元)
    "万元取整": (lambda v, p: fmt.wan(v, p) + "万", 0),
    "亿元": (fmt.yi, 2),
    "人次": (lambda v, p: fmt.count(v), 0),
}


def indicator(key: str, label: str, name: str, unit: str) -> Spec:
    """A finance indicator written in ``unit`` (万元, 万元取整, 亿元 or 人次)."""
    write, places = _UNITS[unit]

    def compute(s: Scope) -> Result:
        row = s.finance.get(name)
        if row is None:
            return _none(f"财政指标中没有{s.year}年“{name}”")
        return row["amount"], write(row["amount"], places), sources_of("finance", [row]), None

    shown = "万元（取整）" if unit == "万元取整" else unit
    return Spec(key, label, f"财政指标中当年“{name}”的数值，折算为{shown}", compute)


def through_month(key: str, label: str, name: str) -> Spec:
    def compute(s: Scope) -> Result:
        row = s.finance.get(name)
        if row is None:
            return _none(f"财政指标中没有{s.year}年“{name}”，无法确定截至月份")
        month = int(row["through_month"])
        return month, str(month), sources_of("finance", [row]), None

    return Spec(key, label, f"财政指标中当年“{name}”的截至月份（空白为12）", compute)


def report_year(key: str, label: str) -> Spec:
    return Spec(key, label, "报告年度（运行参数）", lambda s: (s.year, str(s.year), [], None))


def signature_date(key: str, label: str) -> Spec:
    return Spec(
        key,
        label,
        "参数文件 signed_on 中当年的落款日期，未填写时为生成当天",
        lambda s: (s.signed_on, fmt.full_date(s.signed_on), [], None),
    )


# --- the catalogue ------------------------------------------------------------------

CATALOGUE: tuple[Spec, ...] = (
    report_year("year", "报告年度"),
    param("bureau_name", "单位全称", "name"),
    first_date("kickoff_date", "部署会日期", "部署会"),
    param("office_director", "办公室主任", "office_director"),
    param("liaison", "联络员", "liaison"),
    first_date("plan_date", "实施方案审定日期", "方案审定"),
    month_span("lecture_months", "宣讲月份", "宣讲"),
    distinct("lecture_branches", "宣讲党支部数", "宣讲", "audience"),
    first_date("youth_visit_date", "青年干部参观日期", "参观学习", "青年干部"),
    first_venue("youth_visit_venue", "青年干部参观地点", "参观学习", "青年干部"),
    first_span("members_visit_dates", "全体党员参观日期", "参观学习", "全体党员"),
    first_venue("members_visit_venue", "全体党员参观地点", "参观学习", "全体党员"),
    problem_count("survey_collected", "大调研收集问题数", "大调研"),
    problem_count("survey_resolved", "大调研已解决问题数", "大调研", "已解决"),
    problem_count("survey_longterm", "大调研长期坚持解决问题数", "大调研", "长期坚持"),
    activity_count("traffic_volunteer_count", "文明交通志愿服务次数", "文明交通志愿服务"),
    activity_count("home_visit_count", "入户走访次数", "入户走访"),
    activity_count("drill_count", "实战演练次数", "演练"),
    indicator("livelihood_funds", "民生配套资金", "民生配套资金", "万元取整"),
    indicator("boarding_meal_funds", "寄宿生营养餐补助资金", "寄宿生营养餐补助资金", "万元"),
    indicator("student_aid_funds", "贫困学生资助金", "贫困学生资助金", "万元"),
    indicator("student_aid_persons", "资助贫困学生人次", "资助贫困学生人次", "人次"),
    indicator("agri_budget", "支农支出预算", "支农支出预算", "万元"),
    through_month("through_month", "农林水事务支出截至月份", "农林水事务支出"),
    indicator("agri_spending", "农林水事务支出", "农林水事务支出", "万元"),
    indicator("farm_subsidy_funds", "惠农补贴资金", "惠农补贴资金", "万元"),
    indicator("livelihood_project_funds", "民生工程项目资金", "民生工程项目资金", "万元"),
    activity_sum("open_day_visitors", "开放日接待人数", "开放日", "participants"),
    problem_count("open_day_problems", "开放日收集问题数", "开放日"),
    problem_examples("open_day_examples", "开放日已办理问题举例", "开放日", "已解决"),
    problem_count("open_day_resolved", "开放日已解决问题数", "开放日", "已解决"),
    indicator("fiscal_revenue", "财政总收入", "财政总收入", "亿元"),
    indicator("tax_revenue", "税收收入", "税收收入", "亿元"),
    indicator("general_budget_revenue", "一般公共预算收入", "一般公共预算收入", "亿元"),
    signature_date("signed_on", "落款日期"),
)
KEYS = tuple(spec.key for spec in CATALOGUE)


class Figures(dict):
    """Figures of one bureau-year by key, in catalogue order."""

    def __init__(self, bureau: str, year: int, figures: Iterable[Figure]):
        super().__init__((f.key, f) for f in figures)
        self.bureau, self.year = bureau, year

    def missing(self) -> list[Figure]:
        return [f for f in self.values() if f.text is None]

    def to_dict(self) -> dict:
        return {"bureau": self.bureau, "year": self.year, "figures": [f.to_dict() for f in self.values()]}


def compute_figures(scope: Scope, catalogue: Iterable[Spec] = CATALOGUE) -> Figures:
    """Every figure of the report for one bureau and year."""
    return Figures(scope.bureau, scope.year, (spec.figure(scope) for spec in catalogue))
