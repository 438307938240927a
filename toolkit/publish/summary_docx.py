"""The 汇总表 in Word: docxtpl adapters for its cells, and the rendering itself.

The template is built from the report's 汇总表 definition (``summary_layout``), unless a
caller passes one of its own; this module only turns the table's figures into what
docxtpl writes into a run: a cell's text, or a highlighted ``【待补充】`` in a run of its
own for a draft.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from toolkit.data.ledgers import Ledgers
from toolkit.errors import TemplateError
from toolkit.outputs import SUMMARY_TABLE_DOCX, SUMMARY_TABLE_JSON, SUMMARY_TABLE_PDF, atomic_write
from toolkit.publish.summary_definition import NoSummaryTable, load_summary
from toolkit.publish.summary_layout import template_bytes
from toolkit.publish.summary_table import SummaryMissingError, SummaryTable, build_table, table_json
from toolkit.report.figures import Figure
from toolkit.resources import DEFAULT_REPORT

MISSING_CELL = "【待补充】"
#: The names the template may use.
CONTEXT_NAMES = frozenset({"year", "rows", "total", "notes"})
_HIGHLIGHT = (
    '</w:t></w:r><w:r><w:rPr><w:highlight w:val="yellow"/></w:rPr>'
    '<w:t xml:space="preserve">{}</w:t></w:r><w:r><w:t xml:space="preserve">'
)


@dataclass(frozen=True)
class WordCell:
    """A cell's text inside a docx run; a missing value becomes a highlighted marker."""

    text: str | None

    def __str__(self) -> str:
        return self.text if self.text is not None else MISSING_CELL

    def __html__(self) -> Markup:
        if self.text is not None:
            return escape(self.text)
        return Markup(_HIGHLIGHT.format(escape(MISSING_CELL)))


def _cells(figures: dict[str, Figure]) -> dict[str, WordCell]:
    return {key: WordCell(f.text) for key, f in figures.items()}


def context(table: SummaryTable, *, final: bool = False) -> dict[str, object]:
    """What the template reads: year, rows (seq, name, cells), total and the notes under the table."""
    notes = list(table.notes)
    missing = table.missing()
    if missing and not final:
        notes.append(
            f"注：标黄的“{MISSING_CELL}”为台账或参数中缺少的数据（共{len(missing)}项），明细见同目录的汇总表.json。"
        )
    return {
        "year": table.year,
        "rows": [{"seq": str(r.seq), "name": r.name, "cells": _cells(r.cells)} for r in table.rows],
        "total": _cells(table.total),
        "notes": notes,
    }


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)


def render_summary_docx(table: SummaryTable, template: Path | None = None, *, final: bool = False) -> bytes:
    """The filled 汇总表 as bytes; a template tag that is not part of the table is an error.

    Without ``template`` the template is built from the table's definition.
    """
    if template is None:
        name, source = "汇总表模板", template_bytes(table.summary)
    else:
        template = Path(template)
        if not template.is_file():
            raise TemplateError(template.name, f"找不到模板文件“{template}”")
        name, source = template.name, template.read_bytes()
    try:
        doc = DocxTemplate(io.BytesIO(source))
        names = doc.get_undeclared_template_variables(_environment())
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(name, f"标签语法错误（{exc.message}）") from None
    unknown = sorted(names - CONTEXT_NAMES)
    if unknown:
        listed = "、".join(f"{{{{ {u} }}}}" for u in unknown)
        raise TemplateError(name, f"有未知的标签 {listed}；可用的标签为：{'、'.join(sorted(CONTEXT_NAMES))}")
    try:
        doc.render(context(table, final=final), _environment(), autoescape=True)
    except jinja2.TemplateError as exc:
        raise TemplateError(name, f"渲染失败（{exc}）") from None
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def write_summary_table(
    ledgers: Ledgers,
    params_dir: Path,
    year: int,
    out_dir: Path,
    *,
    bureaus: list[str] | None = None,
    final: bool = False,
    template: Path | None = None,
    broken: dict[str, str] | None = None,
    report: str = DEFAULT_REPORT,
) -> Path:
    """Write ``<out_dir>/<year>/汇总表.docx`` and ``汇总表.json`` in the columns of ``report``'s 汇总表;
    return the docx path.

    A final table with any missing cell is refused before anything is written. A report
    without a 汇总表 (no ``summary.yaml``) raises :class:`NoSummaryTable` after removing the
    year's old table, which belongs to another report's run.
    """
    folder = Path(out_dir) / str(int(year))
    try:
        summary = load_summary(report, ledgers.contract)
    except NoSummaryTable:
        for name in (SUMMARY_TABLE_DOCX, SUMMARY_TABLE_JSON, SUMMARY_TABLE_PDF):
            (folder / name).unlink(missing_ok=True)
        raise
    table = build_table(ledgers, params_dir, year, bureaus=bureaus, broken=broken, summary=summary)
    refused, lacking = table.refused() if final else ([], set())
    if refused:  # missing cells, and cells summed over blank ledger cells (需核实)
        raise SummaryMissingError(table.year, refused, lacking)
    docx = render_summary_docx(table, template, final=final)
    atomic_write(folder / SUMMARY_TABLE_JSON, table_json(table))
    atomic_write(folder / SUMMARY_TABLE_DOCX, docx)
    (folder / SUMMARY_TABLE_PDF).unlink(missing_ok=True)  # made from the old docx: never left beside a new one
    return folder / SUMMARY_TABLE_DOCX
