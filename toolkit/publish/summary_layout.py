"""The 汇总表's Word template, built from its definition (``summary.yaml``): layout only.

The layout follows GB/T 9704-2012 for an attachment table: landscape A4 with the
156 x 225 mm text block turned sideways, 附件 in 黑体 三号 at the top left, the title in
方正小标宋简体 二号, the line ``单位：…`` from the columns' units, then the table: header
rows in 黑体 五号 repeated on every page (``w:tblHeader``), group headers merged across
their columns with the group's unit, body in 仿宋_GB2312 with numbers right-aligned, rows
never split, and page numbers ``— 1 —`` in 宋体 四号 mirrored on odd and even pages. Fonts
and sizes live in styles, so runs docxtpl creates at render time inherit them.

A header never breaks inside a word: its lines are the definition's (``[文明交通,
志愿服务]``), joined by line breaks, and each column is at least as wide as its longest
header line and the numbers it will hold, so no program has to break a line itself.
The name column takes what is left of the 225 mm.

The docxtpl tags: ``year``, ``rows`` (each with ``seq``, ``name`` and ``cells.<key>``),
``total.<key>`` for the columns that add into 合计, and ``notes``. The bytes are the same
on every build (fixed core properties, zip timestamps and member order).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Twips

from toolkit.data.problems import Problem
from toolkit.publish.summary_definition import SummaryColumn, SummaryDefinition
from toolkit.report.builder import (
    FONT_BODY,
    FONT_PAGE_NUMBER,
    FONT_TITLE,
    NOT_BOLD,
    deterministic_zip,
    drop_styles_with_effects,
    drop_unused_styles,
    font_size,
    run_fonts,
    set_core_properties,
    set_doc_defaults,
    setup_settings,
)
from toolkit.report.definitions import DefinitionError
from toolkit.report.layout import char_width

FONT_HEADER = "黑体"

# Landscape A4 in twips; the GB/T 9704 margins turned with the page (text block 225 x 156 mm).
PAGE_WIDTH, PAGE_HEIGHT = 16838, 11906
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 1588, 1474, 2098, 1984
HEADER_DISTANCE, FOOTER_DISTANCE = 851, 794
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 12756 twips = 225 mm
TWIPS_PER_MM = 1440 / 25.4
TWIPS_PER_PT = 20

ATTACHMENT_HALF_POINTS = 32  # 三号
TITLE_HALF_POINTS = 44  # 二号
TABLE_HALF_POINTS = 21  # 五号
NOTE_HALF_POINTS = 24  # 小四
PAGE_NUMBER_HALF_POINTS = 28  # 四号
CELL_MARGIN = 57  # 1 mm each side
ROW_HEIGHT = 397  # at least 7 mm
#: Room added to a column beyond its measured text (rounding, a program's own spacing).
SLACK = 40  # twips, 2 pt
SEQ_WIDTH_MM = 10.0
MIN_NAME_WIDTH_MM = 25.0
#: Digits before the decimal point a column is made wide enough for, by the unit written.
INTEGER_DIGITS = {"亿元": 4, "万元": 7, "元": 9}
COUNT_DIGITS = 5

STYLE_ATTACHMENT = "ZJAttachment"
STYLE_TITLE = "ZJTitle"
STYLE_UNIT_LINE = "ZJUnitLine"
STYLE_HEADER = "ZJTableHeader"
STYLE_CELL = {"left": "ZJTableText", "center": "ZJTableCenter", "right": "ZJTableNumber"}
STYLE_NOTE = "ZJTableNote"
STYLE_PAGE_NUMBER = "ZJPageNumber"
CORE_TITLE = "各单位工作情况汇总表"


@dataclass(frozen=True)
class Cell:
    """A column of the Word table: its tag (None for 序号 and 单位名称's own), header lines, width."""

    key: str
    header: tuple[str, ...]
    twips: int
    align: str
    group: str | None = None
    total: bool = False


def text_twips(text: str, half_points: int = TABLE_HALF_POINTS) -> int:
    """The width of one line of ``text`` at the table's size: CJK a full em, Latin and digits half."""
    ems = sum(char_width(ch) for ch in text)
    return round(ems * half_points * 10)


def _needed(lines: tuple[str, ...] | list[str]) -> int:
    """The width (twips) a cell needs for ``lines``, each on one line, with its margins."""
    return max(text_twips(line) for line in lines) + 2 * CELL_MARGIN + SLACK


def _number_digits(column: SummaryColumn) -> str:
    """The widest number the column is made for (a 合计 of many bureaus included)."""
    if column.spec.kind == "count":
        return "9" * COUNT_DIGITS
    whole = INTEGER_DIGITS.get(column.unit_word, 7)
    return "9" * whole + ("." + "9" * column.places if column.places else "")


def header_lines(column: SummaryColumn, units_in_group: bool) -> tuple[str, ...]:
    """The column's header; its unit beneath when the group header does not carry it."""
    if column.unit_word and not units_in_group:
        return (*column.header, f"（{column.unit_word}）")
    return column.header


def _groups(columns: tuple[SummaryColumn, ...]) -> list[tuple[str | None, list[SummaryColumn]]]:
    """Consecutive columns sharing a group header, in order."""
    out: list[tuple[str | None, list[SummaryColumn]]] = []
    for column in columns:
        if out and column.group is not None and out[-1][0] == column.group:
            out[-1][1].append(column)
        else:
            out.append((column.group, [column]))
    return out


def group_header(group: str, members: list[SummaryColumn]) -> tuple[str, bool]:
    """A group's header and whether it carries the unit (when all its columns share one)."""
    units = {c.unit_word for c in members}
    if len(units) == 1 and (unit := units.pop()):
        return f"{group}（{unit}）", True
    return group, False


def layout_cells(summary: SummaryDefinition) -> tuple[list[Cell], dict[str, tuple[str, int]]]:
    """The table's columns with their widths (序号, 单位名称 first), and each group's header and span width.

    Raise ``DefinitionError`` naming ``summary.yaml`` when the columns do not fit the 225 mm.
    """
    cells: list[Cell] = []
    groups: dict[str, tuple[str, int]] = {}
    for group, members in _groups(summary.columns):
        title, carried = group_header(group, members) if group else ("", False)
        made = []
        for column in members:
            lines = header_lines(column, carried)
            need = max(_needed(lines), _needed([_number_digits(column)]))
            if column.width is not None:
                need = max(need, round(column.width * TWIPS_PER_MM))
            made.append(Cell(column.key, lines, need, "right", group, column.total))
        if group:
            short = _needed([title]) - sum(c.twips for c in made)
            if short > 0:  # the group's header must fit too: its last column takes the rest
                made[-1] = replace(made[-1], twips=made[-1].twips + short)
            groups[group] = (title, sum(c.twips for c in made))
        cells += made
    seq = round(SEQ_WIDTH_MM * TWIPS_PER_MM)
    name = TEXT_WIDTH - seq - sum(c.twips for c in cells)
    if name < MIN_NAME_WIDTH_MM * TWIPS_PER_MM:
        wide = (TEXT_WIDTH - name + MIN_NAME_WIDTH_MM * TWIPS_PER_MM) / TWIPS_PER_MM
        raise DefinitionError(
            [
                Problem(
                    summary.path.as_posix(),
                    f"汇总表的列太多或太宽：需要约{wide:.0f}毫米，横排版心只有225毫米",
                    expected="减少列数，或把表头在词与词之间分行",
                )
            ]
        )
    return [Cell("seq", ("序号",), seq, "center"), Cell("name", ("单位名称",), name, "left"), *cells], groups


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


def setup_styles(doc: DocumentObject) -> None:
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


def _p(style: str, *lines: str) -> str:
    """A paragraph of ``lines`` joined by line breaks (each line kept whole)."""
    runs = "<w:r><w:br/></w:r>".join(
        f'<w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r>' for line in lines if line
    )
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{runs}</w:p>'


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


def _header_rows(cells: list[Cell], groups: dict[str, tuple[str, int]]) -> str:
    """Two header rows: a group's header merged across its columns above theirs, a lone column's
    header merged down both rows."""
    top, bottom = [], []
    done: set[str] = set()
    for cell in cells:
        if cell.group is None:
            top.append(_tc(cell.twips, _p(STYLE_HEADER, *cell.header), vmerge="restart"))
            bottom.append(_tc(cell.twips, _p(STYLE_HEADER), vmerge="continue"))
            continue
        if cell.group not in done:
            done.add(cell.group)
            title, width = groups[cell.group]
            span = sum(1 for c in cells if c.group == cell.group)
            top.append(_tc(width, _p(STYLE_HEADER, title), span=span))
        bottom.append(_tc(cell.twips, _p(STYLE_HEADER, *cell.header)))
    return _tr(top, header=True) + _tr(bottom, header=True)


def table_xml(cells: list[Cell], groups: dict[str, tuple[str, int]]) -> str:
    """The table: two header rows, a docxtpl row loop, and the 合计 row."""
    border = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = "".join(border.format(side) for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    grid = "".join(f'<w:gridCol w:w="{c.twips}"/>' for c in cells)
    props = (
        f'<w:tblPr><w:tblW w:w="{sum(c.twips for c in cells)}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        f'<w:tblCellMar><w:left w:w="{CELL_MARGIN}" w:type="dxa"/><w:right w:w="{CELL_MARGIN}" w:type="dxa"/>'
        '</w:tblCellMar><w:tblLook w:val="0000" w:firstRow="1" w:lastRow="1" w:firstColumn="0" w:lastColumn="0" '
        'w:noHBand="1" w:noVBand="1"/></w:tblPr>'
    )

    def loop(tag: str) -> str:
        return _tr(
            [_tc(cells[0].twips, _p(STYLE_CELL["left"], tag))]
            + [_tc(c.twips, _p(STYLE_CELL["left"])) for c in cells[1:]]
        )

    def tag(cell: Cell) -> str:
        name = cell.key if cell.key in ("seq", "name") else f"cells.{cell.key}"
        return "{{ row." + name + " }}"

    body = _tr([_tc(c.twips, _p(STYLE_CELL[c.align], tag(c))) for c in cells])
    total = _tr(
        [_tc(cells[0].twips + cells[1].twips, _p(STYLE_HEADER, "合计"), span=2)]
        + [_tc(c.twips, _p(STYLE_CELL[c.align], "{{ total." + c.key + " }}" if c.total else "")) for c in cells[2:]]
    )
    rows = _header_rows(cells, groups) + loop("{%tr for row in rows %}") + body + loop("{%tr endfor %}") + total
    return f"<w:tbl {nsdecls('w')}>{props}<w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl>"


def _with_ns(xml: str) -> str:
    return xml.replace("<w:p>", f"<w:p {nsdecls('w')}>", 1)


def add_body(doc: DocumentObject, summary: SummaryDefinition) -> None:
    sect_pr = doc.element.body.sectPr
    units = "、".join(summary.units)
    blocks = [
        _p(STYLE_ATTACHMENT, summary.attachment),
        _p(STYLE_TITLE, "{{ year }}年" + summary.title),
        _p(STYLE_UNIT_LINE, f"单位：{units}" if units else ""),
    ]
    for xml in blocks:
        sect_pr.addprevious(parse_xml(_with_ns(xml)))
    cells, groups = layout_cells(summary)
    sect_pr.addprevious(parse_xml(table_xml(cells, groups)))
    for text in ("{%p for note in notes %}", "{{ note }}", "{%p endfor %}"):
        sect_pr.addprevious(parse_xml(_with_ns(_p(STYLE_NOTE, text))))


# --------------------------------------------------------------------------- page


def setup_page(doc: DocumentObject) -> None:
    """Landscape A4, the GB/T 9704 text block turned sideways, mirrored page numbers."""
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


def template_bytes(summary: SummaryDefinition) -> bytes:
    """The 汇总表's template for ``summary``, the same bytes on every build."""
    doc = Document()
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    setup_styles(doc)
    setup_page(doc)
    add_body(doc, summary)
    setup_settings(doc)
    drop_styles_with_effects(doc)
    drop_unused_styles(doc)
    set_core_properties(doc, CORE_TITLE)
    buffer = io.BytesIO()
    doc.save(buffer)
    return deterministic_zip(buffer.getvalue())
