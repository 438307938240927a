"""A clerk's layout of the rendered report: title lines at word boundaries, signature kept with the body."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn

from toolkit.report import layout
from toolkit.report import prepare as report
from toolkit.report.render import render_docx
from toolkit.resources import default_template

SUBJECT = "党史学习教育开展情况总结"
WIDTH = (11906 - 1588 - 1474) / 20 / 22  # the text block in 22pt title characters
UNITS = ["内蒙古自治区", "呼和浩特市", "赛罕区", "青山县", "新疆维吾尔自治区", "伊犁哈萨克自治州", "北京市", "海淀区"]
OFFICES = ["财政局", "市场监督管理局", "人力资源和社会保障局", "发展和改革委员会办公室", "局"]


def _issuers() -> list[str]:
    """Issuers of every length, from a bare office to four administrative units deep."""
    names = []
    for depth in range(5):
        for start in range(len(UNITS)):
            units = (UNITS[start:] + UNITS[:start])[:depth]
            names += ["".join(units) + office for office in OFFICES]
    return sorted(set(names))


@pytest.mark.parametrize("issuer", _issuers())
def test_title_lines_break_between_words_and_fit(issuer):
    title = f"{issuer}2021年{SUBJECT}"
    lines = layout.title_lines(title, WIDTH)
    assert "".join(lines) == title
    if layout.text_width(title) <= WIDTH - layout.SLACK:
        assert lines == [title]
        return
    # Every break falls between whole words: administrative units, the office, the year, the subject.
    words = [p.text for p in layout.title_pieces(title)]
    boundaries = {sum(len(w) for w in words[:i]) for i in range(len(words) + 1)}
    offsets = [sum(len(line) for line in lines[:i]) for i in range(1, len(lines))]
    assert set(offsets) <= boundaries
    for line in lines:
        assert layout.text_width(line) <= WIDTH, line
        assert layout.text_width(line) >= layout.MIN_LINE_CHARS, line  # never a short word alone
    # The year is never split from its 年.
    assert any("2021年" in line for line in lines)


def test_title_prefers_issuer_and_year_then_subject():
    assert layout.title_lines(f"青山县财政局2021年{SUBJECT}", WIDTH) == ["青山县财政局2021年", SUBJECT]
    # An issuer too long to share a line with the year leaves the year to the subject.
    issuer = "新疆维吾尔自治区伊犁哈萨克自治州财政局"
    assert layout.title_lines(f"{issuer}2022年{SUBJECT}", WIDTH) == [issuer, f"2022年{SUBJECT}"]
    # Wider than a line on its own: broken after a whole administrative unit.
    issuer = "广西壮族自治区南宁市青秀区发展和改革委员会办公室"
    lines = layout.title_lines(f"{issuer}2022年{SUBJECT}", WIDTH)
    assert lines[-1] == SUBJECT and lines[0].endswith(("区", "市"))


def test_width_counts_latin_as_half_and_the_space_around_it():
    assert layout.text_width("财政局") == 3
    assert layout.text_width("2021") == 2
    assert layout.text_width("局2021年") == 4 + 2 * layout.AUTOSPACE


def _rendered(ledgers, bureau: str, year: int, **params) -> Document:
    from conftest import PARAMS

    rep = report.prepare(ledgers, PARAMS, bureau, year, date(2022, 1, 10))
    return Document(io.BytesIO(render_docx(rep.figures, rep.story, default_template())))


def _keeps_next(paragraph) -> bool:
    return paragraph._p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None or (
        paragraph.style is not None and paragraph.style.paragraph_format.keep_with_next is True
    )


@pytest.mark.parametrize(("bureau", "year"), [("qingshan", 2021), ("qingshan", 2022), ("hedong", 2022)])
def test_signature_is_kept_with_the_last_body_lines(sample_ledgers, bureau, year):
    paras = _rendered(sample_ledgers, bureau, year).paragraphs
    name = next(i for i, p in enumerate(paras) if p.style.style_id == layout.SIGNATURE_STYLE)
    last_body = max(i for i in range(name) if paras[i].text.strip())
    # From the last body paragraph to the bureau's name every paragraph keeps with the next,
    # and the name keeps with the date: the block moves to a new page as one.
    assert all(_keeps_next(p) for p in paras[last_body : name + 1])
    assert not _keeps_next(paras[last_body - 1]) or paras[last_body - 1].style.style_id.startswith("ZJHeading")
    assert paras[name + 1].text == "2022年1月10日"


def test_title_break_keeps_run_formatting():
    doc = Document(str(default_template()))
    title = next(p for p in doc.paragraphs if p.style.style_id == layout.TITLE_STYLE)
    for run in list(title.runs):
        run._r.getparent().remove(run._r)
    title.add_run("内蒙古自治区呼和浩特市")
    marked = title.add_run("赛罕区财政局2021年党史")
    marked.font.highlight_color = 7  # yellow, as a draft marks a value to fill in
    title.add_run("学习教育开展情况总结")
    layout.break_title(doc)
    assert title.text == "内蒙古自治区呼和浩特市赛罕区财政局\n2021年党史学习教育开展情况总结"
    assert [r.text for r in title.runs] == [
        "内蒙古自治区呼和浩特市",
        "赛罕区财政局\n2021年党史",
        "学习教育开展情况总结",
    ]
    assert title.runs[1].font.highlight_color == 7
    # Breaking again changes nothing.
    layout.break_title(doc)
    assert title.text.count("\n") == 1


# --------------------------------------------------------------------------- the signature (GB/T 9704 7.3.5.2)

CHAR = 16.0


@pytest.mark.parametrize(("name", "date"), [(94.5, 118.7), (268.0, 118.7), (100.0, 100.0), (110.0, 100.0)])
def test_signature_indents_follow_7_3_5_2(name, date):
    indents = layout.signature_indents(name, date, CHAR)
    name_start, date_start = -(indents.name_right + name), -(indents.date_right + date)  # from the right edge
    assert date_start - name_start == pytest.approx(2 * CHAR)  # the date starts 2 characters right of the name
    if date > name:
        assert indents.date_right == pytest.approx(2 * CHAR)  # a longer date: 2 characters in from the right
        assert indents.name_right == pytest.approx(4 * CHAR + date - name)  # and the name moved left
    else:
        assert indents.name_right == pytest.approx(2 * CHAR)
        assert indents.date_right == pytest.approx(name - date)


def test_a_name_too_long_for_its_place_stays_in_the_text_block():
    indents = layout.signature_indents(430.0, 118.7, CHAR, room=442.2)
    assert indents.name_right + 430.0 <= 442.2 + 1e-9 and indents.name_right >= 0
    name_start, date_start = -(indents.name_right + 430.0), -(indents.date_right + 118.7)
    assert date_start - name_start == pytest.approx(2 * CHAR)  # the date still starts 2 characters right of it


def test_body_width_counts_the_condensed_body_and_the_space_around_digits():
    assert layout.body_width("青山县财政局", 16, -0.25) == pytest.approx(6 * 15.75)
    assert layout.body_width("2022年1月10日", 16, -0.25) == pytest.approx(7 * 7.75 + 3 * 15.75 + 5 * 0.215 * 16)


def _indent(paragraph) -> tuple[int, int, str]:
    p_pr = paragraph._p.pPr
    ind, jc = p_pr.find(qn("w:ind")), p_pr.find(qn("w:jc"))
    return int(ind.get(qn("w:right"))), int(ind.get(qn("w:rightChars"))), jc.get(qn("w:val"))


def _signature_paragraphs(doc):
    paras = doc.paragraphs
    at = next(i for i, p in enumerate(paras) if p.style.style_id == layout.SIGNATURE_STYLE)
    return paras[at], paras[at + 1]


def test_rendered_signature_is_placed_for_its_own_texts(sample_ledgers):
    name, date = _signature_paragraphs(_rendered(sample_ledgers, "qingshan", 2021))
    assert (name.text, date.text) == ("青山县财政局", "2022年1月10日")
    (name_twips, name_chars, name_jc), (date_twips, date_chars, date_jc) = _indent(name), _indent(date)
    assert name_jc == date_jc == "right"
    assert date_twips == 640 and date_chars == 200  # the longer date: 2 characters in from the right
    widths = [layout.body_width(p.text, 16, -0.25) for p in (name, date)]
    assert name_twips == round((4 * CHAR + widths[1] - widths[0]) * 20)
    assert name_chars == round((4 * CHAR + widths[1] - widths[0]) / CHAR * 100)
    order = [child.tag.split("}")[1] for child in name._p.pPr]
    assert order.index("pStyle") < order.index("keepNext") < order.index("ind") < order.index("jc")


def test_a_long_name_keeps_its_two_characters(sample_ledgers):
    doc = _rendered(sample_ledgers, "qingshan", 2021)
    name, date = _signature_paragraphs(doc)
    for run in name.runs[1:]:
        run._r.getparent().remove(run._r)
    name.runs[0].text = "内蒙古自治区呼和浩特市赛罕区财政局"
    layout.place_signature(doc)
    assert _indent(name)[:2] == (640, 200)
    gap = layout.body_width(name.text, 16, -0.25) - layout.body_width(date.text, 16, -0.25)
    assert _indent(date)[0] == round(gap * 20)


def test_a_signature_without_its_date_or_text_is_left_as_it_is(sample_ledgers):
    doc = _rendered(sample_ledgers, "qingshan", 2021)
    name, date = _signature_paragraphs(doc)
    date._p.getparent().remove(date._p)
    before = name._p.xml
    layout.place_signature(doc)
    assert name._p.xml == before
