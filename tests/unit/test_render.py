"""The rendered report: reference text word for word, escaping, drafts, finals, template checks."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from conftest import PARAMS, body_of, expected_cases, expected_texts, filled_reference, paragraphs
from docx import Document

from toolkit.errors import MissingValuesError, TemplateError
from toolkit.report import prepare as report
from toolkit.report.render import render_docx
from toolkit.resources import default_template

SIGNED = date(2022, 1, 10)


def _render(ledgers, bureau, year, **kw) -> tuple[report.Report, bytes]:
    rep = report.prepare(ledgers, PARAMS, bureau, year, SIGNED)
    return rep, render_docx(rep.figures, rep.story, default_template(), **kw)


@pytest.mark.parametrize(("bureau", "year"), [c for c in expected_cases() if c != ("qingshan", 2022)])
def test_body_is_reference_word_for_word(sample_ledgers, tmp_path, bureau, year):
    _rep, docx = _render(sample_ledgers, bureau, year, final=True)
    paras = paragraphs(docx, tmp_path)
    assert body_of(paras) == filled_reference(expected_texts(bureau, year))
    name = expected_texts(bureau, year)["bureau_name"]
    # Broken as a clerk sets it: issuer and year, then the subject on a line of its own.
    assert paras[0].text == f"{name}{year}年\n党史学习教育开展情况总结"
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

    from toolkit.data.validate import load_ledgers

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

    from toolkit.data.validate import load_ledgers

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
    from toolkit import outputs

    target = tmp_path / "report.docx"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(outputs.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        outputs.atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.docx"]


def test_preview_reads_the_paragraphs_python_docx_reads(minimal):
    """The preview reads the main part alone: the same paragraphs, styles and text as python-docx."""
    import io

    from conftest import FINANCE, write_csv

    from toolkit.data.validate import load_ledgers
    from toolkit.report import styles
    from toolkit.ui import present

    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "惠农补贴资金"])
    rep = report.prepare(load_ledgers(data), params, "demo", 2021, SIGNED)
    docx = render_docx(rep.figures, rep.story, default_template())
    doc = Document(io.BytesIO(docx))
    expected = [
        (p.style.style_id if p.style is not None and p.style.style_id != "Normal" else "", p.text)
        for p in doc.paragraphs
    ]
    assert present._paragraphs(docx) == expected
    page = present.preview_html(docx)
    assert page.count("<h3") == sum(s == styles.TITLE for s, _ in expected)
    assert page.count("<mark>") == sum(t.count("【待补充：") for _, t in expected) > 0


@pytest.mark.parametrize("blank", ["", " "])
def test_open_day_visitors_with_a_blank_count_are_to_be_checked_and_refused_final(minimal, tmp_path, blank):
    from conftest import ACTIVITIES, write_csv

    from toolkit.data.validate import load_ledgers
    from toolkit.errors import FinalRefusedError
    from toolkit.ui import present

    data, params = minimal
    more = [
        {"单位代码": "demo", "日期": "2021-08-01", "活动类型": "开放日", "人数": blank},
        {"单位代码": "demo", "日期": "2021-09-01", "活动类型": "开放日", "人数": "15"},
        {"单位代码": "demo", "日期": "2021-10-01", "活动类型": "部署会"},  # a blank count of another kind
    ]
    write_csv(data / "活动台账.csv", [*ACTIVITIES, *more])
    blank_row = len(ACTIVITIES) + 2  # header = row 1
    rep = report.prepare(load_ledgers(data), params, "demo", 2021, SIGNED)
    visitors = next(f for f in rep.figures.values() if f.rule.endswith("“人数”合计"))
    assert visitors.text == "45" and visitors.status == "warning"  # 30 + 15, the blank row left out
    assert [(s.file, s.rows) for s in visitors.blanks] == [("活动台账.csv", (blank_row,))]
    assert f"第{blank_row}行" in visitors.warnings[0]
    assert f"第{blank_row}行" in present.figures_table(rep.figures)  # the review table shows where
    with pytest.raises(FinalRefusedError) as refused:
        report.write(rep, tmp_path / "final", default_template(), final=True)
    assert visitors.label in str(refused.value) and f"第{blank_row}行" in str(refused.value)
    assert not (tmp_path / "final").exists()
    folder = report.write(rep, tmp_path / "draft", default_template())
    written = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    entry = next(f for f in written["figures"] if f["key"] == visitors.key)
    assert entry["status"] == "warning" and entry["blanks"] == [
        {"table": "activities", "file": "活动台账.csv", "sheet": "", "rows": [blank_row]}
    ]
    assert written["incomplete"] == [visitors.key]


def test_open_day_visitors_all_filled_stay_ok(minimal):
    from toolkit.data.validate import load_ledgers

    data, params = minimal
    rep = report.prepare(load_ledgers(data), params, "demo", 2021, SIGNED)
    visitors = next(f for f in rep.figures.values() if f.rule.endswith("“人数”合计"))
    assert visitors.text == "30" and not visitors.blanks and not rep.figures.incomplete()


#: Private-use code points an office's self-made characters (造字) take, BMP and plane 15.
OWN_CHARACTERS = ["\ue000", "\ue001", "\ue002", "\ue003", "\uf8ff", "\U000f0000", "\U0010fffd"]


@pytest.mark.parametrize("ch", OWN_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_self_made_characters_reach_the_report_unchanged_and_unhighlighted(tmp_path, ch):
    """A name, a narrative and a ledger cell holding 造字 print as typed; only missing values are marked."""
    from conftest import ACTIVITIES, FINANCE, minimal_folder, write_csv

    from toolkit.data.validate import load_ledgers

    name, director, liaison = f"陈{ch}晓{ch}县财政局", f"张{ch}", f"{ch}李四{ch}"
    heading, body = f"（一）健全{ch}机制。", f"正文{ch}\ue000末\ue001尾。"
    problem = f"一是{ch}问题\ue002二\ue003。"
    params_text = (
        f"signed_on: {{2021: 2022-01-10}}\nnarrative:\n  2021:\n    problems: '{problem}'\n"
        f"    next_steps: '{heading}{body}'\n"
    )
    data, params = minimal_folder(tmp_path, 2021, params_text)
    path = params / "bureaus" / "demo.yaml"
    text = path.read_text(encoding="utf-8").replace("某县财政局", name).replace("张三", director)
    path.write_text(text.replace("李四", liaison), encoding="utf-8")
    rows = [dict(r) for r in ACTIVITIES]
    rows[3]["地点"] = f"{ch}革命{ch}陈列馆"
    write_csv(data / "活动台账.csv", rows)
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "惠农补贴资金"])  # one value missing
    rep = report.prepare(load_ledgers(data), params, "demo", 2021)
    doc = Document(io.BytesIO(render_docx(rep.figures, rep.story, default_template())))

    texts = [p.text for p in doc.paragraphs]
    whole = "\n".join(texts)
    for typed in (name, f"{director}同志任办公室主任", f"{liaison}同志为联络员", f"参观{ch}革命{ch}陈列馆", problem):
        assert typed in whole, typed
    assert f"{heading}{body}" in texts and texts[-2] == name
    highlighted = [r.text for p in doc.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert highlighted == ["【待补充：惠农补贴资金】"]
    step = next(p for p in doc.paragraphs if p.text.startswith(heading))
    assert [r.text for r in step.runs if r.style.style_id == "ZJRunInKai"] == [heading]
    assert "[[" not in whole  # no mark left behind


def test_marks_avoid_whatever_text_a_render_is_given(sample_ledgers, tmp_path, monkeypatch):
    """Even text that holds the very number the marks would take is printed as typed."""
    from toolkit.report import render

    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2021, SIGNED)
    numbers = iter([7, 7, 8])
    monkeypatch.setattr(render.secrets, "randbelow", lambda _n: next(numbers))
    typed = f"[[{7:016d}:1(甲[[{7:016d}:1)"
    rep.figures["youth_visit_venue"].text = typed
    rep.figures["tax_revenue"].text = None
    doc = Document(io.BytesIO(render_docx(rep.figures, rep.story, default_template())))
    whole = "\n".join(p.text for p in doc.paragraphs)
    assert typed in whole and "【待补充：税收收入】" in whole
    highlighted = [r.text for p in doc.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert highlighted == ["【待补充：税收收入】"]
