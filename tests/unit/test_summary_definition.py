"""summary.yaml: the 汇总表 follows the chosen report's definition; a bad one is refused with
file and line; a report without one gets no 汇总表, never another report's."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PARAMS, ROOT
from docx import Document
from docx.oxml.ns import qn

from toolkit.outputs import SUMMARY_TABLE_DOCX, SUMMARY_TABLE_JSON, SUMMARY_TABLE_PDF
from toolkit.publish.summary_definition import NoSummaryTable, load_summary
from toolkit.publish.summary_docx import write_summary_table
from toolkit.publish.summary_layout import TABLE_HALF_POINTS, layout_cells, text_twips
from toolkit.report.definitions import DefinitionError

SEED = ROOT / "templates" / "report"


def _report(tmp_path: Path, summary: str | None, name: str = "brief") -> Path:
    """A copy of the seed report named ``name`` with ``summary`` as its summary.yaml (None: without one)."""
    folder = tmp_path / "templates" / name
    folder.mkdir(parents=True)
    for file in ("figures.yaml", "template.docx"):
        shutil.copyfile(SEED / file, folder / file)
    if summary is not None:
        (folder / "summary.yaml").write_text(summary, encoding="utf-8")
    return folder


def _problems(folder: Path) -> list:
    with pytest.raises(DefinitionError) as err:
        load_summary(folder)
    return err.value.problems


def _rows(path: Path) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in Document(str(path)).tables[0].rows]


def test_the_seed_summary_gives_todays_columns():
    summary = load_summary()
    assert [c.key for c in summary.columns] == [
        "lecture",
        "visit",
        "traffic_volunteer",
        "home_visit",
        "drill",
        "open_day",
        "other_activities",
        "survey_collected",
        "survey_resolved",
        "survey_longterm",
        "fiscal_revenue",
        "tax_revenue",
        "general_budget_revenue",
    ]
    assert [c.figure for c in summary.columns if c.figure] == [
        "survey_collected",
        "survey_resolved",
        "survey_longterm",
        "fiscal_revenue",
        "tax_revenue",
        "general_budget_revenue",
    ]
    other = summary.column("other_activities")
    assert (
        other.spec.rule
        == "活动台账中当年活动类型不是宣讲、参观学习、文明交通志愿服务、入户走访、演练、开放日的活动条数"
    )
    assert {c.unit for c in summary.columns if c.amount} == {"亿元"}  # the report's unit
    assert summary.units == ["次", "个", "亿元"] and all(c.total for c in summary.columns)


def test_the_table_follows_the_chosen_report(sample_ledgers, tmp_path):
    folder = _report(
        tmp_path,
        "title: 各单位收入情况简表\n"
        "columns:\n"
        "  - {figure: fiscal_revenue, header: [财政, 总收入], unit: 万元}\n"
        "  - {figure: survey_collected, header: 问题数, unit: 个, total: false}\n"
        "  - {key: talks, label: 宣讲次数, rule: activity_count, kind: 宣讲, header: 宣讲, unit: 次}\n",
    )
    path = write_summary_table(sample_ledgers, PARAMS, 2022, tmp_path / "out", report=str(folder))
    doc = Document(str(path))
    assert doc.paragraphs[1].text == "2022年各单位收入情况简表"
    assert doc.paragraphs[2].text == "单位：万元、个、次"
    rows = _rows(path)
    assert rows[0][2:] == ["财政\n总收入\n（万元）", "问题数\n（个）", "宣讲\n（次）"]
    body, total = rows[2:-1], rows[-1]
    revenue = [Decimal(r[2]) for r in body]
    assert all("." not in r[2] for r in body)  # 2022: whole 万元 in every row, so no .00 noise
    assert Decimal(total[2]) == sum(revenue) and total[3] == "" and int(total[4]) == sum(int(r[4]) for r in body)
    data = json.loads((path.parent / SUMMARY_TABLE_JSON).read_text(encoding="utf-8"))
    assert data["report"] == "brief"
    assert [(c["key"], c["unit"], c["total"]) for c in data["columns"]] == [
        ("fiscal_revenue", "万元", True),
        ("survey_collected", "个", False),
        ("talks", "次", True),
    ]
    assert "survey_collected" not in data["total"]
    assert "表中以万元列出" in data["columns"][0]["rule"]


def test_a_column_keeps_the_reports_rounding(sample_ledgers, tmp_path):
    from toolkit.report.prepare import prepare

    folder = _report(tmp_path, "columns:\n  - {figure: livelihood_funds, header: [民生配套, 资金]}\n")  # 万元取整
    path = write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path / "out", report=str(folder))
    rows = _rows(path)
    assert rows[0][2] == "民生配套\n资金\n（万元）"
    for code, row in zip(sorted(p.stem for p in (PARAMS / "bureaus").glob("*.yaml")), rows[2:-1]):
        report = prepare(sample_ledgers, PARAMS, code, 2021)
        assert row[2] + "万" == report.figures["livelihood_funds"].text  # the report's 约…万元, whole


def test_a_report_without_summary_gets_no_table_and_loses_the_old_one(sample_ledgers, tmp_path):
    folder = _report(tmp_path, None)
    year = tmp_path / "out" / "2021"
    year.mkdir(parents=True)
    for name in (SUMMARY_TABLE_DOCX, SUMMARY_TABLE_JSON, SUMMARY_TABLE_PDF):
        (year / name).write_bytes(b"another report's table")
    with pytest.raises(NoSummaryTable) as err:
        write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path / "out", report=str(folder))
    assert "没有汇总表的定义" in str(err.value) and "brief/summary.yaml" in str(err.value)
    assert not list(year.iterdir())
    with pytest.raises(NoSummaryTable):
        load_summary("training")  # the shipped second report has none either


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("columns:\n  - {figure: nonesuch, header: 甲}\n", 2, ["没有这个数据项", "fiscal_revenue"]),
        ("columns:\n  - {figure: bureau_name, header: 甲}\n", 2, ["计数、金额或数字"]),
        ("columns:\n  - {key: a, figure: fiscal_revenue, rule: activity_count}\n", 2, ["二者只写一个"]),
        ("columns:\n  - key: a\n    label: 甲\n    rule: activity_count\n    kind: 跳舞\n", 5, ["取值不对"]),
        ("columns:\n  - figure: fiscal_revenue\n    unit: 千元\n", 3, ["金额的单位不对", "亿元"]),
        ("columns:\n  - figure: fiscal_revenue\n    header: 一二三四五六七八九十一二三\n", 3, ["分行"]),
        ("columns:\n  - figure: fiscal_revenue\n    total: 是\n", 3, ["true 或 false"]),
        ("columns:\n  - figure: fiscal_revenue\n    colour: red\n", 3, ["没有“colour”"]),
        ("columns:\n  - {figure: tax_revenue}\n  - {figure: tax_revenue}\n", 3, ["重复"]),
        ("title: 甲\ncolumns:\n  - figure: tax_revenue\nrows: 1\n", 4, ["没有“rows”"]),
        ("columns:\n  - figure: tax_revenue\n    figure: fiscal_revenue\n", 3, ["重复出现"]),
        ("columns: [\n", 2, ["YAML格式错误"]),
        ("columns: []\n", None, ["格式不对"]),
    ],
)
def test_a_bad_definition_is_refused_with_file_and_line(tmp_path, text, line, words):
    problems = _problems(_report(tmp_path, text))
    assert problems, text
    found = problems[0]
    assert found.file == "brief/summary.yaml"
    assert found.row == line, [str(p) for p in problems]
    for word in words:
        assert any(word in str(p) for p in problems), [str(p) for p in problems]


def test_too_many_columns_for_the_page_are_refused(sample_ledgers, tmp_path):
    columns = "".join(
        f"  - {{key: c{i}, label: 宣讲{i}, rule: activity_count, kind: 宣讲, header: 宣讲}}\n" for i in range(20)
    )
    folder = _report(tmp_path, "columns:\n" + columns)
    with pytest.raises(DefinitionError, match="225毫米"):
        write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path / "out", report=str(folder))


def test_every_header_line_fits_its_column_and_breaks_only_where_written(sample_ledgers, tmp_path):
    path = write_summary_table(sample_ledgers, PARAMS, 2021, tmp_path)
    table = Document(str(path)).tables[0]
    cells, _ = layout_cells(load_summary())
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.iter(qn("w:gridCol"))]
    assert widths == [c.twips for c in cells] and sum(widths) <= 12756  # the 225 mm text block
    for cell, width in zip(table.rows[1].cells, widths):
        lines = cell.text.split("\n")
        assert all(text_twips(line, TABLE_HALF_POINTS) + 114 <= width for line in lines), (lines, width)
    headers = [c.text for c in table.rows[1].cells]
    assert "开放日" in headers and "文明交通\n志愿服务" in headers and "一般公共\n预算收入" in headers
    assert [c.text for c in table.rows[0].cells][2] == "主要活动（次）"
    assert "财政收入（亿元）" in [c.text for c in table.rows[0].cells]
