"""The rendered report: reference text word for word, escaping, drafts, finals, template checks."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import PARAMS, SEED, expected_cases, expected_texts
from docx import Document

from toolkit import report
from toolkit.errors import MissingValuesError, TemplateError
from toolkit.render import render_docx
from toolkit.resources import default_template

SIGNED = date(2022, 1, 10)

# (text in the reference, how it reads once filled); the three allowed corrections included.
_FILLS = [
    ("XX财政局紧紧围绕", "{bureau_name}紧紧围绕"),
    ("xx月xx日，局党委书记", "{kickoff_date}，局党委书记"),
    ("xx同志任办公室主任，xx同志为联络员", "{office_director}同志任办公室主任，{liaison}同志为联络员"),
    ("xx月xx日，经局党委会", "{plan_date}，经局党委会"),
    ("xx月，局党委宣讲团下沉到xx个党支部", "{lecture_months}，局党委宣讲团下沉到{lecture_branches}个党支部"),
    ("xx月xx日，组织局青年干部参观xx革命历史陈列馆，xx月xx日至xx日，组织全体党员先后参观xx纪念馆",
     "{youth_visit_date}，组织局青年干部参观{youth_visit_venue}，{members_visit_dates}，组织全体党员先后参观{members_visit_venue}"),
    ("共收集问题xx条，已解决xx条，长期坚持解决xx条", "共收集问题{survey_collected}条，已解决{survey_resolved}条，长期坚持解决{survey_longterm}条"),
    ("文明交通志愿服务xx次，“双提升”入户走访xx次，积极安排人员参与核算检测信息系统运用实战演练xx次",
     "文明交通志愿服务{traffic_volunteer_count}次，“双提升”入户走访{home_visit_count}次，积极安排人员参与核酸检测信息系统运用实战演练{drill_count}次"),
    ("民生配套资金约xx元", "民生配套资金约{livelihood_funds}元"),
    ("寄宿生营养餐补助资金xx万元", "寄宿生营养餐补助资金{boarding_meal_funds}万元"),
    ("贫困学生资助金xx万元，资助贫困学生xx人次", "贫困学生资助金{student_aid_funds}万元，资助贫困学生{student_aid_persons}人次"),
    ("年初支农支出预算xx万元，1-11月，农林水事务实际支出xx万元；发放各项惠农补贴资金xx万元，对项目类工程共拨付民生工程项目资金xx万元",
     "年初支农支出预算{agri_budget}万元，1-{through_month}月，农林水事务实际支出{agri_spending}万元；发放各项惠农补贴资金{farm_subsidy_funds}万元，对项目类工程共拨付民生工程项目资金{livelihood_project_funds}万元"),
    ("客商等xx名，收集问题xx个，贸易税收奖励兑现不够及时、财政评审工程项目不够快、等xx个问题",
     "客商等{open_day_visitors}名，收集问题{open_day_problems}个，{open_day_examples}等{open_day_resolved}个问题"),
    ("人们立场", "人民立场"),
    ("财政总收入xx亿元，税收收入xx亿元，一般公共预算收入xx亿元",
     "财政总收入{fiscal_revenue}亿元，税收收入{tax_revenue}亿元，一般公共预算收入{general_budget_revenue}亿元"),
    ("2021年", "{year}年"),
]


def filled_reference(values: dict[str, str]) -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    for before, after in _FILLS:
        assert before in text, before
        text = text.replace(before, after)
    assert "xx" not in text.lower()
    text = text.format(**values)
    return [line.strip() for line in text.splitlines() if line.strip()]


def paragraphs(docx: bytes, tmp_path: Path) -> list:
    path = tmp_path / "r.docx"
    path.write_bytes(docx)
    return Document(str(path)).paragraphs


def body_of(paras) -> list[str]:
    """The body: after the title and its blank line, before the blank line and signature."""
    texts = [p.text for p in paras]
    assert texts[1] == "" and texts[-3] == ""
    return [t.strip() for t in texts[2:-3]]


def _render(ledgers, bureau, year, **kw) -> tuple[report.Report, bytes]:
    rep = report.prepare(ledgers, PARAMS, bureau, year, SIGNED)
    return rep, render_docx(rep.figures, rep.story, default_template(), **kw)


@pytest.mark.parametrize(("bureau", "year"), [c for c in expected_cases() if c != ("qingshan", 2022)])
def test_body_is_reference_word_for_word(sample_ledgers, tmp_path, bureau, year):
    rep, docx = _render(sample_ledgers, bureau, year, final=True)
    paras = paragraphs(docx, tmp_path)
    assert body_of(paras) == filled_reference(expected_texts(bureau, year))
    name = expected_texts(bureau, year)["bureau_name"]
    assert paras[0].text == f"{name}{year}年党史学习教育开展情况总结"
    assert [p.text for p in paras[-2:]] == [name, "2022年1月10日"]


def test_bureau_narrative_replaces_default_paragraphs(sample_ledgers, tmp_path):
    rep, docx = _render(sample_ledgers, "qingshan", 2022)
    paras = paragraphs(docx, tmp_path)
    texts = [p.text for p in paras]
    own = rep.params.narrative(2022)
    assert own["problems"].split("\n")[0] in texts
    assert "我们虽取得一些成效" not in "".join(texts)
    first_step = next(p for p in paras if p.text.startswith("（一）健全常态化学习机制。"))
    heading = next(r for r in first_step.runs if r.text)
    assert heading.text == "（一）健全常态化学习机制。"
    assert heading.style.style_id == "ZJRunInKai"


def test_values_are_escaped_and_the_document_stays_valid(minimal, tmp_path):
    from conftest import ACTIVITIES, write_csv

    from toolkit.validate import load_ledgers

    data, params = minimal
    rows = [dict(r) for r in ACTIVITIES]
    rows[3]["地点"] = "A&B<1>"
    write_csv(data / "活动台账.csv", rows)
    rep = report.prepare(load_ledgers(data), params, "demo", 2021, SIGNED)
    docx = render_docx(rep.figures, rep.story, default_template())
    text = "\n".join(p.text for p in paragraphs(docx, tmp_path))
    assert "参观A&B<1>，" in text
    with zipfile.ZipFile(tmp_path / "r.docx") as z:
        assert "A&amp;B&lt;1&gt;" in z.read("word/document.xml").decode()


def test_draft_marks_missing_value_and_final_refuses(minimal, tmp_path):
    from conftest import FINANCE, write_csv

    from toolkit.validate import load_ledgers

    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "惠农补贴资金"])
    rep = report.prepare(load_ledgers(data), params, "demo", 2021, SIGNED)
    out = tmp_path / "out"
    folder = report.write(rep, out, default_template())
    doc = Document(str(folder / "report.docx"))
    marked = [r for p in doc.paragraphs for r in p.runs if "【待补充：惠农补贴资金】" in r.text]
    assert marked and marked[0].font.highlight_color is not None
    assert "xx" not in "".join(p.text for p in doc.paragraphs).lower()

    out2 = tmp_path / "out2"
    with pytest.raises(MissingValuesError) as err:
        report.write(rep, out2, default_template(), final=True)
    assert "惠农补贴资金" in str(err.value)
    assert not out2.exists()


def _template_with(tmp_path: Path, old: str, new: str) -> Path:
    source = default_template()
    target = tmp_path / "edited.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode()
                assert old in text
                data = text.replace(old, new, 1).encode()
            zout.writestr(item, data)
    return target


def test_unknown_tag_in_edited_template_is_named(sample_ledgers, tmp_path):
    template = _template_with(tmp_path, "{{ tax_revenue }}", "{{ tax_revenu }}")
    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2021, SIGNED)
    with pytest.raises(TemplateError) as err:
        render_docx(rep.figures, rep.story, template)
    assert "tax_revenu" in str(err.value) and "未知的标签" in str(err.value)


def test_template_syntax_error_is_reported(sample_ledgers, tmp_path):
    template = _template_with(tmp_path, "{{ tax_revenue }}", "{{ tax_revenue }")
    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2021, SIGNED)
    with pytest.raises(TemplateError, match="语法错误"):
        render_docx(rep.figures, rep.story, template)


def test_template_runs_sandboxed(sample_ledgers, tmp_path):
    template = _template_with(tmp_path, "{{ tax_revenue }}", "{{ tax_revenue.__class__.__mro__ }}")
    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2021, SIGNED)
    with pytest.raises(TemplateError):
        render_docx(rep.figures, rep.story, template)


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    from toolkit import render

    target = tmp_path / "report.docx"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(render.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        render.atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.docx"]
