"""Open a ledger file of any format offices save and give its sheets' cells, within bounds.

``.xlsx`` and ``.xlsm`` are checked part by part (:mod:`toolkit.data.limits`) and each
sheet's extent is scanned before the reader touches it; ``.xls``, ``.xlsb`` and ``.ods``
are read by python-calamine after their file size (and, for the zip formats, the
archive) is checked, and each sheet's extent is checked before its cells become Python
values. CSV files are decoded as UTF-8 or GB18030 and split by the separator they use.

Cells are kept raw: text, numbers and dates as the reader gives them, blank as ``None``,
markers for what the reader would give as blank although the cell is not
(:class:`UncachedFormula`, :class:`ExcelErrorValue`) or as a number although it is none
(:class:`NotANumber`, an infinite or NaN float).
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from toolkit.data.limits import (
    MAX_BOOK_BYTES,
    MAX_CELLS,
    MAX_CSV_BYTES,
    SheetInfo,
    WorkbookTooLarge,
    check_archive,
    column_letters,
    open_checked,
    scan_sheet,
)

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK
#: Formats whose sheets are read (``.xlsx``/``.xlsm`` through the XML checks, the others by calamine).
XML_BOOKS = (".xlsx", ".xlsm")
OTHER_BOOKS = (".xls", ".xlsb", ".ods")
BOOKS = XML_BOOKS + OTHER_BOOKS
#: Separators a CSV may use, the contract's comma first.
CSV_SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "逗号", ";": "分号", "\t": "制表符（Tab）", "|": "竖线"}


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


@dataclass(frozen=True)
class NotANumber:
    """A number cell holding infinity or NaN (a broken or hostile file): never a value."""

    text: str

    def __str__(self) -> str:
        return self.text


class Unreadable(Exception):
    """The file is no workbook the reader understands; ``reason`` says why, in Chinese."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def cell_value(value: object) -> object:
    """A reader's cell as the loader keeps it: blank as None, a non-finite float as :class:`NotANumber`."""
    if value == "" or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return NotANumber(repr(value))
    return value


@dataclass(frozen=True)
class SheetEntry:
    name: str
    hidden: bool


class Book:
    """An opened workbook: its sheets in order, and each sheet's cells on demand (cached)."""

    def __init__(self, path: Path):
        self.path = path
        self.sheets: list[SheetEntry] = []
        self._rows: dict[str, list[list[object]]] = {}
        self._reader: CalamineWorkbook | None = None

    def reader(self) -> CalamineWorkbook:
        if self._reader is None:
            try:
                self._reader = CalamineWorkbook.from_path(str(self.path))
            except Exception as exc:  # calamine raises several unrelated types for broken files
                raise WorkbookTooLarge(f"无法读取（{type(exc).__name__}）") from None
        return self._reader

    def rows(self, name: str) -> list[list[object]]:
        """The sheet's cells from A1; raise :class:`WorkbookTooLarge` when beyond the limits."""
        if name not in self._rows:
            self._rows[name] = self._read(name)
        return self._rows[name]

    def _read(self, name: str) -> list[list[object]]:
        try:
            sheet = self.reader().get_sheet_by_name(name)
            end = sheet.end
            if end is not None and (end[0] + 1) * (end[1] + 1) > MAX_CELLS:
                raise WorkbookTooLarge(_too_wide(name, end[0] + 1, end[1] + 1), name)
            cells = sheet.to_python(skip_empty_area=False)
        except WorkbookTooLarge:
            raise
        except Exception as exc:
            raise WorkbookTooLarge(f"无法读取（{type(exc).__name__}）", name) from None
        return [[cell_value(v) for v in r] for r in cells]

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _too_wide(name: str, rows: int, columns: int) -> str:
    corner = f"{column_letters(columns)}{rows}"
    return (
        f"工作表“{name}”的数据范围延伸到单元格{corner}（{rows * columns}个单元格），超过上限{MAX_CELLS}；"
        "请删除远处的无关内容"
    )


class XmlBook(Book):
    """An ``.xlsx``/``.xlsm`` workbook: parts checked, sheets listed and scanned from its XML."""

    def __init__(self, path: Path):
        super().__init__(path)
        self._zip, infos = open_checked(path)
        self._infos = {s.name: s for s in infos}
        self.sheets = [SheetEntry(s.name, s.hidden) for s in infos]

    def _read(self, name: str) -> list[list[object]]:
        info: SheetInfo = self._infos[name]
        scan = scan_sheet(self._zip, info)
        rows = super()._read(name)
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

    def close(self) -> None:
        super().close()
        self._zip.close()


class CalamineBook(Book):
    """An ``.xls``, ``.xlsb`` or ``.ods`` workbook, read by calamine after its size is checked."""

    def __init__(self, path: Path):
        super().__init__(path)
        size = path.stat().st_size
        if size > MAX_BOOK_BYTES:
            raise WorkbookTooLarge(f"超过{MAX_BOOK_BYTES // 1024 // 1024} MB")
        if zipfile.is_zipfile(path):  # .xlsb and .ods are zip archives: the same bomb checks
            try:
                with zipfile.ZipFile(path) as archive:
                    check_archive(archive)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError):
                raise WorkbookTooLarge("压缩内容损坏") from None
        try:
            metadata = self.reader().sheets_metadata
        except WorkbookTooLarge:
            raise Unreadable(f"文件已损坏，或不是{path.suffix}格式的工作簿") from None
        self.sheets = [
            SheetEntry(m.name, m.visible != SheetVisibleEnum.Visible)
            for m in metadata
            if m.typ == SheetTypeEnum.WorkSheet
        ]


def open_book(path: Path) -> Book:
    """The workbook at ``path``; raise :class:`WorkbookTooLarge` (beyond limits, broken) or
    :class:`Unreadable` (a format the reader cannot open)."""
    if path.suffix.lower() in XML_BOOKS:
        return XmlBook(path)
    return CalamineBook(path)


def decode_csv(path: Path) -> str:
    """The text of a CSV file; raise :class:`Unreadable` when too large or of an unknown encoding."""
    if path.stat().st_size > MAX_CSV_BYTES:
        raise Unreadable(f"文件过大：超过{MAX_CSV_BYTES // 1024 // 1024} MB")
    raw = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable("无法识别文件编码")


def split_csv(text: str, separator: str) -> list[list[object]]:
    """The rows of CSV text split by ``separator``; blank cells as None."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        return [[v if v.strip() else None for v in r] for r in reader]
    except csv.Error as exc:
        raise Unreadable(f"CSV格式有误（{exc}）") from None
