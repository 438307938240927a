"""Find the three tables under a data folder and read them as offices save them.

Tables are sheets of ``.xlsx`` workbooks or ``.csv`` files, known by sheet name or
file stem. Cells are kept raw (text, numbers, dates as the reader gives them; blank
cells are ``None``); ``validate`` turns them into typed values. Every row remembers its
file, sheet and spreadsheet row number so that any figure can be traced back to it.

What offices add around a table is skipped on purpose and said so, as a
:class:`~toolkit.errors.Notice`: hidden sheets, copies (``活动台账 (2)``,
``活动台账（旧）``, ``活动台账-备份.xlsx``), a title row above the header, 合计 and
footer rows, columns that are not in the contract. Workbooks are checked against
:mod:`~toolkit.data.limits` before the reader opens them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineWorkbook

from toolkit.data.contract import BASE, META_COLUMNS, Contract, Table, normalise_header
from toolkit.data.limits import MAX_CSV_BYTES, SheetInfo, WorkbookTooLarge, column_letters, open_checked, scan_sheet
from toolkit.data.problems import DataError, Notice, Problem
from toolkit.errors import NotFoundError

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK
#: How far down a sheet the header row is looked for (title rows sit above it).
HEADER_SEARCH_ROWS = 10

_SEPARATORS = "-_."
_COPY_MARK = re.compile(
    r"备份|副本|拷贝|复制|旧版|历史|[（(\[【]\s*(?:旧|\d{1,2})\s*[)）\]】]|(?<![a-z])(?:backup|copy|bak|old)(?![a-z])",
    re.I,
)
_BRACKETS = re.compile(r"[（(\[【]")
#: A trailing note in brackets after a header: 人数（人）, 结束日期（选填）, 数值(元).
_HEADER_NOTE = re.compile(r"\s*[（(\[【][^（()）\[\]【】]*[)）\]】]\s*$")
_TOTAL = re.compile(r"^(?:合计|小计|总计|共计|累计|总合计)[:：]?$")
_FOOTER = re.compile(
    r"^(?:制表|填表|填报|审核|审批|复核|负责人|单位负责人|经办人|联系人|联系电话|注|说明|填表说明|备注)\s*人?\s*[:：]"
    r"|^(?:制表人|填表人|审核人|经办人|负责人)"
)


@dataclass(frozen=True)
class UncachedFormula:
    """A formula cell saved without its computed value (files written by scripts)."""

    cell: str

    def __str__(self) -> str:
        return f"公式（{self.cell}）"


@dataclass(frozen=True)
class ExcelErrorValue:
    """A cell holding an Excel error (``#N/A``, ``#DIV/0!``), which the reader gives as blank."""

    cell: str
    code: str

    def __str__(self) -> str:
        return self.code


@dataclass
class RawTable:
    """The rows of one table gathered from every file holding it, cells untouched."""

    table: Table
    frame: pd.DataFrame  # canonical column names + _file, _sheet, _row
    headers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # (file, sheet) → canonical column → header as the user wrote it
    positions: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # (file, sheet) → canonical column → 0-based column position

    def header(self, file: str, sheet: str, column: str) -> str:
        return self.headers.get((file, sheet), {}).get(column, self.table.column(column).zh)

    def cell(self, file: str, sheet: str, column: str, row: int) -> str | None:
        """The cell's Excel name (``D7``), when the column's position is known."""
        pos = self.positions.get((file, sheet), {}).get(column)
        return None if pos is None else f"{column_letters(pos + 1)}{row}"


def find_sources(data_dir: Path) -> list[Path]:
    """Every workbook and CSV under ``data_dir``, skipping Office lock files."""
    if not data_dir.is_dir():
        raise NotFoundError(f"找不到数据目录“{data_dir}”。")
    files = [
        p
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.suffix.lower() in (".xlsx", ".csv") and not p.name.startswith(("~$", "."))
    ]
    return files


def classify_name(name: str, tables: tuple[Table, ...] = BASE.tables) -> tuple[Table | None, bool]:
    """The table a sheet name or file stem stands for, and whether it only resembles it.

    A name *is* a table when it is the table's Chinese or English name, or that name
    followed by ``-``, ``_`` or ``.`` and a suffix (``活动台账-青山``, ``finance_2022``)
    that is no copy mark. A name that starts with or contains a table's name otherwise
    (``活动台账 (2)``, ``活动台账（旧）``, ``活动台账-备份``) only resembles it: it is
    not read, and the caller says so.
    """
    key = normalise_header(name)
    # longer names first: a table named 活动台账明细 is not a copy of 活动台账
    ordered = sorted(tables, key=lambda t: -len(normalise_header(t.zh)))
    for table in ordered:
        for label in (normalise_header(table.zh), normalise_header(table.name)):
            if key == label:
                return table, False
            if key.startswith(label):
                rest = key[len(label) :]
                if (
                    rest[0] in _SEPARATORS
                    and len(rest) > 1
                    and not _COPY_MARK.search(rest)
                    and not _BRACKETS.search(rest)
                ):
                    return table, False
                return table, True
    for table in ordered:
        if normalise_header(table.zh) in key:
            return table, True
    return None, False


def table_for_name(name: str, tables: tuple[Table, ...] = BASE.tables) -> Table | None:
    """The table a name stands for (see :func:`classify_name`), or None."""
    table, resembles = classify_name(name, tables)
    return None if resembles else table


def _is_copy_file(stem: str) -> bool:
    return bool(_COPY_MARK.search(stem))


def _too_large(shown: str, exc: WorkbookTooLarge, table: Table | None = None) -> Problem:
    if table is None:
        table = table_for_name(exc.sheet) if exc.sheet else table_for_name(Path(shown).stem)
    return Problem(
        shown,
        f"文件过大或已损坏：{exc.reason}",
        exc.sheet,
        expected="可用Excel正常打开、大小合理的.xlsx工作簿",
        table=table.name if table else None,
    )


def _read_csv(path: Path, shown: str, problems: list[Problem]) -> list[list[object]] | None:
    if path.stat().st_size > MAX_CSV_BYTES:
        problems.append(
            Problem(shown, f"文件过大或已损坏：超过{MAX_CSV_BYTES // 1024 // 1024} MB", expected="大小合理的CSV文件")
        )
        return None
    raw = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return [[v if v.strip() else None for v in r] for r in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            problems.append(Problem(shown, f"CSV格式有误（{exc}）", expected="逗号分隔的CSV文件"))
            return None
    problems.append(Problem(shown, "无法识别文件编码", expected="UTF-8、带BOM的UTF-8或GBK/GB18030编码的CSV"))
    return None


@dataclass
class _Sheet:
    table: Table
    name: str  # "" for a CSV file
    rows: list[list[object]]


def _cell_value(value: object) -> object:
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    return value


def _read_sheet(book: zipfile.ZipFile, reader: Any, info: SheetInfo) -> list[list[object]]:
    """One sheet's cells: blank as None, markers where the reader gives blank but the cell is not.

    The sheet's extent is checked first (:func:`scan_sheet` raises when it is too large).
    """
    scan = scan_sheet(book, info)
    rows = [[_cell_value(v) for v in r] for r in reader.get_sheet_by_name(info.name).to_python(skip_empty_area=False)]
    marks: dict[tuple[int, int], object] = {
        (r, c): UncachedFormula(f"{column_letters(c)}{r}") for r, c in scan.formulas_without_value
    }
    marks.update({(r, c): ExcelErrorValue(f"{column_letters(c)}{r}", e) for (r, c), e in scan.errors.items()})
    for (r, c), mark in marks.items():
        while len(rows) < r:
            rows.append([])
        if len(rows[r - 1]) < c:
            rows[r - 1].extend([None] * (c - len(rows[r - 1])))
        if rows[r - 1][c - 1] is None:
            rows[r - 1][c - 1] = mark
    return rows


def read_rows(path: Path, sheet: str | None) -> list[list[object]] | None:
    """The cells of one sheet (or of a CSV file) as the loader reads them; None when unreadable."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return _read_csv(path, path.name, [])
    try:
        book, sheets = open_checked(path)
    except WorkbookTooLarge:
        return None

    with book:
        info = next((s for s in sheets if s.name == sheet), None)
        if info is None:
            return None
        try:
            reader = CalamineWorkbook.from_path(str(path))
        except Exception:
            return None
        try:
            return _read_sheet(book, reader, info)
        except Exception:  # too large or broken: the problem list still names every cell
            return None
        finally:
            reader.close()


def _workbook_sheets(
    path: Path, shown: str, problems: list[Problem], notices: list[Notice], tables: tuple[Table, ...]
) -> list[_Sheet]:
    """The sheets of a workbook that are tables, read within the limits."""
    try:
        book, sheets = open_checked(path)
    except WorkbookTooLarge as exc:
        problems.append(_too_large(shown, exc))
        return []
    with book:
        chosen = _chosen_sheets(path, shown, sheets, notices, tables)
        if not chosen:
            return []
        return _read_chosen(book, path, shown, chosen, problems)


def _chosen_sheets(
    path: Path, shown: str, sheets: list[SheetInfo], notices: list[Notice], tables: tuple[Table, ...]
) -> list[tuple[Table, SheetInfo]]:
    """The sheets to read as tables; a hidden sheet or a copy of a table is skipped with a notice."""
    chosen = []
    for s in sheets:
        table, resembles = classify_name(s.name, tables)
        if table is None:
            continue
        if s.hidden:
            notices.append(
                Notice(shown, f"隐藏的工作表，未读取（如是{table.zh}，请取消隐藏）", s.name, kind="ignored_sheet")
            )
        elif resembles:
            notices.append(
                Notice(
                    shown,
                    f"工作表名像是{table.zh}的副本或旧版本，未读取；只读取名为“{table.zh}”"
                    f"（或“{table.zh}-后缀”）的工作表",
                    s.name,
                    kind="ignored_sheet",
                )
            )
        else:
            chosen.append((table, s))
    if not chosen:
        only = table_for_name(path.stem, tables)
        visible = [s for s in sheets if not s.hidden]
        if only is not None and len(visible) == 1:
            chosen = [(only, visible[0])]  # e.g. 活动台账.xlsx with one sheet "Sheet1"
    return chosen


def _read_chosen(
    book: zipfile.ZipFile, path: Path, shown: str, chosen: list[tuple[Table, SheetInfo]], problems: list[Problem]
) -> list[_Sheet]:
    """The cells of each chosen sheet; a sheet too large or unreadable is a problem instead."""
    try:
        reader = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types for broken files
        problems.append(_too_large(shown, WorkbookTooLarge(f"无法读取（{type(exc).__name__}）")))
        return []
    out: list[_Sheet] = []
    try:
        for table, s in chosen:
            try:
                rows = _read_sheet(book, reader, s)
            except WorkbookTooLarge as exc:
                problems.append(_too_large(shown, exc, table))
                continue
            except Exception as exc:
                reason = WorkbookTooLarge(f"无法读取（{type(exc).__name__}）", s.name)
                problems.append(_too_large(shown, reason, table))
                continue
            out.append(_Sheet(table, s.name, rows))
    finally:
        reader.close()
    return out


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and value != value)
    )


def header_key(header: object) -> str:
    """A header compared without blanks, case and a trailing note in brackets (``人数（人）``)."""
    text = str(header)
    stripped = _HEADER_NOTE.sub("", text)
    return normalise_header(stripped if stripped.strip() else text)


def _recognised(table: Table, row: list[object]) -> dict[int, str]:
    aliases = table.aliases
    found = {}
    for pos, header in enumerate(row):
        if not _blank(header) and isinstance(header, str):
            canonical = aliases.get(header_key(header))
            if canonical is not None:
                found[pos] = canonical
    return found


def _header_row(table: Table, rows: list[list[object]]) -> int | None:
    """Index of the header row: the first of the top rows holding every required column.

    Failing that, the top row naming most columns (its missing columns are then
    reported on it), or the first non-empty row.
    """
    filled = [i for i, r in enumerate(rows[: HEADER_SEARCH_ROWS + 20]) if not all(_blank(v) for v in r)]
    if not filled:
        return None
    candidates = filled[:HEADER_SEARCH_ROWS]
    required = {c.name for c in table.columns if c.required}
    best, best_count = filled[0], 0
    for i in candidates:
        names = set(_recognised(table, rows[i]).values())
        if required <= names:
            return i
        if len(names) > best_count:
            best, best_count = i, len(names)
    return best


_MARK_START = frozenset("合小总共累制填审复负单经联注说备")


def _text_cells(row: list[object]) -> list[str]:
    """Text cells that could open a 合计 or footer line, without blanks."""
    return ["".join(v.split()) for v in row if isinstance(v, str) and v.lstrip()[:1] in _MARK_START]


def _skipped_row(row: list[object], positions: dict[str, int], required: list[str]) -> str | None:
    """'total_row' or 'footer_row' when the row is a 合计 line or a note below the table."""
    texts = _text_cells(row)
    kind = None
    if any(_TOTAL.match(t) for t in texts):
        kind = "total_row"
    elif any(_FOOTER.match(t) for t in texts):
        kind = "footer_row"
    if kind is None:
        return None
    filled = 0
    for name in required:
        pos = positions[name]
        value = row[pos] if pos < len(row) else None
        if not _blank(value) and not (
            isinstance(value, str) and (_TOTAL.match("".join(value.split())) or _FOOTER.match(value.strip()))
        ):
            filled += 1
    return kind if filled * 2 < len(required) else None


@dataclass
class _Frame:
    frame: pd.DataFrame
    headers: dict[str, str]
    positions: dict[str, int]


def _frame_from_rows(
    table: Table, rows: list[list[object]], shown: str, sheet: str, problems: list[Problem], notices: list[Notice]
) -> _Frame | None:
    """Map the header row to canonical columns and keep the non-empty data rows."""
    start = _header_row(table, rows)
    if start is None:
        return None
    if start > 0 and any(not all(_blank(v) for v in r) for r in rows[:start]):
        notices.append(
            Notice(
                shown,
                f"表头在第{start + 1}行，上方" + (f"第1至{start}行" if start > 1 else "第1行") + "的标题等内容已跳过",
                sheet or None,
                start + 1,
                kind="header_row",
            )
        )
    positions, written = _header_columns(table, rows[start], shown, sheet, start + 1, problems, notices)
    missing = [c for c in table.columns if c.required and c.name not in positions]
    for c in missing:
        problems.append(
            Problem(
                shown,
                f"缺少必填列“{c.zh}”（或英文“{c.name}”）；表头应在前{HEADER_SEARCH_ROWS}行之内",
                sheet or None,
                start + 1,
                table=table.name,
                expected=f"{table.zh}包含“{c.zh}”列",
            )
        )
    if missing:
        return None
    records = _records(table, rows, start, positions, shown, sheet, notices)
    columns = [c.name for c in table.columns] + list(META_COLUMNS)
    return _Frame(pd.DataFrame.from_records(records, columns=columns), written, positions)


def _header_columns(
    table: Table,
    header_row: list[object],
    shown: str,
    sheet: str,
    row: int,
    problems: list[Problem],
    notices: list[Notice],
) -> tuple[dict[str, int], dict[str, str]]:
    """Each canonical column's position in the header row, and its header as the user wrote it.

    A header that is no column of the table is ignored with a notice; a second header
    naming a column already found is a problem.
    """
    aliases = table.aliases
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    for pos, header in enumerate(header_row):
        if _blank(header):
            continue
        canonical = aliases.get(header_key(header))
        if canonical is None:
            notices.append(
                Notice(
                    shown,
                    f"不是{table.zh}的列，已忽略（可用的列：{'、'.join(c.zh for c in table.columns)}）",
                    sheet or None,
                    row,
                    str(header).strip(),
                    kind="ignored_column",
                )
            )
            continue
        if canonical in positions:
            problems.append(
                Problem(
                    shown,
                    f"表头重复：“{written[canonical]}”与“{header}”是同一列",
                    sheet or None,
                    row,
                    str(header),
                    table=table.name,
                )
            )
            continue
        positions[canonical] = pos
        written[canonical] = str(header).strip()
    return positions, written


def _records(
    table: Table,
    rows: list[list[object]],
    start: int,
    positions: dict[str, int],
    shown: str,
    sheet: str,
    notices: list[Notice],
) -> list[dict[str, object]]:
    """The data rows below the header at index ``start``: empty rows, 合计 and footer lines left out."""
    required = [c.name for c in table.columns if c.required]
    records = []
    for i in range(start + 1, len(rows)):
        row = rows[i]
        cells = {c: (row[p] if p < len(row) else None) for c, p in positions.items()}
        if all(_blank(v) for v in cells.values()):
            continue  # empty rows are skipped
        skipped = _skipped_row(row, positions, required)
        if skipped is not None:
            what = "合计行" if skipped == "total_row" else "表尾说明行"
            notices.append(Notice(shown, f"{what}，已跳过（不作为数据读取）", sheet or None, i + 1, kind=skipped))
            continue
        cells.update(_file=shown, _sheet=sheet, _row=i + 1)
        records.append(cells)
    return records


#: Spreadsheet formats that are not read: each such file is listed, so no ledger is lost unseen.
OTHER_FORMATS = (".xls", ".xlsm", ".xlsb", ".et", ".ods", ".numbers")


def _sources(
    data_dir: Path, problems: list[Problem], notices: list[Notice], tables: tuple[Table, ...]
) -> list[tuple[str, list[_Sheet]]]:
    for path in sorted(data_dir.rglob("*")):
        if path.suffix.lower() in OTHER_FORMATS and path.is_file() and not path.name.startswith(("~$", ".")):
            notices.append(
                Notice(
                    path.relative_to(data_dir).as_posix(),
                    f"不读取{path.suffix}格式的文件；如是台账，请在Excel或WPS中另存为.xlsx",
                    kind="ignored_file",
                )
            )
    out = []
    for path in find_sources(data_dir):
        shown = path.relative_to(data_dir).as_posix()
        if _is_copy_file(path.stem):
            notices.append(Notice(shown, "文件名像是备份或副本，未读取（以免重复计算）", kind="ignored_file"))
            continue
        if path.suffix.lower() == ".csv":
            table, resembles = classify_name(path.stem, tables)
            if table is None:
                continue
            if resembles:
                notices.append(
                    Notice(
                        shown,
                        f"文件名像是{table.zh}的副本或旧版本，未读取；只读取名为“{table.zh}”（或“{table.zh}-后缀”）的文件",
                        kind="ignored_file",
                    )
                )
                continue
            rows = _read_csv(path, shown, problems)
            out.append((shown, [] if rows is None else [_Sheet(table, "", rows)]))
        else:
            out.append((shown, _workbook_sheets(path, shown, problems, notices, tables)))
    return out


def load_tables(
    data_dir: Path | str, notices: list[Notice] | None = None, contract: Contract = BASE
) -> dict[str, RawTable]:
    """Read every table of ``contract`` under ``data_dir``; raise one DataError listing every problem.

    What was skipped on purpose is appended to ``notices`` when a list is given. A base
    table that is nowhere is a problem; a table the office added (``contract.yaml``) that is
    nowhere is read as empty, with a notice, so a report counting it says it found nothing.
    """
    data_dir = Path(data_dir)
    notices = notices if notices is not None else []
    problems: list[Problem] = []
    names = [t.name for t in contract.tables]
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in names}
    headers: dict[str, dict[tuple[str, str], dict[str, str]]] = {name: {} for name in names}
    positions: dict[str, dict[tuple[str, str], dict[str, int]]] = {name: {} for name in names}
    for shown, sheets in _sources(data_dir, problems, notices, contract.tables):
        for sheet in sheets:
            got = _frame_from_rows(sheet.table, sheet.rows, shown, sheet.name, problems, notices)
            if got is not None:
                parts[sheet.table.name].append(got.frame)
                headers[sheet.table.name][(shown, sheet.name)] = got.headers
                positions[sheet.table.name][(shown, sheet.name)] = got.positions
    for table in contract.tables:
        if parts[table.name] or any(p.table == table.name for p in problems):
            continue
        if table in contract.extra:
            message = f"找不到{table.zh}（{contract.source or '台账约定'}中新增的表），按没有记录处理"
            notices.append(Notice(str(data_dir), message, kind="missing_table"))
            parts[table.name].append(pd.DataFrame(columns=[*META_COLUMNS, *(c.name for c in table.columns)]))
            continue
        problems.append(
            Problem(
                str(data_dir),
                f"找不到{table.zh}",
                expected=f"名为“{table.zh}”或“{table.name}”的工作表或CSV文件",
                table=table.name,
            )
        )
    if problems:
        raise DataError(problems)
    return {
        t.name: RawTable(t, pd.concat(parts[t.name], ignore_index=True), headers[t.name], positions[t.name])
        for t in contract.tables
    }
