"""A batch where one bureau's rows are broken: that bureau fails alone, with a problem workbook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

import pytest
from conftest import ACTIVITIES, FINANCE, PROBLEMS, write_csv

from toolkit.run.batch import read_summary

openpyxl = pytest.importorskip("openpyxl")
HEADERS = ["单位代码", "日期", "结束日期", "活动类型", "活动名称", "参加对象", "地点", "人数", "备注"]


def _value(text):
    if not text:
        return None
    return date.fromisoformat(text) if text[:4].isdigit() and "-" in text else text


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-bureau")
    data, params, out = root / "data", root / "params", root / "out"
    for code in ("demo", "broken"):
        write_csv(data / f"问题台账-{code}.csv", [dict(r, 单位代码=code) for r in PROBLEMS])
        write_csv(data / f"财政指标-{code}.csv", [dict(r, 单位代码=code) for r in FINANCE])
        (params / "bureaus").mkdir(parents=True, exist_ok=True)
        (params / "bureaus" / f"{code}.yaml").write_text(
            f"name: {code}县财政局\noffice_director: 张三\nliaison: 李四\n", encoding="utf-8"
        )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "活动台账"
    sheet.append(["《2021年活动台账》"])
    sheet.append(HEADERS)
    for code in ("demo", "broken"):
        for r in ACTIVITIES:
            sheet.append([code if h == "单位代码" else _value(r.get(h)) for h in HEADERS])
    sheet.append(["stray", date(2021, 5, 1), None, "其他"])  # a code without a parameter file
    broken_first = 3 + len(ACTIVITIES)  # first row of bureau "broken"
    sheet.cell(broken_first + 1, 2).value = "2021-02-30"  # no such day
    sheet.cell(broken_first + 2, 1).value = "Broken"  # differs only in case
    sheet.cell(broken_first + 8, 8).value = "=1+1"  # written by a script: no cached value
    book.save(data / "活动台账.xlsx")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "batch",
            "--data",
            data,
            "--params",
            params,
            "--year",
            "2021",
            "--out",
            out,
            "--jobs",
            "2",
            "--date",
            "2022-01-10",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    cells = {f"B{broken_first + 1}", f"A{broken_first + 2}", f"H{broken_first + 8}"}
    return {"result": result, "out": out / "2021", "cells": cells}


def test_the_broken_bureau_fails_alone_and_the_batch_exits_1(batch):
    result = batch["result"]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    rows = {r["bureau"]: r for r in read_summary(batch["out"] / "summary.csv")}
    assert rows["demo"]["status"] == "ok" and rows["broken"]["status"] == "failed"
    assert (batch["out"] / "demo" / "report.docx").is_file()
    assert not (batch["out"] / "broken" / "report.docx").exists()
    for cell in batch["cells"]:
        assert f"单元格{cell}" in rows["broken"]["error"]
    assert "stray" in result.stderr


def test_the_problem_workbook_marks_the_exact_cells(batch):
    book = openpyxl.load_workbook(batch["out"] / "broken" / "问题清单.xlsx")
    lines = [[c.value for c in r] for r in book["问题清单"].iter_rows(min_row=2)]
    assert {line[4] for line in lines} == batch["cells"]
    for line in lines:
        title, ref = line[10].split("!")
        assert book[title][ref].fill.fgColor.rgb.endswith("FFC7CE") and book[title][ref].comment
    year_list = openpyxl.load_workbook(batch["out"] / "问题清单.xlsx")["问题清单"]
    assert [r[1].value for r in year_list.iter_rows(min_row=2)] == ["stray"]


def test_index_links_the_problem_lists(batch):
    from toolkit.publish.index_page import BUREAU_FILES

    page = (batch["out"] / "index.html").read_text(encoding="utf-8")
    assert 'href="问题清单.xlsx"' in page  # the year's list
    names = [f for f, _ in BUREAU_FILES]
    for code, present in (("broken", "问题清单.xlsx"), ("demo", "report.docx")):
        files = re.search(r'\["' + code + r'",[^\[]*\[([\d,]*)\]', page).group(1)
        assert names.index(present) in [int(i) for i in files.split(",") if i], code


def test_the_summary_table_says_why_the_broken_bureau_is_empty(batch):
    from docx import Document

    table = Document(str(batch["out"] / "汇总表.docx")).tables[0]
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in table.rows[2:]}
    assert set(rows["broken县财政局"][2:]) == {"【待补充】"}
    assert rows["demo县财政局"][2] == "1"  # demo's one 宣讲
    data = json.loads((batch["out"] / "汇总表.json").read_text(encoding="utf-8"))
    broken = next(r for r in data["rows"] if r["bureau"] == "broken")
    assert "问题清单.xlsx" in broken["cells"]["lecture"]["missing"]


def test_the_notebook_shows_what_was_not_read(batch):
    shown = (batch["out"] / "demo" / "report.ipynb").read_text(encoding="utf-8")
    assert "未作为数据读取" in shown and "表头在第2行" in shown


def test_a_final_batch_stops_before_any_report_while_rows_of_the_year_have_unknown_codes(tmp_path):
    from conftest import minimal_set, zongjie

    data, params = minimal_set(tmp_path)
    write_csv(data / "活动台账-补录.csv", [dict(ACTIVITIES[0], 单位代码="deom", 日期="2021-09-09")])
    out = tmp_path / "out"
    args = ["--data", data, "--params", params, "--year", 2021, "--out", out, "--jobs", 1, "--date", "2022-01-10"]
    result = zongjie("batch", *args, "--final", timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "2021年的报告不能生成正式稿" in result.stderr and "活动台账-补录.csv" in result.stderr
    assert "第2行" in result.stderr and "“deom”" in result.stderr and "“demo”" in result.stderr
    assert not list(out.rglob("*.docx")) and not list(out.rglob("summary.csv"))
