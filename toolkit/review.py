"""The review panel: an analyst checks every figure in JupyterLab before it goes out.

Choose a bureau and year, filter to what needs attention, see where a number came from,
correct it with a reason (kept in ``parameters/overrides/`` with who and when), edit the
bureau's own paragraphs, and render the report — all without rerunning the notebook.
Every widget carries a ``zj-…`` CSS class so browser tests can find it.
"""

from __future__ import annotations

import base64
import getpass
import html
import os
import time
from pathlib import Path

import ipywidgets as w
import pandas as pd

from . import present, render
from .contract import TABLES
from .errors import ZongjieError
from .figures import Figure, Figures
from .ledgers import Ledgers
from .overrides import remove_override, save_override
from .params import NARRATIVE_KEYS, list_bureaus, save_narrative
from .report import Report, prepare, template_for

#: Columns shown for a figure's ledger rows: the row number, then the contract's columns by their Chinese header.
_LEDGER_COLUMNS = {name: {"_row": "行", **{c.name: c.zh for c in table.columns}} for name, table in TABLES.items()}
FILTERS = {"全部": None, "需关注": ("warning", "missing", "overridden")}


def _label(f: Figure) -> str:
    return f"{present.STATUS[f.status]}｜{f.label}：{f}"


def _styled(widget: w.DOMWidget, css: str) -> w.DOMWidget:
    widget.add_class(css)
    return widget


class ReviewPanel:
    """Widgets over one :class:`Report` at a time; every action recomputes in process."""

    def __init__(
        self,
        ledgers: Ledgers,
        params: str | Path,
        out: str | Path,
        *,
        bureau: str | None = None,
        year: int | None = None,
        template: str | Path | None = None,
        user: str | None = None,
    ):
        self.ledgers, self.params, self.out = ledgers, Path(params), Path(out)
        self.template = Path(template) if template else None  # None: resolved per bureau by report.template_for
        self.report: Report | None = None
        self.last_rendered: Path | None = None
        codes = [c for c in list_bureaus(self.params) if c in ledgers.bureaus]
        years = ledgers.years
        self.bureau = _styled(
            w.Dropdown(options=codes, value=bureau if bureau in codes else codes[0], description="单位"), "zj-bureau"
        )
        self.year = _styled(
            w.Dropdown(options=years, value=int(year) if year in years else years[-1], description="年度"), "zj-year"
        )
        self.filter = _styled(w.ToggleButtons(options=list(FILTERS), value="全部", description="显示"), "zj-filter")
        self.figures = _styled(w.Select(options=[], rows=18, layout=w.Layout(width="420px")), "zj-figures")
        self.detail = _styled(w.HTML(layout=w.Layout(width="100%")), "zj-detail")
        self.value = _styled(w.Text(description="新值", placeholder="报告中的写法"), "zj-override-value")
        self.reason = _styled(w.Text(description="原因", placeholder="如：以决算数为准"), "zj-override-reason")
        self.by = _styled(w.Text(description="修改人", value=user or _user()), "zj-override-by")
        self.save = _styled(w.Button(description="保存修改", button_style="warning", icon="save"), "zj-override-save")
        self.remove = _styled(w.Button(description="撤销修改", icon="undo"), "zj-override-remove")
        self.problems = _styled(
            w.Textarea(description="存在的问题", layout=w.Layout(width="100%", height="120px")), "zj-narrative-problems"
        )
        self.next_steps = _styled(
            w.Textarea(description="下一步打算", layout=w.Layout(width="100%", height="120px")), "zj-narrative-next"
        )
        self.save_text = _styled(w.Button(description="保存文字", icon="save"), "zj-narrative-save")
        self.generate = _styled(w.Button(description="生成报告", button_style="primary", icon="file"), "zj-generate")
        self.result = _styled(w.HTML(), "zj-result")
        self.grid = _styled(w.HTML(), "zj-grid")
        self.status = _styled(w.HTML(), "zj-status")
        for label in (self.value, self.reason, self.by):
            label.style.description_width = "4em"
        self.bureau.observe(lambda _: self._act(self.load), names="value")
        self.year.observe(lambda _: self._act(self.load), names="value")
        self.filter.observe(lambda _: self._refresh_list(), names="value")
        self.figures.observe(lambda _: self._show_detail(), names="value")
        self.save.on_click(lambda _: self._act(self.save_override))
        self.remove.on_click(lambda _: self._act(self.remove_override))
        self.save_text.on_click(lambda _: self._act(self.save_narrative))
        self.generate.on_click(lambda _: self._act(self.render))
        self.widget = _styled(
            w.VBox(
                [
                    w.HBox([self.bureau, self.year]),
                    self.filter,
                    w.HBox([self.figures, self.detail]),
                    w.HTML("<b>修改选中的数据</b>（保存到 parameters/overrides，所有生成方式都会采用）"),
                    w.HBox([self.value, self.reason, self.by]),
                    w.HBox([self.save, self.remove]),
                    w.HTML("<b>本单位本年度的文字</b>（留空则使用模板中的默认段落）"),
                    self.problems,
                    self.next_steps,
                    self.save_text,
                    w.HBox([self.generate, self.status]),
                    self.result,
                    w.HTML("<b>全部数据</b>"),
                    self.grid,
                ]
            ),
            "zj-panel",
        )
        self._act(self.load)

    # --- actions --------------------------------------------------------------------

    def _act(self, action) -> None:
        """Run an action, time it, and show the outcome (a Chinese message, never a traceback)."""
        start = time.perf_counter()
        try:
            message = action() or "已更新"
        except ZongjieError as err:
            self.status.value = f'<span style="color:#b00020">{html.escape(str(err))}</span>'
            return
        self.status.value = f"{html.escape(message)}（{time.perf_counter() - start:.2f}秒）"

    def load(self) -> str:
        """Recompute every figure of the chosen bureau and year."""
        self.report = prepare(self.ledgers, self.params, self.bureau.value, int(self.year.value))
        texts = self.report.params.narrative(self.report.year)
        self.problems.value = texts.get("problems", "")
        self.next_steps.value = texts.get("next_steps", "")
        self.result.value = ""
        self._refresh_list()
        return f"已载入{self.report.params.name}{self.report.year}年"

    def selected(self) -> Figure | None:
        return self.report.figures.get(self.figures.value) if self.report else None

    def save_override(self) -> str:
        figure = self.selected()
        if figure is None:
            return "请先在列表中选择一个数据项"
        save_override(self.params, self.report.figures, figure.key, self.value.value, self.reason.value, self.by.value)
        key = figure.key
        self.load()
        self.figures.value = key
        return f"已保存对“{figure.label}”的修改"

    def remove_override(self) -> str:
        figure = self.selected()
        if figure is None or not remove_override(self.params, self.report.bureau, self.report.year, figure.key):
            return "选中的数据项没有修改记录"
        key = figure.key
        self.load()
        self.figures.value = key
        return f"已撤销对“{figure.label}”的修改"

    def save_narrative(self) -> str:
        texts = dict(zip(NARRATIVE_KEYS, (self.problems.value, self.next_steps.value)))
        save_narrative(self.report.params, self.report.year, texts)
        self.load()
        return "已保存本单位本年度的文字"

    def render(self) -> str:
        folder = render.write_report(
            self.report.figures,
            self.report.story,
            template_for(self.report, self.template),
            self.out,
            findings=self.report.findings,
        )
        docx = (folder / "report.docx").read_bytes()
        # A data: link downloads the very file just written, whatever the server's paths are.
        href = (
            "data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,"
            + base64.b64encode(docx).decode()
        )
        shown = Path(os.path.relpath(folder / "report.docx", Path.cwd())).as_posix()
        self.result.value = (
            f'<p>已生成：{html.escape(shown)}　<a href="{href}" download="{html.escape(self.report.bureau)}-{self.report.year}-report.docx">'
            f"下载 report.docx</a></p>" + present.preview_html(docx)
        )
        self.last_rendered = folder / "report.docx"
        return "报告已生成"

    # --- views ----------------------------------------------------------------------

    def _refresh_list(self) -> None:
        """The listbox and the grid, both showing what the filter asks for."""
        wanted = FILTERS[self.filter.value]
        figures = [f for f in self.report.figures.values() if wanted is None or f.status in wanted]
        shown = Figures(self.report.bureau, self.report.year, figures)
        self.grid.value = present.figures_table(shown) if figures else "<p>没有需要关注的数据。</p>"
        keep = self.figures.value
        self.figures.options = [(_label(f), f.key) for f in figures]
        keys = [f.key for f in figures]
        self.figures.value = keep if keep in keys else (keys[0] if keys else None)
        self._show_detail()

    def _show_detail(self) -> None:
        figure = self.selected()
        if figure is None:
            self.detail.value = "<p>没有需要关注的数据。</p>"
            return
        self.value.value = figure.text or ""
        parts = [
            f"<h4>{html.escape(figure.label)}（{figure.key}）：{html.escape(str(figure))}</h4>",
            f"<p><b>状态</b>：{present.STATUS[figure.status]}　<b>规则</b>：{html.escape(figure.rule)}</p>",
        ]
        if figure.missing:
            parts.append(f"<p><b>缺失原因</b>：{html.escape(figure.missing)}</p>")
        for note in figure.warnings:
            parts.append(f"<p>⚠ {html.escape(note)}</p>")
        if figure.override:
            o = figure.override
            parts.append(
                f"<p><b>已修改</b>：台账计算值“{html.escape(str(o.get('computed')))}”→“{html.escape(str(o.get('new')))}”，"
                f"原因：{html.escape(str(o.get('reason')))}，{html.escape(str(o.get('by')))}于{html.escape(str(o.get('at')))}</p>"
            )
        parts += [self._rows_html(source) for source in figure.sources]
        self.detail.value = "\n".join(parts)

    def _rows_html(self, source) -> str:
        title = f"<p><b>来源</b>：{html.escape(str(source))}</p>"
        columns = _LEDGER_COLUMNS.get(source.table)
        if columns is None:
            return title
        frame = getattr(self.ledgers, source.table)
        rows = frame[
            (frame["_file"] == source.file) & (frame["_sheet"] == source.sheet) & frame["_row"].isin(source.rows)
        ]
        picked = rows[list(columns)].astype(object)
        shown = picked.where(pd.notna(picked), "").rename(columns=columns)
        return title + shown.to_html(index=False, border=0, classes="zongjie-table")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
