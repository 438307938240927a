"""Build the 汇总表 template (template.docx) from source.yaml.

Usage: python templates/summary_table/build.py [--source PATH] [--out PATH]

The layout follows GB/T 9704-2012 for an attachment table: landscape A4 with the
156 x 225 mm text block turned sideways, 附件 in 黑体 三号 at the top left, the title
in 方正小标宋简体 二号, the table's header rows in 黑体 repeated on every page
(``w:tblHeader``), its body in 仿宋_GB2312 with numbers right-aligned, page numbers
``— 1 —`` in 宋体 四号 mirrored on odd and even pages. Fonts and sizes live in styles,
never in direct run formatting, so runs docxtpl creates at render time inherit them.

The docxtpl tags the toolkit fills: ``year``, ``rows`` (each with ``seq``, ``name`` and
``cells.<key>``), ``total.<key>`` and ``notes`` (paragraphs under the table).

The output is byte-for-byte reproducible: fixed core properties, fixed zip timestamps
and member order.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from toolkit.report.builder import (
    FONT_BODY,
    FONT_PAGE_NUMBER,
    FONT_TITLE,
    NOT_BOLD,
    deterministic_zip,
    drop_styles_with_effects,
    font_size,
    run_fonts,
    set_core_properties,
    set_doc_defaults,
    setup_settings,
)

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE / "source.yaml"
DEFAULT_OUT = HERE / "template.docx"

FONT_HEADER = "黑体"

# Landscape A4 in twips; the GB/T 9704 margins turned with the page (text block 225 x 156 mm).
PAGE_WIDTH, PAGE_HEIGHT = 16838, 11906
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 1588, 1474, 2098, 1984
HEADER_DISTANCE, FOOTER_DISTANCE = 851, 794
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 12756 twips = 225 mm
TWIPS_PER_MM = 1440 / 25.4

ATTACHMENT_HALF_POINTS = 32  # 三号
TITLE_HALF_POINTS = 44  # 二号
TABLE_HALF_POINTS = 21  # 五号
NOTE_HALF_POINTS = 24  # 小四
PAGE_NUMBER_HALF_POINTS = 28  # 四号
CELL_MARGIN = 57  # 1 mm each side
ROW_HEIGHT = 397  # at least 7 mm

STYLE_ATTACHMENT = "ZJAttachment"
STYLE_TITLE = "ZJTitle"
STYLE_UNIT_LINE = "ZJUnitLine"
STYLE_HEADER = "ZJTableHeader"
STYLE_CELL = {"left": "ZJTableText", "center": "ZJTableCenter", "right": "ZJTableNumber"}
STYLE_NOTE = "ZJTableNote"
STYLE_PAGE_NUMBER = "ZJPageNumber"

CORE_TITLE = "各单位工作情况汇总表"
SPECIAL_KEYS = {"seq", "name"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float  # mm
    align: str
    group: str | None = None

    @property
    def twips(self) -> int:
        return round(self.width * TWIPS_PER_MM)


@dataclass(frozen=True)
class Source:
    attachment: str
    title: str
    unit_line: str
    columns: tuple[Column, ...]


def parse_source(text: str) -> Source:
    """Read and check source.yaml; raise ValueError naming the offending column."""
    data = yaml.safe_load(text)
    columns = []
    for n, item in enumerate(data["columns"], start=1):
        column = Column(
            item["key"], item["header"], float(item["width"]), item.get("align", "right"), item.get("group")
        )
        if column.align not in STYLE_CELL:
            raise ValueError(f"column {n} ({column.key}): align must be left, center or right")
        columns.append(column)
    keys = [c.key for c in columns]
    if len(set(keys)) != len(keys):
        raise ValueError("a column key appears twice")
    if keys[:2] != ["seq", "name"]:
        raise ValueError("the first two columns are seq and name (the 合计 label spans them)")
    width = sum(c.twips for c in columns)
    if width > TEXT_WIDTH + 10:
        raise ValueError(f"the columns are {width / TWIPS_PER_MM:.0f} mm wide; the text block is 225 mm")
    return Source(data["attachment"], data["title"], data["unit_line"], tuple(columns))


# --------------------------------------------------------------------------- styles


SINGLE = '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
NO_INDENT = '<w:ind w:firstLineChars="0" w:firstLine="0" w:left="0" w:right="0"/>'


def _paragraph_style(style_id: str, p_pr: str, r_pr: str) -> str:
    return (
        f'<w:style {nsdecls("w")} w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
        f'<w:name w:val="{style_id}"/><w:basedOn w:val="Normal"/><w:qFormat/>'
        f"<w:pPr>{p_pr}</w:pPr><w:rPr>{r_pr}</w:rPr></w:style>"
    )


def styles_xml() -> list[str]:
    cell = f'<w:snapToGrid w:val="0"/>{SINGLE}{NO_INDENT}'
    body = f"{run_fonts(FONT_BODY)}{font_size(TABLE_HALF_POINTS)}"
    return [
        _paragraph_style(
            STYLE_ATTACHMENT,
            f'{SINGLE}{NO_INDENT}<w:jc w:val="left"/>',
            f"{run_fonts(FONT_HEADER)}{NOT_BOLD}{font_size(ATTACHMENT_HALF_POINTS)}",
        ),
        _paragraph_style(
            STYLE_TITLE,
            f'<w:spacing w:before="240" w:after="240" w:line="240" w:lineRule="auto"/>{NO_INDENT}<w:jc w:val="center"/>',
            f"{run_fonts(FONT_TITLE)}{NOT_BOLD}{font_size(TITLE_HALF_POINTS)}",
        ),
        _paragraph_style(
            STYLE_UNIT_LINE,
            f'<w:spacing w:before="0" w:after="60" w:line="240" w:lineRule="auto"/>{NO_INDENT}<w:jc w:val="right"/>',
            f"{run_fonts(FONT_BODY)}{font_size(NOTE_HALF_POINTS)}",
        ),
        _paragraph_style(
            STYLE_HEADER,
            f'{cell}<w:jc w:val="center"/>',
            f"{run_fonts(FONT_HEADER)}{NOT_BOLD}{font_size(TABLE_HALF_POINTS)}",
        ),
        *(_paragraph_style(style, f'{cell}<w:jc w:val="{align}"/>', body) for align, style in STYLE_CELL.items()),
        _paragraph_style(
            STYLE_NOTE,
            f'<w:spacing w:before="60" w:after="0" w:line="240" w:lineRule="auto"/>{NO_INDENT}<w:jc w:val="both"/>',
            f"{run_fonts(FONT_BODY)}{font_size(NOTE_HALF_POINTS)}",
        ),
        _paragraph_style(
            STYLE_PAGE_NUMBER,
            f"{SINGLE}{NO_INDENT}",
            f"{run_fonts(FONT_PAGE_NUMBER, FONT_PAGE_NUMBER)}{font_size(PAGE_NUMBER_HALF_POINTS)}",
        ),
    ]


def setup_styles(doc) -> None:
    """Body defaults in 仿宋 with the Chinese language; theme fonts removed; custom styles."""
    styles = doc.styles.element
    set_doc_defaults(
        styles,
        (
            run_fonts(FONT_BODY),
            f'<w:sz w:val="{TABLE_HALF_POINTS}"/>',
            f'<w:szCs w:val="{TABLE_HALF_POINTS}"/>',
            '<w:lang w:val="en-US" w:eastAsia="zh-CN"/>',
        ),
    )
    normal = styles.find(f'{qn("w:style")}[@{qn("w:styleId")}="Normal"]')
    styles.replace(
        normal,
        parse_xml(
            f'<w:style {nsdecls("w")} w:type="paragraph" w:default="1" w:styleId="Normal">'
            f'<w:name w:val="Normal"/><w:qFormat/><w:pPr>{SINGLE}</w:pPr>'
            f"<w:rPr>{run_fonts(FONT_BODY)}{font_size(TABLE_HALF_POINTS)}"
            '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:style>'
        ),
    )
    for xml in styles_xml():
        styles.append(parse_xml(xml))


# --------------------------------------------------------------------------- body


def _p(style: str, text: str = "") -> str:
    run = f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{run}</w:p>'


def _tc(width: int, content: str, *, span: int = 1, vmerge: str | None = None) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    return f'<w:tc><w:tcPr>{props}<w:vAlign w:val="center"/></w:tcPr>{content}</w:tc>'


def _tr(cells: list[str], *, header: bool = False) -> str:
    props = f'<w:cantSplit/><w:trHeight w:val="{ROW_HEIGHT}" w:hRule="atLeast"/>' + ("<w:tblHeader/>" if header else "")
    return f"<w:tr><w:trPr>{props}</w:trPr>{''.join(cells)}</w:tr>"


def _groups(columns: tuple[Column, ...]) -> list[tuple[str | None, list[Column]]]:
    """Consecutive columns sharing a group header, in order."""
    out: list[tuple[str | None, list[Column]]] = []
    for column in columns:
        if out and column.group is not None and out[-1][0] == column.group:
            out[-1][1].append(column)
        else:
            out.append((column.group, [column]))
    return out


def table_xml(columns: tuple[Column, ...]) -> str:
    """The table: two header rows, a docxtpl row loop, and the 合计 row."""
    border = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = "".join(border.format(side) for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    grid = "".join(f'<w:gridCol w:w="{c.twips}"/>' for c in columns)
    props = (
        f'<w:tblPr><w:tblW w:w="{sum(c.twips for c in columns)}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        f'<w:tblCellMar><w:left w:w="{CELL_MARGIN}" w:type="dxa"/><w:right w:w="{CELL_MARGIN}" w:type="dxa"/>'
        '</w:tblCellMar><w:tblLook w:val="0000" w:firstRow="1" w:lastRow="1" w:firstColumn="0" w:lastColumn="0" '
        'w:noHBand="1" w:noVBand="1"/></w:tblPr>'
    )
    top, bottom = [], []
    for group, members in _groups(columns):
        if group is None:
            for c in members:
                top.append(_tc(c.twips, _p(STYLE_HEADER, c.header), vmerge="restart"))
                bottom.append(_tc(c.twips, _p(STYLE_HEADER), vmerge="continue"))
        else:
            top.append(_tc(sum(c.twips for c in members), _p(STYLE_HEADER, group), span=len(members)))
            bottom += [_tc(c.twips, _p(STYLE_HEADER, c.header)) for c in members]
    loop_open = _tr(
        [_tc(columns[0].twips, _p(STYLE_CELL["left"], "{%tr for row in rows %}"))]
        + [_tc(c.twips, _p(STYLE_CELL["left"])) for c in columns[1:]]
    )

    def tag(column: Column, owner: str) -> str:
        name = column.key if column.key in SPECIAL_KEYS else f"cells.{column.key}"
        return "{{ " + f"{owner}.{name}" + " }}"

    body = _tr([_tc(c.twips, _p(STYLE_CELL[c.align], tag(c, "row"))) for c in columns])
    loop_close = _tr(
        [_tc(columns[0].twips, _p(STYLE_CELL["left"], "{%tr endfor %}"))]
        + [_tc(c.twips, _p(STYLE_CELL["left"])) for c in columns[1:]]
    )
    label_width = columns[0].twips + columns[1].twips
    total = _tr(
        [_tc(label_width, _p(STYLE_HEADER, "合计"), span=2)]
        + [_tc(c.twips, _p(STYLE_CELL[c.align], "{{ " + f"total.{c.key}" + " }}")) for c in columns[2:]]
    )
    rows = _tr(top, header=True) + _tr(bottom, header=True) + loop_open + body + loop_close + total
    return f"<w:tbl {nsdecls('w')}>{props}<w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl>"


def add_body(doc, source: Source) -> None:
    sect_pr = doc.element.body.sectPr
    blocks = [
        _p(STYLE_ATTACHMENT, source.attachment),
        _p(STYLE_TITLE, source.title),
        _p(STYLE_UNIT_LINE, source.unit_line),
    ]
    for xml in blocks:
        sect_pr.addprevious(parse_xml(xml.replace("<w:p>", f"<w:p {nsdecls('w')}>", 1)))
    sect_pr.addprevious(parse_xml(table_xml(source.columns)))
    for text in ("{%p for note in notes %}", "{{ note }}", "{%p endfor %}"):
        sect_pr.addprevious(parse_xml(_p(STYLE_NOTE, text).replace("<w:p>", f"<w:p {nsdecls('w')}>", 1)))


# --------------------------------------------------------------------------- page


def setup_page(doc) -> None:
    """Landscape A4, the GB/T 9704 text block turned sideways, mirrored page numbers."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Twips

    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Twips(PAGE_WIDTH), Twips(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.header_distance, section.footer_distance = Twips(HEADER_DISTANCE), Twips(FOOTER_DISTANCE)
    section.gutter = Twips(0)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:
        section._sectPr.remove(grid)
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        element = footer._element
        for child in list(element):
            element.remove(child)
        element.append(parse_xml(_page_number(side)))
    doc.settings.odd_and_even_pages_header_footer = True


def _page_number(side: str) -> str:
    def run(inner: str) -> str:
        return f"<w:r>{inner}</w:r>"

    return (
        f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{STYLE_PAGE_NUMBER}"/>'
        f'<w:ind w:{side}Chars="100" w:{side}="{PAGE_NUMBER_HALF_POINTS * 10}"/><w:jc w:val="{side}"/></w:pPr>'
        + run('<w:t xml:space="preserve">— </w:t>')
        + run('<w:fldChar w:fldCharType="begin"/>')
        + run('<w:instrText xml:space="preserve"> PAGE </w:instrText>')
        + run('<w:fldChar w:fldCharType="separate"/>')
        + run("<w:t>1</w:t>")
        + run('<w:fldChar w:fldCharType="end"/>')
        + run('<w:t xml:space="preserve"> —</w:t>')
        + "</w:p>"
    )


# --------------------------------------------------------------------------- package


def finish(doc) -> None:
    """Chinese theme language, no stylesWithEffects part, fixed metadata."""
    setup_settings(doc)
    drop_styles_with_effects(doc)
    set_core_properties(doc, CORE_TITLE)


def build_bytes(source: Path = DEFAULT_SOURCE) -> bytes:
    """The template .docx built from ``source``."""
    parsed = parse_source(source.read_text(encoding="utf-8"))
    doc = Document()
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    setup_styles(doc)
    setup_page(doc)
    add_body(doc, parsed)
    finish(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return deterministic_zip(buffer.getvalue())


def build(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build_bytes(source))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    print(build(args.source, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
