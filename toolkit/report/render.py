"""Render the report with docxtpl: sandboxed Jinja, autoescaping, atomic writes.

The template is a user's file (they edit it in Word or WPS), so its tags are checked
against the figure catalogue before rendering and Jinja runs sandboxed. Missing values
show as highlighted ``【待补充：…】`` in a draft; a final render refuses instead.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
import secrets
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docxtpl import DocxTemplate

from toolkit.data.params import BureauParams
from toolkit.errors import TemplateError
from toolkit.outputs import atomic_write, report_dir, report_files
from toolkit.report import styles
from toolkit.report.checks import Finding
from toolkit.report.figures import MISSING_MARK, Figures
from toolkit.report.gate import figure_gate
from toolkit.report.layout import finish as finish_layout
from toolkit.report.sandbox import TemplateLimitError
from toolkit.report.template import environment, load_template

_RUN_IN_HEAD = re.compile(r"^(（[一二三四五六七八九十]+）[^。]{1,40}。)(.*)$", re.S)


@dataclass(frozen=True)
class _Marks:
    """Marks around text that gets a run of its own after rendering: a missing value
    (highlighted) and a run-in 楷体 heading.

    Made afresh for each render from a random number found nowhere in the template or
    in any text it is given, so no name, narrative or ledger text (a private-use 造字
    included) can be taken for a mark. ASCII digits and brackets only, which autoescaping
    and case filters leave as they are.
    """

    nonce: str

    @classmethod
    def avoiding(cls, texts: Iterable[str]) -> _Marks:
        taken = "\n".join(texts)
        while True:
            marks = cls(f"[[{secrets.randbelow(10**16):016d}")
            if marks.nonce not in taken:
                return marks

    def around(self, kind: str, text: str) -> str:
        return f"{self.nonce}:{kind}({text}{self.nonce}:{kind})"

    def split(self, text: str) -> list[tuple[str, str]]:
        """``text`` in pieces, each with its mark's kind ("" for unmarked text)."""
        nonce = re.escape(self.nonce)
        pieces: list[tuple[str, str]] = []
        at = 0
        for match in re.finditer(rf"{nonce}:(\d)\((.*?){nonce}:\1\)", text, re.S):
            pieces += [("", text[at : match.start()]), (match[1], match[2])]
            at = match.end()
        pieces.append(("", text[at:]))
        return [(kind, piece) for kind, piece in pieces if piece]


_MISSING, _RUN_IN = "1", "2"  # kinds of mark


@dataclass(frozen=True)
class NarrativeParagraph:
    """A paragraph of a bureau's own text; a leading ``（一）…。`` becomes a 楷体 run."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _MarkedParagraph:
    """A narrative paragraph as one render's template sees it: its run-in heading marked."""

    text: str
    marks: _Marks

    def __str__(self) -> str:
        match = _RUN_IN_HEAD.match(self.text)
        if not match:
            return self.text
        head, body = match.groups()
        return self.marks.around(_RUN_IN, head) + body


def paragraphs(text: str | None) -> list[NarrativeParagraph]:
    """Split text on blank lines (or single newlines) into paragraphs."""
    if not text:
        return []
    parts = re.split(r"\n\s*\n|\n", text.strip())
    return [NarrativeParagraph(" ".join(p.split())) for p in parts if p.strip()]


#: What a template sees as ``narrative``: the bureau's own paragraphs, by ``problems`` and ``next_steps``.
Story = dict[str, list[NarrativeParagraph]]


def narrative(params: BureauParams, year: int) -> Story:
    texts = params.narrative(year)
    return {"problems": paragraphs(texts.get("problems")), "next_steps": paragraphs(texts.get("next_steps"))}


def figure_context(figures: Figures, marks: _Marks) -> dict[str, str]:
    """What a template sees for each figure: its text, or a marked 【待补充：…】 for a missing one."""
    return {
        key: f.text if f.text is not None else marks.around(_MISSING, MISSING_MARK.format(f.label))
        for key, f in figures.items()
    }


@functools.lru_cache(maxsize=16)  # the same template's bytes (one object) for a whole batch
def _template_text(template: bytes) -> str:
    """The text of every part of a template."""
    with zipfile.ZipFile(io.BytesIO(template)) as docx:
        names = [n for n in docx.namelist() if n.endswith(".xml") or n.endswith(".rels")]
        return "\n".join(docx.read(name).decode("utf-8", "replace") for name in names)


def _given_texts(figures: Figures, story: Story, template: bytes) -> Iterator[str]:
    """Every text a render is given: the template's parts, the figures' and the narrative's."""
    yield _template_text(template)
    for f in figures.values():
        yield f.label
        yield f.text or ""
    for paras in story.values():
        yield from (p.text for p in paras)


def _split_marked_runs(element: BaseOxmlElement, marks: _Marks) -> None:
    """Give each marked piece of text a run of its own, keeping the run's own formatting.

    A missing value's run is highlighted yellow; a run-in heading's run takes the 楷体
    character style. Text before and after stays in runs with the original formatting,
    so a tag the user made bold in Word stays bold.
    """
    for t in list(element.iter(qn("w:t"))):
        text = t.text or ""
        if marks.nonce not in text:
            continue
        run = t.getparent()
        children = list(run)
        after = children[children.index(t) + 1 :]
        rpr = run.find(qn("w:rPr"))
        anchor = run
        run.remove(t)
        for child in after:
            run.remove(child)
        for kind, piece in marks.split(text):
            new = _new_run(rpr)
            if kind == _MISSING:
                new.get_or_add_rPr().highlight_val = WD_COLOR_INDEX.YELLOW
            elif kind == _RUN_IN:
                new.get_or_add_rPr().style = styles.RUN_IN_KAI
            new.append(_text(piece))
            anchor.addnext(new)
            anchor = new
        if after:
            tail = _new_run(rpr)
            tail.extend(after)
            anchor.addnext(tail)
        if all(child.tag == qn("w:rPr") for child in run):
            run.getparent().remove(run)


def _new_run(rpr: BaseOxmlElement | None) -> BaseOxmlElement:
    run = OxmlElement("w:r")
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    return run


def _text(piece: str) -> BaseOxmlElement:
    t = OxmlElement("w:t")
    t.text = piece
    t.set(qn("xml:space"), "preserve")
    return t


def refuse_missing(figures: Figures) -> None:
    """A final report may not lack any value nor carry a sum over blank cells: raise, naming each."""
    figure_gate(figures).refuse()


def render_docx(figures: Figures, story: Story, template: Path, *, final: bool = False) -> bytes:
    """The rendered report as bytes; with ``final`` refuse when any value is missing."""
    if final:
        refuse_missing(figures)
    data = load_template(template, frozenset(figures) | {"narrative"})
    marks = _Marks.avoiding(_given_texts(figures, story, data))
    doc = DocxTemplate(io.BytesIO(data))
    marked = {key: [_MarkedParagraph(p.text, marks) for p in paras] for key, paras in story.items()}
    context = {**figure_context(figures, marks), "narrative": marked}
    try:
        doc.render(context, environment(), autoescape=True)
    except TemplateLimitError as exc:
        raise TemplateError(Path(template).name, str(exc)) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(Path(template).name, f"渲染失败（{exc}）") from None
    for part in doc.docx.part.package.iter_parts():
        if isinstance(part, XmlPart):
            _split_marked_runs(part.element, marks)
    finish_layout(doc.docx)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def figures_json(figures: Figures, findings: list[Finding] | None = None) -> bytes:
    """Every figure with value, text, status and source rows, plus the checks' findings."""
    data = figures.to_dict()
    data["missing"] = [f.key for f in figures.missing()]
    data["incomplete"] = [f.key for f in figures.incomplete()]  # 需核实: sums over blank cells
    data["findings"] = [f.to_dict() for f in findings or []]
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def write_report(
    figures: Figures,
    story: Story,
    template: Path,
    out: Path,
    *,
    final: bool = False,
    docx: bytes | None = None,
    findings: list[Finding] | None = None,
    name: str = "report",
) -> Path:
    """Render (unless ``docx`` is already rendered) and write the docx and its figures JSON.

    The seed report writes ``report.docx`` and ``figures.json``; another report ``<name>.docx``
    and ``<name>.figures.json`` in the same folder.
    """
    if final:
        refuse_missing(figures)  # before anything is written
    docx = docx if docx is not None else render_docx(figures, story, template, final=final)
    folder = report_dir(out, figures.year, figures.bureau)
    files = report_files(name)
    # a PDF made from the old docx is never left beside a new one
    (folder / files.pdf).unlink(missing_ok=True)
    atomic_write(folder / files.docx, docx)
    atomic_write(folder / files.figures, figures_json(figures, findings))
    return folder
