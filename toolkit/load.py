"""Find the three tables under a data folder and read them as offices save them.

Tables are sheets of ``.xlsx`` workbooks or ``.csv`` files, known by sheet name or
file stem. Cells are kept raw (text, numbers, dates as the reader gives them);
``validate`` turns them into typed values. Every row remembers its file, sheet and
spreadsheet row number so that any figure can be traced back to it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .contract import META_COLUMNS, TABLES, Table, normalise_header, table_for_name
from .errors import DataError, NotFoundError, Problem

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK


@dataclass
class RawTable:
    """The rows of one table gathered from every file holding it, cells untouched."""

    table: Table
    frame: pd.DataFrame  # canonical column names + _file, _sheet, _row
    headers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # (file, sheet) → canonical column → header as the user wrote it

    def header(self, file: str, sheet: str, column: str) -> str:
        return self.headers.get((file, sheet), {}).get(column, self.table.column(column).zh)


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


def _read_csv(path: Path, shown: str, problems: list[Problem]) -> list[list[object]] | None:
    raw = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    problems.append(Problem(shown, "无法识别文件编码", expected="UTF-8、带BOM的UTF-8或GBK/GB18030编码的CSV"))
    return None


def _sheets(path: Path, shown: str, problems: list[Problem]) -> list[tuple[str, list[list[object]]]]:
    """(sheet name, rows) of a file; a CSV is one sheet named after its stem."""
    if path.suffix.lower() == ".csv":
        rows = _read_csv(path, shown, problems)
        return [] if rows is None else [("", rows)]
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
        # raw cells, row positions kept (blank rows stay as all-NaN rows, so numbering is exact)
        return [
            (name, frame.astype(object).where(frame.notna(), None).values.tolist()) for name, frame in sheets.items()
        ]
    except Exception as exc:  # calamine raises several unrelated types for broken files
        problems.append(
            Problem(shown, f"无法读取Excel文件（{type(exc).__name__}）", expected="可用Excel打开的.xlsx工作簿")
        )
        return []


def _blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and value != value)
    )


def _frame_from_rows(
    table: Table, rows: list[list[object]], shown: str, sheet: str, problems: list[Problem]
) -> tuple[pd.DataFrame, dict[str, str]] | None:
    """Map the header row to canonical columns and keep the non-empty data rows."""
    start = next((i for i, r in enumerate(rows) if not all(_blank(v) for v in r)), None)
    if start is None:
        return None
    header_row = rows[start]
    aliases = table.aliases
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    for pos, header in enumerate(header_row):
        if _blank(header):
            continue
        canonical = aliases.get(normalise_header(header))
        if canonical is None:
            continue  # extra columns are kept by the user but ignored here
        if canonical in positions:
            problems.append(
                Problem(
                    shown,
                    f"表头重复：“{written[canonical]}”与“{header}”是同一列",
                    sheet or None,
                    start + 1,
                    str(header),
                    table=table.name,
                )
            )
            continue
        positions[canonical] = pos
        written[canonical] = str(header).strip()
    missing = [c for c in table.columns if c.required and c.name not in positions]
    for c in missing:
        problems.append(
            Problem(
                shown,
                f"缺少必填列“{c.zh}”（或英文“{c.name}”）",
                sheet or None,
                start + 1,
                table=table.name,
                expected=f"{table.zh}包含“{c.zh}”列",
            )
        )
    if missing:
        return None
    records = []
    for i in range(start + 1, len(rows)):
        row = rows[i]
        cells = {c: (row[p] if p < len(row) else None) for c, p in positions.items()}
        if all(_blank(v) for v in cells.values()):
            continue  # empty rows are skipped
        cells.update(_file=shown, _sheet=sheet, _row=i + 1)
        records.append(cells)
    columns = [c.name for c in table.columns] + list(META_COLUMNS)
    return pd.DataFrame.from_records(records, columns=columns), written


def load_tables(data_dir: Path) -> dict[str, RawTable]:
    """Read every table under ``data_dir``; raise one DataError listing every problem."""
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    headers: dict[str, dict[tuple[str, str], dict[str, str]]] = {name: {} for name in TABLES}
    for path in find_sources(data_dir):
        shown = path.relative_to(data_dir).as_posix()
        sheets = _sheets(path, shown, problems)
        for sheet, rows in sheets:
            table = table_for_name(sheet) if sheet else table_for_name(path.stem)
            if table is None and sheet and len(sheets) == 1:
                table = table_for_name(path.stem)  # e.g. 活动台账.xlsx with one sheet "Sheet1"
            if table is None:
                continue
            got = _frame_from_rows(table, rows, shown, sheet, problems)
            if got is not None:
                parts[table.name].append(got[0])
                headers[table.name][(shown, sheet)] = got[1]
    for name, table in TABLES.items():
        if not parts[name] and not any(p.table == name for p in problems):
            problems.append(
                Problem(
                    str(data_dir),
                    f"找不到{table.zh}",
                    expected=f"名为“{table.zh}”或“{table.name}”的工作表或CSV文件",
                    table=name,
                )
            )
    if problems:
        raise DataError(problems)
    return {name: RawTable(TABLES[name], pd.concat(parts[name], ignore_index=True), headers[name]) for name in TABLES}
