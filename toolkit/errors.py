"""Exceptions of zongjie: one root, specific ones under it, messages in Chinese.

Data problems are collected as :class:`Problem` values and raised together in one
:class:`DataError`, so a clerk sees every cell to fix in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .contract import TABLES


class ZongjieError(Exception):
    """Root of every error zongjie raises on purpose; ``str()`` is a Chinese message."""


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

    def __str__(self) -> str:
        where = [f"文件“{self.file}”"]
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        label = TABLES[self.table].zh if self.table in TABLES else None
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

    def to_dict(self) -> dict:
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
    kind: str = ""  # ignored_file, ignored_sheet, ignored_column, header_row, total_row, footer_row

    def __str__(self) -> str:
        where = [f"文件“{self.file}”"]
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列")
        return "，".join(where) + "：" + self.message

    def to_dict(self) -> dict:
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


class TemplateError(ZongjieError, ValueError):
    """The Word template cannot be used: bad Jinja syntax or a tag that is no figure."""

    def __init__(self, template: str, message: str):
        self.template = template
        super().__init__(f"模板“{template}”有误：{message}")


class MissingValuesError(ZongjieError, ValueError):
    """A final report was asked for but the data lacks some values."""

    def __init__(self, bureau: str, year: int, missing: list[str]):
        self.bureau, self.year, self.missing = bureau, year, list(missing)
        items = "\n".join(f"- {m}" for m in self.missing)
        super().__init__(
            f"单位“{bureau}”{year}年的报告缺少{len(self.missing)}项数据，不能生成正式稿（未写出任何文件）：\n{items}"
        )


class NotFoundError(ZongjieError, FileNotFoundError):
    """A folder, file, bureau or year the user named does not exist."""


class FigureValueError(DataError):
    """A value that must never reach a report (None, nan, NaT, a boolean, inf, empty text).

    Raised by :func:`toolkit.formatting.figure_text`, the one place a figure's text is
    made; it means a computation went wrong, never that the report should print it.
    """


class PdfError(ZongjieError, RuntimeError):
    """A report could not be converted to PDF (the .docx beside it is unaffected)."""

    def __init__(self, message: str, *, document: str | None = None):
        self.document = document
        super().__init__(f"“{document}”无法转换为PDF：{message}" if document else message)


class WriteFailed(ZongjieError, OSError):
    """An output file could not be written (a full disk, no permission); names the file."""

    def __init__(self, path: object, cause: OSError):
        self.path = str(path)
        reason = "磁盘空间不足" if cause.errno == 28 else (cause.strerror or str(cause))
        super().__init__(cause.errno, f"无法写出文件“{self.path}”：{reason}。")
        self.filename = self.path

    def __str__(self) -> str:
        return self.strerror or ""


class NotebookError(ZongjieError):
    """A notebook run that did not complete; ``str()`` says why in Chinese."""

    #: the executed notebook as far as it ran, when there is one
    notebook: object = None


class CellFailed(NotebookError):
    """A cell raised: ``ename``/``evalue`` as the kernel reported them."""

    def __init__(self, ename: str, evalue: str, message: str):
        self.ename, self.evalue = ename, evalue
        super().__init__(message)


class ExecutionTimeout(NotebookError, TimeoutError):
    """The notebook took longer than its time budget."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(f"笔记本执行超过{seconds}秒，已停止。")


class KernelDied(NotebookError):
    """The kernel process ended in the middle of a notebook."""

    def __init__(self, detail: str = ""):
        super().__init__("笔记本的内核意外退出" + (f"（{detail}）" if detail else "") + "。")


class IncompleteOutputs(NotebookError):
    """A bureau's outputs are missing or do not match its ``result.json``: it must be redone."""
