"""Nothing left unread in the ledgers: every file and sheet under the data folder is read or
listed, and a notice says ``unread`` when what it left out looks like ledger data.

Files named for their table with the rows on ``Sheet1``, names with a year or a place,
sheets holding a table's headers under any name, other workbook formats, headers with
invisible characters, near-miss and blank headers, CSVs with other separators.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from conftest import ACTIVITIES, ROOT, write_csv
from test_ledger_input import activities_book, activity_rows, write_book

from toolkit.data.problems import DataError, Notice
from toolkit.data.validate import load_ledgers

FORMATS = ROOT / "tests" / "data" / "formats"
NOTE = [["本表由办公室填写，每月5日前报送"]]


def _load(data: Path) -> tuple[object, list[Notice]]:
    """The ledgers (or the DataError) and every notice, also when the data is refused."""
    notices: list[Notice] = []
    try:
        return load_ledgers(data, notices=notices), notices
    except DataError as err:
        return err, notices


def _unread(notices: list[Notice]) -> list[Notice]:
    return [n for n in notices if n.unread]


# --- files and sheets -------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["2021年活动台账", "青山县活动台账", "活动台账-2021", "活动台账", "activities2021"])
@pytest.mark.parametrize("sheet", ["Sheet1", "工作表1", "数据"])
def test_a_workbook_named_for_its_table_is_read_from_the_sheet_with_its_headers(minimal, stem, sheet):
    data, _ = minimal
    activities_book(data, [("说明", NOTE), (sheet, [["《活动台账》"], *activity_rows()])], name=f"{stem}.xlsx")
    ledgers, notices = _load(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    assert set(ledgers.activities["_sheet"]) == {sheet}
    assert not _unread(notices)
    assert [(n.sheet, n.kind) for n in notices if n.kind == "ignored_sheet"] == [("说明", "ignored_sheet")]


def test_two_sheets_with_the_headers_of_the_file_s_table_are_read_by_none(minimal):
    data, _ = minimal
    activities_book(data, [("Sheet1", activity_rows()), ("Sheet2", activity_rows())], name="2021年活动台账.xlsx")
    refused, notices = _load(data)
    assert isinstance(refused, DataError) and "找不到活动台账" in str(refused)
    unread = _unread(notices)
    assert [(n.file, n.sheet) for n in unread] == [("2021年活动台账.xlsx", "Sheet1"), ("2021年活动台账.xlsx", "Sheet2")]
    assert all("改名为“活动台账”" in n.message for n in unread)


@pytest.mark.parametrize("name", ["活动台账2021", "2021年活动台账", "2021活动台账", "青山县活动台账", "活动台账 2021"])
def test_a_table_name_with_a_year_or_place_around_it_is_that_table(minimal, name):
    data, _ = minimal
    activities_book(data, [(name, activity_rows()), ("说明", NOTE)], name="台账.xlsx")
    ledgers, notices = _load(data)
    assert set(ledgers.activities["_sheet"]) == {name} and len(ledgers.activities) == len(ACTIVITIES)
    assert not _unread(notices)


@pytest.mark.parametrize("copy", ["活动台账 (2)", "活动台账（旧）", "活动台账-备份", "活动台账副本", "activities copy"])
def test_a_copy_is_listed_on_purpose_and_not_unread(minimal, copy):
    data, _ = minimal
    activities_book(data, [("活动台账", activity_rows()), (copy, activity_rows())])
    ledgers, notices = _load(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    (notice,) = [n for n in notices if n.sheet == copy]
    assert not notice.unread and "副本" in notice.message


@pytest.mark.parametrize(
    "name", ["活动台账汇总", "活动台账（最终版）", "活动台账2", "活动台账v2", "活动台账（青山县）"]
)
def test_a_name_in_doubt_is_not_read_but_listed_unread_with_the_name_to_use(minimal, name):
    data, _ = minimal
    activities_book(data, [("活动台账", activity_rows()), (name, activity_rows(ACTIVITIES[:2]))])
    ledgers, notices = _load(data)
    assert len(ledgers.activities) == len(ACTIVITIES)  # never the same rows twice
    (notice,) = _unread(notices)
    assert notice.sheet == name and "“活动台账”" in notice.message


@pytest.mark.parametrize("sheet", ["Sheet1", "数据", "Sheet1 (2)"])
def test_a_sheet_under_any_name_holding_a_table_s_headers_is_listed_unread(minimal, sheet):
    data, _ = minimal
    rows = [["《2021年活动登记》"], [None], *activity_rows(ACTIVITIES[:3])]
    activities_book(data, [("活动台账", activity_rows()), (sheet, rows), ("说明", NOTE)], name="县局台账.xlsx")
    ledgers, notices = _load(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    (notice,) = _unread(notices)
    assert (notice.file, notice.sheet, notice.kind) == ("县局台账.xlsx", sheet, "ignored_sheet")
    assert notice.message == "工作表含活动台账的表头，但未读取；如是台账，请把工作表改名为“活动台账”"


def test_a_hidden_sheet_with_a_table_s_headers_is_unread(minimal):
    data, _ = minimal
    activities_book(data, [("活动台账", activity_rows()), ("Sheet2", activity_rows())], hidden=("Sheet2",))
    _, notices = _load(data)
    (notice,) = _unread(notices)
    assert notice.sheet == "Sheet2" and "取消隐藏" in notice.message


def test_an_xls_workbook_is_read_with_its_sheet_rules(minimal):
    data, _ = minimal
    (data / "活动台账.csv").unlink()
    shutil.copy(FORMATS / "活动台账-2021.xls", data / "活动台账-2021.xls")
    ledgers, notices = _load(data)
    acts = ledgers.activities
    assert len(acts) == len(ACTIVITIES) and set(acts["_sheet"]) == {"Sheet1"}
    assert acts["date"].tolist()[0] == date(2021, 3, 5) and acts["_row"].tolist()[0] == 2
    hidden = [n for n in notices if n.sheet == "旧表"]
    assert [(n.unread, "取消隐藏" in n.message) for n in hidden] == [(True, True)]
    assert [n.unread for n in notices if n.sheet == "说明"] == [False]


def _ods(path: Path, sheets: list[tuple[str, list[list[object]]]]) -> Path:
    """A minimal OpenDocument spreadsheet, as LibreOffice and WPS save them."""

    def cell(value: object) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, date):
            return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
        if isinstance(value, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def test_an_ods_workbook_is_read_and_its_problems_name_the_cell(minimal):
    data, _ = minimal
    (data / "活动台账.csv").unlink()
    rows = activity_rows()
    _ods(data / "台账.ods", [("活动台账", rows)])
    ledgers, _ = _load(data)
    assert len(ledgers.activities) == len(ACTIVITIES) and ledgers.activities["date"].tolist()[0] == date(2021, 3, 5)
    rows[2][3] = "联欢会"
    _ods(data / "台账.ods", [("活动台账", rows)])
    refused, _ = _load(data)
    (problem,) = refused.problems
    assert (problem.file, problem.sheet, problem.row, problem.column, problem.cell) == (
        "台账.ods",
        "活动台账",
        3,
        "活动类型",
        "D3",
    )


def test_a_zip_bomb_named_ods_is_too_large(minimal):
    from test_ledger_input import _bomb

    data, _ = minimal
    _bomb(data / "活动台账-青山.ods", 64)
    refused, _ = _load(data)
    assert [p.file for p in refused.problems] == ["活动台账-青山.ods"]
    assert "文件过大或已损坏" in refused.problems[0].message


@pytest.mark.parametrize("name", ["活动台账.et", "活动台账.numbers", "台账.wps", "2021年财政指标.et"])
def test_formats_that_cannot_be_read_are_unread_saying_how_to_save_them(minimal, name):
    data, _ = minimal
    (data / name).write_bytes(b"PK\x03\x04 not really")
    _ledgers, notices = _load(data)
    (notice,) = notices
    assert notice.unread and notice.file == name and "“另存为”Excel工作簿(.xlsx)" in notice.message


def test_files_that_are_no_table_are_named_and_ledger_like_ones_unread(minimal):
    data, _ = minimal
    (data / "说明.txt").write_text("每月报送", encoding="utf-8")
    (data / "README.md").write_text("# 台账", encoding="utf-8")
    (data / "总结.docx").write_bytes(b"PK\x03\x04")
    shutil.copy(ROOT / "data" / "sample" / "培训台账.csv", data)  # no table of the base contract
    write_csv(data / "导出数据.csv", ACTIVITIES[:2])
    write_book(data / "汇总.xlsx", [("Sheet1", activity_rows(ACTIVITIES[:2]))])
    _, notices = _load(data)
    listed = {n.file: n.unread for n in notices}
    assert listed == {
        "说明.txt": False,
        "README.md": False,
        "总结.docx": False,
        "培训台账.csv": False,
        "导出数据.csv": True,
        "汇总.xlsx": True,
    }
    (export,) = [n for n in notices if n.file == "导出数据.csv"]
    assert "活动台账" in export.message and "改名" in export.message


# --- columns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "\u200b单位代码",
        "\ufeff单位代码",
        "单位\u200d代码",
        "单位代码\u2060",
        "单位\u00a0代码",
        "单位\u00ad代码",
        "单位代码\u200c",
        "\u202a单位代码\u202c",
        "ＢＵＲＥＡＵ",
    ],
)
def test_headers_with_invisible_or_full_width_characters_are_recognised(minimal, written):
    data, _ = minimal
    rows = activity_rows()
    rows[0][0] = written
    activities_book(data, [("活动台账", rows)])
    ledgers, notices = _load(data)
    assert len(ledgers.activities) == len(ACTIVITIES) and not notices


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("截止日期", "结束日期"),
        ("参加人数", "人数"),
        ("参与人数", "人数"),
        ("参加对像", "参加对象"),
        ("活动地点", "地点"),
        ("participant", "人数"),
        ("地址", "地点"),
    ],
)
def test_a_near_miss_header_with_data_under_it_is_unread_naming_the_column(minimal, written, meant):
    data, _ = minimal
    headers = ["单位代码", "日期", "活动类型", written]
    rows = activity_rows(headers=["单位代码", "日期", "活动类型", "人数"])
    rows[0] = headers
    rows[-1][3] = "2021-07-02" if "日期" in written else "30"
    activities_book(data, [("活动台账", rows)])
    _ledgers, notices = _load(data)
    (notice,) = notices
    assert notice.unread and notice.column == written and notice.row == 1
    assert f"“{written}”列未读取，是否应为“{meant}”？" in notice.message
    assert f"第{len(rows)}行" in notice.message


@pytest.mark.parametrize("written", ["录入人", "单位名称", "序号", "填报日期", "remarks"])
def test_a_column_that_looks_like_none_stays_an_ordinary_notice(minimal, written):
    data, _ = minimal
    rows = activity_rows()
    rows[0].append(written)
    for row in rows[1:]:
        row.append("某某")
    activities_book(data, [("活动台账", rows)])
    _, notices = _load(data)
    (notice,) = notices
    assert not notice.unread and notice.column == written and notice.kind == "ignored_column"


def test_a_near_miss_header_without_data_is_an_ordinary_notice(minimal):
    data, _ = minimal
    rows = activity_rows()
    rows[0].append("截止日期")
    activities_book(data, [("活动台账", rows)])
    (notice,) = _load(data)[1]
    assert not notice.unread


def test_a_blank_header_with_data_under_it_is_unread_naming_the_column(minimal):
    data, _ = minimal
    rows = activity_rows()
    rows[0][7] = None  # 人数 with its header deleted
    activities_book(data, [("活动台账", rows)])
    _ledgers, notices = _load(data)
    (notice,) = notices
    assert notice.unread and notice.column == "H" and notice.row == 1
    assert f"第{len(rows)}行的值为“30”" in notice.message


# --- CSV separators --------------------------------------------------------------------------


@pytest.mark.parametrize(("separator", "said"), [(";", "分号"), ("\t", "制表符")])
def test_a_csv_with_another_separator_is_read_and_said_so(minimal, separator, said):
    data, _ = minimal
    rows = activity_rows(ACTIVITIES)
    text = "\n".join(separator.join("" if v is None else str(v) for v in row) for row in rows)
    (data / "活动台账.csv").write_text(text + "\n", encoding="utf-8-sig")
    ledgers, notices = _load(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    (notice,) = notices
    assert notice.kind == "csv_separator" and said in notice.message and "逗号" in notice.message
    assert not notice.unread
