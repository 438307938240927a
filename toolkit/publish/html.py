"""The reviewer's HTML of an executed notebook: inputs hidden, images embedded, nothing online."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter
from nbconvert.exporters import TemplateExporter
from nbconvert.filters import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

from toolkit.errors import ZongjieError
from toolkit.record import RESULT_MIME

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//\Z""", re.I)


def _online(page: str) -> bool:
    """Whether the page would load something from the network (``src=``/``href=`` to ``//…``).

    Only the text before each ``//`` is matched: a case-insensitive search from every
    position of a page this size cost more than the rest of the check.
    """
    return any(_EXTERNAL.search(page, max(0, m.start() - 256), m.end()) for m in re.finditer("//", page))


class OnlineResourceError(ZongjieError):
    """The export would load something from the internet."""


@cache
def _exporter() -> HTMLExporter:
    """One exporter per process: its templates are loaded once, not per notebook."""

    class Exporter(HTMLExporter):
        def _validate_preprocessor(self, nbc: NotebookNode, preprocessor: Any) -> None:
            """Not done: the notebook is nbclient's own output, and checking it against the
            schema after each preprocessor (which only logs) was a quarter of an export."""

        def from_notebook_node(  # type: ignore[override]  # HTMLExporter's own signature (it returns text)
            self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            """``HTMLExporter.from_notebook_node`` (nbconvert 7) without its BeautifulSoup pass.

            That pass re-parses the whole finished page to add ``alt`` to images and
            ``tabindex`` to outputs, about half of an export; both are added here to the
            template's own tags. The notebook's metadata is kept per conversion only.
            """
            # nbconvert's own methods and filters are not annotated: their calls are checked no further
            resources = self._init_resources(resources)  # type: ignore[no-untyped-call]
            self._nb_metadata.clear()  # nbconvert keeps every converted notebook's metadata
            self.register_filter("highlight_code", Highlight2HTML(parent=self))  # type: ignore[no-untyped-call]
            data_type = WidgetsDataTypeFilter(  # type: ignore[no-untyped-call]
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("filter_data_type", data_type)  # type: ignore[no-untyped-call]
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _accessible(page), resources

        @pass_context
        def markdown2html(self, context: Any, source: str) -> str:
            """nbconvert's markdown filter, remembered per text: a report's markdown cells
            are the same in every bureau's notebook."""
            if context.get("cell", {}).get("attachments"):
                return str(super().markdown2html(context, source))
            return _markdown(self, source, context.get("resources", {}).get("metadata", {}).get("path", ""))

    return Exporter(  # type: ignore[no-untyped-call]
        template_name="offline",
        extra_template_basedirs=[str(Path(__file__).resolve().parent / "nbtemplates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


@lru_cache(maxsize=256)
def _markdown(exporter: HTMLExporter, source: str, path: str) -> str:
    return str(HTMLExporter.markdown2html(exporter, {"resources": {"metadata": {"path": path}}}, source))


class _Copy(NotebookNode):
    """A notebook made for one export: nbconvert's defensive deep copy of it is not needed."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Copy:
        return self


_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")
_FOCUSABLE_DIV = re.compile(r'(<div class="[^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*")')


_CHARACTER_REFERENCE = re.compile(r"&#(?:(\d+)|[xX]([0-9a-fA-F]+));")
_MARKUP = {ord(c) for c in "<>&\"'"}


def _character(match: re.Match[str]) -> str:
    """``&#19968;`` as ``一``: headings read (and search) as their text; markup characters stay escaped."""
    point = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
    if point in _MARKUP or not (0x20 <= point <= 0x10FFFF) or 0xD800 <= point <= 0xDFFF:
        return match.group(0)
    return chr(point)


def _accessible(page: str) -> str:
    """Every image with an alternative text, every cell's text and output reachable with the
    keyboard, and Chinese written as characters (the markdown renderer writes headings as
    numeric references)."""
    page = _IMAGE_WITHOUT_ALT.sub('<img alt="图片"', page)
    page = _CHARACTER_REFERENCE.sub(_character, page)
    return _FOCUSABLE_DIV.sub(r'\1 tabindex="0"', page)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def for_reading(nb: Any) -> Any:
    """The executed notebook as a reader opens it later: no dead widgets, counts from 1.

    Widgets cannot live without their kernel, so their view is dropped and the static
    summary displayed beside it (``text/html``) remains; the saved widget state goes too.
    A reused kernel counts on from the previous notebook, so code cells are renumbered
    in order from 1.
    """
    count = 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
                if not data:
                    continue
            kept.append(output)
        cell["outputs"] = kept
        if cell.get("execution_count") is not None:
            count += 1
            cell["execution_count"] = count
            for output in kept:
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = count
    nb.metadata.pop("widgets", None)
    return nb


def notebook_html(nb: Any, name: str) -> bytes:
    """The executed notebook as an offline HTML page (the batch's result record left out)."""

    # a copy of its own (new dicts and lists throughout), which the exporter's preprocessors may change
    shown = _Copy(nbformat.from_dict({**nb, "cells": [_without_record(cell) for cell in nb.cells]}))  # type: ignore[no-untyped-call]
    body, _ = _exporter().from_notebook_node(shown, resources={"metadata": {"name": name}})
    body = body.replace('<html lang="en">', '<html lang="zh-CN">')
    if _online(body):
        raise OnlineResourceError("导出的HTML引用了外部网络资源，已拒绝写出（内网无法打开）")
    return body.encode("utf-8")


def _without_record(cell: Any) -> Any:
    """The cell with the batch's result record dropped from its outputs (it is data, not for reading)."""
    outputs = cell.get("outputs")
    if not outputs or not any(RESULT_MIME in o.get("data", {}) for o in outputs):
        return cell
    return {**cell, "outputs": [o for o in outputs if RESULT_MIME not in o.get("data", {})]}
