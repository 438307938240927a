"""A folder of many ledger files, read file by file in worker processes, gives exactly what
reading it in one process gives: the same rows in the same order, the same notices and
problems in the same order, and a problem in any file still refuses the whole folder."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from conftest import ACTIVITIES, dies_reading_b003, office_folder, write_csv
from openpyxl import Workbook

from toolkit.data import load
from toolkit.data.load import PARALLEL_FILES, load_tables
from toolkit.data.problems import DataError


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
    data = office_folder(tmp_path, PARALLEL_FILES + 4)
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
    data = office_folder(tmp_path, PARALLEL_FILES + 2)
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


def test_a_worker_dying_while_reading_leaves_the_files_read_here(tmp_path, monkeypatch):
    from toolkit.run.pool import Workers

    data = office_folder(tmp_path, PARALLEL_FILES)
    here, notices_here, _ = _read(data)
    monkeypatch.setattr(load, "read_source", dies_reading_b003)
    workers = Workers(2)
    try:
        there, notices_there, problems = _read(data, workers.map)
    finally:
        workers.close(stop=True)
    assert workers.broken and not problems
    assert notices_there == notices_here
    for name, table in here.items():
        pd.testing.assert_frame_equal(there[name].frame, table.frame)


def test_a_few_files_are_read_here_whatever_the_mapper(tmp_path):
    data = office_folder(tmp_path, 2)

    def refuse(*args):
        raise AssertionError("a small folder is read in this process")

    tables, _, problems = _read(data, refuse)
    assert not problems and len(tables["activities"].frame) == 2 * len(ACTIVITIES)


def test_a_batch_reads_a_large_folder_in_its_workers(tmp_path):
    from toolkit.run.batch import plan
    from toolkit.run.spec import RunSpec

    n = PARALLEL_FILES + 1
    data = office_folder(tmp_path, n)
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
