"""A clerk's finishing touches on a rendered report: the title's lines and the signature block.

Word, WPS and LibreOffice break a Chinese line after any character, so a long title
ends as ``…开展情况`` / ``总结`` and the signature can land alone on a page of its own.
After rendering, the title is broken where a clerk breaks it, at a word boundary into
balanced lines (issuer / year / subject), and the last body lines are kept on the page
of the signature. The signature's name and date are placed as GB/T 9704-2012 7.3.5.2
asks once their texts are known (:func:`place_signature`). All work on the document's
XML by paragraph style, so a template edited in Word keeps them as long as it keeps the
styles.
"""

from __future__ import annotations

import copy
import itertools
import re
import unicodedata
from dataclasses import dataclass

from docx.document import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length
from docx.text.font import Font

from toolkit.report import styles

TITLE_STYLE = styles.TITLE
SIGNATURE_STYLE = styles.SIGNATURE_NAME
DATE_STYLE = styles.SIGNATURE_DATE
TITLE_SIZE_PT = 22.0  # when the title style names no size
BODY_SIZE_PT = 16.0  # when the body style names no size

#: GB/T 9704-2012 7.3.5.2 (no seal): the longer of name and date stands this many characters in
#: from the right, and the date starts this many characters right of where the name starts.
SIGNATURE_INDENT_CHARS = 2
#: Space LibreOffice puts between CJK and Latin characters in the body (ems of the font size),
#: measured in its PDFs (3.45 pt at 16 pt); the title's estimate (:data:`AUTOSPACE`) keeps a margin instead.
BODY_AUTOSPACE = 0.215

#: A title line narrower than this (in characters) is "a short word alone".
MIN_LINE_CHARS = 4.0
#: Space added between CJK and Latin characters (ems), and room left for rounding.
AUTOSPACE, SLACK = 0.25, 0.25

# Cost of a line break before each kind of piece: the subject is best on a line of its
# own, then the year with the subject; breaking inside a name or the subject comes last.
_BREAK_BEFORE_SUBJECT, _BREAK_BEFORE_YEAR, _BREAK_IN_ISSUER, _BREAK_IN_SUBJECT = 0, 1, 2, 3
_YEAR = re.compile(r"(\d{4}\s*年度?)")
# Administrative units end with these; the name breaks after a whole unit only.
_UNIT = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|区|旗)(?=..)")
# Words a subject such as 党史学习教育开展情况总结 may break before.
_SUBJECT_WORDS = re.compile(r"(?=开展情况|工作情况|情况|工作总结|工作报告|总结|报告)")


@dataclass(frozen=True)
class Piece:
    """A word of the title that is never split, and the cost of a break before it."""

    text: str
    cost: int


def char_width(ch: str) -> float:
    """Width of one character in ems of the font size: CJK full, Latin letters and digits half."""
    if ch.isspace():
        return 0.0
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.5


def text_width(text: str) -> float:
    """Width of ``text`` in ems, with the quarter em Word, WPS and LibreOffice add between CJK and Latin."""
    widths = [char_width(ch) for ch in text if not ch.isspace()]
    changes = sum(1 for a, b in itertools.pairwise(widths) if a != b)
    return sum(widths) + AUTOSPACE * changes


def _issuer_pieces(issuer: str, cost: int) -> list[Piece]:
    pieces: list[Piece] = []
    start = 0
    for match in _UNIT.finditer(issuer):
        pieces.append(Piece(match.group(), cost if not pieces else _BREAK_IN_ISSUER))
        start = match.end()
    if start < len(issuer):
        pieces.append(Piece(issuer[start:], cost if not pieces else _BREAK_IN_ISSUER))
    return pieces


def _subject_pieces(subject: str, cost: int) -> list[Piece]:
    cuts = sorted({m.start() for m in _SUBJECT_WORDS.finditer(subject) if m.start() > 1} | {0, len(subject)})
    words = [subject[a:b] for a, b in itertools.pairwise(cuts) if subject[a:b]]
    return [Piece(word, cost if i == 0 else _BREAK_IN_SUBJECT) for i, word in enumerate(words)]


def title_pieces(title: str) -> list[Piece]:
    """The title as unbreakable words: the issuer's administrative units, the year, the subject's words."""
    match = _YEAR.search(title)
    if not match:
        return _subject_pieces(title, 0)
    issuer, year, subject = title[: match.start()], match.group(), title[match.end() :]
    pieces = _issuer_pieces(issuer, 0) if issuer else []
    pieces.append(Piece(year, _BREAK_BEFORE_YEAR))
    pieces += _subject_pieces(subject, _BREAK_BEFORE_SUBJECT) if subject else []
    return pieces


def title_lines(title: str, width: float) -> list[str]:
    """Break ``title`` into lines of at most ``width`` characters as a clerk would.

    One line when it fits. Otherwise the fewest lines, breaking only between words,
    never leaving a line narrower than :data:`MIN_LINE_CHARS`; among those the
    cheapest breaks (``…财政局2021年`` / ``党史学习教育开展情况总结`` first), then
    the most balanced. A title that cannot be broken so is left to the word processor.
    """
    title, width = title.strip(), width - SLACK
    if text_width(title) <= width:
        return [title]
    pieces = title_pieces(title)
    best, best_key = [title], None
    gaps = range(1, len(pieces))
    for count in range(1, len(pieces)):
        for cuts in itertools.combinations(gaps, count):
            bounds = (0, *cuts, len(pieces))
            lines = ["".join(p.text for p in pieces[a:b]) for a, b in itertools.pairwise(bounds)]
            widths = [text_width(line) for line in lines]
            if max(widths) > width or min(widths) < MIN_LINE_CHARS:
                continue
            key = (sum(pieces[c].cost for c in cuts), max(widths) - min(widths))
            if best_key is None or key < best_key:
                best, best_key = lines, key
        if best_key is not None:
            return best
    return best


# --------------------------------------------------------------------------- the document


def _style_of(paragraph: BaseOxmlElement) -> str | None:
    style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return None if style is None else style.get(qn("w:val"))


def _texts(paragraph: BaseOxmlElement) -> list[BaseOxmlElement]:
    return [t for t in paragraph.iter(qn("w:t")) if t.text]


def _text_of(paragraph: BaseOxmlElement) -> str:
    return "".join(t.text for t in _texts(paragraph))


def _style(document: Document, style_id: str) -> BaseOxmlElement | None:
    """The ``w:style`` of that id, found without building an object for every style of the template."""
    style: BaseOxmlElement | None = document.styles.element.get_by_id(style_id)
    return style


def _font_size(style: BaseOxmlElement | None) -> float | None:
    """The font size (points) a style names, if it names one."""
    size = None if style is None else Font(style).size
    return None if size is None else size.pt


def _title_width(document: Document) -> float:
    """The text block's width in title characters."""
    section = document.sections[-1]
    page, left, right = section.page_width, section.left_margin, section.right_margin
    if page is None or left is None or right is None:
        raise TypeError("the last section names no page width or side margins")
    points: float = Length(page - left - right).pt
    size = _font_size(_style(document, TITLE_STYLE))
    return points / (TITLE_SIZE_PT if size is None else size)


def _break_after(paragraph: BaseOxmlElement, offsets: list[int]) -> None:
    """Insert a line break after each character offset, inside the run that holds it."""
    done = 0
    for t in _texts(paragraph):
        end = done + len(t.text)
        inside = [o - done for o in offsets if done < o < end]
        at_end = any(o == end for o in offsets)
        for cut in reversed(inside):
            tail = copy.deepcopy(t)
            tail.text, t.text = t.text[cut:], t.text[:cut]
            t.addnext(tail)
            t.addnext(OxmlElement("w:br"))
        if at_end:
            t.addnext(OxmlElement("w:br"))
        done = end


def break_title(document: Document) -> None:
    """Break each title paragraph into a clerk's lines (unless it already holds a break)."""
    width = _title_width(document)
    for paragraph in document.element.body.iter(qn("w:p")):
        if _style_of(paragraph) != TITLE_STYLE or paragraph.find(f".//{qn('w:br')}") is not None:
            continue
        text = _text_of(paragraph)
        lines = title_lines(text, width)
        if len(lines) < 2 or "".join(lines) != text.strip() or text != text.strip():
            continue
        offsets = list(itertools.accumulate(len(line) for line in lines[:-1]))
        _break_after(paragraph, offsets)


def _keep_next(paragraph: BaseOxmlElement) -> None:
    p_pr = paragraph.find(qn("w:pPr"))
    if p_pr is None:
        p_pr = OxmlElement("w:pPr")
        paragraph.insert(0, p_pr)
    if p_pr.find(qn("w:keepNext")) is None:
        keep = OxmlElement("w:keepNext")
        style = p_pr.find(qn("w:pStyle"))
        if style is None:
            p_pr.insert(0, keep)
        else:
            style.addnext(keep)


def keep_signature_with_body(document: Document) -> None:
    """Keep the last body paragraph and the blank line after it on the page of the signature."""
    body = document.element.body
    for paragraph in body.iter(qn("w:p")):
        if _style_of(paragraph) == SIGNATURE_STYLE:
            signature = paragraph
            break
    else:
        return
    _keep_next(signature)
    previous = signature.getprevious()
    while previous is not None and previous.tag == qn("w:p"):
        _keep_next(previous)
        if _text_of(previous).strip():
            break
        previous = previous.getprevious()


# --------------------------------------------------------------------------- the signature


@dataclass(frozen=True)
class Signature:
    """Where the name and the date stand: their right indents, in points."""

    name_right: float
    date_right: float


def signature_indents(name: float, date: float, char: float, room: float | None = None) -> Signature:
    """The right indents (points) of a name ``name`` points wide and a date ``date`` points wide.

    GB/T 9704-2012 7.3.5.2: the name stands 2 characters (``char`` points each) in from
    the right and the date starts 2 characters right of where the name starts; a date
    longer than the name stands 2 characters in from the right instead, and the name
    moves left by as much, so the date still starts 2 characters right of it. ``room``
    (the text block's width) keeps both inside the block when the name is very long.
    """
    step = SIGNATURE_INDENT_CHARS * char
    if date > name:
        indents = Signature(name_right=2 * step + date - name, date_right=step)
    else:
        indents = Signature(name_right=step, date_right=name - date)
    if room is None:
        return indents
    shift = max(0.0, indents.name_right + name - room)  # a name too long for its place moves right, date with it
    return Signature(max(0.0, indents.name_right - shift), max(0.0, indents.date_right - shift))


def body_width(text: str, size: float, spacing: float = 0.0) -> float:
    """Width in points of one line of body text: CJK a full ``size``, Latin half, each character
    ``spacing`` wider (a condensed body is narrower), and LibreOffice's space between CJK and Latin."""
    widths = [char_width(ch) for ch in text if not ch.isspace()]
    changes = sum(1 for a, b in itertools.pairwise(widths) if a != b)
    return sum(w * size + spacing for w in widths) + BODY_AUTOSPACE * size * changes


def _body_metrics(document: Document) -> tuple[float, float]:
    """The body's font size and character spacing in points (the ``Normal`` style's)."""
    style = _style(document, "Normal")
    named, spacing = _font_size(style), 0.0
    size = BODY_SIZE_PT if named is None else named
    element = None if style is None else style.find(f"{qn('w:rPr')}/{qn('w:spacing')}")
    if element is not None:
        try:
            spacing = int(element.get(qn("w:val"))) / 20
        except (TypeError, ValueError):
            spacing = 0.0
    return size, spacing


def _set_right_indent(paragraph: BaseOxmlElement, points: float, char: float) -> None:
    """Right-align ``paragraph`` with ``points`` of right indent, in twips and in characters (Word reads
    the characters first, LibreOffice the twips), no first-line or left indent."""
    p_pr = paragraph.find(qn("w:pPr"))
    if p_pr is None:
        p_pr = OxmlElement("w:pPr")
        paragraph.insert(0, p_pr)
    for tag in ("w:ind", "w:jc"):
        for old in p_pr.findall(qn(tag)):
            p_pr.remove(old)
    ind, jc = OxmlElement("w:ind"), OxmlElement("w:jc")
    for name, value in (("firstLine", 0), ("firstLineChars", 0), ("left", 0), ("leftChars", 0)):
        ind.set(qn(f"w:{name}"), str(value))
    ind.set(qn("w:right"), str(round(points * 20)))
    ind.set(qn("w:rightChars"), str(round(points / char * 100)))
    jc.set(qn("w:val"), "right")
    _insert_in_order(p_pr, ind)
    _insert_in_order(p_pr, jc)


#: The children of ``w:pPr`` in the order the schema fixes (Word refuses a file out of order).
_P_PR_ORDER = tuple(
    qn(f"w:{tag}")
    for tag in [
        "pStyle",
        "keepNext",
        "keepLines",
        "pageBreakBefore",
        "framePr",
        "widowControl",
        "numPr",
        "suppressLineNumbers",
        "pBdr",
        "shd",
        "tabs",
        "suppressAutoHyphens",
        "kinsoku",
        "wordWrap",
        "overflowPunct",
        "topLinePunct",
        "autoSpaceDE",
        "autoSpaceDN",
        "bidi",
        "adjustRightInd",
        "snapToGrid",
        "spacing",
        "ind",
        "contextualSpacing",
        "mirrorIndents",
        "suppressOverlap",
        "jc",
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    ]
)


def _insert_in_order(p_pr: BaseOxmlElement, element: BaseOxmlElement) -> None:
    """Put ``element`` into ``p_pr`` before the first child the schema places after it."""
    rank = _P_PR_ORDER.index(element.tag)
    later = next((c for c in p_pr if c.tag in _P_PR_ORDER and _P_PR_ORDER.index(c.tag) > rank), None)
    if later is None:
        p_pr.append(element)
    else:
        later.addprevious(element)


def _text_block(document: Document) -> float | None:
    section = document.sections[-1]
    page, left, right = section.page_width, section.left_margin, section.right_margin
    if page is None or left is None or right is None:
        return None
    width: float = Length(page - left - right).pt
    return width


def place_signature(document: Document) -> None:
    """Indent each signature's name and date (the date paragraph right after a name) per GB/T 9704 7.3.5.2."""
    size, spacing = _body_metrics(document)
    room = _text_block(document)
    for name in document.element.body.iter(qn("w:p")):
        if _style_of(name) != SIGNATURE_STYLE:
            continue
        date = name.getnext()
        if date is None or date.tag != qn("w:p") or _style_of(date) != DATE_STYLE:
            continue
        name_text, date_text = _text_of(name).strip(), _text_of(date).strip()
        if not name_text or not date_text:
            continue
        indents = signature_indents(
            body_width(name_text, size, spacing), body_width(date_text, size, spacing), size, room
        )
        _set_right_indent(name, indents.name_right, size)
        _set_right_indent(date, indents.date_right, size)


def finish(document: Document) -> None:
    """Apply the clerk's layout to a rendered python-docx document, in place."""
    break_title(document)
    keep_signature_with_body(document)
    place_signature(document)
