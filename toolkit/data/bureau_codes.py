"""Bureau codes in the ledgers that have no parameter file: the rows no report takes.

Kept apart from ``validate`` (which loads the validation library) so that the report
stage and a batch's notebooks can check the validated ledgers they hold.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import pandas as pd

from toolkit.data.contract import Table
from toolkit.data.ledgers import Ledgers
from toolkit.data.problems import CellProblem


def nearest_code(code: str, known: Iterable[str]) -> str | None:
    """The known code ``code`` was most likely meant to be, or None when none is close.

    The same code in another case (``Qingshan``), the same number without its leading
    zeros (a code ``001`` typed as the number 1), or a code a letter or two away (``qinshan``).
    """
    codes = sorted(set(known))
    folded = [k for k in codes if k.casefold() == code.casefold()]
    if folded:
        return folded[0]
    if code.isdigit():
        same = [k for k in codes if k.isdigit() and int(k) == int(code)]
        if same:
            return same[0]
    by_fold = {k.casefold(): k for k in codes}
    close = difflib.get_close_matches(code.casefold(), list(by_fold), n=1, cutoff=0.75)
    return by_fold[close[0]] if close else None


def _unknown_rows(ledgers: Ledgers, code: str) -> list[tuple[str, pd.Series]]:
    """Every row (table, row) whose bureau code is ``code``, in table and ledger order."""
    return [
        (table, r)
        for table in ledgers.table_names
        for frame in (ledgers.frame(table),)
        for _, r in frame[frame["bureau"] == code].iterrows()
    ]


def check_codes(ledgers: Ledgers, known_codes: Iterable[str]) -> list[CellProblem]:
    """Problems for codes in the ledgers that have no parameter file (case variants named as such)."""
    known = set(known_codes)
    by_fold = {k.casefold(): k for k in known}
    out: list[CellProblem] = []
    for code in ledgers.bureaus:
        if code in known:
            continue
        rows = _unknown_rows(ledgers, code)
        table, first = rows[0]
        right = by_fold.get(code.casefold())
        if right is not None:
            message = f"单位代码“{code}”与参数文件bureaus/{right}.yaml的“{right}”只有大小写不同（共{len(rows)}行），这些行不会计入“{right}”"
            expected, bureau = f"“{right}”（单位代码区分大小写）", right
        else:
            message = f"单位代码“{code}”（共{len(rows)}行）没有参数文件bureaus/{code}.yaml，这些行不会进入任何报告"
            message += _meant(code, known)
            expected = "已有参数文件的单位代码：" + ("、".join(sorted(known)) or "无") + f"；或新建bureaus/{code}.yaml"
            bureau = code
        out.append(
            CellProblem(
                first["_file"],
                message,
                first["_sheet"] or None,
                int(first["_row"]),
                ledgers.contract.table(table).column("bureau").zh,
                code,
                expected,
                table,
                bureau=bureau,
            )
        )
    return out


def _meant(code: str, known: Iterable[str]) -> str:
    near = nearest_code(code, known)
    return f"（与已有的单位代码“{near}”相近）" if near else ""


def unknown_code_rows(ledgers: Ledgers, known_codes: Iterable[str], year: int | None = None) -> list[CellProblem]:
    """One problem per row whose bureau code has no parameter file (of ``year`` only, when given).

    Such a row belongs to no report: it is dropped from every one of them, so a report of
    its year cannot be called complete. Each problem names the nearest known code, if any.
    """
    known = set(known_codes)
    out: list[CellProblem] = []
    for code in ledgers.bureaus:
        if code in known:
            continue
        near = nearest_code(code, known)
        expected = f"“{near}”" if near else "已有参数文件的单位代码：" + ("、".join(sorted(known)) or "无")
        for table, row in _unknown_rows(ledgers, code):
            if year is not None and _row_year(ledgers.contract.table(table), row) not in (year, None):
                continue
            message = f"单位代码“{code}”没有参数文件bureaus/{code}.yaml，这一行不会进入任何报告" + _meant(code, known)
            column = ledgers.contract.table(table).column("bureau").zh
            sheet = row["_sheet"] or None
            out.append(
                CellProblem(row["_file"], message, sheet, int(row["_row"]), column, code, expected, table, bureau=code)
            )
    return out


def _row_year(table: Table, row: pd.Series) -> int | None:
    """The year a row belongs to (None when its date or year cell is blank)."""
    column = table.year_column
    when = row[column.name]
    if when is None or (isinstance(when, float) and when != when) or when is pd.NaT:
        return None
    return int(when.year) if column.type == "date" else int(when)
