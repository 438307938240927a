"""What is wrong in the input, located as a clerk sees it: problems, notices and the data errors.

Data problems are collected as :class:`Problem` values and raised together in one
:class:`DataError`, so a clerk sees every cell to fix in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from toolkit.data.contract import TABLES
from toolkit.errors import ZongjieError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the input, located as the user sees it in the spreadsheet."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None  # spreadsheet row number, header = row 1
    column: str | None = None  # the header as the user wrote it
    value: object = None
    expected: str | None = None
    table: str | None = None
    #: the table's Chinese name, for a table an office added (the base tables' are known)
    label: str | None = None

    def __str__(self) -> str:
        where = [f"文件“{self.file}”"]
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        label = self.label or (TABLES[self.table].zh if self.table in TABLES else None)
        if label and label != self.sheet:
            where[-1] += f"（{label}）"
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列")
        cell = getattr(self, "cell", None)
        if cell:
            where.append(f"单元格{cell}")
        text = "，".join(where) + "：" + self.message
        if self.value is not None and self.value != "":
            text += f"，值为“{self.value}”"
        if self.expected:
            text += f"，应为{self.expected}"
        return text + "。"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["value"] = None if self.value is None else str(self.value)
        return data


@dataclass(frozen=True)
class CellProblem(Problem):
    """A problem in one row of a ledger: which bureau the row belongs to and which cell."""

    bureau: str | None = None  # the row's bureau code, when it can be read
    cell: str | None = None  # the cell as Excel names it (``D7``); None when the whole row is meant


@dataclass(frozen=True)
class Notice:
    """Something the loader skipped or assumed on purpose, shown so nothing is lost unseen."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    kind: str = ""  # ignored_file, ignored_sheet, ignored_column, header_row, total_row, footer_row, csv_separator
    #: what was left out looks like ledger data (a table's name or headers, a near-miss header
    #: with data under it, a file that cannot be read): a final report is refused while it stays
    unread: bool = False

    def __str__(self) -> str:
        where = [f"文件“{self.file}”"]
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列")
        return "，".join(where) + "：" + self.message

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class DataError(ZongjieError, ValueError):
    """The ledgers or parameters break the data contract; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"输入数据有{len(self.problems)}处问题，请逐一修正后重试："]
        lines += [f"{n}. {p}" for n, p in enumerate(self.problems, 1)]
        return "\n".join(lines)


class ParameterError(DataError):
    """A bureau parameter file is missing, unreadable or incomplete."""


class FigureValueError(DataError):
    """A value that must never reach a report (None, nan, NaT, a boolean, inf, empty text).

    Raised by :func:`toolkit.report.prepare.formatting.figure_text`, the one place a figure's text is
    made; it means a computation went wrong, never that the report should print it.
    """
