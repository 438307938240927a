"""The signature date (落款日期): every date form a ledger takes, checked, and never a silent today."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from conftest import minimal_folder
from docx import Document
from docx.enum.text import WD_COLOR_INDEX

from toolkit.cli import main
from toolkit.data.params import default_signature, load_bureau
from toolkit.data.problems import ParameterError
from toolkit.data.validate import load_ledgers
from toolkit.errors import MissingValuesError, ZongjieError
from toolkit.report.prepare import DEFAULT_DATE_NOTE, prepare
from toolkit.report.render import render_docx
from toolkit.resources import default_template
from toolkit.run.spec import RunSpec

#: How a clerk may write 10 January 2022 in YAML: the forms the contract takes for ledger dates.
FORMS = [
    "2022-01-10",  # a YAML date
    "'2022-01-10'",  # the same as text
    "2022-1-10",
    "2022/01/10",
    "2022/1/10",
    "2022.1.10",
    "2022.01.10",
    "2022年1月10日",
    "2022年01月10日",
    "2022 年 1 月 10 日",
    "20220110",  # a whole number to YAML
    "'20220110'",
    "2022-01-10 09:30:00",  # a YAML timestamp
]


def _report(tmp_path, signed_on: str, year: int = 2021, **kw):
    data, params = minimal_folder(tmp_path, year, signed_on)
    return prepare(load_ledgers(data), params, "demo", year, **kw)


def _problems(tmp_path, signed_on: str) -> str:
    _data, params = minimal_folder(tmp_path, 2021, signed_on)
    with pytest.raises(ParameterError) as err:
        load_bureau(params, "demo")
    return str(err.value)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("layout", ["signed_on:\n  2021: {}\n", 'signed_on:\n  "2021": {}\n', "signed_on: {}\n"])
def test_every_ledger_date_form_signs_the_report(tmp_path, form, layout):
    rep = _report(tmp_path, layout.format(form))
    figure = rep.figures["signed_on"]
    assert (figure.value, figure.text, figure.status) == (date(2022, 1, 10), "2022年1月10日", "ok")
    assert not [f for f in rep.findings if f.key == "signed_on"]


def test_each_year_takes_its_own_date(tmp_path):
    data, params = minimal_folder(tmp_path, 2021, "signed_on: {2020: 2021-01-08, 2021: 2022年1月12日}\n")
    rep = prepare(load_ledgers(data), params, "demo", 2021)
    assert rep.figures["signed_on"].text == "2022年1月12日"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("明年一月", "无法识别的日期"),
        ("1月10日", "无法识别的日期"),  # no year: which one?
        ("2022-13-01", "不存在的日期"),
        ("2022年2月30日", "不存在的日期"),
        ("20221301", "不存在的日期"),
        ("yes", "不是日期"),
        ("[2022, 1, 10]", "不是日期"),
        ("{a: 1}", "不是日期"),
        ("2022.1", "无法识别的日期"),
    ],
)
def test_an_unreadable_date_names_file_key_line_and_value(tmp_path, value, says):
    message = _problems(tmp_path, f"signed_on:\n  2020: 2021-01-08\n  2021: {value}\n")
    assert "bureaus/demo.yaml" in message and "“signed_on.2021”列" in message and "第6行" in message
    assert says in message and "2021年3月5日" in message  # the forms it takes
    if value not in ("yes",) and not value.startswith(("[", "{")):
        assert f"值为“{value}”" in message


def test_an_unreadable_single_date_is_named_too(tmp_path):
    message = _problems(tmp_path, "signed_on: 一月十日\n")
    assert "“signed_on”列" in message and "第4行" in message and "值为“一月十日”" in message


@pytest.mark.parametrize("key", ["21", "二〇二一", "2021年"])
def test_a_year_that_is_no_year_is_named(tmp_path, key):
    message = _problems(tmp_path, f"signed_on:\n  {key}: 2022-01-10\n")
    assert f"signed_on.{key}" in message and "四位数字" in message


@pytest.mark.parametrize(("value", "ok"), [("2021-01-01", True), ("2022-12-31", True), ("2020-12-31", False)])
def test_a_years_date_lies_between_its_first_day_and_a_year_after_its_end(tmp_path, value, ok):
    signed_on = f"signed_on:\n  2021: {value}\n"
    if ok:
        assert _report(tmp_path, signed_on).figures["signed_on"].value == date.fromisoformat(value)
        return
    message = _problems(tmp_path, signed_on)
    assert "bureaus/demo.yaml" in message and "signed_on.2021" in message and "第5行" in message
    assert value in message and "2021年1月1日至2022年12月31日" in message


def test_a_date_more_than_a_year_after_the_year_is_refused(tmp_path):
    message = _problems(tmp_path, "signed_on: {2021: 2023-01-01}\n")
    assert "晚于2021年结束一年以上" in message and "2023-01-01" in message


def test_a_single_date_outside_the_year_rendered_is_refused_by_name(tmp_path):
    with pytest.raises(ParameterError) as err:
        _report(tmp_path, "signed_on: 2020年6月1日\n")
    message = str(err.value)
    assert "bureaus/demo.yaml" in message and "“signed_on”列" in message and "第4行" in message
    assert "2020-06-01" in message and "早于2021年" in message


@pytest.mark.parametrize(
    ("year", "today", "dated"),
    [
        (2026, date(2026, 1, 1), True),
        (2026, date(2026, 12, 2), True),
        (2025, date(2026, 3, 31), True),  # three months after the year: still today's
        (2025, date(2026, 4, 1), False),
        (2021, date(2026, 12, 2), False),
        (2022, date(2023, 1, 5), True),
        (2022, date(2024, 1, 5), False),
    ],
)
def test_the_day_of_rendering_stands_in_only_while_the_year_is_recent(year, today, dated):
    assert default_signature(year, today) == (today if dated else None)


def test_a_past_year_without_a_date_is_missing_not_today(tmp_path):
    rep = _report(tmp_path, "")  # 2021, long past
    figure = rep.figures["signed_on"]
    assert figure.status == "missing" and figure.value is None and "signed_on" in figure.missing
    assert figure.sources and figure.sources[0].sheet == "signed_on"
    assert DEFAULT_DATE_NOTE.format(year=2021) not in [f.message for f in rep.findings]
    doc = Document(io.BytesIO(render_docx(rep.figures, rep.story, default_template())))
    last = doc.paragraphs[-1]
    assert last.text == "【待补充：落款日期】" and str(date.today().year) not in last.text
    assert any(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in last.runs if r.text)
    with pytest.raises(MissingValuesError, match="落款日期"):
        render_docx(rep.figures, rep.story, default_template(), final=True)


def test_a_current_year_without_a_date_is_today_flagged(tmp_path):
    year = date.today().year
    rep = _report(tmp_path, "", year)
    figure = rep.figures["signed_on"]
    assert figure.value in (date.today(), date(year, 12, 31)) and figure.status == "warning"
    assert DEFAULT_DATE_NOTE.format(year=year) in figure.warnings


def _render(tmp_path, *more: str) -> int:
    data, params = minimal_folder(tmp_path, 2021)
    args = ["--data", str(data), "--params", str(params), "--bureau", "demo", "--year", "2021"]
    return main(["render", *args, "--out", str(tmp_path / "out"), *more])


@pytest.mark.parametrize("form", ["2022-01-10", "2022/1/10", "2022.1.10", "2022年1月10日", "20220110"])
def test_date_on_the_command_line_takes_the_same_forms(tmp_path, capsys, form):
    assert _render(tmp_path, "--final", "--date", form) == 0, capsys.readouterr().err
    written = json.loads((tmp_path / "out" / "2021" / "demo" / "figures.json").read_text(encoding="utf-8"))
    assert {f["key"]: f["text"] for f in written["figures"]}["signed_on"] == "2022年1月10日"


@pytest.mark.parametrize("form", ["明天", "2022-02-30", "1/10"])
def test_an_unreadable_date_on_the_command_line_is_explained(tmp_path, capsys, form):
    with pytest.raises(SystemExit) as exit_:
        _render(tmp_path, "--date", form)
    err = capsys.readouterr().err
    assert exit_.value.code != 0 and form in err and "2021年3月5日" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("form", ["2020-12-31", "2023-01-01"])
def test_a_command_line_date_outside_the_year_is_refused(tmp_path, capsys, form):
    assert _render(tmp_path, "--date", form) == 1
    err = capsys.readouterr().err
    assert form in err and "2021年1月1日至2022年12月31日" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ZongjieError):
        RunSpec(tmp_path, tmp_path, 2021, signed_on=date.fromisoformat(form))


def test_final_without_a_date_for_a_past_year_is_refused(tmp_path, capsys):
    assert _render(tmp_path, "--final") == 1
    err = capsys.readouterr().err
    assert "落款日期" in err and "signed_on" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
