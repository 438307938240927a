"""An office's own vocabulary: ``parameters/contract.yaml`` extends the base contract.

::

    activities:
      kinds: [专题读书班, 主题党日]          # added to the base activity kinds
    problems:
      sources: [巡察反馈]
      statuses: [已销号]
    finance:
      indicators:
        政府债务余额: 金额                   # money (元/万元/亿元), or a unit it is counted in
    tables:
      training:                              # a new table, referred to by this key
        name: 培训台账                       # found by sheet name or file stem
        columns:
          - {header: 单位代码, key: bureau, type: code, required: true}
          - {header: 日期, key: date, type: date, required: true}
          - {header: 学时, key: hours, type: number}
          - {header: 人数, key: people, type: count, blank: check}   # a blank is not yet entered

The file is optional: without it the base contract holds. A broken file is refused with
every problem, each with its line, like a broken ``figures.yaml``; nothing in it is code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from toolkit.data.contract import (
    AMOUNT,
    BASE,
    FINANCE,
    INDICATOR_COUNT_UNITS,
    MONEY_UNITS,
    Column,
    ColumnType,
    Contract,
    Table,
    finance_units,
    normalise_header,
)
from toolkit.data.problems import DataError, Problem
from toolkit.data.yamlfile import Mapping, read_yaml

CONTRACT_FILE = "contract.yaml"
#: What a blank cell of an optional column means where a rule adds the column up (``blank:``):
#: ``zero`` (the default: the column may be left blank, adding nothing) or ``check`` (a blank is
#: a value not yet entered, so a sum over it is 需核实).
BLANK_ZERO, BLANK_CHECK = "zero", "check"
BLANK_MEANINGS = (BLANK_ZERO, BLANK_CHECK)

#: Column types a new table may use, and what each becomes in the contract.
COLUMN_TYPES: dict[str, ColumnType] = {
    "code": "bureau",
    "date": "date",
    "year": "year",
    "text": "text",
    "number": "number",
    "count": "int",
    "amount": "amount",
    "choice": "enum",
}
_EXPECTED: dict[str, str] = {
    "number": "不小于0的数",
    "count": "不小于0的整数",
    "amount": "不小于0的金额",
    "year": "四位数的年份",
}
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECTIONS = ("activities", "problems", "finance", "tables")


class ContractError(DataError):
    """``contract.yaml`` cannot be used: every problem, with file and line."""


def contract_path(params_dir: Path) -> Path:
    return Path(params_dir) / CONTRACT_FILE


def load_contract(params_dir: Path | str | None) -> Contract:
    """The base contract extended by ``<params_dir>/contract.yaml`` when there is one."""
    if params_dir is None:
        return BASE
    path = contract_path(Path(params_dir))
    if not path.is_file():
        return BASE
    stat = path.stat()
    return _read(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int) -> Contract:
    """The contract of one version of a contract.yaml (read once, however many bureaus ask)."""
    shown = CONTRACT_FILE
    data, problems = read_yaml(Path(path), shown)
    if problems:
        raise ContractError(problems)
    reader = _Reader(shown)
    contract = reader.contract(data)
    if reader.problems:
        raise ContractError(reader.problems)
    return replace(contract, source=shown)


@dataclass
class _Reader:
    shown: str
    problems: list[Problem] = field(default_factory=list)

    def problem(
        self, line: int | None, message: str, key: str | None = None, value: object = None, expected: str = ""
    ) -> None:
        self.problems.append(Problem(self.shown, message, row=line, column=key, value=value, expected=expected or None))

    # --- the file ----------------------------------------------------------------------

    def contract(self, data: object) -> Contract:
        if data is None:
            return BASE
        if not isinstance(data, Mapping):
            self.problem(None, "文件格式不对", expected="以 activities、problems、finance、tables 为键的映射")
            return BASE
        for key in data:
            if key not in _SECTIONS:
                self.problem(data.line(key), f"未知的部分“{key}”", str(key), expected="、".join(_SECTIONS))
        activities = self._extend(data, "activities", "kind", "kinds")
        problems = self._extend_problems(data)
        finance = self._finance(data)
        tables = self._tables(data.get("tables"), data.line("tables"))
        indicators = BASE.indicators + finance
        base = (activities, problems, _finance_table(indicators))
        return Contract((*base, *tables), indicators)

    def _section(self, data: Mapping, name: str) -> Mapping | None:
        section = data.get(name)
        if section is None:
            return None
        if not isinstance(section, Mapping):
            self.problem(data.line(name), f"“{name}”应为映射", name, expected=f"{name}: 下逐项列出")
            return None
        return section

    def _words(self, section: Mapping, key: str, base: tuple[str, ...]) -> tuple[str, ...]:
        """New words of a list (``kinds: [..]``), each a non-empty text, added after the base ones."""
        values = section.get(key)
        if values is None:
            return ()
        line = section.line(key)
        if not isinstance(values, list):
            self.problem(line, f"“{key}”应为列表", key, values, "如 [专题读书班, 主题党日]")
            return ()
        out: list[str] = []
        for value in values:
            if not isinstance(value, str) or not value.strip():
                self.problem(line, f"“{key}”中有不是文字的项", key, value, "非空的文字")
            elif value.strip() not in base and value.strip() not in out:
                out.append(value.strip())
        return tuple(out)

    def _unknown_keys(self, section: Mapping, allowed: tuple[str, ...], where: str) -> None:
        for key in section:
            if key not in allowed:
                self.problem(section.line(key), f"“{where}”中未知的键“{key}”", str(key), expected="、".join(allowed))

    def _extend(self, data: Mapping, table: str, column: str, key: str) -> Table:
        base = BASE.table(table)
        section = self._section(data, table)
        if section is None:
            return base
        self._unknown_keys(section, (key,), table)
        return _with_choices(base, column, self._words(section, key, base.column(column).choices))

    def _extend_problems(self, data: Mapping) -> Table:
        base = BASE.table("problems")
        section = self._section(data, "problems")
        if section is None:
            return base
        self._unknown_keys(section, ("sources", "statuses"), "problems")
        table = _with_choices(base, "source", self._words(section, "sources", base.column("source").choices))
        return _with_choices(table, "status", self._words(section, "statuses", base.column("status").choices))

    def _finance(self, data: Mapping) -> tuple[tuple[str, str], ...]:
        section = self._section(data, "finance")
        if section is None:
            return ()
        self._unknown_keys(section, ("indicators",), "finance")
        indicators = section.get("indicators")
        if indicators is None:
            return ()
        if not isinstance(indicators, Mapping):
            self.problem(section.line("indicators"), "“indicators”应为映射", "indicators", expected="指标名称: 金额")
            return ()
        kinds = (AMOUNT, *INDICATOR_COUNT_UNITS)
        out: list[tuple[str, str]] = []
        for name, kind in indicators.items():
            line = indicators.line(name)
            if not isinstance(name, str) or not name.strip():
                self.problem(line, "指标名称应为文字", str(name), name)
            elif kind not in kinds:
                self.problem(line, f"指标“{name}”的类别不对", name, kind, "以下之一：" + "、".join(kinds))
            elif name.strip() not in BASE.indicator_names:
                out.append((name.strip(), str(kind)))
        return tuple(out)

    # --- new tables --------------------------------------------------------------------

    def _tables(self, tables: object, line: int | None) -> tuple[Table, ...]:
        if tables is None:
            return ()
        if not isinstance(tables, Mapping):
            self.problem(line, "“tables”应为映射", "tables", expected="表代码: {name: 表名, columns: [...]}")
            return ()
        out: list[Table] = []
        taken = {normalise_header(n) for t in BASE.tables for n in (t.name, t.zh)}
        for key, spec in tables.items():
            table = self._table(key, spec, tables.line(key), taken)
            if table is not None:
                taken |= {normalise_header(table.name), normalise_header(table.zh)}
                out.append(table)
        return tuple(out)

    def _table(self, key: object, spec: object, line: int | None, taken: set[str]) -> Table | None:
        if not isinstance(key, str) or not _KEY.match(key):
            self.problem(line, "表代码不对", str(key), key, "以字母开头、由字母、数字和“_”组成，如 training")
            return None
        if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str) or not spec["name"].strip():
            self.problem(line, f"表“{key}”缺少名称（name）", key, expected="表的中文名称，如“培训台账”")
            return None
        self._unknown_keys(spec, ("name", "columns"), key)
        name = spec["name"].strip()
        if normalise_header(key) in taken or normalise_header(name) in taken:
            self.problem(spec.line("name"), f"表“{key}”（{name}）与已有的表重名", key, name, "不同于已有表的代码和名称")
            return None
        columns = self._columns(key, spec.get("columns"), spec.line("columns") or line)
        if columns is None:
            return None
        dated = next((c.name for c in columns if c.type == "date"), "")
        if not any(c.type == "bureau" for c in columns) or not (dated or any(c.type == "year" for c in columns)):
            self.problem(line, f"表“{key}”需要一列单位代码（type: code）和一列日期或年度（type: date 或 year）", key)
            return None
        return Table(key, name, columns, dated_by=dated)

    def _columns(self, table: str, columns: object, line: int | None) -> tuple[Column, ...] | None:
        if not isinstance(columns, list) or not columns:
            self.problem(
                line, f"表“{table}”缺少列（columns）", table, expected="每列一项：{header: 表头, key: 代码, type: 类型}"
            )
            return None
        out: list[Column] = []
        bad = False
        for entry in columns:
            column = self._column(table, entry, line)
            if column is None:
                bad = True
            elif any(c.name == column.name or normalise_header(c.zh) == normalise_header(column.zh) for c in out):
                self.problem(_line(entry, "key", line), f"表“{table}”中列“{column.zh}”（{column.name}）重复", table)
                bad = True
            else:
                out.append(column)
        for column in out:
            if column.unit_column and not any(c.name == column.unit_column for c in out):
                self.problem(line, f"列“{column.zh}”的单位列“{column.unit_column}”不在表“{table}”中", table)
                bad = True
        return None if bad else tuple(_unit_columns(out))

    def _column(self, table: str, entry: object, line: int | None) -> Column | None:
        if not isinstance(entry, Mapping):
            self.problem(line, f"表“{table}”的列应写成映射", table, entry, "{header: 表头, key: 代码, type: 类型}")
            return None
        self._unknown_keys(entry, ("header", "key", "type", "required", "choices", "unit", "blank"), f"{table}的列")
        header, key, kind = entry.get("header"), entry.get("key"), entry.get("type")
        where = _line(entry, "header", line)
        if not isinstance(header, str) or not header.strip():
            self.problem(where, f"表“{table}”有一列缺少表头（header）", table, header)
            return None
        if not isinstance(key, str) or not _KEY.match(key) or key.startswith("_"):
            self.problem(
                _line(entry, "key", line),
                f"列“{header}”的代码（key）不对",
                header,
                key,
                "以字母开头、由字母、数字和“_”组成",
            )
            return None
        if kind not in COLUMN_TYPES:
            self.problem(
                _line(entry, "type", line),
                f"列“{header}”的类型不对",
                header,
                kind,
                "以下之一：" + "、".join(COLUMN_TYPES),
            )
            return None
        return self._typed(table, entry, header.strip(), key, str(kind), where)

    def _typed(self, table: str, entry: Mapping, header: str, key: str, kind: str, line: int | None) -> Column | None:
        required = entry.get("required", False)
        if not isinstance(required, bool):
            self.problem(
                _line(entry, "required", line), f"列“{header}”的 required 应为 true 或 false", header, required
            )
            return None
        choices: tuple[str, ...] = ()
        unit = unit_column = ""
        if kind == "choice":
            values = entry.get("choices")
            if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
                self.problem(
                    _line(entry, "choices", line),
                    f"列“{header}”（choice）缺少可选值（choices）",
                    header,
                    values,
                    "如 [线上, 线下]",
                )
                return None
            choices = tuple(dict.fromkeys(v.strip() for v in values))
        if kind == "amount":
            given = entry.get("unit")
            if given in MONEY_UNITS:
                unit = str(given)
            elif isinstance(given, str) and _KEY.match(given):
                unit_column = given
            else:
                expected = "元、万元、亿元之一，或本表中写计量单位的列的代码"
                self.problem(_line(entry, "unit", line), f"金额列“{header}”缺少单位（unit）", header, given, expected)
                return None
        blank = entry.get("blank", BLANK_ZERO)
        if blank not in BLANK_MEANINGS or (required and "blank" in entry):
            expected = "不填（必填列没有空白）" if required else "、".join(BLANK_MEANINGS)
            self.problem(_line(entry, "blank", line), f"列“{header}”的 blank 不对", header, blank, expected)
            return None
        expected = _EXPECTED.get(kind, "")
        column = Column(key, header, COLUMN_TYPES[kind], required, choices, expected, unit, unit_column)
        return replace(column, blank_zero=not required and blank == BLANK_ZERO)


def _line(entry: object, key: str, fallback: int | None) -> int | None:
    return (entry.line(key) if isinstance(entry, Mapping) else None) or fallback


def _with_choices(table: Table, column: str, added: tuple[str, ...]) -> Table:
    if not added:
        return table
    columns = tuple(replace(c, choices=c.choices + added) if c.name == column else c for c in table.columns)
    return replace(table, columns=columns)


def _finance_table(indicators: tuple[tuple[str, str], ...]) -> Table:
    """The finance table whose indicators and units follow the contract's indicators."""
    names = tuple(name for name, _ in indicators)
    units = finance_units(indicators)
    columns = tuple(
        replace(c, choices=names) if c.name == "indicator" else replace(c, choices=units) if c.name == "unit" else c
        for c in FINANCE.columns
    )
    return replace(FINANCE, columns=columns)


def _unit_columns(columns: list[Column]) -> list[Column]:
    """A column holding an amount's unit takes 元, 万元 or 亿元 (and is a choice column)."""
    units = {c.unit_column for c in columns if c.unit_column}
    return [replace(c, type="enum", choices=tuple(MONEY_UNITS)) if c.name in units else c for c in columns]
