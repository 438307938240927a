"""Turn raw ledger cells into typed tables, or report every cell that breaks the contract.

Two passes: cell parsing (dates, numbers, codes in every form the contract allows),
then a pandera schema per table for choices, ranges, required cells, uniqueness and
cross-column rules. Problems from both passes are raised together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import pandas as pd
import pandera.pandas as pa

from .contract import COUNT_INDICATORS, COUNT_UNITS, META_COLUMNS, MONEY_UNITS, Column, Table
from .errors import DataError, Problem
from .ledgers import Ledgers
from .load import RawTable

_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_BUREAU_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
_EXPECTED = {
    "date": "日期，如2021-03-05、2021/3/5、2021.3.5、2021年3月5日或20210305",
    "int": "不小于0的整数",
    "number": "数字（可带千位分隔逗号）",
    "year": "四位数的年份",
    "month": "1至12的整数（空白表示12）",
}


class _Bad(Exception):
    """A cell that cannot be read as its column's type."""

    def __init__(self, message: str):
        self.message = message


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number comes back as 1001.0
    text = str(value).strip()
    return text or None


def parse_date(value: object) -> date | None:
    """A date from an Excel date cell or any text form the contract lists."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        return None
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise _Bad("无法识别的日期")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise _Bad("不存在的日期") from None


def parse_decimal(value: object) -> Decimal | None:
    """A number from an Excel number or text with thousands commas and spaces, exactly."""
    if isinstance(value, bool):
        raise _Bad("不是数字")
    if isinstance(value, (int, float)):
        if value != value:
            return None
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = _text(value)
    if text is None:
        return None
    text = re.sub(r"[,，\s]", "", text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Bad("不是数字") from None
    if not number.is_finite():
        raise _Bad("不是数字")
    return number


def _whole(value: object) -> int | None:
    number = parse_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise _Bad("不是整数")
    return int(number)


def _year(value: object) -> int | None:
    text = _text(value)
    if text is not None and text.endswith("年"):
        value = text[:-1]
    year = _whole(value)
    if year is not None and not 1900 <= year <= 2100:
        raise _Bad("年份超出范围")
    return year


_PARSERS = {
    "bureau": _text,
    "text": _text,
    "enum": _text,
    "date": parse_date,
    "int": _whole,
    "number": parse_decimal,
    "year": _year,
    "month": _whole,
}


@dataclass
class _Context:
    raw: RawTable
    problems: list[Problem]

    def problem(self, row: pd.Series, column: str | None, message: str, value: object, expected: str | None) -> None:
        file, sheet = row["_file"], row["_sheet"]
        header = self.raw.header(file, sheet, column) if column else None
        self.problems.append(
            Problem(
                file,
                message,
                sheet or None,
                int(row["_row"]),
                header,
                "" if value is None else value,
                expected,
                self.raw.table.name,
            )
        )


def _expected(column: Column) -> str:
    if column.choices:
        return "以下之一：" + "、".join(column.choices)
    return column.expected or _EXPECTED.get(column.type, "")


def _parse_cells(ctx: _Context) -> tuple[pd.DataFrame, set[tuple[int, str]]]:
    """Typed cells, and the (index, column) of those that could not be read."""
    frame = ctx.raw.frame
    typed = frame[list(META_COLUMNS)].copy()
    unparsed: set[tuple[int, str]] = set()
    for column in ctx.raw.table.columns:
        parse = _PARSERS[column.type]
        values = []
        for index, raw_value in frame[column.name].items():
            try:
                values.append(parse(raw_value))
            except _Bad as bad:
                ctx.problem(frame.loc[index], column.name, bad.message, raw_value, _expected(column))
                unparsed.add((index, column.name))
                values.append(None)
        typed[column.name] = pd.Series(values, index=frame.index, dtype=object)
    return typed, unparsed


def _schema(table: Table) -> pa.DataFrameSchema:
    columns = {}
    for c in table.columns:
        checks = []
        if c.choices:
            checks.append(pa.Check.isin(list(c.choices)))
        if c.type == "bureau":
            checks.append(pa.Check.str_matches(_BUREAU_CODE))
        if c.type in ("int", "number"):
            checks.append(pa.Check.ge(0))
        if c.type == "month":
            checks.append(pa.Check.in_range(1, 12))
        columns[c.name] = pa.Column(None, checks, nullable=not c.required, required=True)
    unique = {"problems": ["bureau", "id"], "finance": ["bureau", "year", "indicator"]}.get(table.name)
    return pa.DataFrameSchema(
        columns,
        checks=_cross_checks(table.name),
        unique=unique,
        report_duplicates="all",
    )


def _not_before(later: str, earlier: str) -> pa.Check:
    def check(df: pd.DataFrame) -> pd.Series:
        both = df[later].notna() & df[earlier].notna()
        ok = pd.Series(True, index=df.index)
        ok[both] = [a >= b for a, b in zip(df.loc[both, later], df.loc[both, earlier])]
        return ok

    return pa.Check(check, name=f"not_before:{later}:{earlier}")


def _unit_matches(df: pd.DataFrame) -> pd.Series:
    counted = df["indicator"].isin(COUNT_INDICATORS)
    units_ok = df["unit"].isin(COUNT_UNITS).where(counted, df["unit"].isin(list(MONEY_UNITS)))
    return units_ok | df["unit"].isna() | df["indicator"].isna()


def _cross_checks(table: str) -> list[pa.Check]:
    return {
        "activities": [_not_before("end_date", "date")],
        "problems": [_not_before("resolved_on", "raised_on")],
        "finance": [pa.Check(_unit_matches, name="unit_matches")],
    }.get(table, [])


def _schema_problems(ctx: _Context, typed: pd.DataFrame, unparsed: set[tuple[int, str]]) -> None:
    table = ctx.raw.table
    try:
        _schema(table).validate(typed.drop(columns=list(META_COLUMNS)), lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return
    seen: set[tuple] = set()
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            continue
        index, check = int(case.index), str(case.check)
        row = typed.loc[index]
        column = case.column if case.column in typed.columns else None
        if check.startswith("not_before:"):
            _, later, earlier = check.split(":")
            key = (index, later)
            message = f"{table.column(later).zh}早于{table.column(earlier).zh}"
            column, value, expected = later, row[later], f"不早于{table.column(earlier).zh}（{row[earlier]}）"
        elif check == "unit_matches":
            key = (index, "unit")
            column, value = "unit", row["unit"]
            counted = row["indicator"] in COUNT_INDICATORS
            message = f"指标“{row['indicator']}”的计量单位不对"
            expected = "人次" if counted else "元、万元或亿元"
        elif check == "multiple_fields_uniqueness":
            key = (index, "duplicate")
            what = "问题编号" if table.name == "problems" else "指标"
            column = "id" if table.name == "problems" else "indicator"
            value = row[column]
            message = f"同一单位的{what}重复出现" + (
                "（同一年度同一指标只能有一行，不会自动相加）" if table.name == "finance" else ""
            )
            expected = "每个单位每年每项指标一行" if table.name == "finance" else "同一单位内唯一的问题编号"
        else:
            key = (index, column)
            if (index, column) in unparsed:
                continue
            spec = table.column(column)
            value = row[column]
            message = "必填内容为空" if check == "not_nullable" else "取值不符合要求"
            expected = _expected(spec)
        if key in seen:
            continue
        seen.add(key)
        ctx.problem(row, column, message, value, expected)


def _finance_amounts(finance: pd.DataFrame) -> pd.DataFrame:
    """Add ``amount``: money in 元, persons in 人次, as exact decimals."""
    factor = finance["unit"].map(lambda u: Decimal(MONEY_UNITS.get(u, 1)))
    finance["amount"] = [v * f for v, f in zip(finance["value"], factor)]
    finance["through_month"] = finance["through_month"].map(lambda m: 12 if m is None or m != m else int(m))
    return finance


def validate_tables(raw: dict[str, RawTable]) -> Ledgers:
    """Typed ledgers from raw tables; raise one DataError listing every problem."""
    problems: list[Problem] = []
    typed: dict[str, pd.DataFrame] = {}
    for name, table in raw.items():
        ctx = _Context(table, problems)
        frame, unparsed = _parse_cells(ctx)
        _schema_problems(ctx, frame, unparsed)
        typed[name] = frame
    if problems:
        problems.sort(key=lambda p: (p.file, p.sheet or "", p.row or 0))
        raise DataError(problems)
    return Ledgers(typed["activities"], typed["problems"], _finance_amounts(typed["finance"]))


def load_ledgers(data_dir) -> Ledgers:
    """Load and validate every table under ``data_dir``."""
    from .load import load_tables

    return validate_tables(load_tables(data_dir))
