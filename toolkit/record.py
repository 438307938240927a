"""The record a report notebook hands back to whoever ran it, as one typed value.

The notebook displays it in parts as it goes (the figures' missing values, warnings and
corrections; what changed; the PDF), each part a raw output of :data:`RESULT_MIME` that the
reading copy leaves out; :meth:`NotebookRecord.read` merges them back from the executed
notebook. Written in :mod:`toolkit.ui.notebook`, read in :mod:`toolkit.run.execute`, and
nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: Mimetype of the record's parts in the executed notebook.
RESULT_MIME = "application/vnd.zongjie.result+json"


@dataclass
class NotebookRecord:
    """What one report notebook found, for the batch summary and the index page."""

    missing: list[str] = field(default_factory=list)  # "label：reason"
    warnings: list[str] = field(default_factory=list)  # "label：message"
    overrides: list[str] = field(default_factory=list)  # "label：old→new"
    changes: list[str] = field(default_factory=list)  # since the previous run: "label：old→new（why）"
    year_changes: list[str] = field(default_factory=list)  # against last year
    pdf: str = ""  # the PDF's file name, when one was made
    pdf_error: str = ""  # why the PDF asked for was not made (the docx is unaffected)
    pdf_converter: int | None = None  # the LibreOffice process that made it (one per worker)

    def part(self) -> dict[str, dict[str, Any]]:
        """The output bundle a cell displays (raw): the fields this part sets, and no others."""
        empty = NotebookRecord()
        values = {k: v for k, v in asdict(self).items() if v != getattr(empty, k)}
        return {RESULT_MIME: values}

    @classmethod
    def read(cls, cells: Iterable[Mapping[str, Any]]) -> NotebookRecord:
        """The parts an executed notebook's cells displayed, merged in order."""
        known = {f.name for f in fields(cls)}
        merged: dict[str, Any] = {}
        for cell in cells:
            for output in cell.get("outputs", []):
                part = output.get("data", {}).get(RESULT_MIME)
                if isinstance(part, dict):
                    merged.update({k: v for k, v in part.items() if k in known})
        return cls(**merged)


def describe(missing: Sequence[str], warnings: Sequence[str], sections: Iterable[Sequence[str]] = ()) -> list[str]:
    """What a report found, as lines under the line saying it was written (``render`` and ``run`` alike).

    ``missing`` and ``warnings`` are "label：reason" texts; each of ``sections`` is a heading
    followed by its items (what in the ledgers a final report would be refused for).
    """
    lines = []
    if missing:
        lines.append(f"草稿中有{len(missing)}处待补充：")
        lines += [f"- {m}" for m in missing]
    if warnings:
        lines.append(f"提示{len(warnings)}条，请核实：")
        lines += [f"- {w}" for w in warnings]
    for heading, *items in sections:
        lines.append(f"注意：{heading}")
        lines += [f"- {item}" for item in items]
    return lines
