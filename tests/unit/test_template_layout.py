"""Checks on the default report template: reproducible build, GB/T 9704 layout, tags."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path

import jinja2.sandbox
from docxtpl import DocxTemplate
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "report" / "template.docx"
BUILD_SCRIPT = ROOT / "templates" / "report" / "build.py"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}

FIGURE_KEYS = {
    "bureau_name",
    "kickoff_date",
    "office_director",
    "liaison",
    "plan_date",
    "lecture_months",
    "lecture_branches",
    "youth_visit_date",
    "youth_visit_venue",
    "members_visit_dates",
    "members_visit_venue",
    "survey_collected",
    "survey_resolved",
    "survey_longterm",
    "traffic_volunteer_count",
    "home_visit_count",
    "drill_count",
    "livelihood_funds",
    "boarding_meal_funds",
    "student_aid_funds",
    "student_aid_persons",
    "agri_budget",
    "agri_spending",
    "through_month",
    "farm_subsidy_funds",
    "livelihood_project_funds",
    "open_day_visitors",
    "open_day_problems",
    "open_day_examples",
    "open_day_resolved",
    "fiscal_revenue",
    "tax_revenue",
    "general_budget_revenue",
}
EXPECTED_VARIABLES = FIGURE_KEYS | {"year", "signed_on", "narrative"}


def _load_build_module():
    spec = importlib.util.spec_from_file_location("template_build", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _part(name: str) -> etree._Element:
    with zipfile.ZipFile(TEMPLATE) as docx:
        return etree.fromstring(docx.read(name))


def _w(attr: str) -> str:
    return f"{{{W}}}{attr}"


def _style(styles: etree._Element, style_id: str) -> etree._Element:
    found = styles.xpath(f'w:style[@w:styleId="{style_id}"]', namespaces=NS)
    assert len(found) == 1, style_id
    return found[0]


def _one(element: etree._Element, path: str) -> etree._Element:
    found = element.xpath(path, namespaces=NS)
    assert len(found) == 1, path
    return found[0]


def _east_asia_font(styles: etree._Element, style_id: str) -> str:
    return _one(_style(styles, style_id), "w:rPr/w:rFonts").get(_w("eastAsia"))


def test_committed_template_matches_build(tmp_path: Path) -> None:
    out = tmp_path / "report.docx"
    _load_build_module().build(out=out)
    with zipfile.ZipFile(TEMPLATE) as committed, zipfile.ZipFile(out) as fresh:
        assert committed.namelist() == fresh.namelist()
        for name in committed.namelist():
            assert committed.read(name) == fresh.read(name), name


def test_build_is_deterministic() -> None:
    build = _load_build_module()
    assert build.build_bytes() == build.build_bytes()


def test_template_carries_only_the_styles_it_uses() -> None:
    """Word's built-in styles nothing refers to are left out: each render parses, writes and
    compresses what the template holds."""
    from toolkit.report import styles as style_ids

    styles = _part("word/styles.xml")
    ids = {s.get(_w("styleId")) for s in styles.iterchildren(_w("style"))}
    with zipfile.ZipFile(TEMPLATE) as docx:
        others = b"".join(docx.read(n) for n in docx.namelist() if n.endswith(".xml") and n != "word/styles.xml")
    referred = {i for i in ids if f'w:val="{i}"'.encode() in others}
    defaults = set(styles.xpath('w:style[@w:default="1"]/@w:styleId', namespaces=NS))
    based = set(styles.xpath("w:style/w:basedOn/@w:val | w:style/w:link/@w:val | w:style/w:next/@w:val", namespaces=NS))
    assert set(style_ids.ALL) <= ids
    assert ids <= referred | defaults | set(style_ids.ALL) | based
    assert not {"Heading1", "Title", "Quote", "TableGrid"} & ids
    assert len(etree.tostring(styles)) < 60_000


def test_page_geometry_and_grid() -> None:
    sect_pr = _one(_part("word/document.xml"), "w:body/w:sectPr")
    pg_sz = _one(sect_pr, "w:pgSz")
    assert (pg_sz.get(_w("w")), pg_sz.get(_w("h"))) == ("11906", "16838")
    pg_mar = _one(sect_pr, "w:pgMar")
    margins = {side: pg_mar.get(_w(side)) for side in ("top", "bottom", "left", "right")}
    assert margins == {"top": "2098", "bottom": "1984", "left": "1588", "right": "1474"}
    # A line grid only: a character grid narrower than a glyph makes LibreOffice give
    # every character two cells (14 a line); see docs/layout.md.
    grid = _one(sect_pr, "w:docGrid")
    assert grid.get(_w("type")) == "lines"
    assert grid.get(_w("charSpace")) is None
    pitch = int(grid.get(_w("linePitch")))
    text_height = 16838 - 2098 - 1984
    assert text_height // pitch == 22


def test_body_fits_28_characters_a_line() -> None:
    normal = _style(_part("word/styles.xml"), "Normal")
    size = int(_one(normal, "w:rPr/w:sz").get(_w("val"))) * 10  # twips
    condensed = int(_one(normal, "w:rPr/w:spacing").get(_w("val")))
    assert condensed < 0
    text_width = 11906 - 1588 - 1474
    # 28 characters fit at the condensed pitch, 29 do not; at full width only 27 would.
    assert text_width // (size + condensed) == 28
    assert text_width // size == 27
    # The two-character first-line indent still leaves room for 26 characters.
    indent = int(_one(normal, "w:pPr/w:ind").get(_w("firstLine")))
    assert indent + 26 * (size + condensed) <= text_width


def test_full_pages_and_titles_keep_the_grid() -> None:
    styles = _part("word/styles.xml")
    normal = _style(styles, "Normal")
    # Widow control would leave 21 lines on some pages.
    assert _one(normal, "w:pPr/w:widowControl").get(_w("val")) == "0"
    for style_id in ("ZJTitle", "ZJPageNumber"):
        assert _one(_style(styles, style_id), "w:rPr/w:spacing").get(_w("val")) == "0"
    for style_id in ("ZJHeading1", "ZJHeading2", "ZJSignatureName"):
        assert _style(styles, style_id).xpath("w:pPr/w:keepNext", namespaces=NS), style_id


def test_body_style() -> None:
    styles = _part("word/styles.xml")
    normal = _style(styles, "Normal")
    assert normal.get(_w("default")) == "1"
    fonts = _one(normal, "w:rPr/w:rFonts")
    assert fonts.get(_w("eastAsia")) == "仿宋_GB2312"
    assert fonts.get(_w("ascii")) == "Times New Roman"
    assert not [name for name in fonts.attrib if "theme" in name.lower()]
    assert _one(normal, "w:rPr/w:sz").get(_w("val")) == "32"
    assert _one(normal, "w:rPr/w:lang").get(_w("eastAsia")) == "zh-CN"
    spacing = _one(normal, "w:pPr/w:spacing")
    assert spacing.get(_w("line")) == "579"
    assert spacing.get(_w("lineRule")) == "exact"
    assert spacing.get(_w("before")) == "0" and spacing.get(_w("after")) == "0"
    assert _one(normal, "w:pPr/w:ind").get(_w("firstLineChars")) == "200"
    assert _one(normal, "w:pPr/w:jc").get(_w("val")) == "both"


def test_doc_defaults_have_no_theme_fonts() -> None:
    fonts = _one(_part("word/styles.xml"), "w:docDefaults/w:rPrDefault/w:rPr/w:rFonts")
    assert not [name for name in fonts.attrib if "theme" in name.lower()]
    assert fonts.get(_w("eastAsia")) == "仿宋_GB2312"


def test_title_and_heading_styles() -> None:
    styles = _part("word/styles.xml")
    assert _east_asia_font(styles, "ZJHeading1") == "黑体"
    assert _east_asia_font(styles, "ZJHeading2") == "楷体_GB2312"
    assert _east_asia_font(styles, "ZJRunInKai") == "楷体_GB2312"
    for style_id, level in (("ZJHeading1", "0"), ("ZJHeading2", "1")):
        heading = _style(styles, style_id)
        assert _one(heading, "w:pPr/w:outlineLvl").get(_w("val")) == level
        assert _one(heading, "w:rPr/w:b").get(_w("val")) == "0"
    title = _style(styles, "ZJTitle")
    assert _east_asia_font(styles, "ZJTitle") == "方正小标宋简体"
    assert _one(title, "w:rPr/w:sz").get(_w("val")) == "44"
    assert _one(title, "w:rPr/w:b").get(_w("val")) == "0"
    assert _one(title, "w:pPr/w:jc").get(_w("val")) == "center"


def test_signature_styles() -> None:
    styles = _part("word/styles.xml")
    name = _style(styles, "ZJSignatureName")
    assert _one(name, "w:pPr/w:jc").get(_w("val")) == "right"
    assert _one(name, "w:pPr/w:ind").get(_w("rightChars")) == "200"
    date = _style(styles, "ZJSignatureDate")
    assert _one(date, "w:pPr/w:jc").get(_w("val")) == "right"


def _footer_parts() -> list[etree._Element]:
    with zipfile.ZipFile(TEMPLATE) as docx:
        names = sorted(n for n in docx.namelist() if n.startswith("word/footer"))
        return [etree.fromstring(docx.read(n)) for n in names]


def test_footer_page_numbers() -> None:
    styles = _part("word/styles.xml")
    page_style = _style(styles, "ZJPageNumber")
    assert _one(page_style, "w:rPr/w:rFonts").get(_w("eastAsia")) == "宋体"
    assert _one(page_style, "w:rPr/w:rFonts").get(_w("ascii")) == "宋体"
    assert _one(page_style, "w:rPr/w:sz").get(_w("val")) == "28"
    footers = _footer_parts()
    assert len(footers) == 2
    sides = set()
    for footer in footers:
        paragraph = _one(footer, "w:p")
        assert _one(paragraph, "w:pPr/w:pStyle").get(_w("val")) == "ZJPageNumber"
        sides.add(_one(paragraph, "w:pPr/w:jc").get(_w("val")))
        pieces = []
        for run in paragraph.xpath("w:r", namespaces=NS):
            for child in run:
                if child.tag == _w("t"):
                    pieces.append(child.text)
                elif child.tag == _w("instrText"):
                    pieces.append(f"[{child.text.strip()}]")
                elif child.tag == _w("fldChar"):
                    pieces.append(f"<{child.get(_w('fldCharType'))}>")
        assert pieces == ["— ", "<begin>", "[PAGE]", "<separate>", "1", "<end>", " —"]
    assert sides == {"left", "right"}


def test_even_and_odd_footers() -> None:
    settings = _part("word/settings.xml")
    assert settings.xpath("w:evenAndOddHeaders", namespaces=NS)
    sect_pr = _one(_part("word/document.xml"), "w:body/w:sectPr")
    kinds = {ref.get(_w("type")) for ref in sect_pr.xpath("w:footerReference", namespaces=NS)}
    assert kinds == {"default", "even"}


def test_jinja_tags_sit_in_single_preserved_runs() -> None:
    for text in _part("word/document.xml").xpath("//w:t", namespaces=NS):
        assert text.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
        assert (text.text or "").count("{{") == (text.text or "").count("}}")


def test_undeclared_variables() -> None:
    template = DocxTemplate(str(TEMPLATE))
    env = jinja2.sandbox.SandboxedEnvironment(autoescape=True)
    assert template.get_undeclared_template_variables(jinja_env=env) == EXPECTED_VARIABLES
