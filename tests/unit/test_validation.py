"""Loading every form the data contract allows, and refusing every break it forbids."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from conftest import ACTIVITIES, FINANCE, PROBLEMS, write_csv

from toolkit.data.cells import parse_date, parse_decimal
from toolkit.data.problems import DataError
from toolkit.data.validate import load_ledgers


@pytest.mark.parametrize(
    "text", ["2021-03-05", "2021/3/5", "2021.3.5", "2021年3月5日", "20210305", " 2021-3-05 ", "2021-03-05 00:00:00"]
)
def test_every_date_form(text):
    assert parse_date(text) == date(2021, 3, 5)


@pytest.mark.parametrize(("text", "value"), [("12,345.6", "12345.6"), (" 1 234 ", "1234"), (12.5, "12.5"), (3, "3")])
def test_number_forms(text, value):
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(minimal, encoding):
    data, _ = minimal
    write_csv(data / "活动台账.csv", ACTIVITIES, encoding=encoding)
    ledgers = load_ledgers(data)
    assert set(ledgers.activities["kind"]) >= {"部署会", "宣讲"}


def test_english_headers_any_order_and_extra_columns(minimal):
    from toolkit.data.contract import ACTIVITIES as TABLE

    data, _ = minimal
    zh_to_en = {c.zh: c.name for c in TABLE.columns}
    rows = [{"录入人": "王", **{zh_to_en[k]: v for k, v in reversed(list(r.items()))}} for r in ACTIVITIES]
    (data / "活动台账.csv").unlink()
    write_csv(data / "sub" / "activities-demo.csv", rows, encoding="gbk")
    ledgers = load_ledgers(data)
    assert len(ledgers.activities) == len(ACTIVITIES)
    assert set(ledgers.activities["_file"]) == {"sub/activities-demo.csv"}


def test_several_files_of_one_table_are_read_together(minimal):
    data, _ = minimal
    write_csv(data / "活动台账-2.csv", [dict(ACTIVITIES[0], 日期="2021-09-01")])
    assert len(load_ledgers(data).activities) == len(ACTIVITIES) + 1


def test_xlsx_sheets_with_excel_dates_and_empty_rows(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in (("活动台账", ACTIVITIES), ("问题台账", PROBLEMS), ("财政指标", FINANCE)):
        sheet = book.create_sheet(name)
        headers = list(dict.fromkeys(k for r in rows for k in r))
        sheet.append(headers)
        for i, row in enumerate(rows):
            values = [row.get(h) for h in headers]
            if name == "活动台账" and i == 0:
                values[headers.index("日期")] = date(2021, 3, 5)  # a real Excel date
            sheet.append(values)
            if i == 1:
                sheet.append([])  # an empty row is skipped, numbering kept
    book.create_sheet("说明").append(["这张表不是台账"])
    book.save(tmp_path / "台账.xlsx")
    ledgers = load_ledgers(tmp_path)
    first = ledgers.activities.iloc[0]
    assert first["date"] == date(2021, 3, 5) and first["_sheet"] == "活动台账" and first["_row"] == 2
    assert ledgers.activities.iloc[2]["_row"] == 5  # row 4 is empty
    money = ledgers.finance.set_index("indicator")["amount"]
    assert money["财政总收入"] == Decimal(10_000_000)


def test_amount_units_are_converted(minimal):
    data, _ = minimal
    rows = [dict(r) for r in FINANCE]
    rows[0].update(数值="19.365", 计量单位="亿元")
    rows[1].update(数值="1,234,567", 计量单位="元")
    write_csv(data / "财政指标.csv", rows)
    money = load_ledgers(data).finance.set_index("indicator")["amount"]
    assert money["财政总收入"] == Decimal("1936500000")
    assert money["税收收入"] == Decimal("1234567")


# --- one broken input per promised error -------------------------------------------


def _break(data, table: str, rows: list[dict], index: int, **changes) -> None:
    broken = [dict(r) for r in rows]
    broken[index].update(changes)
    write_csv(data / f"{table}.csv", broken)


def _problems(data) -> list:
    with pytest.raises(DataError) as err:
        load_ledgers(data)
    message = str(err.value)
    assert "Traceback" not in message
    return err.value.problems


@pytest.mark.parametrize(
    ("table", "rows", "index", "change", "column", "value", "says"),
    [
        ("活动台账", ACTIVITIES, 2, {"日期": "2021-02-30"}, "日期", "2021-02-30", "不存在的日期"),
        ("活动台账", ACTIVITIES, 2, {"日期": "明年春天"}, "日期", "明年春天", "无法识别的日期"),
        ("活动台账", ACTIVITIES, 4, {"活动类型": "联欢会"}, "活动类型", "联欢会", "部署会"),
        ("活动台账", ACTIVITIES, 8, {"人数": "-3"}, "人数", "-3", "不小于0"),
        ("活动台账", ACTIVITIES, 8, {"人数": "2.5"}, "人数", "2.5", "不是整数"),
        ("活动台账", ACTIVITIES, 4, {"结束日期": "2021-05-01"}, "结束日期", "2021-05-01", "早于"),
        ("活动台账", ACTIVITIES, 0, {"单位代码": "青山"}, "单位代码", "青山", "单位代码"),
        ("问题台账", PROBLEMS, 1, {"办理状态": "已办结"}, "办理状态", "已办结", "已解决"),
        ("问题台账", PROBLEMS, 1, {"来源": "信访"}, "来源", "信访", "大调研"),
        ("问题台账", PROBLEMS, 0, {"办结日期": "2021-04-01"}, "办结日期", "2021-04-01", "早于"),
        ("问题台账", PROBLEMS, 1, {"问题编号": "D1"}, "问题编号", "D1", "重复"),
        ("问题台账", PROBLEMS, 2, {"问题描述": ""}, "问题描述", "", "必填"),
        ("财政指标", FINANCE, 3, {"数值": "-100"}, "数值", "-100", "不小于0"),
        ("财政指标", FINANCE, 3, {"数值": "一百"}, "数值", "一百", "不是数字"),
        ("财政指标", FINANCE, 3, {"计量单位": "千元"}, "计量单位", "千元", "元"),
        ("财政指标", FINANCE, 6, {"计量单位": "万元"}, "计量单位", "万元", "人次"),
        ("财政指标", FINANCE, 3, {"指标": "财政总收入"}, "指标", "财政总收入", "重复"),
        ("财政指标", FINANCE, 3, {"指标": "其他收入"}, "指标", "其他收入", "财政总收入"),
        ("财政指标", FINANCE, 8, {"截至月份": "13"}, "截至月份", "13", "1至12"),
        ("财政指标", FINANCE, 8, {"年度": "21年"}, "年度", "21年", "年份"),
    ],
)
def test_each_broken_cell_is_named(minimal, table, rows, index, change, column, value, says):
    data, _ = minimal
    _break(data, table, rows, index, **change)
    problems = _problems(data)
    duplicate = says == "重复"  # both rows of a duplicate are named
    assert len(problems) == (2 if duplicate else 1), problems
    p = next(p for p in problems if p.row == index + 2)
    assert (p.file, p.column) == (f"{table}.csv", column)
    assert str(p.value) == value
    assert says in str(p)


def test_duplicated_indicator_names_both_rows(minimal):
    data, _ = minimal
    write_csv(data / "财政指标.csv", [*FINANCE, dict(FINANCE[0], 数值="5")])
    problems = _problems(data)
    assert sorted(p.row for p in problems) == [2, len(FINANCE) + 2]
    assert all("不会自动相加" in str(p) for p in problems)


def test_missing_column_is_named(minimal):
    data, _ = minimal
    write_csv(data / "问题台账.csv", [{k: v for k, v in r.items() if k != "办理状态"} for r in PROBLEMS])
    (problem,) = _problems(data)
    assert problem.file == "问题台账.csv" and problem.row == 1
    assert "缺少必填列“办理状态”" in str(problem)


def test_missing_table_is_named(minimal):
    data, _ = minimal
    (data / "财政指标.csv").unlink()
    (problem,) = _problems(data)
    assert "找不到财政指标" in str(problem)


def test_undecodable_csv_is_named(minimal):
    data, _ = minimal
    (data / "问题台账.csv").write_bytes(b"\xff\xfe\x00\x81\x30\x81" * 10)
    problems = _problems(data)
    assert any("编码" in str(p) and p.file == "问题台账.csv" for p in problems)


def test_every_problem_is_reported_not_just_the_first(minimal):
    data, _ = minimal
    _break(data, "活动台账", ACTIVITIES, 1, 日期="2021-13-01", 活动类型="联欢")
    _break(data, "财政指标", FINANCE, 2, 数值="-1")
    problems = _problems(data)
    assert {(p.file, p.column) for p in problems} == {
        ("活动台账.csv", "日期"),
        ("活动台账.csv", "活动类型"),
        ("财政指标.csv", "数值"),
    }


def test_the_same_wrong_text_in_many_rows_is_named_in_every_row(minimal):
    data, _ = minimal
    rows = [dict(r) for r in ACTIVITIES]
    for i in (0, 2, 3):
        rows[i]["日期"] = "2021-13-01"
    write_csv(data / "活动台账.csv", rows)
    problems = _problems(data)
    assert sorted(p.row for p in problems if p.column == "日期") == [2, 4, 5]


# --- dates that would silently move a row out of its year ---------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2022-01-10",
        "2022/1/10",
        "2022.1.10",
        "2022年1月10日",
        "2022年1月10号",
        "20220110",
        " 2022-1-10 ",
        "2022-01-10 09:30",
        "２０２２年１月１０日",
        44571,
        44571.375,
        "44571",
        date(2022, 1, 10),
        datetime(2022, 1, 10, 9, 30),
    ],
)
def test_every_date_form_offices_type(value):
    assert parse_date(value) == date(2022, 1, 10)


@pytest.mark.parametrize(
    ("table", "rows", "column", "value", "says"),
    [
        ("活动台账", ACTIVITIES, "结束日期", "9999-12-31", "合理范围"),
        ("活动台账", ACTIVITIES, "日期", "2201-03-05", "合理范围"),
        ("活动台账", ACTIVITIES, "日期", "1900-02-28", "合理范围"),
        ("活动台账", ACTIVITIES, "日期", "1999-03-05", "合理范围"),
        ("活动台账", ACTIVITIES, "结束日期", "2121-05-12", "合理范围"),
        ("活动台账", ACTIVITIES, "结束日期", "2023-05-12", "相差过大"),
        ("活动台账", ACTIVITIES, "结束日期", "2019-05-12", "相差过大"),
        ("问题台账", PROBLEMS, "办结日期", "2031-06-01", "合理范围"),
        ("问题台账", PROBLEMS, "收集日期", "12021-05-01", "日期"),
        ("财政指标", FINANCE, "年度", "2201", "年份超出范围"),
        ("财政指标", FINANCE, "年度", "1949", "年份超出范围"),
    ],
)
def test_an_implausible_date_is_a_cell_problem(minimal, table, rows, column, value, says):
    data, _ = minimal
    _break(data, table, rows, 0, **{column: value})
    (problem,) = _problems(data)
    assert (problem.file, problem.row, problem.column, str(problem.value)) == (f"{table}.csv", 2, column, value)
    assert says in str(problem) and problem.cell


def test_a_problem_may_take_years_to_close(minimal):
    data, _ = minimal
    _break(data, "问题台账", PROBLEMS, 0, 办结日期="2024-03-01", 办理状态="已解决")  # raised 2021, closed 2024
    ledgers = load_ledgers(data)
    assert date(2024, 3, 1) in list(ledgers.problems["resolved_on"])


def test_dates_later_than_next_year_are_refused():
    from toolkit.data.cells import latest_date

    assert latest_date(date(2024, 5, 1)) == date(2025, 12, 31)


@pytest.mark.parametrize("serial", [60, 59, 1, 0, -5, 36525])
def test_excel_serials_before_2000_are_refused(tmp_path, serial):
    pytest.importorskip("openpyxl")
    from conftest import ACTIVITIES as ROWS
    from test_ledger_input import activities_book, activity_rows

    for name, rows in (("问题台账", PROBLEMS), ("财政指标", FINANCE)):
        write_csv(tmp_path / f"{name}.csv", rows)
    book_rows = activity_rows(ROWS)
    book_rows[1][1] = serial  # a date typed as a number, or the cell's date format lost
    activities_book(tmp_path, [("活动台账", book_rows)])
    (problem,) = _problems(tmp_path)
    assert (problem.sheet, problem.row, problem.cell, problem.column) == ("活动台账", 2, "B2", "日期")


# --- numbers that Decimal() or int() would take ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["1.234,56", "1e5", "1E-3", "1_000", "١٢٣", "۱۲۳", "१२३", "inf", "-inf", "nan", "NaN", "Infinity", "1,23", "1.2.3"],
)
def test_numbers_in_foreign_forms_are_refused(minimal, text):
    data, _ = minimal
    _break(data, "财政指标", FINANCE, 3, 数值=text)
    (problem,) = _problems(data)
    assert (problem.row, problem.column, problem.value) == (5, "数值", text)
    assert "不是数字" in str(problem) and "1,234.5" in str(problem)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234.56", "1234.56"), ("１２３", "123"), ("1，234", "1234"), ("+5", "5"), (".5", "0.5"), ("12.", "12")],
)
def test_numbers_as_offices_type_them_still_read(text, value):
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), Decimal("Infinity"), Decimal("NaN")])
def test_infinite_numbers_are_a_problem_not_an_overflow(value):
    from toolkit.data.cells import BadCell, whole

    with pytest.raises(BadCell):
        whole(value)


def test_an_infinite_cell_in_a_hostile_xlsx_is_a_cell_problem(tmp_path):
    pytest.importorskip("openpyxl")
    from conftest import ACTIVITIES as ROWS
    from test_ledger_input import activities_book, activity_rows

    for name, rows in (("问题台账", PROBLEMS), ("财政指标", FINANCE)):
        write_csv(tmp_path / f"{name}.csv", rows)
    book_rows = activity_rows(ROWS)
    book_rows[-1][7] = 123456  # 人数, rewritten below as the file would carry it
    path = activities_book(tmp_path, [("活动台账", book_rows)])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    parts[sheet] = parts[sheet].replace(b"<v>123456</v>", b"<v>inf</v>")
    with zipfile.ZipFile(path, "w") as z:
        for name, body in parts.items():
            z.writestr(name, body)
    (problem,) = _problems(tmp_path)
    assert (problem.row, problem.column, problem.cell) == (len(book_rows), "人数", f"H{len(book_rows)}")
    assert "无穷大" in str(problem)
