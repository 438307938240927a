"""Bounds on what a workbook may cost to read, checked before the reader touches it.

An ``.xlsx`` file is a zip of XML parts. A hostile or broken one (a zip bomb renamed
``.xlsx``, a sheet with one stray cell at ``XFD1048576``) would make the spreadsheet
reader allocate gigabytes and abort the process. So before reading, every part is
decompressed here in bounded chunks (sizes and CRCs checked, the total capped), the
workbook's sheet list is read from its XML, and each sheet that will be read is
scanned for the area its cells really span. Anything beyond the limits is a
:class:`WorkbookTooLarge` with a Chinese reason; the loader reports it as
「文件过大或已损坏」 for that file.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

#: Total uncompressed size of all parts of one workbook.
MAX_UNCOMPRESSED = 256 * 1024 * 1024
#: Compression ratio beyond which a large part is taken for a bomb.
MAX_RATIO = 200
RATIO_APPLIES_FROM = 4 * 1024 * 1024
MAX_PARTS = 10_000
#: Cells a sheet may span (rows × columns between its first and last filled cell).
MAX_CELLS = 2_000_000
#: CSV files larger than this are not read.
MAX_CSV_BYTES = 128 * 1024 * 1024
#: ``.xls``, ``.xlsb`` and ``.ods`` files larger than this are not read (their cells are
#: bounded by :data:`MAX_CELLS` per sheet once the reader has opened them).
MAX_BOOK_BYTES = 64 * 1024 * 1024

_CHUNK = 1024 * 1024
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class WorkbookTooLarge(Exception):
    """The workbook is beyond the limits or broken; ``reason`` says why, in Chinese."""

    def __init__(self, reason: str, sheet: str | None = None):
        self.reason, self.sheet = reason, sheet
        super().__init__(reason)


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str | None  # path of the sheet's XML inside the zip
    hidden: bool


@dataclass
class SheetScan:
    """What the sheet's XML says about its cells (1-based row and column numbers)."""

    rows: int = 0  # last row holding a value
    columns: int = 0  # last column holding a value
    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cells holding #N/A, #DIV/0! …

    @property
    def area(self) -> int:
        return self.rows * self.columns


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def check_archive(book: zipfile.ZipFile) -> None:
    """Decompress every part in bounded chunks; raise when sizes or ratios are beyond limits."""
    infos = book.infolist()
    if len(infos) > MAX_PARTS:
        raise WorkbookTooLarge(f"包含{len(infos)}个部件，超过上限{MAX_PARTS}")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNCOMPRESSED:
        raise WorkbookTooLarge(f"解压后约{_mib(declared)}，超过上限{_mib(MAX_UNCOMPRESSED)}")
    for info in infos:
        if info.file_size > RATIO_APPLIES_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise WorkbookTooLarge(f"部件“{info.filename}”压缩比为{ratio}:1，疑似压缩炸弹")
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        # zipfile stops at the declared size and checks the CRC, so a part whose
        # header understates its size fails here instead of growing without bound
        with book.open(info) as part:
            while chunk := part.read(_CHUNK):
                total += len(chunk)
                if total > MAX_UNCOMPRESSED:
                    raise WorkbookTooLarge(f"解压后超过上限{_mib(MAX_UNCOMPRESSED)}")


def _xml(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(book.read(name))
    except KeyError:
        raise WorkbookTooLarge(f"缺少部件“{name}”，不是完整的.xlsx工作簿") from None
    except ElementTree.ParseError:
        raise WorkbookTooLarge(f"部件“{name}”不是有效的XML") from None


def list_sheets(book: zipfile.ZipFile) -> list[SheetInfo]:
    """The workbook's sheets in order, each with its XML part and whether it is hidden."""
    root_rels = _xml(book, "_rels/.rels")
    main = next(
        (
            r.get("Target", "")
            for r in root_rels.iter(f"{{{_PKG_REL_NS}}}Relationship")
            if r.get("Type", "").endswith("/officeDocument")
        ),
        "xl/workbook.xml",
    ).lstrip("/")
    workbook = _xml(book, main)
    rels_name = posixpath.join(posixpath.dirname(main), "_rels", posixpath.basename(main) + ".rels")
    targets = {}
    if rels_name in book.namelist():
        for r in _xml(book, rels_name).iter(f"{{{_PKG_REL_NS}}}Relationship"):
            target = r.get("Target", "")
            if r.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(posixpath.dirname(main), target)
            targets[r.get("Id")] = posixpath.normpath(path)
    sheets = []
    for s in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        part = targets.get(s.get(f"{{{_REL_NS}}}id"))
        sheets.append(SheetInfo(s.get("name", ""), part, s.get("state", "visible") in ("hidden", "veryHidden")))
    return sheets


_TOKEN = re.compile(
    rb"<(?:\w+:)?row\b([^>]*)>|<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)",
    re.S,
)
_R_ATTR = re.compile(rb'\br="([A-Z]{1,3})?(\d+)?"')
_HAS_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>(?!<)|<(?:\w+:)?is\b")  # openpyxl writes <v></v>
_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]*)<")


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(number: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_FILLED_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*(?<!/)>')
#: A single row of sheet XML longer than this is not a ledger row.
MAX_ROW_BYTES = 32 * 1024 * 1024


def _last_row_end(data: bytes) -> int:
    """Offset just past the last closed row (0 when none)."""
    at = data.rfind(b"</row>")
    if at >= 0:
        return at + len(b"</row>")
    last = max(_ROW_END.finditer(data), key=lambda m: m.end(), default=None) if b":row>" in data else None
    return last.end() if last else 0


def _plain_cells(data: bytes) -> bool:
    """No formula, no error cell, no prefixed tag, every cell named by ``r`` (plain byte searches)."""
    if b"<f" in data or b't="e"' in data or b":f>" in data or b":f " in data or b":c " in data or b":c>" in data:
        return False
    return data.count(b'<c r="') == data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/")


class _Scanner:
    """Walks ``<row>``/``<c>`` elements of sheet XML, keeping the position between chunks."""

    def __init__(self) -> None:
        self.scan = SheetScan()
        self.row = self.col = 0

    def feed(self, data: bytes) -> None:
        if _plain_cells(data):
            self._extent(data)  # no formula, no error cell, every cell named: the quick way
            return
        scan = self.scan
        for m in _TOKEN.finditer(data):
            if m.group(1) is not None:  # <row …>
                r = _R_ATTR.search(m.group(1))
                self.row = int(r.group(2)) if r and r.group(2) else self.row + 1
                self.col = 0
                continue
            r = _R_ATTR.search(m.group(2))
            if r and r.group(1):
                self.col = column_number(r.group(1).decode())
                if r.group(2):
                    self.row = int(r.group(2))
            else:
                self.col += 1
            body = m.group(3) or b""
            has_value = bool(_HAS_VALUE.search(body))
            at = (self.row, self.col)
            if _HAS_FORMULA.search(body) and not has_value:
                scan.formulas_without_value.add(at)
            elif not has_value:
                continue
            elif _ERROR_TYPE.search(m.group(2)):
                v = _VALUE.search(body)
                scan.errors[at] = v.group(1).decode("utf-8", "replace") if v else "#错误"
            scan.rows, scan.columns = max(scan.rows, self.row), max(scan.columns, self.col)

    def _extent(self, data: bytes) -> None:
        scan = self.scan
        rows, columns = scan.rows, scan.columns
        cells = _FILLED_CELL.findall(data)
        if cells:
            rows = max(rows, max(map(int, {number for _, number in cells})))
            widest = max({letters for letters, _ in cells}, key=lambda x: (len(x), x))
            columns = max(columns, column_number(widest.decode()))
        scan.rows, scan.columns = rows, columns
        last = data.rfind(b"<row ")
        if last >= 0:
            r = _R_ATTR.search(data, last, data.find(b">", last))
            self.row = int(r.group(2)) if r and r.group(2) else self.row
        self.col = 0


def scan_sheet(book: zipfile.ZipFile, sheet: SheetInfo) -> SheetScan:
    """The area the sheet's filled cells span and its cells the reader would give as blank.

    The XML is read in chunks cut at row ends, so memory stays bounded. Raises
    :class:`WorkbookTooLarge` when the area exceeds :data:`MAX_CELLS`, before the
    reader would allocate it.
    """
    if sheet.part is None or sheet.part not in book.namelist():
        raise WorkbookTooLarge(f"工作表“{sheet.name}”的内容缺失", sheet.name)
    scanner = _Scanner()
    pending = b""
    with book.open(sheet.part) as part:
        while chunk := part.read(_CHUNK * 4):
            pending += chunk
            end = _last_row_end(pending)
            if end:
                scanner.feed(pending[:end])
                pending = pending[end:]
            elif len(pending) > MAX_ROW_BYTES:
                raise WorkbookTooLarge(f"工作表“{sheet.name}”中有一行超过{_mib(MAX_ROW_BYTES)}", sheet.name)
    scanner.feed(pending)
    scan = scanner.scan
    if scan.area > MAX_CELLS:
        corner = f"{column_letters(scan.columns)}{scan.rows}"
        raise WorkbookTooLarge(
            f"工作表“{sheet.name}”的数据范围延伸到单元格{corner}（{scan.area}个单元格），超过上限{MAX_CELLS}；"
            f"请删除远处的无关内容",
            sheet.name,
        )
    return scan


def open_checked(path: Path) -> tuple[zipfile.ZipFile, list[SheetInfo]]:
    """The opened, checked archive and its sheets; raise :class:`WorkbookTooLarge` otherwise."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise WorkbookTooLarge("不是有效的.xlsx工作簿（可能已损坏，或是改了扩展名的其他文件）") from None
    try:
        check_archive(book)
        return book, list_sheets(book)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        book.close()
        raise WorkbookTooLarge(f"压缩内容损坏（{type(exc).__name__}）") from None
    except WorkbookTooLarge:
        book.close()
        raise
