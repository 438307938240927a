"""Turn raw ledger cells into typed tables, or report every cell that breaks the contract.

Two passes: cell parsing (dates, numbers, codes in every form the contract allows),
then a pandera schema per table for choices, ranges, required cells, uniqueness and
cross-column rules. Problems from both passes are raised together.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from toolkit.data.books import ExcelErrorValue, UncachedFormula
from toolkit.data.bureau_codes import check_codes as check_codes  # where validate's callers look
from toolkit.data.cells import expected_text, parse_columns
from toolkit.data.contract import BASE, META_COLUMNS, MONEY_UNITS, Contract, Table
from toolkit.data.contract_file import load_contract
from toolkit.data.ledgers import Ledgers
from toolkit.data.load import Mapper, RawTable, load_tables
from toolkit.data.problems import CellProblem, DataError, Notice

_BUREAU_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


@dataclass
class _Context:
    raw: RawTable
    problems: list[tuple[CellProblem, int]]  # each with its row's index in the frame
    contract: Contract = BASE

    def problem(self, row: pd.Series, column: str | None, message: str, value: object, expected: str | None) -> None:
        file, sheet, number = row["_file"], row["_sheet"], int(row["_row"])
        header = self.raw.header(file, sheet, column) if column else None
        cell = self.raw.cell(file, sheet, column, number) if column else None
        problem = CellProblem(
            file,
            message,
            sheet or None,
            number,
            header,
            "" if value is None else str(value) if isinstance(value, (UncachedFormula, ExcelErrorValue)) else value,
            expected,
            self.raw.table.name,
            None if self.raw.table.name in BASE.by_name else self.raw.table.zh,
            cell=cell,
        )
        self.problems.append((problem, row.name))


def _parse_cells(ctx: _Context) -> tuple[pd.DataFrame, set[tuple[int, str]]]:
    """Typed cells, and the (index, column) of those that could not be read, each reported."""
    frame, table = ctx.raw.frame, ctx.raw.table
    parsed = parse_columns(table, {c.name: frame[c.name].tolist() for c in table.columns})
    typed = frame[list(META_COLUMNS)].copy()
    for name, values in parsed.values.items():
        typed[name] = pd.Series(values, index=frame.index, dtype=object)
    unparsed: set[tuple[int, str]] = set()
    for name, position, message, expected in parsed.bad:
        index = frame.index[position]
        ctx.problem(frame.loc[index], name, message, frame.at[index, name], expected)
        unparsed.add((index, name))
    return typed, unparsed


def _schema(table: Table, contract: Contract) -> pa.DataFrameSchema:
    columns = {}
    for c in table.columns:
        checks = []
        if c.choices:
            checks.append(pa.Check.isin(list(c.choices)))
        if c.type == "bureau":
            checks.append(pa.Check.str_matches(_BUREAU_CODE))
        if c.type in ("int", "number", "amount"):
            checks.append(pa.Check.ge(0))
        if c.type == "month":
            checks.append(pa.Check.in_range(1, 12))
        columns[c.name] = pa.Column(None, checks, nullable=not c.required, required=True)
    unique = {"problems": ["bureau", "id"], "finance": ["bureau", "year", "indicator"]}.get(table.name)
    return pa.DataFrameSchema(
        columns,
        checks=_cross_checks(table, contract),
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


def _unit_matches(contract: Contract) -> pa.Check:
    """A finance row's unit fits its indicator: its count unit, or 元/万元/亿元 for money."""

    def check(df: pd.DataFrame) -> pd.Series:
        wanted = df["indicator"].map(lambda i: contract.counted_in(i) if isinstance(i, str) else None)
        money = df["unit"].isin(list(MONEY_UNITS))
        units_ok = (df["unit"] == wanted).where(wanted.notna(), money)
        return units_ok | df["unit"].isna() | df["indicator"].isna()

    return pa.Check(check, name="unit_matches")


def _unit_given(amount: str, unit: str) -> pa.Check:
    """An amount written without its unit cannot be converted: the unit cell must be filled."""

    def check(df: pd.DataFrame) -> pd.Series:
        return df[amount].isna() | df[unit].notna()

    return pa.Check(check, name=f"unit_given:{amount}:{unit}")


def _cross_checks(table: Table, contract: Contract) -> list[pa.Check]:
    checks = {
        "activities": [_not_before("end_date", "date")],
        "problems": [_not_before("resolved_on", "raised_on")],
        "finance": [_unit_matches(contract)],
    }.get(table.name, [])
    return checks + [_unit_given(c.name, c.unit_column) for c in table.columns if c.unit_column]


def _schema_problems(
    ctx: _Context,
    typed: pd.DataFrame,
    unparsed: set[tuple[int, str]],
    duplicated: frozenset[int] | set[int] = frozenset(),
) -> None:
    table = ctx.raw.table
    try:
        _schema(table, ctx.contract).validate(typed.drop(columns=list(META_COLUMNS)), lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return
    seen: set[tuple[int, str]] = set()
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
            message = f"指标“{row['indicator']}”的计量单位不对"
            expected = ctx.contract.counted_in(row["indicator"]) or "元、万元或亿元"
        elif check.startswith("unit_given:"):
            _, amount, unit = check.split(":")
            key = (index, unit)
            column, value = unit, row[unit]
            message = f"填写了{table.column(amount).zh}，但{table.column(unit).zh}为空，无法换算"
            expected = "元、万元或亿元"
        elif check == "multiple_fields_uniqueness":
            if index in duplicated:
                continue  # the same row in two places: reported as such
            key = (index, "duplicate")
            what = "问题编号" if table.name == "problems" else "指标"
            column = "id" if table.name == "problems" else "indicator"
            value = row[column]
            message = f"同一单位的{what}重复出现" + (
                "（同一年度同一指标只能有一行，不会自动相加）" if table.name == "finance" else ""
            )
            expected = "每个单位每年每项指标一行" if table.name == "finance" else "同一单位内唯一的问题编号"
        else:
            if column is None or (index, column) in unparsed:
                continue
            key = (index, column)
            spec = table.column(column)
            value = row[column]
            message = "必填内容为空" if check == "not_nullable" else "取值不符合要求"
            expected = expected_text(spec)
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


def _canonical_codes(typed: dict[str, pd.DataFrame], known: Iterable[str]) -> dict[str, str]:
    """Each code as written → the spelling it stands for (codes differing only in case are one)."""
    counts = Counter(c for frame in typed.values() for c in frame["bureau"] if isinstance(c, str))
    known_by_fold = {k.casefold(): k for k in known}
    groups: dict[str, list[str]] = {}
    for code in sorted(counts):
        groups.setdefault(code.casefold(), []).append(code)
    out = {}
    for fold, spellings in groups.items():
        canonical = known_by_fold.get(fold) or (fold if fold in spellings else max(spellings, key=counts.__getitem__))
        out.update(dict.fromkeys(spellings, canonical))
    return out


def _case_problems(ctx: _Context, typed: pd.DataFrame, canonical: dict[str, str], known: set[str]) -> None:
    for index, code in typed["bureau"].items():
        if not isinstance(code, str) or canonical.get(code, code) == code:
            continue
        right = canonical[code]
        where = "参数文件（bureaus/" + right + ".yaml）" if right in known else "台账其他行"
        ctx.problem(
            typed.loc[index],
            "bureau",
            f"单位代码与{where}中的“{right}”只有大小写不同，这一行不会计入“{right}”",
            code,
            f"“{right}”（单位代码区分大小写）",
        )


def _duplicate_rows(ctx: _Context, typed: pd.DataFrame) -> set[int]:
    """Rows identical in every column arriving from two sources (a copied sheet or file): an error."""
    columns = [c.name for c in ctx.raw.table.columns]
    first: dict[tuple[object, ...], int] = {}
    flagged: set[int] = set()
    for index, values in zip(typed.index, typed[columns].itertuples(index=False, name=None)):
        origin = first.setdefault(values, index)
        if origin == index:
            continue
        a, b = typed.loc[origin], typed.loc[index]
        if (a["_file"], a["_sheet"]) == (b["_file"], b["_sheet"]):
            continue  # repeated rows within one sheet are the ledger's own business
        place = f"文件“{a['_file']}”" + (f"工作表“{a['_sheet']}”" if a["_sheet"] else "") + f"第{a['_row']}行"
        ctx.problem(
            b,
            "bureau",
            f"这一行与{place}完全相同：同一条记录出现在两处，会被重复计算",
            b["bureau"],
            "每条记录只登记一次（删除重复的行，或移走副本文件/工作表）",
        )
        flagged.update((origin, index))
    return flagged


def _validate(
    raw: dict[str, RawTable], known_codes: Iterable[str] = (), contract: Contract = BASE
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[int, str | None]], list[CellProblem]]:
    """Typed frames, each row's bureau (canonical spelling) by index, and every problem."""
    known = set(known_codes)
    contexts = {name: _Context(table, [], contract) for name, table in raw.items()}
    parsed = {name: _parse_cells(ctx) for name, ctx in contexts.items()}
    typed = {name: frame for name, (frame, _) in parsed.items()}
    unparsed = {name: cells for name, (_, cells) in parsed.items()}
    canonical = _canonical_codes(typed, known)
    for name, ctx in contexts.items():
        _case_problems(ctx, typed[name], canonical, known)
        duplicated = _duplicate_rows(ctx, typed[name])
        _schema_problems(ctx, typed[name], unparsed[name], duplicated)
    owners = {
        name: {i: canonical.get(c) if isinstance(c, str) else None for i, c in frame["bureau"].items()}
        for name, frame in typed.items()
    }
    problems = []
    for name, ctx in contexts.items():
        for problem, index in ctx.problems:
            bureau = owners[name].get(index)
            if bureau is not None and re.match(_BUREAU_CODE, bureau):
                problem = replace(problem, bureau=bureau)
            problems.append(problem)
    problems.sort(key=lambda p: (p.file, p.sheet or "", p.row or 0))
    return typed, owners, problems


def _amounts_in_yuan(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """An added table's amount columns in 元 (exact decimals), from a fixed unit or the row's unit column."""
    for column in table.columns:
        if column.type != "amount":
            continue
        if column.unit_column:
            units = frame[column.unit_column].map(lambda u: MONEY_UNITS.get(u) if isinstance(u, str) else None)
        else:
            units = pd.Series(MONEY_UNITS[column.unit], index=frame.index)
        frame[column.name] = [
            None if v is None or f is None else v * Decimal(f) for v, f in zip(frame[column.name], units)
        ]
    return frame


def _ledgers(typed: dict[str, pd.DataFrame], notices: list[Notice], contract: Contract = BASE) -> Ledgers:
    extra = {t.name: _amounts_in_yuan(typed[t.name], t) for t in contract.extra}
    finance = _finance_amounts(typed["finance"])
    return Ledgers(typed["activities"], typed["problems"], finance, list(notices), extra, contract)


def validate_tables(
    raw: dict[str, RawTable],
    notices: list[Notice] | None = None,
    known_codes: Iterable[str] = (),
    contract: Contract = BASE,
) -> Ledgers:
    """Typed ledgers from raw tables; raise one DataError listing every problem.

    With ``known_codes`` (the bureaus that have a parameter file), a code differing from
    one of them only in case is a problem too.
    """
    typed, _, problems = _validate(raw, known_codes, contract)
    if problems:
        raise DataError(problems)
    return _ledgers(typed, notices or [], contract)


def load_ledgers(
    data_dir: Path | str,
    known_codes: Iterable[str] = (),
    notices: list[Notice] | None = None,
    contract: Contract = BASE,
) -> Ledgers:
    """Load and validate every table under ``data_dir``; notices ride along on the ledgers.

    Pass ``notices`` to keep them also when the data is refused.
    """

    notices = notices if notices is not None else []
    raw = load_tables(data_dir, notices, contract)
    return validate_tables(raw, notices, known_codes, contract)


def read_ledgers(data_dir: Path | str, params_dir: Path | str | None, notices: list[Notice] | None = None) -> Ledgers:
    """:func:`load_ledgers` against the contract of the parameters folder ``params_dir``
    (its ``contract.yaml``, else the base contract): how every command and notebook reads them."""
    return load_ledgers(data_dir, notices=notices, contract=load_contract(params_dir))


@dataclass
class BureauLedgers:
    """Ledgers of the bureaus whose rows are sound, and the problems of those whose rows are not."""

    ledgers: Ledgers
    failed: dict[str, list[CellProblem]]


def load_ledgers_per_bureau(
    data_dir: Path | str, known_codes: Iterable[str] = (), contract: Contract = BASE, mapper: Mapper = map
) -> BureauLedgers:
    """Like :func:`load_ledgers`, but a problem in rows of one bureau fails that bureau only.

    Problems that belong to no bureau (a missing column, an unreadable file, a row whose
    bureau code cannot be read) still raise, with every problem listed. ``mapper``: how
    the files of a large data folder are read (see :func:`toolkit.data.load.load_tables`).
    """

    notices: list[Notice] = []
    raw = load_tables(data_dir, notices, contract, mapper)
    typed, owners, problems = _validate(raw, known_codes, contract)
    failed: dict[str, list[CellProblem]] = {}
    for p in problems:
        if p.bureau is None:
            raise DataError(problems)
        failed.setdefault(p.bureau, []).append(p)
    kept = {}
    for name, frame in typed.items():
        keep = [owners[name].get(i) not in failed for i in frame.index]
        kept[name] = frame[keep].reset_index(drop=True)
    return BureauLedgers(_ledgers(kept, notices, contract), failed)
