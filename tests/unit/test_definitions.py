"""Reports as data: definitions in YAML and Word, every rule kind, every authoring error."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PARAMS, ROOT, edited_template, expected_texts, own_template, paragraphs

from toolkit.report import prepare as report
from toolkit.report.builder import build_text
from toolkit.report.definitions import RULES, DefinitionError, list_reports, load_definition, new_report
from toolkit.report.render import render_docx

SIGNED = date(2022, 1, 10)


def _definition(root: Path, name: str, figures: str, body: str) -> Path:
    """A definition written only as YAML and a Word document (built here from its source text)."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "figures.yaml").write_text(figures, encoding="utf-8")
    (folder / "template.docx").write_bytes(build_text(f"title: 测试报告\nbody: {body}\n"))
    return folder


THREE = """\
title: 三项数据
figures:
  - key: who
    label: 单位全称
    rule: parameter
    field: name
  - key: kickoff
    label: 部署会日期
    rule: first_date
    kind: 部署会
  - key: revenue
    label: 财政总收入
    rule: indicator
    indicator: 财政总收入
    unit: 亿元
"""


def test_definition_of_yaml_and_docx_renders_without_code(sample_ledgers, tmp_path):
    folder = _definition(tmp_path, "mine", THREE, "{{ who }}于{{ kickoff }}部署，全年财政总收入{{ revenue }}亿元。")
    rep = report.prepare(sample_ledgers, PARAMS, "qingshan", 2021, SIGNED, report=str(folder))
    assert rep.name == "mine" and list(rep.figures) == ["who", "kickoff", "revenue"]
    docx = render_docx(rep.figures, rep.story, rep.definition.template, final=True)
    expected = expected_texts("qingshan", 2021)
    text = paragraphs(docx, tmp_path)[1].text
    assert (
        text
        == f"{expected['bureau_name']}于{expected['kickoff_date']}部署，全年财政总收入{expected['fiscal_revenue']}亿元。"
    )
    out = report.write(rep, tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == ["mine.docx", "mine.figures.json"]


def test_seed_report_is_the_first_definition():
    seed = load_definition()
    assert "report" in list_reports() and seed.template == ROOT / "templates" / "report" / "template.docx"
    assert len(seed.keys) == 35 and {spec.kind for spec in seed.specs} >= {"date", "count", "amount", "text"}


# One figure per rule kind, with arguments the seed report does not use, checked against
# values computed here straight from the ledger frames.
EVERY_RULE = """\
title: 每种规则
figures:
  - {key: p, label: 联络员, rule: parameter, field: liaison}
  - {key: fd, label: 首次交流会, rule: first_date, kind: 交流会}
  - {key: fv, label: 青年参观地点, rule: first_venue, kind: 参观学习, audience: 青年干部}
  - {key: fs, label: 党员参观日期, rule: first_span, kind: 参观学习, audience: 全体党员}
  - {key: ms, label: 宣讲月份, rule: month_span, kind: 宣讲}
  - {key: ac, label: 宣讲次数, rule: activity_count, kind: 宣讲}
  - {key: dc, label: 宣讲地点数, rule: distinct_count, kind: 宣讲, column: venue}
  - {key: su, label: 宣讲人数, rule: activity_sum, kind: 宣讲, column: participants}
  - {key: pc, label: 办理中问题, rule: problem_count, source: 大调研, status: 办理中}
  - {key: pe, label: 长期问题举例, rule: problem_examples, source: 大调研, status: 长期坚持, n: 1}
  - {key: ind, label: 惠农补贴, rule: indicator, indicator: 惠农补贴资金, unit: 元}
  - {key: tm, label: 截至月份, rule: through_month, indicator: 农林水事务支出}
  - {key: y, label: 年度, rule: report_year}
  - {key: sd, label: 落款, rule: signature_date}
"""


def test_every_rule_kind_against_the_ledgers(sample_ledgers, tmp_path):
    body = "".join(
        f"{{{{ {k} }}}}；" for k in ("p", "fd", "fv", "fs", "ms", "ac", "dc", "su", "pc", "pe", "ind", "tm", "y", "sd")
    )
    folder = _definition(tmp_path, "every", EVERY_RULE, body)
    assert {spec.kind for spec in load_definition(str(folder)).specs}  # loads and checks clean
    bureau, year = "qingshan", 2021
    rep = report.prepare(sample_ledgers, PARAMS, bureau, year, SIGNED, report=str(folder))
    f = {k: fig for k, fig in rep.figures.items()}

    acts = sample_ledgers.activities
    acts = acts[(acts["bureau"] == bureau) & acts["date"].map(lambda d: d is not None and d.year == year)]
    lectures = acts[acts["kind"] == "宣讲"]
    assert f["ac"].value == len(lectures)
    assert f["dc"].value == lectures["venue"].dropna().nunique()
    assert f["su"].value == int(sum(v for v in lectures["participants"] if v is not None and v == v))
    assert f["ms"].value[0] == min(lectures["date"])
    talks = acts[acts["kind"] == "交流会"]
    assert f["fd"].value == (min(talks["date"]) if len(talks) else None)
    probs = sample_ledgers.problems
    probs = probs[(probs["bureau"] == bureau) & probs["raised_on"].map(lambda d: d.year == year)]
    assert f["pc"].value == len(probs[(probs["source"] == "大调研") & (probs["status"] == "办理中")])
    fin = sample_ledgers.finance
    row = fin[(fin["bureau"] == bureau) & (fin["year"] == year) & (fin["indicator"] == "惠农补贴资金")].iloc[0]
    assert f["ind"].value == row["amount"] and Decimal(f["ind"].text) == row["amount"].quantize(Decimal("0.01"))
    spent = fin[(fin["bureau"] == bureau) & (fin["year"] == year) & (fin["indicator"] == "农林水事务支出")].iloc[0]
    assert f["tm"].value == int(spent["through_month"])
    expected = expected_texts(bureau, year)
    assert (f["p"].text, f["fv"].text, f["fs"].text) == (
        expected["liaison"],
        expected["youth_visit_venue"],
        expected["members_visit_dates"],
    )
    assert (f["y"].text, f["sd"].text) == ("2021", "2022年1月10日")
    assert f["pe"].value and len(f["pe"].value) == 1


@pytest.mark.parametrize(
    ("figures", "body", "message", "line"),
    [
        ("figures:\n  - key: a\n    label: 甲\n    rule: no_such_rule\n", "{{ a }}", "未知的规则", 4),
        (
            "figures:\n  - key: a\n    label: 甲\n    rule: first_date\n    kind: 部署会\n    colour: 红\n",
            "{{ a }}",
            "没有参数“colour”",
            6,
        ),
        ("figures:\n  - key: a\n    label: 甲\n    rule: first_date\n    kind: 喝茶\n", "{{ a }}", "取值不对", 5),
        ("figures:\n  - key: a\n    label: 甲\n    rule: first_date\n", "{{ a }}", "缺少参数“kind”", 4),
        (
            "figures:\n  - key: a\n    label: 甲\n    rule: problem_examples\n    source: 开放日\n    status: 已解决\n    n: 两个\n",
            "{{ a }}",
            "类型不对",
            7,
        ),
        (
            "figures:\n  - key: a\n    label: 甲\n    rule: indicator\n    indicator: 财政总收入\n    unit: 人次\n",
            "{{ a }}",
            "不能写成",
            6,
        ),
        (
            "figures:\n  - key: a\n    label: 甲\n    rule: report_year\n  - key: a\n    label: 乙\n    rule: report_year\n",
            "{{ a }}",
            "重复定义",
            5,
        ),
        (
            "figures:\n  - key: a\n    label: 甲\n    rule: report_year\n    rule: signature_date\n",
            "{{ a }}",
            "重复出现",
            5,
        ),
        (
            "figures:\n  - key: a\n    label: 甲\n    rule: report_year\n",
            "{{ a }}{{ b }}",
            "标签“{{ b }}”没有对应的数据项",
            None,
        ),
        (
            "figures:\n  - key: a\n    label: 甲\n    rule: report_year\n  - key: b\n    label: 乙\n    rule: report_year\n",
            "{{ a }}",
            "数据项“b”没有被模板使用",
            5,
        ),
    ],
    ids=[
        "unknown-rule",
        "unknown-argument",
        "wrong-choice",
        "missing-argument",
        "wrong-type",
        "wrong-unit",
        "duplicate-key",
        "duplicate-yaml-key",
        "tag-without-figure",
        "figure-without-tag",
    ],
)
def test_authoring_errors_are_named_with_file_and_line(tmp_path, figures, body, message, line):
    folder = _definition(tmp_path, "bad", figures, body)
    with pytest.raises(DefinitionError) as err:
        load_definition(str(folder))
    text = str(err.value)
    assert message in text
    assert "bad/figures.yaml" in text or "bad/template.docx" in text
    if line is not None:
        assert f"第{line}行" in text


def test_new_report_renders_at_once(sample_ledgers, tmp_path):
    folder = new_report("annual", tmp_path, title="年度工作总结")
    assert {p.name for p in folder.iterdir()} == {"figures.yaml", "template.docx", "source.txt"}
    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2022, SIGNED, report=str(folder))
    docx = render_docx(rep.figures, rep.story, rep.definition.template, final=True)
    texts = [p.text for p in paragraphs(docx, tmp_path)]
    name = expected_texts("hedong", 2022)["bureau_name"]
    assert texts[0] == f"{name}2022年年度工作总结" and texts[-1] == "2022年1月10日"
    with pytest.raises(DefinitionError, match="已存在"):
        new_report("annual", tmp_path)


def test_bureau_may_use_its_own_template_and_the_tag_check_applies(sample_ledgers, tmp_path):
    params = tmp_path / "parameters"
    shutil.copytree(PARAMS, params)
    own = own_template(params, "hedong", "党史学习教育开展以来，", "本局党史学习教育开展以来，")
    rep = report.prepare(sample_ledgers, params, "hedong", 2021, SIGNED)
    folder = report.write(rep, tmp_path / "out")
    from docx import Document

    assert any(p.text.startswith("本局党史学习教育开展以来") for p in Document(str(folder / "report.docx")).paragraphs)

    edited_template(load_definition().template, own, "{{ tax_revenue }}", "{{ tax_income }}")
    with pytest.raises(DefinitionError, match="tax_income"):
        report.write(rep, tmp_path / "out2")


def test_vocabulary_is_documented():
    doc = (ROOT / "docs" / "report-definitions.md").read_text(encoding="utf-8")
    for name, rule in RULES.items():
        assert f"`{name}`" in doc, name
        for argument in rule.arguments:
            assert f"`{argument}`" in doc, (name, argument)


def test_cli_lists_reports_makes_one_and_renders_it(tmp_path, capsys, monkeypatch):
    from conftest import SAMPLE

    from toolkit.cli import main

    assert main(["reports"]) == 0
    listing = capsys.readouterr().out
    assert "report（党史学习教育开展情况总结）：35个数据项" in listing and "fiscal_revenue：财政总收入" in listing

    root = tmp_path / "templates"
    assert main(["new-report", "brief", "--templates", str(root), "--title", "简报"]) == 0
    assert (root / "brief" / "figures.yaml").is_file()
    out = tmp_path / "out"
    args = ["render", "--report", str(root / "brief"), "--data", str(SAMPLE), "--params", str(PARAMS)]
    assert main([*args, "--bureau", "hedong", "--year", "2022", "--out", str(out), "--final"]) == 0
    from docx import Document

    texts = [p.text for p in Document(str(out / "2022" / "hedong" / "brief.docx")).paragraphs]
    assert texts[0] == f"{expected_texts('hedong', 2022)['bureau_name']}2022年简报"
    assert main([*args[:2], "no-such-report", *args[3:], "--bureau", "hedong", "--year", "2022"]) == 1
    assert "找不到报告定义“no-such-report”" in capsys.readouterr().err


def test_validate_checks_bureau_templates(tmp_path, capsys):
    from conftest import SAMPLE

    from toolkit.cli import main

    params = tmp_path / "parameters"
    shutil.copytree(PARAMS, params)
    own_template(params, "hedong", "{{ tax_revenue }}", "{{ tax_income }}", more="  annual: x.docx\n")
    assert main(["validate", "--data", str(SAMPLE), "--params", str(params)]) == 1
    err = capsys.readouterr().err
    assert "tax_income" in err and "templates.annual" in err and "没有这个报告" in err
