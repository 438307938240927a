"""A batch over a folder of many workbooks reads them in its workers, and a worker dying
while it reads does not cost a report: the files are read in the main process, the pool is
replaced, and every bureau's report is written."""

from __future__ import annotations

from conftest import dies_reading_b003, office_folder

from toolkit.data import load
from toolkit.data.load import PARALLEL_FILES
from toolkit.run.batch import read_summary, run_all
from toolkit.run.pool import Workers
from toolkit.run.spec import RunSpec


def test_a_worker_dying_while_the_ledgers_are_read_costs_no_report(tmp_path, monkeypatch):
    n = PARALLEL_FILES
    data = office_folder(tmp_path, n)
    params = tmp_path / "params" / "bureaus"
    params.mkdir(parents=True)
    for i in range(n):
        (params / f"b{i:03d}.yaml").write_text(f"name: 第{i + 1}县财政局\nsigned_on: 2022-01-10\n", encoding="utf-8")
    monkeypatch.setattr(load, "read_source", dies_reading_b003)
    pool = Workers(2)
    spec = RunSpec(data_dir=data, params_dir=params.parent, year=2021, out_dir=tmp_path / "out")
    summary = run_all(spec, pool=pool)
    assert pool.broken
    rows = read_summary(tmp_path / "out" / "2021" / "summary.csv")
    assert len(rows) == n and all(r["status"] == "ok" for r in rows), rows
    assert summary.ok
