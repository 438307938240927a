"""Ledgers as offices really make them: openpyxl-written workbooks with blank cells among
dates, copied and hidden sheets, backup files, annotated headers, title rows, 合计 rows,
formulas without cached values, case-variant codes, hostile workbooks.

Each defect of issue #8 (items 1, 3-7) has its regression test here.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import ACTIVITIES, FINANCE, PROBLEMS, write_csv
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from toolkit.data.books import NotANumber, UncachedFormula
from toolkit.data.contract import ACTIVITIES as ACTIVITY_TABLE
from toolkit.data.contract import ACTIVITY_KINDS, META_COLUMNS
from toolkit.data.load import RawTable
from toolkit.data.problems import CellProblem, DataError
from toolkit.data.validate import check_codes, load_ledgers, load_ledgers_per_bureau, validate_tables
from toolkit.errors import NotFoundError
from toolkit.report import prepare as report

openpyxl = pytest.importorskip("openpyxl")

BAD_TEXT = ("nan", "NaT", "None", "True", "False", "inf")


def _value(text: str | None):
    """Ledger text as an office types it: real dates and numbers, None for blank."""
    if text is None or text == "":
        return None
    if len(text) == 10 and text[4] == "-":
        return date.fromisoformat(text)
    if text.isdigit():
        return int(text)
    return text


def activity_rows(rows: list[dict] = ACTIVITIES, headers: list[str] | None = None) -> list[list]:
    headers = headers or ["单位代码", "日期", "结束日期", "活动类型", "活动名称", "参加对象", "地点", "人数", "备注"]
    keys = [re.sub(r"[（(【].*$", "", h) for h in headers]
    return [headers] + [[_value(r.get(k)) for k in keys] for r in rows]


def write_book(path: Path, sheets: list[tuple[str, list[list]]], hidden: tuple[str, ...] = ()) -> Path:
    """A workbook written with openpyxl, as scripts and some offices write them."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def activities_book(data: Path, sheets: list[tuple[str, list[list]]], name="活动台账.xlsx", **kw) -> Path:
    (data / "活动台账.csv").unlink(missing_ok=True)
    return write_book(data / name, sheets, **kw)


def assert_clean_figures(rep) -> None:
    for f in rep.figures.values():
        if f.text is None:
            continue
        assert not any(bad in str(f.text) for bad in BAD_TEXT), (f.key, f.text)


# --- 1. blank cells among real dates -------------------------------------------------


def test_blank_end_dates_among_real_excel_dates_reach_figures_as_none(minimal):
    data, params = minimal
    rows = [dict(r) for r in ACTIVITIES]
    rows.append({"单位代码": "demo", "日期": "2021-06-15", "活动类型": "宣讲", "参加对象": "第二党支部"})
    rows.append(
        {
            "单位代码": "demo",
            "日期": "2021-06-20",
            "结束日期": "2021-06-21",
            "活动类型": "宣讲",
            "参加对象": "第三党支部",
        }
    )
    activities_book(data, [("活动台账", activity_rows(rows))])
    ledgers = load_ledgers(data)
    ends = ledgers.activities["end_date"].tolist()
    assert all(v is None or type(v) is date for v in ends)
    assert ends.count(None) == len(rows) - 2 and date(2021, 5, 12) in ends
    rep = report.prepare(ledgers, params, "demo", 2021)
    assert_clean_figures(rep)
    months = rep.figures["lecture_months"].text
    assert months.startswith("4") and months.endswith("6月")


# --- 3. copies, hidden sheets, backup files ---------------------------------------------


def test_copied_hidden_and_backup_tables_are_ignored_and_listed(minimal):
    data, _ = minimal
    rows = activity_rows()
    activities_book(
        data,
        [("活动台账", rows), ("活动台账 (2)", rows), ("活动台账（旧）", rows), ("说明", [["本表由办公室填写"]])],
        hidden=("活动台账 (2)",),
    )
    write_book(data / "活动台账-备份.xlsx", [("活动台账", rows)])
    write_book(data / "旧" / "县局台账 - 副本.xlsx", [("活动台账", rows)])
    ledgers = load_ledgers(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    ignored = {(n.file, n.sheet, n.kind) for n in ledgers.notices if n.kind.startswith("ignored_")}
    assert ("活动台账.xlsx", "活动台账 (2)", "ignored_sheet") in ignored
    assert ("活动台账.xlsx", "活动台账（旧）", "ignored_sheet") in ignored
    assert ("活动台账-备份.xlsx", None, "ignored_file") in ignored
    assert ("旧/县局台账 - 副本.xlsx", None, "ignored_file") in ignored
    (note,) = [n for n in ledgers.notices if n.sheet == "说明"]
    assert note.kind == "ignored_sheet" and "不是台账工作表" in note.message
    # copies are left out on purpose (no double counting), a note is no ledger: nothing unread
    assert not any(n.unread for n in ledgers.notices)


def test_a_workbook_that_cannot_be_read_is_listed_as_unread(minimal):
    data, _ = minimal
    (data / "活动台账-旧格式.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    ledgers = load_ledgers(data)
    assert [(n.file, n.kind, n.unread) for n in ledgers.notices] == [("活动台账-旧格式.xls", "ignored_file", True)]
    assert "“另存为”Excel工作簿(.xlsx)" in ledgers.notices[0].message


def test_a_hidden_sheet_is_not_read_even_under_the_table_name(minimal):
    data, _ = minimal
    activities_book(data, [("活动台账", activity_rows()), ("activities", activity_rows())], hidden=("activities",))
    ledgers = load_ledgers(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    assert [n.sheet for n in ledgers.notices if n.kind == "ignored_sheet"] == ["activities"]


def test_per_bureau_suffixes_are_still_tables(minimal):
    data, _ = minimal
    (data / "活动台账.csv").unlink()
    write_csv(data / "活动台账-青山.csv", ACTIVITIES[:4])
    write_csv(data / "activities_2021.csv", ACTIVITIES[4:])
    assert len(load_ledgers(data).activities) == len(ACTIVITIES)


def test_identical_rows_from_two_sources_are_an_error_naming_both(minimal):
    data, _ = minimal
    write_csv(data / "活动台账-二.csv", [ACTIVITIES[2]])
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    (problem,) = caught.value.problems
    places = {("活动台账-二.csv", 2), ("活动台账.csv", 4)}
    (other,) = places - {(problem.file, problem.row)}
    assert problem.bureau == "demo" and "重复" in problem.message
    assert f"“{other[0]}”第{other[1]}行" in problem.message


# --- 4. headers as people write them ----------------------------------------------------


def test_bracketed_header_notes_are_recognised_and_unknown_columns_listed_once(minimal):
    data, params = minimal
    headers = ["单位代码", "日期", "结束日期（选填）", "活动类型", "参加对象", "地点（场所）", "人数（人）", "录入人"]
    rows = activity_rows(headers=headers)
    for row in rows[1:]:
        row[-1] = "王芳"
    activities_book(data, [("活动台账", rows)])
    ledgers = load_ledgers(data)
    acts = ledgers.activities
    assert acts["participants"].dropna().tolist() == [30]
    assert date(2021, 5, 12) in acts["end_date"].tolist()
    assert "某县烈士纪念馆" in acts["venue"].tolist()
    ignored = [n for n in ledgers.notices if n.kind == "ignored_column"]
    assert [(n.column, n.row) for n in ignored] == [("录入人", 1)]
    rep = report.prepare(ledgers, params, "demo", 2021)
    assert rep.figures["open_day_visitors"].value == 30


def test_a_note_after_a_required_header_is_only_a_note(minimal):
    data, _ = minimal
    rows = activity_rows(headers=["单位代码", "日期", "活动类型"])
    rows[0] = ["单位代码(必填)", "日期【开始】", "活动类型 (见说明)"]
    activities_book(data, [("活动台账", rows)])
    assert len(load_ledgers(data).activities) == len(ACTIVITIES)


# --- 5. silent losses ---------------------------------------------------------------


def test_formula_without_cached_value_is_a_problem_naming_the_cell(minimal):
    data, _ = minimal
    rows = activity_rows()
    rows[-1][7] = "=10+20"  # 人数 of the 开放日 row, written by a script: no cached value
    activities_book(data, [("活动台账", rows)])
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    (problem,) = caught.value.problems
    assert isinstance(problem, CellProblem)
    assert (problem.sheet, problem.row, problem.column, problem.cell) == (
        "活动台账",
        len(rows),
        "人数",
        f"H{len(rows)}",
    )
    assert "公式" in str(problem) and problem.bureau == "demo"


def test_case_variant_bureau_code_is_an_error_on_its_cell(minimal):
    data, _ = minimal
    rows = activity_rows()
    rows[3][0] = "Demo"
    activities_book(data, [("活动台账", rows)])
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    (problem,) = caught.value.problems
    assert (problem.row, problem.cell, problem.value, problem.bureau) == (4, "A4", "Demo", "demo")
    assert "大小写" in problem.message


def test_case_variant_of_a_parameter_file_is_an_error_too(minimal):
    data, _ = minimal
    for name, rows in (("活动台账", ACTIVITIES), ("问题台账", PROBLEMS), ("财政指标", FINANCE)):
        write_csv(data / f"{name}.csv", [dict(r, 单位代码="DEMO") for r in rows])
    with pytest.raises(DataError) as caught:
        load_ledgers(data, known_codes=["demo"])
    assert {p.bureau for p in caught.value.problems} == {"demo"}
    assert len(caught.value.problems) == len(ACTIVITIES) + len(PROBLEMS) + len(FINANCE)
    (found,) = check_codes(load_ledgers(data), ["demo"])
    assert found.bureau == "demo" and "DEMO" in found.message and "大小写" in found.message


def test_codes_without_a_parameter_file_are_named(minimal):
    data, _ = minimal
    write_csv(data / "活动台账-其他.csv", [dict(ACTIVITIES[0], 单位代码="qingshna")])
    found = check_codes(load_ledgers(data), ["demo"])
    assert [(p.value, p.bureau, p.file) for p in found] == [("qingshna", "qingshna", "活动台账-其他.csv")]
    assert "qingshna.yaml" in found[0].message


def test_year_without_data_names_the_years_that_have_data(minimal):
    data, _ = minimal
    ledgers = load_ledgers(data)
    ledgers.require_year(2021)
    with pytest.raises(NotFoundError, match="2035") as caught:
        ledgers.require_year(2035)
    assert "2021年" in str(caught.value)
    with pytest.raises(NotFoundError, match="demo"):
        ledgers.require_year(2020, "demo")


def test_render_of_a_year_without_data_fails_with_the_years(minimal, tmp_path):
    from toolkit.cli import main

    data, params = minimal
    out = tmp_path / "out"
    argv = ["render", "--data", str(data), "--params", str(params), "--bureau", "demo", "--year", "2035"]
    assert main([*argv, "--out", str(out)]) == 1
    assert not out.exists()


def test_batch_of_a_year_without_data_stops_before_any_notebook(minimal, tmp_path):
    from toolkit.run import batch
    from toolkit.run.spec import RunSpec

    data, params = minimal
    with pytest.raises(NotFoundError, match="有数据的年度：2021年"):
        batch.plan(RunSpec(data, params, 2035, out_dir=tmp_path / "out"))


# --- 6. hostile workbooks -----------------------------------------------------------


def test_stray_cell_at_xfd1048576_in_an_unrelated_sheet_is_never_read(minimal):
    data, _ = minimal
    path = activities_book(data, [("活动台账", activity_rows()), ("草稿", [["x"]])])
    book = openpyxl.load_workbook(path)
    book["草稿"]["XFD1048576"] = "远处的一个单元格"
    book.save(path)
    assert len(load_ledgers(data).activities) == len(ACTIVITIES)


def test_stray_cell_at_xfd1048576_in_a_table_sheet_is_too_large(minimal):
    data, _ = minimal
    path = activities_book(data, [("活动台账", activity_rows())])
    book = openpyxl.load_workbook(path)
    book["活动台账"]["XFD1048576"] = 1
    book.save(path)
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    (problem,) = caught.value.problems
    assert problem.file == "活动台账.xlsx" and problem.sheet == "活动台账"
    assert "文件过大或已损坏" in problem.message and "XFD1048576" in problem.message


def _bomb(path: Path, megabytes: int) -> Path:
    """A zip whose one part inflates ~1000:1, named .xlsx."""
    chunk = b"<c>0</c>" * (1024 * 128)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    size, crc = len(chunk) * megabytes, 0
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.CRC, info.compress_size = size, crc, len(body)
        z.writestr("[Content_Types].xml", "<Types/>")
        # write the pre-compressed part as is
        z.fp.write(info.FileHeader())  # type: ignore[union-attr]
        info.header_offset = z.fp.tell() - len(info.FileHeader())  # type: ignore[union-attr]
        z.fp.write(body)  # type: ignore[union-attr]
        z.filelist.append(info)
        z.NameToInfo[info.filename] = info
        z.start_dir = z.fp.tell()  # type: ignore[union-attr]
    return path


def test_zip_bomb_named_xlsx_is_too_large_for_that_file(minimal):
    data, _ = minimal
    _bomb(data / "活动台账-青山.xlsx", 64)
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    messages = [str(p) for p in caught.value.problems if p.file == "活动台账-青山.xlsx"]
    assert len(messages) == 1 and "文件过大或已损坏" in messages[0]


def test_a_text_file_named_xlsx_is_reported_not_crashed(minimal):
    data, _ = minimal
    (data / "财政指标-2.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    assert [p.file for p in caught.value.problems] == ["财政指标-2.xlsx"]
    assert "文件过大或已损坏" in caught.value.problems[0].message


# --- 7. title rows, totals, footers ----------------------------------------------------


def test_title_row_above_the_header_is_a_notice_not_an_error(minimal):
    data, _ = minimal
    rows = [["《2021年党史学习教育活动台账》"], [None], *activity_rows()]
    path = activities_book(data, [("活动台账", rows)])
    book = openpyxl.load_workbook(path)
    book["活动台账"].merge_cells("A1:I1")
    book.save(path)
    ledgers = load_ledgers(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    assert ledgers.activities["_row"].tolist()[0] == 4
    (notice,) = [n for n in ledgers.notices if n.kind == "header_row"]
    assert notice.row == 3


def test_totals_and_footer_rows_are_skipped_with_a_notice(minimal):
    data, _ = minimal
    rows = activity_rows()
    rows.append(["合计", None, None, None, None, None, None, 30, None])
    rows.append([None, None, None, None, None, None, None, None, None])
    rows.append(["制表人：王芳", None, "审核：李明", None, None, None, None, None, None])
    activities_book(data, [("活动台账", rows)])
    ledgers = load_ledgers(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    kinds = {n.kind: n.row for n in ledgers.notices if n.kind in ("total_row", "footer_row")}
    assert kinds == {"total_row": len(ACTIVITIES) + 2, "footer_row": len(ACTIVITIES) + 4}


def test_missing_column_names_the_row_it_looked_at(minimal):
    data, _ = minimal
    rows = [["《活动台账》"], *activity_rows(headers=["单位代码", "日期", "活动名称"])]
    activities_book(data, [("活动台账", rows)])
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    (problem,) = caught.value.problems
    assert problem.row == 2 and "活动类型" in problem.message


# --- cells that must never print ------------------------------------------------------


def test_excel_errors_and_logical_values_are_refused(minimal):
    data, _ = minimal
    rows = activity_rows()
    rows[1][4] = True  # 活动名称 = TRUE
    rows[2][4] = "#N/A"
    activities_book(data, [("活动台账", rows)])
    with pytest.raises(DataError) as caught:
        load_ledgers(data)
    assert [(p.cell, p.bureau) for p in caught.value.problems] == [("E2", "demo"), ("E3", "demo")]


def test_datetimes_with_time_are_dates(minimal):
    data, _ = minimal
    rows = activity_rows()
    rows[1][1] = datetime(2021, 3, 5, 9, 30)
    activities_book(data, [("活动台账", rows)])
    assert load_ledgers(data).activities["date"].tolist()[0] == date(2021, 3, 5)


# --- one bad bureau -----------------------------------------------------------------


def test_bad_rows_of_one_bureau_fail_that_bureau_only(minimal):
    data, _ = minimal
    other = [dict(r, 单位代码="other") for r in ACTIVITIES]
    other[1]["日期"] = "2021-13-40"
    other[2]["单位代码"] = "Other"
    write_csv(data / "活动台账-other.csv", other)
    split = load_ledgers_per_bureau(data, known_codes=["demo", "other"])
    assert set(split.failed) == {"other"}
    assert sorted(p.row for p in split.failed["other"]) == [3, 4]
    assert set(split.ledgers.activities["bureau"]) == {"demo"}
    assert len(split.ledgers.activities) == len(ACTIVITIES)


def test_a_row_without_a_readable_code_still_stops_everything(minimal):
    data, _ = minimal
    other = [dict(r, 单位代码="other") for r in ACTIVITIES[:2]]
    other[0]["单位代码"] = ""
    write_csv(data / "活动台账-other.csv", other)
    with pytest.raises(DataError):
        load_ledgers_per_bureau(data)


# --- the problem list -----------------------------------------------------------------


def test_validate_report_lists_every_problem_and_marks_the_cells(minimal, tmp_path, capsys):
    from toolkit.cli import main

    data, params = minimal
    rows = activity_rows()
    rows[2][1] = "2021-02-30"  # row 3, 日期
    rows[-1][7] = "=10+20"  # last row, 人数: formula without cached value
    activities_book(data, [("活动台账", rows)])
    finance = [dict(r) for r in FINANCE]
    finance[0]["数值"] = "=A1"  # a CSV cell that is text, not a formula
    write_csv(data / "财政指标.csv", finance)
    out = tmp_path / "问题清单.xlsx"
    assert main(["validate", "--data", str(data), "--params", str(params), "--report", str(out)]) == 1
    assert "问题清单" in capsys.readouterr().err
    book = openpyxl.load_workbook(out)
    listing = book["问题清单"]
    lines = [[c.value for c in r] for r in listing.iter_rows(min_row=2)]
    cells = {(line[2], line[4]) for line in lines}
    assert cells == {("活动台账.xlsx", "B3"), ("活动台账.xlsx", f"H{len(rows)}"), ("财政指标.csv", "E2")}
    assert all(line[1] == "demo" and line[8] and line[9] for line in lines)
    for line, row in zip(lines, listing.iter_rows(min_row=2)):
        title, ref = line[10].split("!")
        assert row[10].hyperlink.location == f"'{title}'!{ref}"
        marked = book[title][ref]
        assert marked.fill.fgColor.rgb.endswith("FFC7CE")
        assert line[8] in marked.comment.text
    copy = book[lines[0][10].split("!")[0]]
    assert copy["A1"].value == "单位代码" and copy["B2"].value.date() == date(2021, 3, 5)
    csv_copy = next(book[t] for t in book.sheetnames if "财政指标" in t)
    assert csv_copy["E2"].value == "=A1" and csv_copy["E2"].data_type == "s"


@pytest.mark.parametrize(
    ("name", "table", "resembles"),
    [
        ("活动台账", "activities", False),
        ("活动台账-青山", "activities", False),
        ("Finance_2022", "finance", False),
        ("问题台账.河东", "problems", False),
        ("活动台账 (2)", "activities", True),
        ("活动台账（旧）", "activities", True),
        ("活动台账-备份", "activities", True),
        ("activities_old", "activities", True),
        ("财政指标-副本", "finance", True),
        ("2022年活动台账", "activities", False),
        ("活动台账2021", "activities", False),
        ("2021活动台账", "activities", False),
        ("青山县活动台账", "activities", False),
        ("活动台账 2021", "activities", False),
        ("2021年青山县问题台账", "problems", False),
        ("活动台账汇总", "activities", True),
        ("活动台账（最终版）", "activities", True),
        ("活动台账2", "activities", True),
        ("说明", None, False),
        ("Sheet1", None, False),
    ],
)
def test_what_is_a_table_name(name, table, resembles):
    from toolkit.data.sources import classify_name

    found, like = classify_name(name)
    assert (found.name if found else None, like) == (table, resembles)


# --- any cell an office may type: typed ledgers or DataError, never a bad value ----------

_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 3000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(date(2019, 1, 1), date(2023, 12, 31)),
    st.datetimes(datetime(2019, 1, 1), datetime(2023, 12, 31)),
    st.text(max_size=6),
    st.sampled_from(
        ["", " ", "2021-02-30", "2021年3月5日", "20210305", "1,234", "三十", "#N/A", "nan", "None", "合计", "demo"]
    ),
    st.just(pd.NaT),
    st.builds(UncachedFormula, st.just("H9")),
    # what a hostile or broken file may carry: infinities, NaN, huge floats and ints
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 5e-324, 2.0**63, 10.0**20]),
    st.integers(min_value=2**62, max_value=10**40),
    st.integers(min_value=-(10**40), max_value=-(2**62)),
    st.builds(NotANumber, st.sampled_from(["inf", "nan"])),
    st.sampled_from(["1e5", "1E-3", "1_000", "١٢٣", "1.234,56", "inf", "Infinity", "-inf", "NaN", "9999-12-31"]),
    st.integers(0, 99999),  # a number in a date column: an Excel serial
)
_texts = st.one_of(st.none(), st.text("党支部会议室青年干部全体党员ab1 ", min_size=1, max_size=6))
_valid_activity = st.fixed_dictionaries(
    {
        "bureau": st.just("demo"),
        "date": st.dates(date(2021, 1, 1), date(2021, 12, 31)),
        "end_date": st.one_of(st.none(), st.dates(date(2021, 12, 31), date(2022, 1, 31))),
        "kind": st.sampled_from(ACTIVITY_KINDS),
        "title": _texts,
        "audience": _texts,
        "venue": _texts,
        "participants": st.one_of(st.none(), st.integers(0, 500)),
        "notes": _texts,
    }
)


@st.composite
def _activity(draw):
    """A sound row, often with one cell replaced by anything an office may type."""
    row = draw(_valid_activity)
    column = draw(st.sampled_from([None, *row]))
    if column is not None:
        row[column] = draw(_cells)
    return row


def _raw(table, records: list[dict]) -> RawTable:
    rows = [dict(r, _file="台账.xlsx", _sheet=table.zh, _row=i + 2) for i, r in enumerate(records)]
    columns = [c.name for c in table.columns] + list(META_COLUMNS)
    return RawTable(table, pd.DataFrame.from_records(rows, columns=columns))


@pytest.fixture(scope="module")
def valid_raw():
    from toolkit.data.load import load_tables

    folder = Path(tempfile.mkdtemp())
    for name, rows in (("活动台账", ACTIVITIES), ("问题台账", PROBLEMS), ("财政指标", FINANCE)):
        write_csv(folder / f"{name}.csv", rows)
    params = folder / "params" / "bureaus"
    params.mkdir(parents=True)
    (params / "demo.yaml").write_text("name: 某县财政局\noffice_director: 张三\nliaison: 李四\n", encoding="utf-8")
    return load_tables(folder), folder / "params"


def _bad_value(value) -> bool:
    if value is None:
        return False
    if value is pd.NaT or isinstance(value, bool):
        return True
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return True
    return isinstance(value, Decimal) and not value.is_finite()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_activity(), min_size=1, max_size=5))
def test_any_cells_give_clean_ledgers_or_a_data_error(valid_raw, activities):
    raw, params = valid_raw
    tables = dict(raw, activities=_raw(ACTIVITY_TABLE, activities))
    try:
        ledgers = validate_tables(tables)
    except DataError as err:
        event("refused")
        assert err.problems and all(p.file == "台账.xlsx" or p.file.endswith(".csv") for p in err.problems)
        assert all(str(p) for p in err.problems)
        return
    event("accepted")
    for frame in (ledgers.activities, ledgers.problems, ledgers.finance):
        for column in frame.columns:
            assert not any(_bad_value(v) for v in frame[column]), column
    if 2021 in ledgers.years_of("demo"):
        try:
            rep = report.prepare(ledgers, params, "demo", 2021)
        except DataError:
            event("figure refused")
            return
        assert_clean_figures(rep)


def test_each_row_of_a_code_without_a_parameter_file_is_named_with_the_nearest_code(minimal):
    from toolkit.data.bureau_codes import unknown_code_rows

    data, params = minimal
    (params / "bureaus" / "001.yaml").write_text("name: 一号局\noffice_director: 甲\nliaison: 乙\n", "utf-8")
    strays = [
        dict(ACTIVITIES[0], 单位代码="001"),  # a code typed as the number 1 (Excel drops the zeros)
        dict(ACTIVITIES[1], 单位代码="deno"),  # a typo of demo
        dict(ACTIVITIES[2], 单位代码="deno", 日期="2020-04-08"),  # the typo, another year
        dict(ACTIVITIES[3], 单位代码="zhangjiajie"),  # nothing close
    ]
    activities_book(data, [("活动台账", activity_rows([*ACTIVITIES, *strays]))])
    ledgers = load_ledgers(data)
    known = ["001", "demo"]
    first = len(ACTIVITIES) + 2  # header = row 1
    found = unknown_code_rows(ledgers, known, 2021)
    assert [(p.file, p.sheet, p.row, p.column, p.value) for p in found] == [
        ("活动台账.xlsx", "活动台账", first, "单位代码", "1"),
        ("活动台账.xlsx", "活动台账", first + 1, "单位代码", "deno"),
        ("活动台账.xlsx", "活动台账", first + 3, "单位代码", "zhangjiajie"),
    ]
    assert [p.expected for p in found[:2]] == ["“001”", "“demo”"] and "“001”" in found[0].message
    assert "相近" not in found[2].message and "demo" in str(found[2].expected)
    assert [p.row for p in unknown_code_rows(ledgers, known)] == [first, first + 1, first + 2, first + 3]
    assert [p.value for p in check_codes(ledgers, known)] == ["1", "deno", "zhangjiajie"]
    assert "“demo”相近" in check_codes(ledgers, known)[1].message
