"""Read one file under a data folder as offices save it: its tables' rows, and what is not read.

Tables are sheets of workbooks (``.xlsx``, ``.xlsm``, ``.xls``, ``.xlsb``, ``.ods``) or
``.csv`` files, known by sheet name or file stem (:mod:`toolkit.data.names`), or by the
headers on a sheet of a workbook named for its table. Cells are kept raw (text, numbers,
dates as the reader gives them; blank cells are ``None``); ``validate`` turns them into
typed values. Every row remembers its file, sheet and spreadsheet row number so that any
figure can be traced back to it.

Nothing under the folder is skipped unseen: every file and every sheet is either read or
listed as a :class:`~toolkit.data.problems.Notice` — hidden sheets, copies (``活动台账 (2)``,
``活动台账（旧）``, ``活动台账-备份.xlsx``), sheets and files that are no table, a title row
above the header, 合计 and footer rows, columns that are not in the contract. A notice
whose skipped content looks like ledger data (a table's headers on a sheet that is not
read, a near-miss header with data under it, a file that cannot be read) says so with
``unread=True``. Workbooks are checked against :mod:`~toolkit.data.limits` before the
reader opens them (:mod:`toolkit.data.books`).

Each file is read on its own (:func:`read_source`) and without pandas, so that a batch's
worker processes can read the files of a large folder (:mod:`toolkit.data.load` puts
them together).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.data.books import (
    BOOKS,
    CSV_SEPARATORS,
    SEPARATOR_NAMES,
    Book,
    Unreadable,
    decode_csv,
    open_book,
    split_csv,
)
from toolkit.data.contract import BASE, Table
from toolkit.data.headers import (
    HEADER_SEARCH_ROWS,
    blank,
    header_key,
    header_row,
    holds_headers,
    near_miss,
    table_of_headers,
)
from toolkit.data.limits import MAX_CSV_BYTES, WorkbookTooLarge, column_letters
from toolkit.data.names import NameKind, classify, is_copy, rename_hint
from toolkit.data.problems import Notice, Problem
from toolkit.errors import NotFoundError

#: Spreadsheet formats that are not read: each such file is listed as unread.
OTHER_FORMATS = (".et", ".ett", ".numbers", ".wps", ".xlt", ".xltx", ".xltm", ".fods", ".uos", ".dbf")
#: Text files that may hold a table saved under another extension.
TEXT_TABLES = (".txt", ".tsv", ".tab")
_SAVE_AS = "请在WPS或Excel中“另存为”Excel工作簿(.xlsx)"


def find_sources(data_dir: Path) -> list[Path]:
    """Every file under ``data_dir``, skipping Office lock files and hidden files and folders."""
    if not data_dir.is_dir():
        raise NotFoundError(f"找不到数据目录“{data_dir}”。")
    return [
        p
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and not any(part.startswith((".", "~$")) for part in p.relative_to(data_dir).parts)
    ]


def classify_name(name: str, tables: tuple[Table, ...] = BASE.tables) -> tuple[Table | None, bool]:
    """The table a sheet name or file stem stands for, and whether it only resembles it.

    A name *is* a table (see :func:`toolkit.data.names.classify`) when it is the table's
    name, that name after ``-``/``_``/``.`` with a suffix, or with a year or place around
    it (``2021年活动台账``); a copy (``活动台账 (2)``) or a name with something else around
    it (``活动台账汇总``) only resembles it.
    """
    table, kind = classify(name, tables)
    return table, table is not None and kind not in ("table", "named")


def table_for_name(name: str, tables: tuple[Table, ...] = BASE.tables) -> Table | None:
    """The table a name stands for (see :func:`classify_name`), or None."""
    table, resembles = classify_name(name, tables)
    return None if resembles else table


def _too_large(shown: str, exc: WorkbookTooLarge, table: Table | None = None) -> Problem:
    if table is None:
        table = table_for_name(exc.sheet) if exc.sheet else table_for_name(Path(shown).stem)
    return Problem(
        shown,
        f"文件过大或已损坏：{exc.reason}",
        exc.sheet,
        expected="可用Excel正常打开、大小合理的工作簿",
        table=table.name if table else None,
    )


def csv_rows(text: str, tables: tuple[Table, ...]) -> tuple[list[list[object]], str]:
    """The rows of CSV text and the separator they use: the comma, unless another one
    (``;``, tab, ``|``) splits the top lines into more of a table's headers or more fields."""
    head = "\n".join(text.splitlines()[: HEADER_SEARCH_ROWS + 1])
    best, best_score = ",", (-1, -1)
    for separator in CSV_SEPARATORS:
        try:
            rows = split_csv(head, separator)
        except Unreadable:
            continue
        first = next((r for r in rows if not all(blank(v) for v in r)), [])
        score = (max(holds_headers(t, rows) for t in tables), len(first))
        if score > best_score:
            best, best_score = separator, score
    return split_csv(text, best), best


def read_rows(path: Path, sheet: str | None, tables: tuple[Table, ...] = BASE.tables) -> list[list[object]] | None:
    """The cells of one sheet (or of a CSV file) as the loader reads them; None when unreadable."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            return csv_rows(decode_csv(path), tables)[0]
        with open_book(path) as book:
            return book.rows(sheet or "") if any(s.name == sheet for s in book.sheets) else None
    except (Unreadable, WorkbookTooLarge, OSError):
        return None


@dataclass
class _Sheet:
    table: Table
    name: str  # "" for a CSV file
    rows: list[list[object]]


@dataclass
class Records:
    """The data rows of one sheet (or CSV file) under canonical column names, cells as read."""

    table: str
    file: str  # as messages name it
    sheet: str  # "" for a CSV file
    rows: list[dict[str, object]]  # canonical column → cell, and _file, _sheet, _row
    headers: dict[str, str]  # canonical column → header as the user wrote it
    positions: dict[str, int]  # canonical column → 0-based column position


@dataclass
class Source:
    """What one file under the data folder gave: its tables' rows, and what was not read.

    ``problems`` and ``notices`` concern the file and its sheets (unreadable, too large,
    skipped); ``row_problems`` and ``row_notices`` the headers and rows of the sheets read.
    """

    shown: str  # the file's path under the data folder, as messages name it
    records: list[Records] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    row_problems: list[Problem] = field(default_factory=list)
    row_notices: list[Notice] = field(default_factory=list)


def _notice(shown: str, message: str, sheet: str | None = None, *, kind: str, unread: bool = False) -> Notice:
    return Notice(shown, message, sheet, kind=kind, unread=unread)


def _peek(book: Book, name: str) -> list[list[object]] | None:
    try:
        return book.rows(name)
    except WorkbookTooLarge:
        return None


def _has_content(rows: list[list[object]] | None) -> bool:
    return rows is None or any(not blank(v) for r in rows for v in r)


def _named_sheet(book: Book, name: str, table: Table, kind: NameKind, shown: str, notices: list[Notice]) -> bool:
    """Whether a sheet named for ``table`` is read; a copy or an unclear name is listed instead."""
    if kind == "table":
        return True
    if kind == "copy":
        message = (
            f"工作表名像是{table.zh}的副本或旧版本，未读取（以免重复计算）；只读取名为“{table.zh}”"
            f"（或“{table.zh}-后缀”）的工作表"
        )
        notices.append(_notice(shown, message, name, kind="ignored_sheet"))
        return False
    rows = _peek(book, name)
    if kind == "named" and (rows is None or holds_headers(table, rows)):
        return True  # 2021年活动台账; one too large is read, so that its problem is named
    if kind == "named":
        message = f"工作表名含“{table.zh}”，但前{HEADER_SEARCH_ROWS}行没有{table.zh}的表头，未读取"
    else:
        message = f"工作表名含“{table.zh}”，但无法确定是{table.zh}本身还是其汇总、副本或其他版本，未读取"
    notices.append(
        _notice(shown, f"{message}；{rename_hint(table)}", name, kind="ignored_sheet", unread=_has_content(rows))
    )
    return False


def _hidden_sheet(book: Book, name: str, tables: tuple[Table, ...], shown: str, notices: list[Notice]) -> None:
    table, kind = classify(name, tables)
    if kind == "copy":
        notices.append(_notice(shown, "隐藏的工作表，名称像是副本，未读取", name, kind="ignored_sheet"))
        return
    rows = _peek(book, name)
    found = table if table is not None else table_of_headers(rows or [], tables)
    message = "隐藏的工作表，未读取" + (f"（如是{found.zh}，请取消隐藏）" if found is not None else "")
    unread = found is not None and _has_content(rows)
    notices.append(_notice(shown, message, name, kind="ignored_sheet", unread=unread))


def _chosen_sheets(book: Book, shown: str, notices: list[Notice], tables: tuple[Table, ...]) -> list[tuple[Table, str]]:
    """The sheets to read as tables, each with its table; every other sheet is listed."""
    chosen: list[tuple[Table, str]] = []
    rest: list[str] = []  # visible sheets no table name stands for
    for s in book.sheets:
        table, kind = classify(s.name, tables)
        if s.hidden:
            _hidden_sheet(book, s.name, tables, shown, notices)
        elif table is None or kind is None:
            rest.append(s.name)
        elif _named_sheet(book, s.name, table, kind, shown, notices):
            chosen.append((table, s.name))
    visible = [s for s in book.sheets if not s.hidden]
    chosen += _by_file_name(book, shown, chosen, rest, len(visible), notices, tables)
    for name in rest:
        _unnamed_sheet(book, name, shown, notices, tables)
    return chosen


def _by_file_name(
    book: Book,
    shown: str,
    chosen: list[tuple[Table, str]],
    rest: list[str],
    visible: int,
    notices: list[Notice],
    tables: tuple[Table, ...],
) -> list[tuple[Table, str]]:
    """A workbook named for its table (``2021年活动台账.xlsx``) with the rows on ``Sheet1``: that
    sheet, when it is the only one holding the table's headers (or the only sheet at all).
    Removes what it takes (or lists as ambiguous) from ``rest``."""
    table, kind = classify(Path(shown).stem, tables)
    if table is None or kind not in ("table", "named") or any(t is table for t, _ in chosen):
        return []
    holding = [n for n in rest if holds_headers(table, _peek(book, n) or [])]
    if len(holding) == 1 or (not holding and not chosen and visible == 1 and len(rest) == 1):
        name = holding[0] if holding else rest[0]
        rest.remove(name)
        return [(table, name)]
    for name in holding:
        rest.remove(name)
        message = (
            f"工作簿以{table.zh}命名，但有{len(holding)}个工作表含{table.zh}的表头，无法确定读取哪一个，均未读取；"
            f"请把要读取的工作表改名为“{table.zh}”，其余的移出数据目录或改名注明“副本”"
        )
        notices.append(_notice(shown, message, name, kind="ignored_sheet", unread=True))
    return []


def _unnamed_sheet(book: Book, name: str, shown: str, notices: list[Notice], tables: tuple[Table, ...]) -> None:
    """A visible sheet that no table name stands for: listed, as unread when it holds a table's headers."""
    rows = _peek(book, name)
    if rows is None:
        message = "不是台账工作表（名称不是台账名），数据范围过大，未读取"
        notices.append(_notice(shown, message, name, kind="ignored_sheet"))
        return
    found = table_of_headers(rows, tables)
    if found is not None:
        message = f"工作表含{found.zh}的表头，但未读取；如是台账，请把工作表改名为“{found.zh}”"
        notices.append(_notice(shown, message, name, kind="ignored_sheet", unread=True))
    elif _has_content(rows):
        message = "不是台账工作表（名称不是台账名，前几行也没有台账的表头），未读取"
        notices.append(_notice(shown, message, name, kind="ignored_sheet"))


def _workbook_sheets(
    path: Path, shown: str, problems: list[Problem], notices: list[Notice], tables: tuple[Table, ...]
) -> list[_Sheet]:
    """The sheets of a workbook that are tables, read within the limits."""
    try:
        book = open_book(path)
    except WorkbookTooLarge as exc:
        problems.append(_too_large(shown, exc))
        return []
    except Unreadable as exc:
        notices.append(_unreadable(shown, path, exc.reason))
        return []
    out: list[_Sheet] = []
    with book:
        for table, name in _chosen_sheets(book, shown, notices, tables):
            try:
                rows = book.rows(name)
            except WorkbookTooLarge as exc:
                problems.append(_too_large(shown, WorkbookTooLarge(exc.reason, name), table))
                continue
            out.append(_Sheet(table, name, rows))
    return out


def _unreadable(shown: str, path: Path, reason: str) -> Notice:
    message = f"无法读取：{reason}；如是台账，{_SAVE_AS}"
    return _notice(shown, message, kind="ignored_file", unread=True)


_TOTAL = re.compile(r"^(?:合计|小计|总计|共计|累计|总合计)[:：]?$")
_FOOTER = re.compile(
    r"^(?:制表|填表|填报|审核|审批|复核|负责人|单位负责人|经办人|联系人|联系电话|注|说明|填表说明|备注)\s*人?\s*[:：]"
    r"|^(?:制表人|填表人|审核人|经办人|负责人)"
)
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
        if not blank(value) and not (
            isinstance(value, str) and (_TOTAL.match("".join(value.split())) or _FOOTER.match(value.strip()))
        ):
            filled += 1
    return kind if filled * 2 < len(required) else None


def _sheet_records(
    table: Table, rows: list[list[object]], shown: str, sheet: str, problems: list[Problem], notices: list[Notice]
) -> Records | None:
    """Map the header row to canonical columns and keep the non-empty data rows."""
    start = header_row(table, rows)
    if start is None:
        return None
    if start > 0 and any(not all(blank(v) for v in r) for r in rows[:start]):
        notices.append(
            Notice(
                shown,
                f"表头在第{start + 1}行，上方" + (f"第1至{start}行" if start > 1 else "第1行") + "的标题等内容已跳过",
                sheet or None,
                start + 1,
                kind="header_row",
            )
        )
    positions, written, unknown = _header_columns(table, rows[start], shown, sheet, start + 1, problems)
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
    records, data_rows = _records(table, rows, start, positions, shown, sheet, notices)
    _column_notices(table, rows[start], start + 1, data_rows, positions, unknown, shown, sheet, notices)
    if missing:
        return None
    return Records(table.name, shown, sheet, records, written, positions)


def _header_columns(
    table: Table, header: list[object], shown: str, sheet: str, row: int, problems: list[Problem]
) -> tuple[dict[str, int], dict[str, str], list[int]]:
    """Each canonical column's position in the header row, its header as the user wrote it,
    and the positions of headers that name no column. A second header naming a column
    already found is a problem."""
    aliases = table.aliases
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    unknown: list[int] = []
    for pos, cell in enumerate(header):
        if blank(cell):
            continue
        canonical = aliases.get(header_key(cell))
        if canonical is None:
            unknown.append(pos)
            continue
        if canonical in positions:
            problems.append(
                Problem(
                    shown,
                    f"表头重复：“{written[canonical]}”与“{cell}”是同一列",
                    sheet or None,
                    row,
                    str(cell),
                    table=table.name,
                )
            )
            continue
        positions[canonical] = pos
        written[canonical] = str(cell).strip()
    return positions, written, unknown


def _first_value(data_rows: list[tuple[int, list[object]]], pos: int) -> tuple[int, object] | None:
    """The first data cell in column ``pos`` (its 1-based row and value as shown), or None when all are blank."""
    for i, row in data_rows:
        if pos < len(row) and not blank(row[pos]):
            value = row[pos]
            return i + 1, int(value) if isinstance(value, float) and value.is_integer() else value
    return None


def _column_notices(
    table: Table,
    header: list[object],
    row: int,
    data_rows: list[tuple[int, list[object]]],
    positions: dict[str, int],
    unknown: list[int],
    shown: str,
    sheet: str,
    notices: list[Notice],
) -> None:
    """List every column not read: a near-miss header or a blank one with data under it as unread."""
    taken = set(positions)
    for pos in unknown:
        written = str(header[pos]).strip()
        near = near_miss(table, written, taken)
        first = _first_value(data_rows, pos)
        if near is not None and first is not None:
            message = (
                f"“{written}”列未读取，是否应为“{near.zh}”？如是，请把表头改为“{near.zh}”"
                f"（第{first[0]}行的值为“{first[1]}”）"
            )
            notices.append(Notice(shown, message, sheet or None, row, written, kind="ignored_column", unread=True))
            continue
        message = f"不是{table.zh}的列，已忽略（可用的列：{'、'.join(c.zh for c in table.columns)}）"
        notices.append(Notice(shown, message, sheet or None, row, written, kind="ignored_column"))
    width = max((len(r) for _, r in data_rows), default=0)
    for pos in range(width):
        if pos < len(header) and not blank(header[pos]):
            continue
        first = _first_value(data_rows, pos)
        if first is None:
            continue
        letter = column_letters(pos + 1)
        message = (
            f"{letter}列没有表头，但下方有数据（第{first[0]}行的值为“{first[1]}”），未读取；"
            f"请填写表头（如是{table.zh}的列，用其列名：{'、'.join(c.zh for c in table.columns)}）"
        )
        notices.append(Notice(shown, message, sheet or None, row, letter, kind="ignored_column", unread=True))


def _records(
    table: Table,
    rows: list[list[object]],
    start: int,
    positions: dict[str, int],
    shown: str,
    sheet: str,
    notices: list[Notice],
) -> tuple[list[dict[str, object]], list[tuple[int, list[object]]]]:
    """The data rows below the header at index ``start``: empty rows, 合计 and footer lines left
    out; and every row below the header that is no 合计 or footer line (index, cells)."""
    required = [c.name for c in table.columns if c.required]
    records = []
    data_rows = []
    for i in range(start + 1, len(rows)):
        row = rows[i]
        cells = {c: (row[p] if p < len(row) else None) for c, p in positions.items()}
        skipped = _skipped_row(row, positions, required) if positions.keys() >= set(required) else None
        if skipped is not None:
            what = "合计行" if skipped == "total_row" else "表尾说明行"
            notices.append(Notice(shown, f"{what}，已跳过（不作为数据读取）", sheet or None, i + 1, kind=skipped))
            continue
        data_rows.append((i, row))
        if all(blank(v) for v in cells.values()):
            continue  # empty rows are skipped
        cells.update(_file=shown, _sheet=sheet, _row=i + 1)
        records.append(cells)
    return records, data_rows


def _csv_source(
    path: Path, shown: str, problems: list[Problem], notices: list[Notice], tables: tuple[Table, ...]
) -> list[_Sheet]:
    """A CSV file: read when its name stands for a table, otherwise listed (as unread when its
    headers are a table's)."""
    table, kind = classify(path.stem, tables)  # never a copy: copies are listed before
    try:
        rows, separator = csv_rows(decode_csv(path), tables)
    except Unreadable as exc:
        if table is None:
            notices.append(_unreadable(shown, path, exc.reason))
        else:
            problems.append(_csv_problem(shown, exc.reason, table))
        return []
    if separator != ",":
        name = SEPARATOR_NAMES[separator]
        message = f"CSV文件以{name}分隔（约定为逗号分隔），已按{name}读取"
        notices.append(Notice(shown, message, None, 1, kind="csv_separator"))
    if table is not None and (kind == "table" or (kind == "named" and holds_headers(table, rows))):
        return [_Sheet(table, "", rows)]
    found = table if table is not None else table_of_headers(rows, tables)
    if found is None:
        what = "不是台账文件（文件名不是台账名，前几行也没有台账的表头），未读取"
        notices.append(_notice(shown, what, kind="ignored_file", unread=False))
    elif table is None:
        what = f"文件含{found.zh}的表头，但文件名不是台账名，未读取；{rename_hint(found, file=True)}"
        notices.append(_notice(shown, what, kind="ignored_file", unread=True))
    else:
        what = f"文件名含“{found.zh}”，但无法确定是{found.zh}本身还是其汇总、副本或其他版本，未读取"
        notices.append(_notice(shown, f"{what}；{rename_hint(found, file=True)}", kind="ignored_file", unread=True))
    return []


def _csv_problem(shown: str, reason: str, table: Table) -> Problem:
    if reason.startswith("文件过大"):
        return Problem(shown, f"文件过大或已损坏：超过{MAX_CSV_BYTES // 1024 // 1024} MB", expected="大小合理的CSV文件")
    if reason.startswith("CSV"):
        return Problem(shown, reason, expected="逗号分隔的CSV文件", table=table.name)
    return Problem(shown, reason, expected="UTF-8、带BOM的UTF-8或GBK/GB18030编码的CSV", table=table.name)


def _other_file(path: Path, shown: str, notices: list[Notice], tables: tuple[Table, ...]) -> None:
    """A file that is neither a workbook nor a CSV: listed; as unread when it looks like a ledger."""
    suffix = path.suffix.lower()
    table, kind = classify(path.stem, tables)
    if suffix in OTHER_FORMATS:
        notices.append(
            _notice(shown, f"不读取{suffix}格式的文件；如是台账，{_SAVE_AS}", kind="ignored_file", unread=True)
        )
        return
    found = table if kind in ("table", "named", "unclear") else None
    if suffix in TEXT_TABLES and found is None:
        try:
            found = table_of_headers(csv_rows(decode_csv(path), tables)[0], tables)
        except (Unreadable, OSError):
            found = None
    if found is not None:
        message = f"不是表格文件（只读取.xlsx、.xls、.xlsm、.xlsb、.ods和.csv），但像是{found.zh}，未读取；"
        message += f"如是台账，{_SAVE_AS}或CSV文件"
        notices.append(_notice(shown, message, kind="ignored_file", unread=True))
        return
    message = "不是台账文件（只读取.xlsx、.xls、.xlsm、.xlsb、.ods和.csv），未读取"
    notices.append(_notice(shown, message, kind="ignored_file"))


def read_source(path: Path, data_dir: Path, tables: tuple[Table, ...]) -> Source:
    """Read one file under ``data_dir``: the rows of every table in it, and what is not read.

    Files are read independently of each other, so a large data folder may be read file
    by file in other processes (see :func:`toolkit.data.load.load_tables`).
    """
    source = Source(path.relative_to(data_dir).as_posix())
    shown, suffix = source.shown, path.suffix.lower()
    if is_copy(path.stem):
        source.notices.append(_notice(shown, "文件名像是备份或副本，未读取（以免重复计算）", kind="ignored_file"))
        return source
    if suffix == ".csv":
        sheets = _csv_source(path, shown, source.problems, source.notices, tables)
    elif suffix in BOOKS:
        sheets = _workbook_sheets(path, shown, source.problems, source.notices, tables)
    else:
        _other_file(path, shown, source.notices, tables)
        return source
    for sheet in sheets:
        found = _sheet_records(sheet.table, sheet.rows, shown, sheet.name, source.row_problems, source.row_notices)
        if found is not None:
            source.records.append(found)
    return source
