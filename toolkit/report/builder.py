"""Build a report template (``template.docx``) from its readable source (``source.txt``).

Usage: python templates/report/build.py [--source PATH] [--out PATH]
(each report definition's ``build.py`` calls :func:`main` with its own folder).

The layout follows GB/T 9704-2012 (see docs/gbt9704.md). Fonts, sizes,
indents and line spacing live in styles, never in direct run formatting, so that
paragraphs and runs created by docxtpl at render time inherit them.

Style ids in the generated document:

    Normal            body text, 仿宋_GB2312 16pt (also every paragraph without a style)
    ZJTitle           document title, 方正小标宋简体 22pt, centred
    ZJHeading1        一、… headings, 黑体 16pt, outline level 0
    ZJHeading2        （一）… headings, 楷体_GB2312 16pt, outline level 1
    ZJRunInKai        character style for run-in 楷体 headings inside a body paragraph
    ZJSignatureName   issuing bureau under the body
    ZJSignatureDate   date under the bureau name
    ZJPageNumber      footer page number, 宋体 14pt

The output is byte-for-byte reproducible: fixed core properties and a zip written
with fixed timestamps and a fixed member order.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import _Footer
from docx.shared import Twips

from toolkit.report import styles

# Style ids used by the toolkit (defined once, in toolkit/styles.py).
BODY_STYLE_ID = styles.BODY
TITLE_STYLE_ID = styles.TITLE
HEADING1_STYLE_ID = styles.HEADING1
HEADING2_STYLE_ID = styles.HEADING2
RUN_IN_KAI_STYLE_ID = styles.RUN_IN_KAI
SIGNATURE_NAME_STYLE_ID = styles.SIGNATURE_NAME
SIGNATURE_DATE_STYLE_ID = styles.SIGNATURE_DATE
PAGE_NUMBER_STYLE_ID = styles.PAGE_NUMBER

# Fonts (Windows names, as installed where the report is opened).
FONT_LATIN = "Times New Roman"
FONT_BODY = "仿宋_GB2312"
FONT_TITLE = "方正小标宋简体"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"

# Page geometry in twips: A4, text block 156 x 225 mm.
PAGE_WIDTH, PAGE_HEIGHT = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1588, 1474
# Header distance is irrelevant (no header). The footer distance puts the page
# number about 7 mm below the text block: 35 mm bottom margin - 7 mm - one 14pt line.
HEADER_DISTANCE, FOOTER_DISTANCE = 851, 1247
LINE_PITCH = 579  # 28.95pt: 22 lines in the 225 mm text block
BODY_HALF_POINTS = 32  # 16pt (三号)
TITLE_HALF_POINTS = 44  # 22pt (二号)
PAGE_NUMBER_HALF_POINTS = 28  # 14pt (四号)
CHARS_PER_LINE = 28
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 8844 twips = 442.2pt


def body_char_spacing() -> int:
    """Character spacing of the body (twips, negative = condensed) so that 28 characters fill a line.

    A `lines` document grid leaves characters at their own width in Word, WPS and
    LibreOffice alike: 28 x 16pt = 448pt overflow the 442.2pt line and only 27 fit.
    Condensing every character by the whole number of twips that makes 28 fit (-5,
    a quarter point: 28 x 15.75pt = 441pt, while 29 need 456.75pt) gives exactly 28.
    See docs/layout.md for why this replaces a `linesAndChars` grid.
    """
    return math.floor(TEXT_WIDTH / CHARS_PER_LINE - BODY_HALF_POINTS * 10)


BODY_CHAR_SPACING = body_char_spacing()

# Fixed metadata, so that the output is reproducible.
CORE_TITLE = "党史学习教育开展情况总结"
CORE_AUTHOR = "zongjie"
CORE_TIMESTAMP = dt.datetime(2022, 1, 1, 0, 0, 0)
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

PARAGRAPH_STYLES = {
    "title": TITLE_STYLE_ID,
    "blank": None,
    "h1": HEADING1_STYLE_ID,
    "h2": HEADING2_STYLE_ID,
    "body": None,
    "tag": None,
    "signature-name": SIGNATURE_NAME_STYLE_ID,
    "signature-date": SIGNATURE_DATE_STYLE_ID,
}

LINE_RE = re.compile(r"^(?P<kind>[a-z0-9-]+):(?: (?P<text>.*))?$")
KAI_RE = re.compile(r"^<kai>(?P<head>[^<]+)</kai>(?P<rest>.*)$")
DOCXTPL_TAG_RE = re.compile(r"^\{%p [^%]+ %\}$")


@dataclass
class Paragraph:
    """One paragraph of the source: its kind and its runs (text, char style id)."""

    kind: str
    runs: list[tuple[str, str | None]] = field(default_factory=list)


# --------------------------------------------------------------------------- source


def parse_source(text: str) -> list[Paragraph]:
    """Parse the `kind: text` source format into paragraphs."""
    paragraphs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = LINE_RE.match(line)
        if not match or match["kind"] not in PARAGRAPH_STYLES:
            raise ValueError(f"line {number}: unknown paragraph kind: {line[:40]!r}")
        paragraphs.append(_parse_paragraph(match["kind"], match["text"] or "", number))
    return paragraphs


def _parse_paragraph(kind: str, text: str, number: int) -> Paragraph:
    """Split one source line into runs and check it fits its kind."""
    if kind == "blank":
        if text:
            raise ValueError(f"line {number}: a blank paragraph has no text")
        return Paragraph(kind)
    if not text:
        raise ValueError(f"line {number}: empty {kind} paragraph")
    if kind == "tag" and not DOCXTPL_TAG_RE.match(text):
        raise ValueError(f"line {number}: a tag line holds exactly one {{%p … %}} tag")
    if kind != "tag" and "{%" in text:
        raise ValueError(f"line {number}: {{% … %}} tags belong on tag lines")
    match = KAI_RE.match(text) if kind == "body" else None
    if match:
        runs = [(match["head"], RUN_IN_KAI_STYLE_ID), (match["rest"], None)]
        runs = [run for run in runs if run[0]]
    else:
        runs = [(text, None)]
    if any("<kai>" in run_text or "</kai>" in run_text for run_text, _ in runs):
        raise ValueError(f"line {number}: <kai> marks only a leading run-in heading")
    return Paragraph(kind, runs)


# --------------------------------------------------------------------------- styles


def run_fonts(east_asia: str, latin: str = FONT_LATIN) -> str:
    return f'<w:rFonts w:ascii="{latin}" w:eastAsia="{east_asia}" w:hAnsi="{latin}" w:cs="{latin}"/>'


def font_size(half_points: int) -> str:
    return f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'


NO_FIRST_LINE = 'w:firstLineChars="0" w:firstLine="0"'
EXACT_SPACING = f'<w:spacing w:before="0" w:after="0" w:line="{LINE_PITCH}" w:lineRule="exact"/>'
NOT_BOLD = '<w:b w:val="0"/><w:bCs w:val="0"/>'
NOT_CONDENSED = '<w:spacing w:val="0"/>'
# Widow control off: every full page holds all 22 lines, as on a clerk's grid paper.
NO_WIDOW_CONTROL = '<w:widowControl w:val="0"/>'
BLACK = '<w:color w:val="000000"/>'


def _style_xml(kind: str, style_id: str, name: str, body: str, extra: str = "") -> str:
    return (
        f'<w:style {nsdecls("w")} w:type="{kind}" w:customStyle="1" '
        f'w:styleId="{style_id}"><w:name w:val="{name}"/>{extra}{body}</w:style>'
    )


def _heading_xml(style_id: str, name: str, font: str, level: int) -> str:
    return _style_xml(
        "paragraph",
        style_id,
        name,
        f'<w:pPr><w:keepNext/>{EXACT_SPACING}<w:outlineLvl w:val="{level}"/></w:pPr>'
        f'<w:rPr><w:rFonts w:eastAsia="{font}"/>{NOT_BOLD}{BLACK}'
        f"{font_size(BODY_HALF_POINTS)}</w:rPr>",
        '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>',
    )


def normal_style_xml() -> str:
    """The body style: every paragraph without a style inherits this layout."""
    return (
        f'<w:style {nsdecls("w")} w:type="paragraph" w:default="1" w:styleId="Normal">'
        '<w:name w:val="Normal"/><w:qFormat/>'
        f'<w:pPr>{NO_WIDOW_CONTROL}{EXACT_SPACING}<w:ind w:firstLineChars="200" w:firstLine="640"/>'
        '<w:jc w:val="both"/></w:pPr>'
        f'<w:rPr>{run_fonts(FONT_BODY)}<w:spacing w:val="{BODY_CHAR_SPACING}"/>{font_size(BODY_HALF_POINTS)}'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr>'
        "</w:style>"
    )


def custom_styles_xml() -> list[str]:
    """The title, heading, run-in, signature and page-number styles."""
    based_on_normal = '<w:basedOn w:val="Normal"/><w:qFormat/>'
    return [
        _style_xml(
            "paragraph",
            TITLE_STYLE_ID,
            "ZJ Title",
            # Same exact pitch as the body keeps every line on the 22-line grid.
            f'<w:pPr>{EXACT_SPACING}<w:ind {NO_FIRST_LINE}/><w:jc w:val="center"/></w:pPr>'
            f"<w:rPr>{run_fonts(FONT_TITLE)}{NOT_BOLD}{NOT_CONDENSED}{font_size(TITLE_HALF_POINTS)}</w:rPr>",
            '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/>',
        ),
        _heading_xml(HEADING1_STYLE_ID, "ZJ Heading 1", FONT_H1, 0),
        _heading_xml(HEADING2_STYLE_ID, "ZJ Heading 2", FONT_H2, 1),
        _style_xml(
            "character",
            RUN_IN_KAI_STYLE_ID,
            "ZJ Run-in Kai",
            f'<w:rPr><w:rFonts w:eastAsia="{FONT_H2}"/></w:rPr>',
            '<w:basedOn w:val="DefaultParagraphFont"/><w:qFormat/>',
        ),
        _style_xml(
            "paragraph",
            SIGNATURE_NAME_STYLE_ID,
            "ZJ Signature Name",
            # Bureau name: flush right, two characters in from the right edge, on the
            # same page as the date (the render keeps the last body lines with both and
            # moves the name left when the date is the longer of the two).
            f'<w:pPr><w:keepNext/><w:ind {NO_FIRST_LINE} w:rightChars="200" w:right="640"/>'
            '<w:jc w:val="right"/></w:pPr>',
            f'<w:basedOn w:val="Normal"/><w:next w:val="{SIGNATURE_DATE_STYLE_ID}"/><w:qFormat/>',
        ),
        _style_xml(
            "paragraph",
            SIGNATURE_DATE_STYLE_ID,
            "ZJ Signature Date",
            # GB/T 9704 7.3.5.2: the date starts 2 characters right of where the name
            # starts. A template cannot know the texts, so these styles are only the
            # fallback of a template opened as it is; the render measures the name and
            # the date and sets both paragraphs' right indents (report/layout.py,
            # place_signature), for a date shorter or longer than the name.
            f'<w:pPr><w:ind {NO_FIRST_LINE} w:rightChars="0" w:right="0"/><w:jc w:val="right"/></w:pPr>',
            based_on_normal,
        ),
        _style_xml(
            "paragraph",
            PAGE_NUMBER_STYLE_ID,
            "ZJ Page Number",
            '<w:pPr><w:snapToGrid w:val="0"/>'
            '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
            f"<w:ind {NO_FIRST_LINE}/></w:pPr>"
            f"<w:rPr>{run_fonts(FONT_PAGE_NUMBER, FONT_PAGE_NUMBER)}{NOT_CONDENSED}"
            f"{font_size(PAGE_NUMBER_HALF_POINTS)}</w:rPr>",
            based_on_normal,
        ),
    ]


def set_doc_defaults(styles: BaseOxmlElement, run_properties: Sequence[str]) -> None:
    """Replace the docDefaults run properties (theme fonts) by ``run_properties``, single spacing."""
    r_pr = styles.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
    for child in list(r_pr):
        r_pr.remove(child)
    for xml in run_properties:
        r_pr.append(parse_xml(_with_ns(xml)))
    spacing = styles.find(qn("w:docDefaults") + "/" + qn("w:pPrDefault") + "/" + qn("w:pPr") + "/" + qn("w:spacing"))
    for attr in list(spacing.attrib):
        del spacing.attrib[attr]
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")


def _with_ns(xml: str) -> str:
    """Add the w namespace declaration to a single-element XML snippet."""
    return re.sub(r"^<(w:[A-Za-z]+)", lambda m: f"<{m[1]} {nsdecls('w')}", xml, count=1)


def setup_styles(doc: DocumentObject) -> None:
    """Install the body style and the custom styles."""
    styles = doc.styles.element
    set_doc_defaults(
        styles,
        (
            run_fonts(FONT_BODY),
            f'<w:sz w:val="{BODY_HALF_POINTS}"/>',
            f'<w:szCs w:val="{BODY_HALF_POINTS}"/>',
            '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>',
        ),
    )
    normal = styles.find(f'{qn("w:style")}[@{qn("w:styleId")}="Normal"]')
    styles.replace(normal, parse_xml(normal_style_xml()))
    for xml in custom_styles_xml():
        styles.append(parse_xml(xml))


# --------------------------------------------------------------------------- page


def setup_page(doc: DocumentObject) -> None:
    """A4 page, GB/T 9704 margins and a line grid of 22 lines (see BODY_CHAR_SPACING)."""
    section = doc.sections[0]
    section.page_width, section.page_height = Twips(PAGE_WIDTH), Twips(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.header_distance = Twips(HEADER_DISTANCE)
    section.footer_distance = Twips(FOOTER_DISTANCE)
    section.gutter = Twips(0)
    grid = section._sectPr.find(qn("w:docGrid"))
    for attr in list(grid.attrib):
        del grid.attrib[attr]
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH))


# --------------------------------------------------------------------------- body


def _styled(tag: str, style_id: str | None) -> BaseOxmlElement:
    """A `w:r` or `w:p` element whose properties name `style_id` (none when it is None)."""
    element = OxmlElement(tag)
    if style_id:
        props = OxmlElement(f"{tag}Pr")
        style = OxmlElement(f"{tag}Style")
        style.set(qn("w:val"), style_id)
        props.append(style)
        element.append(props)
    return element


def _run(text: str, char_style: str | None = None) -> BaseOxmlElement:
    """A run holding `text` verbatim (whitespace preserved)."""
    run = _styled("w:r", char_style)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    run.append(t)
    return run


def _paragraph(style_id: str | None, runs: list[BaseOxmlElement]) -> BaseOxmlElement:
    """A paragraph with an optional paragraph style and the given run elements."""
    p = _styled("w:p", style_id)
    for run in runs:
        p.append(run)
    return p


def add_paragraphs(doc: DocumentObject, paragraphs: list[Paragraph]) -> None:
    """Write the source paragraphs into the document body, before the sectPr."""
    sect_pr = doc.element.body.sectPr
    for para in paragraphs:
        runs = [_run(text, style) for text, style in para.runs]
        sect_pr.addprevious(_paragraph(PARAGRAPH_STYLES[para.kind], runs))


# --------------------------------------------------------------------------- footer


def _field_char(kind: str) -> BaseOxmlElement:
    run = OxmlElement("w:r")
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), kind)
    run.append(fld)
    return run


def _instr_text(instruction: str) -> BaseOxmlElement:
    run = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = instruction
    run.append(instr)
    return run


def page_number_paragraph(odd: bool) -> BaseOxmlElement:
    """`— PAGE —`: odd pages right, even pages left, one character from the edge."""
    p = _paragraph(
        PAGE_NUMBER_STYLE_ID,
        [
            _run("— "),
            _field_char("begin"),
            _instr_text(" PAGE "),
            _field_char("separate"),
            _run("1"),
            _field_char("end"),
            _run(" —"),
        ],
    )
    p_pr = p.find(qn("w:pPr"))
    side = "right" if odd else "left"
    ind = OxmlElement("w:ind")
    ind.set(qn(f"w:{side}Chars"), "100")
    ind.set(qn(f"w:{side}"), str(PAGE_NUMBER_HALF_POINTS * 10))
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), side)
    p_pr.append(ind)
    p_pr.append(jc)
    return p


def _fill_footer(footer: _Footer, odd: bool) -> None:
    footer.is_linked_to_previous = False
    element = footer._element
    for child in list(element):
        element.remove(child)
    element.append(page_number_paragraph(odd))


def setup_footers(doc: DocumentObject) -> None:
    """Mirrored page numbers on odd and even pages."""
    section = doc.sections[0]
    _fill_footer(section.footer, odd=True)
    _fill_footer(section.even_page_footer, odd=False)
    doc.settings.odd_and_even_pages_header_footer = True


# --------------------------------------------------------------------------- package


def setup_settings(doc: DocumentObject) -> None:
    """Chinese as the East Asian theme language."""
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def drop_styles_with_effects(doc: DocumentObject) -> None:
    """Remove the Word 2010 stylesWithEffects part (it still holds theme fonts)."""
    part = doc.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            part.drop_rel(r_id)


_STYLE_REFERENCES = re.compile(rb'<w:(?:pStyle|rStyle|tblStyle|numStyle|styleLink) w:val="([^"]+)"')


def drop_unused_styles(doc: DocumentObject) -> None:
    """Remove the styles of python-docx's default template that nothing uses.

    That template carries Word's 160 built-in styles, 330 KB of XML which every render
    would parse, write and compress again (two thirds of a render's time). Kept: the
    styles any part refers to, the defaults, the toolkit's own, and what they are based
    on, linked to or followed by. Word, WPS and LibreOffice still offer every built-in
    style and add its definition when a user applies it.
    """
    element = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in element.iterchildren(qn("w:style"))}
    wanted = {s for s, style in by_id.items() if style.get(qn("w:default")) in ("1", "true")}
    wanted |= set(styles.ALL)
    for part in doc.part.package.iter_parts():
        if part.content_type.endswith("+xml") and getattr(part, "element", None) is not element:
            wanted |= {m.decode("utf-8") for m in _STYLE_REFERENCES.findall(part.blob)}
    todo = list(wanted)
    while todo:
        style = by_id.get(todo.pop())
        if style is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag))
            name = None if ref is None else ref.get(qn("w:val"))
            if name is not None and name not in wanted:
                wanted.add(name)
                todo.append(name)
    for style_id, style in by_id.items():
        if style_id not in wanted:
            element.remove(style)


def set_core_properties(doc: DocumentObject, title: str = CORE_TITLE) -> None:
    """Fixed metadata."""
    props = doc.core_properties
    props.title = title
    props.author = CORE_AUTHOR
    props.last_modified_by = CORE_AUTHOR
    props.comments = ""
    props.revision = 1
    props.created = CORE_TIMESTAMP
    props.modified = CORE_TIMESTAMP


def _member_order(name: str) -> tuple[int, str]:
    first = {"[Content_Types].xml": 0, "_rels/.rels": 1}
    return (first.get(name, 2), name)


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps, attributes and member order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in sorted(src.namelist(), key=_member_order):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, src.read(name))
    return out.getvalue()


def build_bytes(source: Path) -> bytes:
    """Return the template .docx built from `source`."""
    return build_text(Path(source).read_text(encoding="utf-8"))


def build_text(text: str) -> bytes:
    """Return the template .docx built from source text."""
    paragraphs = parse_source(text)
    doc = Document()
    setup_styles(doc)
    setup_page(doc)
    add_paragraphs(doc, paragraphs)
    setup_footers(doc)
    setup_settings(doc)
    drop_styles_with_effects(doc)
    drop_unused_styles(doc)
    set_core_properties(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return deterministic_zip(buffer.getvalue())


def build(source: Path, out: Path) -> Path:
    """Build the template from `source` and write it to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build_bytes(source))
    return out


def main(argv: list[str] | None = None, folder: Path | None = None) -> int:
    """Command-line entry point: build ``folder/template.docx`` from ``folder/source.txt``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--source", type=Path, default=folder / "source.txt" if folder else None, required=not folder)
    parser.add_argument("--out", type=Path, default=folder / "template.docx" if folder else None, required=not folder)
    args = parser.parse_args(argv)
    print(build(args.source, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
