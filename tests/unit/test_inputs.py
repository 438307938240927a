"""The batch's fingerprint: changing any input a report reads reruns that bureau; nothing else does."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import PARAMS, SAMPLE

from toolkit.data.ledgers import TABLE_NAMES, Ledgers, Shelf, read_cached
from toolkit.data.validate import load_ledgers_per_bureau
from toolkit.resources import PACKAGE, default_template, notebook
from toolkit.run import inputs
from toolkit.run.spec import RunSpec

CODES = ["fengling", "hedong", "meiling", "qingshan", "yunshui"]
BOOK = "县级财政局台账.xlsx"  # one workbook whose sheets hold the rows of every bureau


@pytest.fixture
def world(tmp_path, monkeypatch):
    """Copies of everything a report reads: ledgers, parameters, template, notebooks, code."""
    data, params = tmp_path / "data", tmp_path / "params"
    shutil.copytree(SAMPLE, data)
    shutil.copytree(PARAMS, params)
    template = tmp_path / "report.docx"
    shutil.copy(default_template(), template)
    books = tmp_path / "notebooks"
    books.mkdir()
    for name in ("report.ipynb", "overview.ipynb"):
        shutil.copy(notebook(name), books / name)
    code = tmp_path / "toolkit"
    shutil.copytree(PACKAGE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(inputs, "notebook", lambda name="report.ipynb": books / name)
    monkeypatch.setattr(inputs, "PACKAGE", code)
    spec = RunSpec(data, params, 2021, tmp_path / "out", template=template)
    return {"spec": spec, "data": data, "params": params, "template": template, "books": books, "code": code}


def validated(world) -> Ledgers:
    """The ledgers as the batch validates them: a bureau with broken rows is left out, not raised."""
    return load_ledgers_per_bureau(world["data"], CODES).ledgers


def prints(world) -> dict[str, str]:
    return inputs.fingerprints(world["spec"], CODES, validated(world))


_UNCHANGED: list[dict[str, str]] = []  # every world starts as the same copy: its prints are read once


def changed(world, change) -> set[str]:
    if not _UNCHANGED:
        _UNCHANGED.append(prints(world))
    before = _UNCHANGED[0]
    change(world)
    after = prints(world)
    return {c for c in CODES if before[c] != after[c]}


def _append(path: Path, text: str = "\n") -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_every_input_file_is_declared(world):
    spec = world["spec"].for_bureau("qingshan")
    declared = {p for find in (*inputs.SHARED.values(), *inputs.OWN.values()) for p in find(spec)}
    assert world["params"] / "bureaus" / "qingshan.yaml" in declared
    assert world["params"] / "overrides" / "qingshan-2021.yaml" in declared
    assert world["template"] in declared
    assert {world["books"] / "report.ipynb", world["books"] / "overview.ipynb"} <= declared
    assert set(world["code"].rglob("*.py")) <= declared


@pytest.mark.parametrize(
    ("what", "change", "expected"),
    [
        ("bureau yaml", lambda w: _append(w["params"] / "bureaus" / "hedong.yaml", "# 改\n"), {"hedong"}),
        (
            "new override",
            lambda w: (
                (w["params"] / "overrides").mkdir(exist_ok=True)
                or (w["params"] / "overrides" / "meiling-2021.yaml").write_text("overrides: {}\n", encoding="utf-8")
            ),
            {"meiling"},
        ),
        (
            "last year's override",
            lambda w: (
                (w["params"] / "overrides").mkdir(exist_ok=True)
                or (w["params"] / "overrides" / "yunshui-2020.yaml").write_text("overrides: {}\n", encoding="utf-8")
            ),
            {"yunshui"},
        ),
        ("template", lambda w: w["template"].write_bytes(w["template"].read_bytes() + b"\0"), set(CODES)),
        ("notebook", lambda w: _append(w["books"] / "report.ipynb"), set(CODES)),
        ("overview notebook", lambda w: _append(w["books"] / "overview.ipynb"), set(CODES)),
        ("code", lambda w: _append(w["code"] / "figures.py", "# 改\n"), set(CODES)),
        ("export template", lambda w: _append(next(w["code"].rglob("*.j2"))), set(CODES)),
    ],
)
def test_changing_an_input_reruns_its_bureaus(world, what, change, expected):
    assert changed(world, change) == expected, what


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("touch", lambda w: os.utime(next(w["data"].rglob("*.csv")), (1, 1))),
        ("office lock file", lambda w: (w["data"] / "~$台账.xlsx").write_bytes(b"lock")),
        ("outputs", lambda w: (w["spec"].out_dir / "2021" / "hedong").mkdir(parents=True)),
        (
            "another year's override",
            lambda w: (
                (w["params"] / "overrides").mkdir(exist_ok=True)
                or (w["params"] / "overrides" / "hedong-2019.yaml").write_text("overrides: {}\n", encoding="utf-8")
            ),
        ),
    ],
)
def test_what_is_no_input_reruns_nothing(world, what, change):
    assert changed(world, change) == set(), what


def test_options_that_change_a_report_rerun_it(world):
    spec, ledgers = world["spec"], validated(world)
    base = inputs.fingerprints(spec, CODES, ledgers)
    assert inputs.fingerprints(spec.with_(final=True), CODES, ledgers) != base
    assert inputs.fingerprints(spec.with_(signed_on=date(2022, 1, 10)), CODES, ledgers) != base
    assert inputs.fingerprints(spec.with_(out_dir=spec.out_dir / "elsewhere"), CODES, ledgers) == base


# --- the ledgers: a bureau's own rows, not the files they sit in ------------------------

Change = Callable[[dict], object]


def in_book(edit: Callable[[openpyxl.Workbook], object]) -> Change:
    """An edit of the workbook every bureau shares, saved again (openpyxl rewrites every byte of it)."""

    def change(w: dict) -> None:
        path = w["data"] / BOOK
        book = openpyxl.load_workbook(path)
        edit(book)
        book.save(path)

    return change


def codes_from(sheet, first: int) -> set[str]:
    """The bureaus with a row at or below spreadsheet row ``first`` (whose row numbers a shift changes)."""
    return {r[0].value for r in sheet.iter_rows(min_row=first) if r[0].value}


def row_of(sheet, code: str, nth: int = 0) -> int:
    """The spreadsheet row of the ``nth`` row of ``code`` (looked up in the 单位代码 column)."""
    column = [c.value for c in sheet[1]].index("单位代码")
    return [r[column].row for r in sheet.iter_rows(min_row=2) if r[column].value == code][nth]


def set_cell(sheet_name: str, code: str, column: int, value: object, nth: int = 0) -> Change:
    def edit(book):
        sheet = book[sheet_name]
        sheet.cell(row_of(sheet, code, nth), column).value = value

    return in_book(edit)


def retitle(code: str, nth: int = 0) -> Change:
    def edit(book):
        sheet = book["活动台账"]
        cell = sheet.cell(row_of(sheet, code, nth), 5)  # 活动名称
        cell.value = f"{cell.value}（更正）"

    return in_book(edit)


def retitle_year(code: str, year: int) -> Change:
    def change(w: dict) -> None:
        rows = validated(w).records("activities", code)
        row = next(r["_row"] for r in rows if r["_file"] == BOOK and r["date"].year == year)

        def edit(book):
            cell = book["活动台账"].cell(row, 5)  # 活动名称
            cell.value = f"{cell.value}（更正）"

        in_book(edit)(w)

    return change


def copy_row(sheet, source: int, target: int, **values: object) -> None:
    for column in range(1, sheet.max_column + 1):
        sheet.cell(target, column).value = sheet.cell(source, column).value
    for column, value in values.items():
        sheet.cell(target, int(column[1:])).value = value


def append_row_for(code: str) -> Change:
    def edit(book):
        sheet = book["活动台账"]
        copy_row(sheet, row_of(sheet, code), sheet.max_row + 1, c5="新增的一次活动")

    return in_book(edit)


def swap_rows(a: str, b: str) -> Change:
    def edit(book):
        sheet = book["活动台账"]
        first, second = row_of(sheet, a), row_of(sheet, b)
        values = [[sheet.cell(r, c).value for c in range(1, sheet.max_column + 1)] for r in (first, second)]
        for row, cells in zip((second, first), values):
            for column, value in enumerate(cells, 1):
                sheet.cell(row, column).value = value

    return in_book(edit)


def _csv(w: dict, name: str) -> Path:
    return w["data"] / "补充" / name


def rename_csv(name: str, to: str) -> Change:
    return lambda w: _csv(w, name).rename(_csv(w, to))


def move_last_csv_row_into_book(w: dict) -> None:
    """fengling's last activity leaves its CSV for the shared workbook (same values, another file)."""
    path = _csv(w, "activities.csv")
    lines = path.read_text(encoding="gbk").splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="gbk")
    row = dict(zip(lines[0].split(","), lines[-1].split(",")))
    order = ["bureau", "kind", "date", "end_date", "title", "audience", "participants", "venue", "notes"]

    def edit(book):
        sheet = book["活动台账"]
        sheet.append([row[k] or None for k in order])

    in_book(edit)(w)


def resave_csv_as_utf8(w: dict) -> None:
    path = _csv(w, "activities.csv")
    path.write_text(path.read_text(encoding="gbk"), encoding="utf-8")


@pytest.mark.parametrize(
    ("what", "change", "expected"),
    [
        ("A's row edited in the shared workbook", retitle("hedong"), {"hedong"}),
        ("A's amount written with one more decimal", set_cell("财政指标", "qingshan", 4, "19.3650"), {"qingshan"}),
        ("A's problem resolved", set_cell("问题台账", "yunshui", 6, "已解决", nth=2), {"yunshui"}),
        ("a row added for A at the end", append_row_for("meiling"), {"meiling"}),
        ("a row moved from A to B", set_cell("活动台账", "hedong", 1, "yunshui", nth=3), {"hedong", "yunshui"}),
        ("rows of A and B swap places", swap_rows("qingshan", "yunshui"), {"qingshan", "yunshui"}),
        # a bureau's notebook is handed every year of its rows (its ledger summary counts them, its
        # review panel lists their years), so a row of next year reruns this year's report too
        ("A's row of next year", retitle_year("qingshan", 2022), {"qingshan"}),
        ("a code in capitals: A's row now fails", set_cell("活动台账", "hedong", 1, "HEDONG"), {"hedong"}),
        ("a file renamed: whose rows it holds", rename_csv("problems.csv", "problems-meiling.csv"), {"meiling"}),
        (
            "a file renamed that a notice names (an ignored column): every page shows it",
            rename_csv("activities.csv", "activities-fengling.csv"),
            set(CODES),
        ),
        ("a row moved to another file", move_last_csv_row_into_book, {"fengling"}),
        (
            "a copy of a ledger: a notice every page shows",
            lambda w: shutil.copy(_csv(w, "activities.csv"), _csv(w, "activities (2).csv")),
            set(CODES),
        ),
    ],
)
def test_a_ledger_edit_reruns_the_bureaus_whose_rows_change(world, what, change, expected):
    assert changed(world, change) == expected, what


def _insert(book, at: int) -> None:
    sheet = book["活动台账"]
    sheet.insert_rows(at)
    copy_row(sheet, at + 1, at, c5="补记的一次活动")


@pytest.mark.parametrize(
    "edit", [_insert, lambda book, at: book["活动台账"].delete_rows(at)], ids=["inserted", "deleted"]
)
def test_a_row_inserted_or_deleted_reruns_the_bureaus_whose_rows_move(world, edit):
    book = openpyxl.load_workbook(world["data"] / BOOK)
    at = row_of(book["活动台账"], "meiling", 2)
    below = codes_from(book["活动台账"], at)
    assert "meiling" in below and len(below) < len(CODES)  # some bureaus' rows sit above and keep their numbers
    assert changed(world, in_book(lambda book: edit(book, at))) == below


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("the workbook saved again", in_book(lambda book: None)),
        ("a CSV re-saved in another encoding", resave_csv_as_utf8),
        ("spaces around a code", set_cell("活动台账", "hedong", 1, " hedong ")),
        ("a column the loader ignores", set_cell("活动台账", "yunshui", 10, "另一位录入人")),
        (
            "rows of a code without a parameter file",
            in_book(
                lambda book: book["活动台账"].append(
                    ["xinqu", "部署会", "2021-05-06", None, "会议", "全体党员", 9, "会议室"]
                )
            ),
        ),
    ],
)
def test_ledger_changes_no_report_can_see_rerun_nothing(world, what, change):
    assert changed(world, change) == set(), what


def test_a_bureau_is_handed_exactly_the_rows_its_fingerprint_digests(sample_ledgers):
    digests = sample_ledgers.digests()
    assert sorted(digests) == sample_ledgers.bureaus
    for code in sample_ledgers.bureaus:
        own = sample_ledgers.of(code)
        assert own.bureaus == [code] and own.notices == sample_ledgers.notices
        for table in TABLE_NAMES:
            assert own.records(table, code) == sample_ledgers.records(table, code)
        assert own.digests() == {code: digests[code]}


@pytest.mark.parametrize(
    ("table", "column", "value", "other"),
    [
        ("finance", "amount", Decimal("1.5"), Decimal("1.50")),  # figures.json writes 1.5 and 1.50
        ("activities", "participants", 1, "1"),
        ("activities", "participants", 1, True),
        ("activities", "notes", None, "None"),
        ("activities", "date", date(2021, 3, 2), date(2021, 3, 3)),
        ("problems", "_sheet", "问题台账", "问题台账 "),
    ],
)
def test_values_that_differ_in_type_or_form_digest_differently(sample_ledgers, table, column, value, other):
    frames = {t: getattr(sample_ledgers, t) for t in TABLE_NAMES}
    code = frames[table]["bureau"].iloc[0]

    def digests(v: object) -> dict[str, str]:
        frame = frames[table].copy()
        frame[column] = frame[column].astype(object)
        frame.at[0, column] = v
        return Ledgers(**{**frames, table: frame}, notices=sample_ledgers.notices).digests()

    one, two = digests(value), digests(other)
    assert {c for c in one if one[c] != two[c]} == {code}


def test_the_batch_hands_each_notebook_its_own_rows_and_the_overview_all(world):
    from toolkit.run import batch

    first = batch.plan(world["spec"])
    assert sorted(j.spec.bureau for j in first.jobs) == CODES
    whole = validated(world)
    for job in first.jobs:
        own = Ledgers.read(job.spec.ledger_cache)
        assert own.bureaus == [job.spec.bureau]
        assert all(own.records(t, job.spec.bureau) == whole.records(t, job.spec.bureau) for t in TABLE_NAMES)
    shelf = read_cached(first.spec.ledger_cache)  # the overview reads every bureau, one at a time
    assert isinstance(shelf, Shelf) and shelf.bureaus == CODES
    assert all(shelf.of(code).records("activities", code) == whole.records("activities", code) for code in CODES)

    row = ["xinqu", "部署会", "2021-05-06", None, "会议", "全体党员", 9, "会议室"]  # a code without parameters
    in_book(lambda book: book["活动台账"].append(row))(world)
    second = batch.plan(world["spec"])
    assert [j.fingerprint for j in second.jobs] == [j.fingerprint for j in first.jobs]
    assert second.overview_print != first.overview_print
