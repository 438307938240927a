"""parameters/contract.yaml: the ledgers' vocabulary as data, and new tables checked like the base ones."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import ACTIVITIES, FINANCE, write_csv

from toolkit.data.contract import BASE
from toolkit.data.contract_file import ContractError, load_contract
from toolkit.data.problems import DataError
from toolkit.data.validate import load_ledgers, load_ledgers_per_bureau

CONTRACT = """\
activities:
  kinds: [专题读书班, 主题党日]
problems:
  sources: [巡察反馈]
  statuses: [已销号]
finance:
  indicators:
    政府债务余额: 金额
    培训人数: 人
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
      - {header: 经费, key: cost, type: amount, unit: unit}
      - {header: 经费单位, key: unit, type: text}
"""
TRAINING = [
    {"单位代码": "demo", "日期": "2021-03-05", "培训名称": "党史专题", "学时": "15.5", "人数": "40", "类别": "线下"},
    {"单位代码": "demo", "日期": "2021/5/1", "培训名称": "财务培训", "学时": "8", "人数": "20", "类别": "线上"},
    {"单位代码": "demo", "日期": "2021-06-01", "培训名称": "保密", "经费": "1.5", "经费单位": "万元"},
]


@pytest.fixture
def extended(minimal):
    data, params = minimal
    (params / "contract.yaml").write_text(CONTRACT, encoding="utf-8")
    write_csv(data / "培训台账.csv", TRAINING)
    return data, params


def test_without_a_contract_file_the_base_contract_holds(minimal):
    assert load_contract(minimal[1]) is BASE
    assert load_contract(None) is BASE


def test_the_contract_extends_vocabularies_and_adds_tables(extended):
    contract = load_contract(extended[1])
    assert contract.activity_kinds[-2:] == ("专题读书班", "主题党日")
    assert contract.problem_sources[-1] == "巡察反馈" and contract.problem_statuses[-1] == "已销号"
    assert contract.counted_in("政府债务余额") is None and contract.counted_in("培训人数") == "人"
    assert "人" in contract.units
    assert [t.name for t in contract.extra] == ["training"]
    assert contract.activity_kinds[: len(BASE.activity_kinds)] == BASE.activity_kinds  # extended, never narrowed


def test_a_new_tables_rows_are_read_typed_and_amounts_in_yuan(extended):
    data, params = extended
    ledgers = load_ledgers(data, contract=load_contract(params))
    rows = ledgers.records("training", "demo")
    assert [r["date"].isoformat() for r in rows] == ["2021-03-05", "2021-05-01", "2021-06-01"]
    assert str(rows[0]["hours"]) == "15.5" and rows[0]["participants"] == 40
    assert rows[2]["cost"] == 15000  # 1.5万元 in 元
    assert ledgers.of("demo").extra["training"].shape[0] == 3


def test_added_words_are_accepted_only_under_the_contract(extended):
    data, params = extended
    write_csv(
        data / "活动台账.csv", [*ACTIVITIES, {"单位代码": "demo", "日期": "2021-08-01", "活动类型": "专题读书班"}]
    )
    finance = [*FINANCE, {"单位代码": "demo", "年度": "2021", "指标": "政府债务余额", "数值": "3", "计量单位": "亿元"}]
    write_csv(data / "财政指标.csv", finance)
    ledgers = load_ledgers(data, contract=load_contract(params))
    assert "专题读书班" in set(ledgers.activities["kind"])
    with pytest.raises(DataError) as refused:
        load_ledgers(data)  # the base contract alone
    text = str(refused.value)
    assert "专题读书班" in text and "政府债务余额" in text


def test_a_counted_indicator_takes_its_own_unit_only(extended):
    data, params = extended
    finance = [*FINANCE, {"单位代码": "demo", "年度": "2021", "指标": "培训人数", "数值": "30", "计量单位": "万元"}]
    write_csv(data / "财政指标.csv", finance)
    with pytest.raises(DataError) as refused:
        load_ledgers(data, contract=load_contract(params))
    assert "培训人数" in str(refused.value) and "应为人" in str(refused.value)


def test_a_bad_row_of_a_new_table_is_named_with_table_row_column_and_value(extended):
    data, params = extended
    bad = [*TRAINING, {"单位代码": "demo", "日期": "2021-13-01", "培训名称": "甲", "人数": "十", "类别": "现场"}]
    write_csv(data / "培训台账.csv", bad)
    with pytest.raises(DataError) as refused:
        load_ledgers(data, contract=load_contract(params))
    messages = [str(p) for p in refused.value.problems]
    assert any("培训台账" in m and "第5行" in m and "“日期”列" in m and "2021-13-01" in m for m in messages)
    assert any("第5行" in m and "“人数”列" in m and "十" in m for m in messages)
    assert any("第5行" in m and "“类别”列" in m and "现场" in m and "线上、线下" in m for m in messages)


def test_an_amount_without_its_unit_is_refused(extended):
    data, params = extended
    write_csv(
        data / "培训台账.csv", [*TRAINING, {"单位代码": "demo", "日期": "2021-07-01", "培训名称": "乙", "经费": "2"}]
    )
    with pytest.raises(DataError) as refused:
        load_ledgers(data, contract=load_contract(params))
    assert "经费单位为空" in str(refused.value)


def test_a_new_table_in_a_workbook_gets_the_base_tables_notices(extended):
    data, params = extended
    (data / "培训台账.csv").unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "培训台账"
    sheet.append(["某县财政局培训台账"])  # a title row above the header
    sheet.append(["单位代码", "日期", "培训名称", "学时（小时）", "人数", "类别", "经费", "经费单位", "录入人"])
    sheet.append(["demo", "2021-03-05", "党史专题", 4, 10, "线下", None, None, "张三"])
    sheet.append(["合计", None, None, 4, 10, None, None, None, None])
    copy = book.copy_worksheet(sheet)
    copy.title = "培训台账 (2)"
    book.save(data / "培训.xlsx")
    notices: list = []
    ledgers = load_ledgers(data, notices=notices, contract=load_contract(params))
    assert len(ledgers.records("training", "demo")) == 1
    assert ledgers.records("training", "demo")[0]["hours"] == 4  # 学时（小时） is 学时
    kinds = {n.kind for n in notices}
    assert {"header_row", "total_row", "ignored_sheet", "ignored_column"} <= kinds


def test_a_new_table_nowhere_is_read_as_empty_with_a_notice(minimal):
    data, params = minimal
    (params / "contract.yaml").write_text(CONTRACT, encoding="utf-8")
    notices: list = []
    ledgers = load_ledgers(data, notices=notices, contract=load_contract(params))
    assert ledgers.records("training", "demo") == []
    assert any(n.kind == "missing_table" and "培训台账" in n.message for n in notices)


def test_a_bad_row_of_a_new_table_fails_its_bureau_alone(extended):
    data, params = extended
    rows = [*TRAINING, {"单位代码": "other", "日期": "2021-03-05", "培训名称": "甲", "人数": "-1"}]
    write_csv(data / "培训台账.csv", rows)
    split = load_ledgers_per_bureau(data, ["demo", "other"], contract=load_contract(params))
    assert list(split.failed) == ["other"] and "人数" in str(split.failed["other"][0])
    assert len(split.ledgers.records("training", "demo")) == 3


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("activities:\n  kinds: 专题读书班\n", ["第2行", "“kinds”应为列表"]),
        ("finance:\n  indicators:\n    债务: 美元\n", ["第3行", "类别不对", "美元"]),
        ("tables:\n  training:\n    name: 活动台账\n", ["第3行", "重名"]),
        (
            "tables:\n  t:\n    name: 甲台账\n    columns:\n      - {header: 名称, key: name, type: text}\n",
            ["需要一列单位代码"],
        ),
        (
            "tables:\n  t:\n    name: 甲台账\n    columns:\n      - {header: 金额, key: m, type: amount}\n",
            ["第5行", "缺少单位"],
        ),
        ("tables:\n  t:\n    name: 甲台账\n    columns:\n      - {header: 类, key: c, type: choice}\n", ["可选值"]),
        (
            "tables:\n  t:\n    name: 甲台账\n    columns:\n      - {header: 类, key: c, type: str}\n",
            ["类型不对", "code、date"],
        ),
        ("other: 1\n", ["第1行", "未知的部分"]),
        ("activities:\n  kinds: [a]\nactivities:\n  kinds: [b]\n", ["第3行", "重复"]),
        ("activities: [\n", ["YAML格式错误"]),
    ],
)
def test_a_broken_contract_is_refused_with_file_and_line(tmp_path: Path, text, found):
    (tmp_path / "contract.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContractError) as refused:
        load_contract(tmp_path)
    message = str(refused.value)
    assert "contract.yaml" in message
    for part in found:
        assert part in message, (part, message)


def test_every_problem_of_a_contract_is_listed_at_once(tmp_path: Path):
    text = "activities:\n  kinds: x\nfinance:\n  indicators:\n    债务: 美元\nother: 1\n"
    (tmp_path / "contract.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContractError) as refused:
        load_contract(tmp_path)
    assert len(refused.value.problems) == 3


def test_validate_lists_a_bad_row_of_a_new_table_in_the_problem_workbook(extended, tmp_path, capsys):
    from toolkit.cli import main

    data, params = extended
    write_csv(
        data / "培训台账.csv", [*TRAINING, {"单位代码": "demo", "日期": "2021-07-01", "培训名称": "甲", "学时": "半天"}]
    )
    out = tmp_path / "问题清单.xlsx"
    assert main(["validate", "--data", str(data), "--params", str(params), "--report", str(out)]) == 1
    assert "培训台账" in capsys.readouterr().err
    listing = openpyxl.load_workbook(out)["问题清单"]
    lines = [[c.value for c in r] for r in listing.iter_rows(min_row=2)]
    assert any(line[2] == "培训台账.csv" and line[4] == "D5" and "半天" in str(line) for line in lines), lines


def test_validate_passes_when_a_shipped_report_reads_a_table_kept_otherwise_here(extended, capsys):
    """This office's 培训台账 has other columns than the shipped training report reads: that report is
    unavailable here (a notice), not a problem of these ledgers."""
    from toolkit.cli import main

    data, params = extended
    assert main(["validate", "--data", str(data), "--params", str(params)]) == 0
    out = capsys.readouterr().out
    assert "检查通过" in out and "报告“training”" in out and "暂不可用" in out
    assert main(["reports", "--params", str(params)]) == 0
    assert "training：暂不可用" in capsys.readouterr().out
