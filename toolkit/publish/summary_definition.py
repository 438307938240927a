"""Which columns a report's 汇总表 has: ``templates/<name>/summary.yaml``, read and checked.

The 汇总表 lists, for every bureau, some numbers of the report chosen for the run. Its
definition sits beside the report's ``figures.yaml`` and names its columns: a figure of
the report (``figure: fiscal_revenue``; the bureau's corrections to that figure apply to
its cell, so the two documents never disagree), or a count of the table's own, written
as a figure of ``figures.yaml`` is (``rule: activity_count`` with its arguments), and
for each its header, unit and whether it adds into 合计. Reading it checks it the way
``figures.yaml`` is checked and names every problem with file and line. A report without
``summary.yaml`` has no 汇总表 (:class:`NoSummaryTable`), never one of another report's
columns. See ``docs/summary-table.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from toolkit.data.contract import BASE, Contract
from toolkit.data.problems import Problem
from toolkit.data.yamlfile import Mapping, read_yaml
from toolkit.errors import NotFoundError
from toolkit.report import formatting as fmt
from toolkit.report.definitions import DefinitionError, ReportDefinition, load_definition, parse_figures
from toolkit.report.figures import Result, Scope, Spec, sources_of
from toolkit.resources import DEFAULT_REPORT, FIGURES_FILE, definition_folder

SUMMARY_FILE = "summary.yaml"
#: The rule of a column counting every activity no other activity column of the table counts.
OTHER_ACTIVITIES = "other_activities"
#: Keys of the two columns every 汇总表 starts with (序号, 单位名称).
SPECIAL_KEYS = frozenset({"seq", "name"})
#: What a column may say about its layout, besides ``key``, ``figure`` or a rule and its arguments.
LAYOUT_KEYS = ("header", "group", "unit", "total", "width")
#: Units an amount column may be written in (万元取整: whole 万元, as a report writes ``约1235万元``).
TABLE_UNITS = ("元", "万元", "亿元", "万元取整")
#: Column kinds a 汇总表 can list: numbers, which add up.
NUMBER_KINDS = ("count", "amount", "number")
DEFAULT_TITLE = "各单位工作情况汇总表"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_LINE = 12  # characters: a header line longer than this is no header


class NoSummaryTable(NotFoundError):
    """The chosen report defines no 汇总表."""

    def __init__(self, report: str, path: Path):
        self.report, self.path = report, path
        super().__init__(
            f"报告“{report}”没有汇总表的定义（{path.as_posix()}），未生成汇总表；"
            f"如需汇总表，请按 docs/summary-table.md 编写该文件。"
        )


@dataclass(frozen=True)
class SummaryColumn:
    """One column of the 汇总表: the figure each bureau's cell holds, its header, unit and total."""

    key: str  # the template's ``cells.<key>``, the key in 汇总表.json
    spec: Spec
    header: tuple[str, ...]  # the header's lines, each kept whole
    group: str | None = None
    unit: str = ""  # amounts: the unit written (a key of AMOUNT_UNITS); counts: the word in the header
    total: bool = True  # adds into 合计
    figure: str | None = None  # the report's figure shown, whose corrections apply
    width: float | None = None  # millimetres; None: as wide as the header and the numbers need
    counts: str | None = None  # the activity kind it counts (rule activity_count), for 其他活动

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def unit_word(self) -> str:
        """The unit as the table shows it (万元 for whole 万元)."""
        return fmt.unit_word(self.unit)

    @property
    def amount(self) -> bool:
        return self.spec.kind == "amount"

    @property
    def places(self) -> int:
        """The most decimals the column is written with (the column uses as many as its rows need)."""
        if self.spec.kind == "amount":
            return fmt.AMOUNT_UNITS[self.unit][1]
        return 2 if self.spec.kind == "number" else 0

    @property
    def factor(self) -> Decimal:
        """From the value (元 for amounts) to the unit written."""
        return fmt.AMOUNT_UNITS[self.unit][0] if self.amount else Decimal(1)


@dataclass(frozen=True)
class SummaryDefinition:
    """A report's 汇总表: its title (after ``<year>年``), the attachment label and the columns."""

    report: str
    path: Path
    title: str
    columns: tuple[SummaryColumn, ...]
    attachment: str = "附件"
    lines: dict[str, int] = field(default_factory=dict)  # column key → line in summary.yaml

    def column(self, key: str) -> SummaryColumn:
        return next(c for c in self.columns if c.key == key)

    @property
    def units(self) -> list[str]:
        """The units of the columns, each once, in order (for the line ``单位：…`` above the table)."""
        return list(dict.fromkeys(c.unit_word for c in self.columns if c.unit_word))


def summary_path(report: str | Path = DEFAULT_REPORT) -> Path:
    return definition_folder(report) / SUMMARY_FILE


def load_summary(report: str | Path = DEFAULT_REPORT, contract: Contract = BASE) -> SummaryDefinition:
    """The checked 汇总表 definition of ``report``.

    Raise :class:`NoSummaryTable` when the report has none, and ``DefinitionError`` naming
    every problem (with file and line) when it cannot be used.
    """
    path = summary_path(report)
    if not path.is_file() and (path.parent / FIGURES_FILE).is_file():
        # said before the report's own definition is read: it may need another contract
        raise NoSummaryTable(path.parent.name, Path(path.parent.parent.name, path.parent.name, SUMMARY_FILE))
    definition = load_definition(report, contract=contract)  # a report that does not exist is said here
    if not path.is_file():
        raise NoSummaryTable(definition.name, Path(definition.folder.name, SUMMARY_FILE))
    shown = f"{definition.folder.name}/{SUMMARY_FILE}"
    data, problems = read_yaml(path, shown)
    if problems:
        raise DefinitionError(problems)
    summary, problems = parse_summary(data, shown, definition, contract)
    if problems or summary is None:
        raise DefinitionError(problems)
    return summary


def parse_summary(
    data: object, shown: str, definition: ReportDefinition, contract: Contract = BASE
) -> tuple[SummaryDefinition | None, list[Problem]]:
    """The 汇总表 of a parsed ``summary.yaml`` for ``definition``, and every problem found in it."""
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list) or not data["columns"]:
        expected = "“columns:”下逐列写出 figure（报告中的数据项）或 rule（本表自己的规则），以及 header、unit"
        return None, [Problem(shown, "汇总表定义格式不对", expected=expected)]
    problems = _top_problems(data, shown)
    raw = _figure_entries(definition)
    columns: list[SummaryColumn] = []
    lines: dict[str, int] = {}
    others: list[tuple[int, dict[Any, Any]]] = []
    for n, entry in enumerate(data["columns"], 1):
        if not isinstance(entry, dict):
            problems.append(
                Problem(shown, f"第{n}列不是“键: 值”的形式", value=entry, expected="含 figure 或 rule 的映射")
            )
            continue
        if entry.get("rule") == OTHER_ACTIVITIES:
            others.append((len(columns), entry))  # needs the kinds of every other column first
            continue
        column, found = _column(entry, shown, definition, raw, lines, contract)
        problems += found
        if column is not None:
            columns.append(column)
            lines[column.key] = _line(entry, "key" if "key" in entry else "figure") or 0
    for at, entry in reversed(others):
        column, found = _other_activities(entry, shown, columns, lines)
        problems += found
        if column is not None:
            columns.insert(at, column)
            lines[column.key] = _line(entry, "key") or 0
    if problems:
        return None, problems
    title = str(data.get("title") or DEFAULT_TITLE).strip()
    attachment = str(data.get("attachment") or "附件").strip()
    return SummaryDefinition(definition.name, Path(shown), title, tuple(columns), attachment, lines), []


def _top_problems(data: dict[Any, Any], shown: str) -> list[Problem]:
    problems = []
    for name in data:
        if name not in ("title", "attachment", "columns"):
            problems.append(
                Problem(
                    shown, f"汇总表定义没有“{name}”这一项", row=_line(data, name), expected="title、attachment、columns"
                )
            )
    for name in ("title", "attachment"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip() or "\n" in value.strip()):
            problems.append(Problem(shown, f"“{name}”应为一行文字", row=_line(data, name), value=value))
    return problems


def _line(entry: dict[Any, Any], name: object) -> int | None:
    """The line of ``name`` in an entry, else the entry's first line."""
    if not isinstance(entry, Mapping):
        return None
    return entry.line(name) or (min(entry.lines.values()) if entry.lines else None)


def _figure_entries(definition: ReportDefinition) -> dict[str, dict[Any, Any]]:
    """The report's figures.yaml entries by key, for what a figure column counts (its rule and kind)."""
    data, _ = read_yaml(definition.folder / FIGURES_FILE, FIGURES_FILE)
    entries = data.get("figures") if isinstance(data, dict) else None
    return {str(e.get("key")): e for e in entries or [] if isinstance(e, dict)}


def _column(
    entry: dict[Any, Any],
    shown: str,
    definition: ReportDefinition,
    raw: dict[str, dict[Any, Any]],
    lines: dict[str, int],
    contract: Contract,
) -> tuple[SummaryColumn | None, list[Problem]]:
    """One column: a figure of the report, or a rule of the table's own."""
    has_figure, has_rule = "figure" in entry, "rule" in entry
    if has_figure == has_rule:
        message = "每列写 figure（报告中的数据项）或 rule（本表自己的规则），二者只写一个"
        return None, [Problem(shown, message, row=_line(entry, "key"), column=_shown_key(entry))]
    spec, figure, problems = (
        _figure_spec(entry, shown, definition) if has_figure else _rule_spec(entry, shown, contract)
    )
    key = entry.get("key", figure)
    problems += _key_problems(key, entry, shown, lines)
    if spec is None or problems:
        return None, problems
    if spec.kind not in NUMBER_KINDS or spec.derive is not None:
        message = f"汇总表的列应为计数、金额或数字，“{spec.label}”不是（或由其他数据项推算）"
        return None, [Problem(shown, message, row=_line(entry, "figure" if has_figure else "rule"), column=str(key))]
    source = raw.get(figure, {}) if figure is not None else entry
    counts = source.get("kind") if source.get("rule") == "activity_count" else None
    return _layout(entry, shown, str(key), spec, figure, counts if isinstance(counts, str) else None)


def _shown_key(entry: dict[Any, Any]) -> str | None:
    key = entry.get("key", entry.get("figure"))
    return str(key) if key is not None else None


def _key_problems(key: object, entry: dict[Any, Any], shown: str, lines: dict[str, int]) -> list[Problem]:
    if not isinstance(key, str) or not _KEY.match(key) or key in SPECIAL_KEYS:
        expected = "以字母开头、由字母、数字和“_”组成，且不是 seq、name"
        return [Problem(shown, "列的代码（key）不对", row=_line(entry, "key"), value=key, expected=expected)]
    if key in lines:
        return [Problem(shown, f"列“{key}”重复（另见第{lines[key]}行）", row=_line(entry, "key"), column=key)]
    return []


def _figure_spec(
    entry: dict[Any, Any], shown: str, definition: ReportDefinition
) -> tuple[Spec | None, str | None, list[Problem]]:
    """The report's figure a column shows."""
    figure = entry.get("figure")
    specs = {spec.key: spec for spec in definition.specs}
    unknown = [k for k in entry if k not in ("key", "figure", *LAYOUT_KEYS)]
    problems = [
        Problem(shown, f"列没有“{k}”这一项（规则的参数写在 figures.yaml 中）", row=_line(entry, k), column=str(figure))
        for k in unknown
    ]
    if not isinstance(figure, str) or figure not in specs:
        numbers = "、".join(k for k, s in specs.items() if s.kind in NUMBER_KINDS and s.derive is None)
        problems.append(
            Problem(
                shown,
                f"报告“{definition.name}”的 {FIGURES_FILE} 中没有这个数据项",
                row=_line(entry, "figure"),
                value=figure,
                expected=f"以下之一：{numbers}",
            )
        )
        return None, None, problems
    return specs[figure], figure, problems


def _rule_spec(entry: dict[Any, Any], shown: str, contract: Contract) -> tuple[Spec | None, None, list[Problem]]:
    """A column of the table's own: its entry read as a figures.yaml entry is (key, label, rule, arguments)."""
    figure_entry = Mapping({k: v for k, v in entry.items() if k not in LAYOUT_KEYS})
    figure_entry.lines = {k: v for k, v in getattr(entry, "lines", {}).items() if k not in LAYOUT_KEYS}
    _, specs, _, problems = parse_figures({"figures": [figure_entry]}, shown, contract)
    return (specs[0] if specs and not problems else None), None, problems


def _other_activities(
    entry: dict[Any, Any], shown: str, columns: Sequence[SummaryColumn], lines: dict[str, int]
) -> tuple[SummaryColumn | None, list[Problem]]:
    """Every activity of the year that no other activity column of the table counts."""
    key, label = entry.get("key"), entry.get("label")
    problems = _key_problems(key, entry, shown, lines)
    problems += [
        Problem(shown, f"规则“{OTHER_ACTIVITIES}”没有参数“{k}”", row=_line(entry, k), column=str(key))
        for k in entry
        if k not in ("key", "label", "rule", *LAYOUT_KEYS)
    ]
    if not isinstance(label, str) or not label.strip():
        problems.append(Problem(shown, "缺少数据项名称（label）", row=_line(entry, "rule"), column=str(key)))
    if problems:
        return None, problems
    kinds = list(dict.fromkeys(c.counts for c in columns if c.counts))
    listed = "、".join(kinds) or "（无）"

    def compute(s: Scope) -> Result:
        rows = [r for r in s.activities if r["kind"] not in kinds]
        return len(rows), sources_of("activities", rows), None

    rule = f"活动台账中当年活动类型不是{listed}的活动条数"
    spec = Spec(str(key), str(label).strip(), rule, compute, "count")
    return _layout(entry, shown, str(key), spec, None)


def _layout(
    entry: dict[Any, Any], shown: str, key: str, spec: Spec, figure: str | None, counts: str | None = None
) -> tuple[SummaryColumn | None, list[Problem]]:
    """The column with its header, group, unit, total and width, each checked."""
    problems: list[Problem] = []
    header = _header(entry.get("header", spec.label), entry, shown, key, problems)
    group = entry.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        problems.append(Problem(shown, "列组名称（group）应为文字", row=_line(entry, "group"), column=key, value=group))
    unit = _unit(entry, spec, shown, key, problems)
    total = entry.get("total", True)
    if not isinstance(total, bool):
        problems.append(Problem(shown, "“total”应为 true 或 false", row=_line(entry, "total"), column=key, value=total))
    width = entry.get("width")
    if width is not None and (isinstance(width, bool) or not isinstance(width, int | float) or not 5 <= width <= 200):
        problems.append(
            Problem(
                shown,
                "列宽（width）不对",
                row=_line(entry, "width"),
                column=key,
                value=width,
                expected="5至200（毫米）",
            )
        )
    if problems:
        return None, problems
    if spec.kind == "amount" and unit != spec.unit:
        spec = replace(spec, rule=f"{spec.rule}；表中以{fmt.unit_described(unit)}列出")
    column = SummaryColumn(
        key,
        spec,
        header,
        group.strip() if isinstance(group, str) else None,
        unit,
        bool(total),
        figure,
        float(width) if width is not None else None,
        counts,
    )
    return column, []


def _header(value: object, entry: dict[Any, Any], shown: str, key: str, problems: list[Problem]) -> tuple[str, ...]:
    """The header's lines: a text, or a list of the lines it breaks into (between words)."""
    lines = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if not lines or not all(isinstance(x, str) and x.strip() for x in lines):
        expected = "文字，或分行的列表，如“[文明交通, 志愿服务]”"
        problems.append(
            Problem(shown, "表头（header）不对", row=_line(entry, "header"), column=key, value=value, expected=expected)
        )
        return ()
    lines = [str(x).strip() for x in lines]
    if any(len(x) > _HEADER_LINE for x in lines):
        problems.append(
            Problem(
                shown,
                f"表头一行超过{_HEADER_LINE}个字，请在词与词之间分行",
                row=_line(entry, "header"),
                column=key,
                value=value,
                expected="分行的列表，如“[一般公共, 预算收入]”",
            )
        )
    return tuple(lines)


def _unit(entry: dict[Any, Any], spec: Spec, shown: str, key: str, problems: list[Problem]) -> str:
    """An amount's unit (the report's unless another is asked for); a count's or number's word."""
    unit = entry.get("unit", spec.unit)
    if spec.kind == "amount" and unit not in TABLE_UNITS:
        expected = "以下之一：" + "、".join(TABLE_UNITS)
        problems.append(
            Problem(shown, "金额的单位不对", row=_line(entry, "unit"), column=key, value=unit, expected=expected)
        )
        return ""
    if not isinstance(unit, str) or len(unit.strip()) > 4 or "\n" in unit:
        expected = "计量单位，如“次”“个”“人次”"
        problems.append(
            Problem(shown, "单位（unit）不对", row=_line(entry, "unit"), column=key, value=unit, expected=expected)
        )
        return ""
    return unit.strip()
