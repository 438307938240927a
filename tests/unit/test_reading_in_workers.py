"""A folder of many ledger files, read file by file in worker processes, gives exactly what
reading it in one process gives: the same rows in the same order, the same notices and
problems in the same order, and a problem in any file still refuses the whole folder."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from conftest import ACTIVITIES, FINANCE, PROBLEMS, write_csv
from openpyxl import Workbook

from toolkit.data.load import PARALLEL_FILES, load_tables
from toolkit.data.problems import DataError

HEADERS = {"活动台账": ACTIVITIES, "问题台账": PROBLEMS, "财政指标": FINANCE}


def _bureau_book(path: Path, code: str, *, title: bool = False, total: bool = False, hidden: bool = False) -> None:
    """One bureau's workbook as an office sends it: its three ledgers, one sheet each."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in HEADERS.items():
        sheet = book.create_sheet(name)
        headers = list(dict.fromkeys(k for r in rows for k in r))
        if title and name == "活动台账":
            sheet.append([f"{code}活动台账（2021年）"])
        sheet.append([*headers, "附件说明"] if name == "活动台账" else headers)
        for row in rows:
            sheet.append([code if h == "单位代码" else row.get(h) or None for h in headers])
        if total and name == "财政指标":
            sheet.append(["合计", None, None, None, "9999"])
    if hidden:
        book.create_sheet("旧活动台账").sheet_state = "hidden"
    book.save(path)


def _office_folder(root: Path, n: int) -> Path:
    """``n`` bureaus' workbooks, and what else offices leave in such a folder."""
    data = root / "data"
    (data / "各县").mkdir(parents=True)
    for i in range(n):
        _bureau_book(
            data / "各县" / f"b{i:03d}台账.xlsx", f"b{i:03d}", title=i % 3 == 0, total=i % 4 == 0, hidden=i == 5
        )
    write_csv(data / "活动台账-备份.csv", ACTIVITIES)  # a copy: listed, not read
    (data / "台账2021.et").write_bytes(b"\xd0\xcf\x11\xe0 not a table")  # WPS: listed as unread
    (data / "说明.txt").write_text("各县台账汇总", encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def workers():
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        yield pool


def _read(data: Path, mapper=map):
    notices: list = []
    try:
        tables = load_tables(data, notices, mapper=mapper)
    except DataError as err:
        return None, notices, err.problems
    return tables, notices, []


def test_a_folder_of_many_workbooks_reads_the_same_in_workers(tmp_path, workers):
    data = _office_folder(tmp_path, PARALLEL_FILES + 4)
    here, notices_here, problems_here = _read(data)
    there, notices_there, problems_there = _read(data, workers.map)
    assert not problems_here and not problems_there
    assert notices_there == notices_here
    kinds = {n.kind for n in notices_here}
    assert {"ignored_file", "header_row", "total_row", "ignored_sheet", "ignored_column"} <= kinds
    for name, table in here.items():
        pd.testing.assert_frame_equal(there[name].frame, table.frame)
        assert there[name].headers == table.headers and there[name].positions == table.positions
    files = here["activities"].frame["_file"]
    assert list(files) == sorted(files)  # rows in the order of the files
    assert files.nunique() == PARALLEL_FILES + 4
    assert len(here["activities"].frame) == (PARALLEL_FILES + 4) * len(ACTIVITIES)


def test_problems_in_several_files_are_all_reported_in_order_from_workers(tmp_path, workers):
    data = _office_folder(tmp_path, PARALLEL_FILES + 2)
    broken = Workbook()
    broken.active.title = "活动台账"
    broken.active.append(["单位代码", "活动类型"])  # no 日期 column
    broken.save(data / "各县" / "b001台账.xlsx")
    (data / "各县" / "b007台账.xlsx").write_text("not a workbook", encoding="utf-8")
    write_csv(data / "活动台账.csv", [{"单位代码": "x", "日期": "2021-01-01", "活动类型": "宣讲", "日期 ": "重复"}])
    _, notices_here, problems_here = _read(data)
    _, notices_there, problems_there = _read(data, workers.map)
    assert problems_there == problems_here
    assert notices_there == notices_here
    files = {p.file for p in problems_here}
    assert {"各县/b001台账.xlsx", "各县/b007台账.xlsx", "活动台账.csv"} <= files


def test_a_few_files_are_read_here_whatever_the_mapper(tmp_path):
    data = _office_folder(tmp_path, 2)

    def refuse(*args):
        raise AssertionError("a small folder is read in this process")

    tables, _, problems = _read(data, refuse)
    assert not problems and len(tables["activities"].frame) == 2 * len(ACTIVITIES)


def test_a_batch_reads_a_large_folder_in_its_workers(tmp_path):
    from toolkit.run.batch import plan
    from toolkit.run.spec import RunSpec

    n = PARALLEL_FILES + 1
    data = _office_folder(tmp_path, n)
    params = tmp_path / "params" / "bureaus"
    params.mkdir(parents=True)
    for i in range(n):
        (params / f"b{i:03d}.yaml").write_text(f"name: 第{i + 1}县财政局\n", encoding="utf-8")

    class Pool:
        calls = 0

        def map(self, fn, *iterables):
            Pool.calls += 1
            return map(fn, *iterables)

    spec = RunSpec(data_dir=data, params_dir=params.parent, year=2021, out_dir=tmp_path / "out")
    planned = plan(spec, pool=Pool())
    assert Pool.calls == 1
    assert len(planned.jobs) == n and not planned.failed
