"""General rules (count, sum, first, change) on any table, and a report written without code.

The last tests do what a clerk does for next year's report: a contract.yaml adding a
kind, an indicator and a table; a figures.yaml of general rules; a template.docx written
with python-docx's default template, its tags split across runs as Word leaves them.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FINANCE, PARAMS, ROOT, SAMPLE, write_csv
from docx import Document

from toolkit.data.contract_file import load_contract
from toolkit.data.problems import DataError
from toolkit.data.validate import load_ledgers
from toolkit.errors import FinalRefusedError
from toolkit.report.definitions import DefinitionError, load_definition
from toolkit.report.prepare import prepare, write
from toolkit.report.rules import RULES

CONTRACT = """\
activities:
  kinds: [专题读书班]
finance:
  indicators:
    政府债务余额: 金额
tables:
  training:
    name: 培训台账
    columns:
      - {header: 单位代码, key: bureau, type: code, required: true}
      - {header: 日期, key: date, type: date, required: true}
      - {header: 培训名称, key: title, type: text, required: true}
      - {header: 学时, key: hours, type: number}
      - {header: 人数, key: participants, type: count}
      - {header: 类别, key: category, type: choice, choices: [线上, 线下]}
      - {header: 经费, key: cost, type: amount, unit: 万元}
"""
TRAINING = [
    {
        "单位代码": "demo",
        "日期": "2021-05-01",
        "培训名称": "财务培训",
        "学时": "8",
        "人数": "20",
        "类别": "线上",
        "经费": "0.8",
    },
    {
        "单位代码": "demo",
        "日期": "2021-03-05",
        "培训名称": "党史专题",
        "学时": "7.5",
        "人数": "40",
        "类别": "线下",
        "经费": "1.25",
    },
    {"单位代码": "demo", "日期": "2021-09-01", "培训名称": "保密培训", "学时": "100", "人数": "15", "类别": "线下"},
    {"单位代码": "demo", "日期": "2020-04-01", "培训名称": "上年培训", "学时": "4", "人数": "10", "类别": "线下"},
    {"单位代码": "demo", "日期": "2020-06-01", "培训名称": "上年培训二", "学时": "4", "人数": "10", "类别": "线下"},
]
FIGURES = """\
title: 主题教育工作总结
figures:
  - {key: bureau_name, label: 单位全称, rule: parameter, field: name}
  - {key: year, label: 报告年度, rule: report_year}
  - {key: classes, label: 读书班期数, rule: count, table: 活动台账, where: {活动类型: 专题读书班}}
  - {key: talks, label: 宣讲和演练次数, rule: count, table: activities, where: {kind: [宣讲, 演练]}}
  - {key: trainings, label: 培训次数, rule: count, table: 培训台账}
  - {key: trainings_change, label: 培训次数增减, rule: change, figure: trainings}
  - {key: offline, label: 线下培训次数, rule: count, table: training, where: {类别: 线下}}
  - {key: hours, label: 培训学时, rule: sum, table: 培训台账, column: 学时}
  - {key: people, label: 培训人次, rule: sum, table: 培训台账, column: participants}
  - {key: cost, label: 培训经费, rule: sum, table: 培训台账, column: 经费, unit: 万元}
  - {key: first_day, label: 首次培训日期, rule: first, table: 培训台账, column: 日期}
  - {key: first_online, label: 首次线上培训, rule: first, table: 培训台账, column: 培训名称, where: {类别: 线上}}
  - {key: debt, label: 政府债务余额, rule: indicator, indicator: 政府债务余额, unit: 亿元}
  - {key: debt_change, label: 政府债务余额增减, rule: change, figure: debt}
  - {key: signed_on, label: 落款日期, rule: signature_date}
"""


def _word_template(path: Path, paragraphs: list[list[str]]) -> Path:
    """A .docx from python-docx's default template; each paragraph given as its runs (a tag may be split)."""
    document = Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for text in runs:
            paragraph.add_run(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


@pytest.fixture
def clerk(minimal, tmp_path):
    """A new report made the way a clerk makes it: YAML, Word and the ledgers, no Python."""
    data, params = minimal
    (params / "contract.yaml").write_text(CONTRACT, encoding="utf-8")
    write_csv(data / "培训台账.csv", TRAINING)
    classes = [
        {"单位代码": "demo", "日期": "2021-08-01", "活动类型": "专题读书班", "活动名称": "第一期"},
        {"单位代码": "demo", "日期": "2021-10-01", "活动类型": "专题读书班", "活动名称": "第二期"},
    ]
    write_csv(data / "活动台账-读书班.csv", classes)
    debts = [
        {"单位代码": "demo", "年度": "2021", "指标": "政府债务余额", "数值": "12.5", "计量单位": "亿元"},
        {"单位代码": "demo", "年度": "2020", "指标": "政府债务余额", "数值": "118000", "计量单位": "万元"},
    ]
    write_csv(data / "财政指标.csv", [*FINANCE, *debts])
    folder = tmp_path / "templates" / "zhuti"
    folder.mkdir(parents=True)
    (folder / "figures.yaml").write_text(FIGURES, encoding="utf-8")
    _word_template(
        folder / "template.docx",
        [
            ["{{ bureau_name }}{{ year }}年主题教育工作总结"],
            ["举办专题读书班{{ cla", "sses }}期，宣讲和演练{{ talks }}次。"],
            ["开展培训{{ trainings }}次（较上年{{ trainings_change }}），其中线下{{ offline }}次；"],
            ["共{{ hours }}学时、{{ people }}人次，经费{{ cost }}万元；首次培训于{{ first_day }}，"],
            ["首次线上培训为{{ first_online }}。政府债务余额{{ ", "debt }}亿元，较上年{{ debt_change }}。"],
            ["{{ bureau_name }}"],
            ["{{ signed_on }}"],
        ],
    )
    return data, params, folder


def test_every_rule_is_documented_with_an_example():
    doc = (ROOT / "docs" / "report-definitions.md").read_text(encoding="utf-8")
    for name in ("count", "sum", "first", "change"):
        assert name in RULES
        assert f"rule: {name}" in doc, name  # an example entry, not only the table row


def test_a_report_written_without_code_renders_every_figure_from_the_ledgers(clerk):
    data, params, folder = clerk
    ledgers = load_ledgers(data, contract=load_contract(params))
    rep = prepare(ledgers, params, "demo", 2021, date(2022, 1, 10), report=str(folder))
    got = {k: f.text for k, f in rep.figures.items()}
    assert got == {
        "bureau_name": "某县财政局",
        "year": "2021",
        "classes": "2",
        "talks": "2",  # one 宣讲 and one 演练 in the minimal ledger
        "trainings": "3",
        "trainings_change": "增长50.0%",  # 3 against 2
        "offline": "2",
        "hours": "115.5",
        "people": "75",
        "cost": "2.05",
        "first_day": "3月5日",
        "first_online": "财务培训",
        "debt": "12.5",
        "debt_change": "增长5.9%",  # 12.5亿 against 11.8亿 (118000万元)
        "signed_on": "2022年1月10日",
    }
    out = write(rep, data.parent / "out")
    text = "\n".join(p.text for p in Document(str(out / "zhuti.docx")).paragraphs)
    assert "举办专题读书班2期，宣讲和演练2次。" in text
    assert "政府债务余额12.5亿元，较上年增长5.9%。" in text
    figures = json.loads((out / "zhuti.figures.json").read_text(encoding="utf-8"))
    sources = {f["key"]: f["sources"] for f in figures["figures"]}
    assert sources["first_day"] == [{"table": "training", "file": "培训台账.csv", "sheet": "", "rows": [3]}]


def test_a_change_is_missing_without_last_years_value_and_flat_is_written_so(clerk):
    data, params, folder = clerk
    rows = [r for r in TRAINING if not r["日期"].startswith("2020")]
    write_csv(data / "培训台账.csv", rows)
    ledgers = load_ledgers(data, contract=load_contract(params))
    rep = prepare(ledgers, params, "demo", 2021, date(2022, 1, 10), report=str(folder))
    assert rep.figures["trainings_change"].text is None
    assert "上年" in str(rep.figures["trainings_change"].missing)
    same = [*rows, *(dict(r, 日期=r["日期"].replace("2021", "2020")) for r in rows)]
    write_csv(data / "培训台账.csv", same)
    rep = prepare(load_ledgers(data, contract=load_contract(params)), params, "demo", 2021, report=str(folder))
    assert rep.figures["trainings_change"].text == "持平"


def test_a_decrease_is_written_with_one_decimal_half_up(clerk):
    data, params, folder = clerk
    write_csv(
        data / "财政指标.csv",
        [
            *FINANCE,
            {"单位代码": "demo", "年度": "2021", "指标": "政府债务余额", "数值": "9.69", "计量单位": "亿元"},
            {"单位代码": "demo", "年度": "2020", "指标": "政府债务余额", "数值": "10", "计量单位": "亿元"},
        ],
    )
    rep = prepare(load_ledgers(data, contract=load_contract(params)), params, "demo", 2021, report=str(folder))
    assert rep.figures["debt_change"].text == "下降3.1%"


@pytest.mark.parametrize(
    ("entry", "found"),
    [
        ("{key: x, label: 甲, rule: count, table: 培训表}", ["没有这个台账", "培训台账（training）"]),
        ("{key: x, label: 甲, rule: sum, table: 培训台账, column: 时长}", ["没有这一列", "学时（hours）"]),
        ("{key: x, label: 甲, rule: sum, table: 培训台账, column: 培训名称}", ["不是数字列"]),
        ("{key: x, label: 甲, rule: sum, table: 培训台账, column: 经费}", ["需要写入报告的单位"]),
        ("{key: x, label: 甲, rule: count, table: 培训台账, where: {类别: 现场}}", ["没有这个值", "线上、线下"]),
        ("{key: x, label: 甲, rule: count, table: 活动台账, where: {活动类型: 读书班}}", ["没有这个值", "专题读书班"]),
        ("{key: x, label: 甲, rule: change, figure: bureau_name}", ["数字类的数据项"]),
        ("{key: x, label: 甲, rule: indicator, indicator: 政府债务余额, unit: 人次}", ["不能写成“人次”"]),
    ],
)
def test_a_wrong_general_rule_is_refused_with_its_line(clerk, entry, found):
    _data, params, folder = clerk
    (folder / "figures.yaml").write_text(FIGURES + f"  - {entry}\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as refused:
        load_definition(folder, contract=load_contract(params))
    message = str(refused.value)
    line = len(FIGURES.splitlines()) + 1
    assert f"第{line}行" in message, message
    for part in found:
        assert part in message, (part, message)


def test_the_same_definition_is_refused_under_the_base_contract(clerk):
    _, _, folder = clerk
    with pytest.raises(DefinitionError) as refused:
        load_definition(folder)
    assert "没有这个台账" in str(refused.value) and "专题读书班" in str(refused.value)


def test_a_template_tag_with_no_figure_is_named(clerk):
    _data, params, folder = clerk
    _word_template(folder / "template.docx", [["{{ bureau_name }}{{ year }}{{ clas", "ses }}{{ hourz }}"]])
    with pytest.raises(DefinitionError) as refused:
        load_definition(folder, contract=load_contract(params))
    assert "{{ hourz }}" in str(refused.value)


# --- the second shipped report: 干部教育培训工作总结 on the sample's 培训台账 ----------------------


def _training_rows(code: str, year: int) -> list[dict[str, str]]:
    with (SAMPLE / "培训台账.csv").open(encoding="utf-8-sig", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["单位代码"] == code and r["日期"].startswith(str(year))]


def _plain(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@pytest.fixture(scope="module")
def sample_with_contract():
    return load_ledgers(SAMPLE, contract=load_contract(PARAMS))


@pytest.mark.parametrize("code", ["qingshan", "hedong", "meiling", "yunshui", "fengling"])
@pytest.mark.parametrize("year", [2021, 2022])
def test_the_training_report_matches_the_rows_and_the_generators_plan(sample_with_contract, code, year):
    rep = prepare(sample_with_contract, PARAMS, code, year, date(year + 1, 1, 10), report="training")
    got = {k: f.text for k, f in rep.figures.items()}
    expected = json.loads(
        (ROOT / "tests" / "data" / "expected" / "training" / f"{code}-{year}.json").read_text("utf-8")
    )
    assert {k: got[k] for k in expected} == expected
    # and from the CSV rows, read here independently of the toolkit
    rows = _training_rows(code, year)
    assert got["sessions"] == str(len(rows))
    assert got["hours"] == _plain(sum((Decimal(r["学时"]) for r in rows), Decimal(0)))
    assert got["trainees"] == str(sum(int(r["参训人次"]) for r in rows))
    assert got["budget"] == _plain(sum((Decimal(r["经费（万元）"] or 0) for r in rows), Decimal(0)))
    assert got["online"] == str(sum(r["形式"] == "线上" for r in rows))
    first = min(rows, key=lambda r: r["日期"])
    assert got["first_title"] == first["培训名称"]
    assert not rep.figures.missing()


def test_the_training_report_reads_as_its_reference(sample_with_contract, tmp_path):
    rep = prepare(sample_with_contract, PARAMS, "qingshan", 2022, date(2023, 1, 10), report="training")
    folder = write(rep, tmp_path)
    text = "\n".join(p.text for p in Document(str(folder / "training.docx")).paragraphs if p.text.strip())
    reference = (ROOT / "tests" / "data" / "reference" / "training-qingshan-2022.txt").read_text(encoding="utf-8")
    assert text == reference.strip()


# --- a sum over rows whose column is blank: 需核实, located, and refused in a final report ----


def _blank_people(data: Path, rows: int) -> list[int]:
    """Blank the 人数 of the first ``rows`` 2021 trainings; their spreadsheet rows (header = 1)."""
    training = [dict(r) for r in TRAINING]
    blanked = []
    for n, r in enumerate(training):
        if r["日期"].startswith("2021") and len(blanked) < rows:
            r["人数"] = ""
            blanked.append(n + 2)
    write_csv(data / "培训台账.csv", training)
    return blanked


@pytest.mark.parametrize("rows", [1, 2])
def test_a_sum_over_blank_cells_is_to_be_checked_naming_the_rows(clerk, rows):
    data, params, folder = clerk
    (params / "contract.yaml").write_text(
        CONTRACT.replace("key: participants, type: count}", "key: participants, type: count, blank: check}"),
        encoding="utf-8",
    )
    blanked = _blank_people(data, rows)
    contract = load_contract(params)
    rep = prepare(load_ledgers(data, contract=contract), params, "demo", 2021, date(2022, 1, 10), report=str(folder))
    people = rep.figures["people"]
    filled = sum(int(r["人数"]) for r in TRAINING if r["日期"].startswith("2021")) - sum(
        int(TRAINING[n - 2]["人数"]) for n in blanked
    )
    assert people.value == filled and people.text == str(filled)  # written, but not trusted
    assert people.status == "warning" and people.incomplete
    assert [(s.file, s.rows) for s in people.blanks] == [("培训台账.csv", tuple(blanked))]
    (warning,) = [w for w in people.warnings if w.startswith("需核实")]  # beside the year-on-year one
    assert "培训台账.csv" in warning and "、".join(map(str, blanked)) in warning and "人数" in warning
    assert rep.figures.incomplete() == [people]
    # figures.json shows where the blanks are; a final report is refused, naming the figure and rows
    entry = next(f for f in rep.figures.to_dict()["figures"] if f["key"] == "people")
    assert entry["status"] == "warning" and entry["blanks"][0]["rows"] == blanked
    with pytest.raises(FinalRefusedError) as refused:
        write(rep, data.parent / "final", final=True)
    assert "培训人次" in str(refused.value) and str(blanked[0]) in str(refused.value)
    assert not (data.parent / "final").exists()
    assert (
        "people"
        in json.loads((write(rep, data.parent / "draft") / "zhuti.figures.json").read_text("utf-8"))["incomplete"]
    )


def test_an_optional_column_the_contract_leaves_blank_adds_nothing_and_stays_ok(clerk):
    data, params, folder = clerk  # 经费 is optional and blank in one 2021 row: blank means none
    _blank_people(data, 1)  # 人数 without ``blank: check`` is optional too
    rep = prepare(
        load_ledgers(data, contract=load_contract(params)), params, "demo", 2021, date(2022, 1, 10), report=str(folder)
    )
    for key in ("cost", "people"):
        figure = rep.figures[key]  # a year-on-year note may stand beside it, no blank one
        assert not figure.incomplete and not figure.blanks and not any("为空" in w for w in figure.warnings), key
    assert rep.figures["cost"].value == Decimal("20500")  # 0.8 + 1.25 万元, in 元


def test_a_correction_resolves_a_sum_over_blank_cells(clerk):
    from toolkit.report.overrides import save_override

    data, params, folder = clerk
    (params / "contract.yaml").write_text(CONTRACT.replace("type: count}", "type: count, blank: check}"), "utf-8")
    _blank_people(data, 1)
    ledgers = load_ledgers(data, contract=load_contract(params))
    rep = prepare(ledgers, params, "demo", 2021, date(2022, 1, 10), report=str(folder))
    save_override(params, rep.figures, "people", "80", "电话核实补充", "张三")
    again = prepare(ledgers, params, "demo", 2021, date(2022, 1, 10), report=str(folder))
    assert again.figures["people"].status == "overridden" and not again.figures.incomplete()
    write(again, data.parent / "final", final=True)


@pytest.mark.parametrize(
    ("entry", "found"),
    [
        ("{header: 人数, key: n, type: count, blank: maybe}", "blank 不对"),
        ("{header: 人数, key: n, type: count, required: true, blank: zero}", "blank 不对"),
    ],
)
def test_a_wrong_blank_meaning_is_refused_with_its_line(minimal, entry, found):
    _, params = minimal
    text = CONTRACT.replace("{header: 人数, key: participants, type: count}", entry)
    (params / "contract.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_contract(params)
    (problem,) = caught.value.problems
    assert found in problem.message and problem.row == text.splitlines().index(f"      - {entry}") + 1
