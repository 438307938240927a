"""A problem list a clerk can fix from: one ``.xlsx`` with every problem and the bad cells marked.

The first sheet, 问题清单, lists every problem (file, sheet, cell, row, column, value,
what is wrong, what to enter). Then, for each ledger sheet (or CSV file) with problems
in its rows, a copy of its cells with each bad cell filled red and a comment carrying
the message; each line of the list links to its marked cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from toolkit.data.limits import column_letters
from toolkit.data.problems import Problem
from toolkit.data.sources import read_rows
from toolkit.outputs import atomic_write

LIST_SHEET = "问题清单"
HEADERS = ("序号", "单位代码", "文件", "工作表", "单元格", "行", "列", "单元格的值", "问题", "应填写", "标注位置")
WIDTHS = (6, 12, 28, 14, 9, 6, 14, 18, 60, 48, 14)
RED = "FFC7CE"
HEAD = "D9D9D9"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _plain(value: object) -> object:
    """A value openpyxl writes as it is shown: text stays text (no formulas), dates stay dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, date, datetime)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return _ILLEGAL.sub("", str(value))


def _set_text(cell: Any, value: object) -> None:
    value = _plain(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(("=", "#")):
        cell.data_type = "s"  # shown as typed, never evaluated


def _sheet_title(taken: set[str], file: str, sheet: str | None) -> str:
    base = _SHEET_NAME_BAD.sub("_", f"标注-{sheet or Path(file).stem}")[:28]
    title, n = base, 2
    while title.lower() in taken:
        title, n = f"{base[:26]}({n})", n + 1
    taken.add(title.lower())
    return title


def _cell_of(problem: Problem) -> str | None:
    return getattr(problem, "cell", None)


def _first_cell(rows: list[list[object]], row: int) -> str:
    """The first filled cell of a row (a problem about the whole row is marked there)."""

    cells = rows[row - 1] if 0 < row <= len(rows) else []
    col = next((i for i, v in enumerate(cells) if v not in (None, "")), 0)
    return f"{column_letters(col + 1)}{row}"


#: A marked copy of one source: its sheet's title in the problem list, and the cells copied.
_Marked = dict[tuple[str, str | None], tuple[str, list[list[object]]]]


def problem_workbook_bytes(problems: Sequence[Problem], data_dir: Path | None) -> bytes:
    """The problem list as ``.xlsx`` bytes (``data_dir`` holds the ledgers to copy and mark)."""

    book = Workbook()
    listing = book.active
    listing.title = LIST_SHEET
    taken = {LIST_SHEET.lower()}
    red = PatternFill("solid", fgColor=RED)
    listing.append(HEADERS)
    for cell in listing[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEAD)
    for i, width in enumerate(WIDTHS):
        listing.column_dimensions[chr(65 + i)].width = width
    listing.freeze_panes = "A2"

    marked = _marked_copies(book, problems, data_dir, taken)
    notes: dict[tuple[str, str], list[str]] = {}
    for n, p in enumerate(problems, 1):
        _list_problem(listing, n, p, marked.get((p.file, p.sheet)), notes)
    for (title, ref), texts in notes.items():
        cell = book[title][ref]
        cell.fill = red
        cell.comment = Comment("\n".join(texts), "zongjie", width=360, height=40 + 40 * len(texts))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _marked_copies(book: Workbook, problems: Sequence[Problem], data_dir: Path | None, taken: set[str]) -> _Marked:
    """A copy of every source with problems in its rows, each a sheet of ``book``."""
    marked: _Marked = {}
    for p in problems:
        key = (p.file, p.sheet)
        if p.row is None or key in marked or data_dir is None:
            continue
        rows = read_rows(Path(data_dir) / p.file, p.sheet or None)
        if rows is None:
            continue
        title = _sheet_title(taken, p.file, p.sheet)
        marked[key] = (title, rows)
        sheet = book.create_sheet(title)
        for r, values in enumerate(rows, 1):
            for c, value in enumerate(values, 1):
                if value is not None:
                    _set_text(sheet.cell(r, c), value)
        sheet.freeze_panes = None
    return marked


def _list_problem(
    listing: Worksheet,
    n: int,
    p: Problem,
    target: tuple[str, list[list[object]]] | None,
    notes: dict[tuple[str, str], list[str]],
) -> None:
    """Line ``n`` of the list; with a marked copy, a link to the cell and a note for its comment."""
    ref = _cell_of(p)
    if target is not None and p.row is not None and ref is None:
        ref = _first_cell(target[1], p.row)
    line = [
        n,
        getattr(p, "bureau", None) or "",
        p.file,
        p.sheet or "",
        ref or "",
        p.row or "",
        p.column or "",
        p.value if p.value not in (None, "") else "",
        p.message,
        p.expected or "",
        "",
    ]
    listing.append([None] * len(line))
    row = listing.max_row
    for c, value in enumerate(line, 1):
        _set_text(listing.cell(row, c), value)
        listing.cell(row, c).alignment = Alignment(wrap_text=True, vertical="top")
    if target is not None and ref:
        title = target[0]
        link = listing.cell(row, len(line))
        link.value = f"{title}!{ref}"
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{title}'!{ref}")
        link.font = Font(color="0563C1", underline="single")
        note = f"{n}. {p.message}" + (f"；应填写{p.expected}" if p.expected else "")
        notes.setdefault((title, ref), []).append(note)


def write_problem_workbook(problems: Sequence[Problem], data_dir: Path | None, out: Path) -> Path:
    """Write the problem list to ``out`` (atomically) and return its path."""
    out = Path(out)
    atomic_write(out, problem_workbook_bytes(problems, data_dir))
    return out
