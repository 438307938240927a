"""The data contract as data: tables, columns, header aliases and vocabularies.

Everything that ``data-contract.md`` fixes lives here, so the loader, the validator
and the sample-data generator read one description. Adding a column, a kind or an
indicator is one entry. :data:`BASE` is the contract every office starts from; an office's
``parameters/contract.yaml`` extends it (more activity kinds, problem sources and statuses,
finance indicators, whole new tables) into another :class:`Contract`, read by
:mod:`toolkit.data.contract_file`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

ColumnType = Literal["bureau", "date", "text", "int", "number", "year", "month", "enum", "amount"]


@dataclass(frozen=True)
class Column:
    name: str  # English header, the canonical column name in data frames
    zh: str  # Chinese header
    type: ColumnType
    required: bool = False
    choices: tuple[str, ...] = ()
    expected: str = ""  # what a valid value looks like, in Chinese, for messages
    #: An amount's unit: a fixed one (元, 万元, 亿元) or the name of the column holding it.
    unit: str = ""
    unit_column: str = ""
    #: A blank cell adds nothing to a sum (the contract allows it blank, meaning none); otherwise
    #: a sum over rows with this column blank is 需核实, naming the blank rows.
    blank_zero: bool = False
    #: For a row's second date: the most years it may lie after the row's own date (an activity's
    #: end within a year; a problem may take years to close). Earlier than a year before is never right.
    span: int = 1


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    columns: tuple[Column, ...]
    #: The column that places a row in a year (a date, or a year); "" for the finance table's ``year``.
    dated_by: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def find(self, name: str) -> Column | None:
        """The column named ``name`` by its key or its Chinese header (as written, blanks ignored)."""
        key = normalise_header(name)
        for c in self.columns:
            if key in (normalise_header(c.name), normalise_header(c.zh)):
                return c
        return None

    @property
    def year_column(self) -> Column:
        """The column that places a row in a report year."""
        return self.column(self.dated_by) if self.dated_by else next(c for c in self.columns if c.type == "year")

    @property
    def aliases(self) -> dict[str, str]:
        """Header as written (normalised) → canonical column name."""
        out: dict[str, str] = {}
        for c in self.columns:
            out[normalise_header(c.name)] = c.name
            out[normalise_header(c.zh)] = c.name
        return out


def normalise_header(text: object) -> str:
    """Headers compare without blanks, case, invisible characters and full-width forms.

    Excel users add blanks; text pasted from web pages and WeChat carries zero-width
    spaces, BOMs, soft hyphens and no-break spaces; Chinese input methods type
    full-width letters and brackets (``ｄａｔｅ``, ``人数（人）``). NFKC folds the
    compatibility forms, and every Unicode format character (category ``Cf``) is dropped.
    """
    text = unicodedata.normalize("NFKC", str(text))
    return "".join(ch for ch in "".join(text.split()) if unicodedata.category(ch) != "Cf").lower()


ACTIVITY_KINDS = (
    "部署会",
    "方案审定",
    "宣讲",
    "交流会",
    "参观学习",
    "观影学习",
    "文明交通志愿服务",
    "入户走访",
    "演练",
    "开放日",
    "调研",
    "其他",
)
PROBLEM_SOURCES = ("大调研", "开放日", "其他")
PROBLEM_STATUSES = ("已解决", "长期坚持", "办理中")
INDICATORS = (
    "财政总收入",
    "税收收入",
    "一般公共预算收入",
    "民生配套资金",
    "寄宿生营养餐补助资金",
    "贫困学生资助金",
    "资助贫困学生人次",
    "支农支出预算",
    "农林水事务支出",
    "惠农补贴资金",
    "民生工程项目资金",
)
#: Indicators counted in persons; every other indicator is an amount of money.
COUNT_INDICATORS = ("资助贫困学生人次",)
MONEY_UNITS = {"元": 1, "万元": 10_000, "亿元": 100_000_000}
COUNT_UNITS = ("人次",)
UNITS = (*MONEY_UNITS, *COUNT_UNITS)
#: What ``contract.yaml`` may give as an indicator's kind: 金额 (money) or a unit it is counted in.
AMOUNT = "金额"
INDICATOR_COUNT_UNITS = ("人次", "个", "件", "户", "人")

_BUREAU = Column("bureau", "单位代码", "bureau", True, expected="以字母或数字开头、由字母、数字、“-”“_”组成的单位代码")

ACTIVITIES = Table(
    "activities",
    "活动台账",
    (
        _BUREAU,
        Column("date", "日期", "date", True),
        Column("end_date", "结束日期", "date"),
        Column("kind", "活动类型", "enum", True, ACTIVITY_KINDS),
        Column("title", "活动名称", "text"),
        Column("audience", "参加对象", "text"),
        Column("venue", "地点", "text"),
        Column("participants", "人数", "int", expected="不小于0的整数"),
        Column("notes", "备注", "text"),
    ),
    dated_by="date",
)

PROBLEMS = Table(
    "problems",
    "问题台账",
    (
        _BUREAU,
        Column("id", "问题编号", "text", True),
        Column("source", "来源", "enum", True, PROBLEM_SOURCES),
        Column("raised_on", "收集日期", "date", True),
        Column("status", "办理状态", "enum", True, PROBLEM_STATUSES),
        Column("resolved_on", "办结日期", "date", span=5),
        Column("summary", "问题描述", "text", True),
    ),
    dated_by="raised_on",
)

FINANCE = Table(
    "finance",
    "财政指标",
    (
        _BUREAU,
        Column("year", "年度", "year", True, expected="四位数的年份"),
        Column("indicator", "指标", "enum", True, INDICATORS),
        Column("through_month", "截至月份", "month", expected="1至12的整数（空白表示12）"),
        Column("value", "数值", "number", True, expected="不小于0的数"),
        Column("unit", "计量单位", "enum", True, UNITS),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (ACTIVITIES, PROBLEMS, FINANCE)}
#: The three tables every office keeps, in the order they are read and reported.
BASE_TABLES = tuple(TABLES)


@dataclass(frozen=True)
class Contract:
    """What the ledgers may hold: the tables (base ones first) and the vocabularies of the base tables.

    Frozen and hashable, so a report definition checked against it can be cached per contract.
    """

    tables: tuple[Table, ...] = (ACTIVITIES, PROBLEMS, FINANCE)
    #: each finance indicator and what it is: :data:`AMOUNT` or the unit it is counted in
    indicators: tuple[tuple[str, str], ...] = tuple(
        (i, "人次" if i in COUNT_INDICATORS else AMOUNT) for i in INDICATORS
    )
    #: where the contract was extended (``parameters/contract.yaml``), for messages; "" for the base
    source: str = field(default="", compare=False)

    @cached_property
    def by_name(self) -> dict[str, Table]:
        return {t.name: t for t in self.tables}

    def table(self, name: str) -> Table:
        return self.by_name[name]

    def find_table(self, name: str) -> Table | None:
        """The table named by its key or its Chinese name."""
        key = normalise_header(name)
        for t in self.tables:
            if key in (normalise_header(t.name), normalise_header(t.zh)):
                return t
        return None

    @property
    def extra(self) -> tuple[Table, ...]:
        """The tables an office added beyond the base three."""
        return tuple(t for t in self.tables if t.name not in BASE_TABLES)

    @property
    def activity_kinds(self) -> tuple[str, ...]:
        return self.table("activities").column("kind").choices

    @property
    def problem_sources(self) -> tuple[str, ...]:
        return self.table("problems").column("source").choices

    @property
    def problem_statuses(self) -> tuple[str, ...]:
        return self.table("problems").column("status").choices

    @property
    def indicator_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.indicators)

    def counted_in(self, indicator: str) -> str | None:
        """The unit an indicator is counted in (人次, 个 …), or None for an amount of money."""
        kind = dict(self.indicators).get(indicator)
        return None if kind in (None, AMOUNT) else kind

    @property
    def units(self) -> tuple[str, ...]:
        """Every unit the finance table's 计量单位 may hold under this contract."""
        return finance_units(self.indicators)


def finance_units(indicators: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The units of money, then those the indicators are counted in (人, 个…), in a fixed order."""
    counted = sorted({k for _, k in indicators if k != AMOUNT}, key=INDICATOR_COUNT_UNITS.index)
    return (*MONEY_UNITS, *counted)


#: The contract every office starts from (``docs/data-contract.md``).
BASE = Contract()

#: Source-location columns added to every loaded frame.
META_COLUMNS = ("_file", "_sheet", "_row")
