"""Render the report with docxtpl: sandboxed Jinja, autoescaping, atomic writes.

The template is a user's file (they edit it in Word or WPS), so its tags are checked
against the figure catalogue before rendering and Jinja runs sandboxed. Missing values
show as highlighted ``【待补充：…】`` in a draft; a final render refuses instead.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from .errors import MissingValuesError, TemplateError
from .figures import KEYS, Figures
from .outputs import atomic_write, report_dir
from .params import BureauParams

#: Character style of run-in 楷体 headings such as ``（一）丰富载体模式，确保学习取得实效。``
RUN_IN_STYLE = "ZJRunInKai"
_RUN_IN = re.compile(r"^(（[一二三四五六七八九十]+）[^。]{1,40}。)(.*)$", re.S)
CONTEXT_NAMES = frozenset(KEYS) | {"narrative"}


@dataclass(frozen=True)
class NarrativeParagraph:
    """A paragraph of a bureau's own text; a leading ``（一）…。`` becomes a 楷体 run."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> Markup:
        match = _RUN_IN.match(self.text)
        if not match:
            return escape(self.text)
        head, body = match.groups()
        return Markup(
            f'</w:t></w:r><w:r><w:rPr><w:rStyle w:val="{RUN_IN_STYLE}"/></w:rPr>'
            f'<w:t xml:space="preserve">{escape(head)}</w:t></w:r>'
            f'<w:r><w:t xml:space="preserve">{escape(body)}'
        )


def paragraphs(text: str | None) -> list[NarrativeParagraph]:
    """Split text on blank lines (or single newlines) into paragraphs."""
    if not text:
        return []
    parts = re.split(r"\n\s*\n|\n", text.strip())
    return [NarrativeParagraph(" ".join(p.split())) for p in parts if p.strip()]


def narrative(params: BureauParams, year: int) -> dict[str, list[NarrativeParagraph]]:
    texts = params.narrative(year)
    return {"problems": paragraphs(texts.get("problems")), "next_steps": paragraphs(texts.get("next_steps"))}


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


@lru_cache(maxsize=16)
def _checked_template_bytes(path: str, mtime_ns: int, size: int) -> bytes:
    """The template's bytes once its tags are known to be figures (cached per version)."""
    data = Path(path).read_bytes()
    name = Path(path).name
    try:
        names = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(_environment())
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(name, f"标签语法错误（{exc.message}），请检查“{{{{ }}}}”和“{{% %}}”是否成对") from None
    except Exception as exc:  # not a docx at all
        raise TemplateError(name, f"无法作为Word文档打开（{type(exc).__name__}）") from None
    unknown = sorted(names - CONTEXT_NAMES)
    if unknown:
        listed = "、".join(f"{{{{ {u} }}}}" for u in unknown)
        raise TemplateError(name, f"有未知的标签 {listed}；可用的标签为：{'、'.join(sorted(CONTEXT_NAMES))}")
    return data


def load_template(path: Path) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise TemplateError(path.name, f"找不到模板文件“{path}”")
    stat = path.stat()
    return _checked_template_bytes(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def refuse_missing(figures: Figures) -> None:
    """A final report may not lack any value: raise, naming every missing one."""
    missing = figures.missing()
    if missing:
        raise MissingValuesError(figures.bureau, figures.year, [f"{f.label}：{f.missing}" for f in missing])


def render_docx(figures: Figures, story: dict, template: Path, *, final: bool = False) -> bytes:
    """The rendered report as bytes; with ``final`` refuse when any value is missing."""
    if final:
        refuse_missing(figures)
    doc = DocxTemplate(io.BytesIO(load_template(template)))
    context = {**figures, "narrative": story}
    try:
        doc.render(context, _environment(), autoescape=True)
    except jinja2.TemplateError as exc:
        raise TemplateError(Path(template).name, f"渲染失败（{exc}）") from None
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def figures_json(figures: Figures, findings: list | None = None) -> bytes:
    """Every figure with value, text, status and source rows, plus the checks' findings."""
    data = figures.to_dict()
    data["missing"] = [f.key for f in figures.missing()]
    data["findings"] = [f.to_dict() for f in findings or []]
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def write_report(
    figures: Figures,
    story: dict,
    template: Path,
    out: Path,
    *,
    final: bool = False,
    docx: bytes | None = None,
    findings: list | None = None,
) -> Path:
    """Render (unless ``docx`` is already rendered) and write ``report.docx`` and ``figures.json``."""
    if final:
        refuse_missing(figures)  # before anything is written
    docx = docx if docx is not None else render_docx(figures, story, template, final=final)
    folder = report_dir(out, figures.year, figures.bureau)
    atomic_write(folder / "report.docx", docx)
    atomic_write(folder / "figures.json", figures_json(figures, findings))
    return folder
