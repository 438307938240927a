"""Gather every table of the data contract from the files under a data folder.

Each file is read on its own (:func:`toolkit.data.sources.read_source`): in this process,
or, for a folder of many files, by a batch's worker processes (``mapper``). The rows of
each table are then put together in the order of the files, and what could not be read
is reported at once, every problem of every file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import pandas as pd

from toolkit.data.contract import BASE, META_COLUMNS, Contract, Table
from toolkit.data.limits import column_letters
from toolkit.data.problems import DataError, Notice, Problem
from toolkit.data.sources import Records, Source, find_sources, read_source

#: Files from which reading them is worth handing to other processes: below it, starting
#: the work there costs more than reading them here.
PARALLEL_FILES = 16
#: How files are read: ``map``, or a process pool's ``map`` (same arguments, results in order).
Mapper = Callable[..., Iterable[Source]]


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


def _frame(table: Table, parts: list[Records]) -> pd.DataFrame:
    """The rows of every sheet holding ``table``, in order, each cell as its reader gave it."""
    rows = [row for part in parts for row in part.rows]
    columns = {c.name: pd.Series([r.get(c.name) for r in rows], dtype=object) for c in table.columns}
    columns["_file"] = pd.Series([r["_file"] for r in rows], dtype=object)
    columns["_sheet"] = pd.Series([r["_sheet"] for r in rows], dtype=object)
    columns["_row"] = pd.Series([r["_row"] for r in rows], dtype="int64")
    return pd.DataFrame(columns)[[c.name for c in table.columns] + list(META_COLUMNS)]


def load_tables(
    data_dir: Path | str, notices: list[Notice] | None = None, contract: Contract = BASE, mapper: Mapper = map
) -> dict[str, RawTable]:
    """Read every table of ``contract`` under ``data_dir``; raise one DataError listing every problem.

    What was skipped on purpose is appended to ``notices`` when a list is given. A base
    table that is nowhere is a problem; a table the office added (``contract.yaml``) that is
    nowhere is read as empty, with a notice, so a report counting it says it found nothing.
    ``mapper`` reads the files when there are at least :data:`PARALLEL_FILES` of them.
    """
    data_dir = Path(data_dir)
    notices = notices if notices is not None else []
    paths = find_sources(data_dir)

    def read(by: Mapper) -> list[Source]:
        return list(by(read_source, paths, repeat(data_dir), repeat(contract.tables)))

    try:
        sources = read(mapper if len(paths) >= PARALLEL_FILES else map)
    except BrokenExecutor:  # a process reading died (killed, out of memory): read here, as a small folder is
        sources = read(map)
    problems: list[Problem] = [p for source in sources for p in source.problems]
    notices += [n for source in sources for n in source.notices]
    problems += [p for source in sources for p in source.row_problems]
    notices += [n for source in sources for n in source.row_notices]
    parts: dict[str, list[Records]] = {t.name: [] for t in contract.tables}
    for source in sources:
        for records in source.records:
            parts[records.table].append(records)
    for table in contract.tables:
        if parts[table.name] or any(p.table == table.name for p in problems):
            continue
        if table in contract.extra:
            message = f"找不到{table.zh}（{contract.source or '台账约定'}中新增的表），按没有记录处理"
            notices.append(Notice(str(data_dir), message, kind="missing_table"))
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
        t.name: RawTable(
            t,
            _frame(t, parts[t.name]),
            {(part.file, part.sheet): part.headers for part in parts[t.name]},
            {(part.file, part.sheet): part.positions for part in parts[t.name]},
        )
        for t in contract.tables
    }
