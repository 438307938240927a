"""The review panel: an analyst checks every figure in JupyterLab before it goes out.

Choose a bureau and year, filter to what needs attention, see where a number came from,
correct it with a reason (kept in ``parameters/overrides/`` with who and when), edit the
bureau's own paragraphs, and render the report — all without rerunning the notebook.
Every widget carries a ``zj-…`` CSS class so browser tests can find it.
"""

from __future__ import annotations

import base64
import html
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import IPython.display
import ipywidgets as w
import pandas as pd

from toolkit.data.contract import TABLES
from toolkit.data.ledgers import Ledgers
from toolkit.data.params import NARRATIVE_KEYS, list_bureaus, load_bureau, save_narrative
from toolkit.data.problems import DataError, ParameterError
from toolkit.data.validate import load_ledgers
from toolkit.errors import ZongjieError
from toolkit.outputs import report_files
from toolkit.report import render
from toolkit.report.figures import Figure, Source
from toolkit.report.overrides import remove_override, save_override
from toolkit.report.prepare import Report, prepare, template_for
from toolkit.ui import present
from toolkit.ui.apps import ENV_DATA, ENV_OUT, ENV_PARAMS

#: IPython's display and its HTML and Markdown outputs, which IPython leaves unannotated, as this module calls them.
display: Callable[..., None] = IPython.display.display
HTML: Callable[[str], IPython.display.HTML] = IPython.display.HTML
Markdown: Callable[[str], IPython.display.Markdown] = IPython.display.Markdown

#: Columns shown for a figure's ledger rows: the row number, then the contract's columns by their Chinese header.
_LEDGER_COLUMNS = {name: {"_row": "行", **{c.name: c.zh for c in table.columns}} for name, table in TABLES.items()}
FILTERS = {"全部": None, "需关注": ("warning", "missing", "overridden")}
ERROR, OK = "#b00020", "#1b5e20"

#: A compact panel: every part flexes and wraps, nothing has a fixed width wider than a phone.
PANEL_CSS = """<style>
.zj-panel { max-width: 100%; box-sizing: border-box; }
.zj-panel .widget-text, .zj-panel .widget-textarea { width: auto; }
.zj-detail { max-height: 340px; overflow: auto; border: 1px solid #ddd; padding: 0 8px; box-sizing: border-box; }
.zj-detail table { font-size: 12px; }
.zj-feedback { font-size: 13px; line-height: 28px; white-space: normal; }
a.zj-download { display: inline-block; padding: 4px 14px; background: #1976d2; color: #fff !important;
  border-radius: 2px; text-decoration: none !important; font-size: 13px; line-height: 20px; }
a.zj-download:hover { background: #115293; }
.zj-result details summary { cursor: pointer; color: #1976d2; margin: 6px 0; }
</style>"""


def _label(f: Figure) -> str:
    return f"{present.STATUS[f.status]}｜{f.label}：{f}"


def _styled(widget: w.DOMWidget, css: str) -> w.DOMWidget:
    widget.add_class(css)
    return widget


def _feedback(css: str) -> w.HTML:
    return _styled(_styled(w.HTML(layout=w.Layout(margin="0 0 0 8px")), "zj-feedback"), css)


def _say(target: w.HTML, message: str, color: str = "#555") -> None:
    target.value = f'<span style="color:{color}">{html.escape(message)}</span>' if message else ""


# --- the reviewer's name, given once and remembered -------------------------------------


def settings_file() -> Path:
    """``$XDG_CONFIG_HOME/zongjie/reviewer.json`` (``~/.config`` when unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "zongjie" / "reviewer.json"


def remembered_reviewer() -> str:
    try:
        return str(json.loads(settings_file().read_text(encoding="utf-8")).get("name", "")).strip()
    except (OSError, ValueError, AttributeError):
        return ""


def remember_reviewer(name: str) -> None:
    path = settings_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"name": name.strip()}, ensure_ascii=False), encoding="utf-8")
    except OSError:  # a read-only home: the name is still used for this session
        pass


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
        self._build_selectors(bureau, year)
        self._build_figure_list()
        self._build_override_form(user)
        self._build_narrative_boxes()
        self._build_buttons()
        self._connect()
        self.widget = self._assemble(w.Layout(flex_flow="row wrap", align_items="center", width="100%"))
        self._act(self.load, self.status)

    # --- the panel's parts ----------------------------------------------------------

    def _build_selectors(self, bureau: str | None, year: int | None) -> None:
        """The bureau and year to review, the filter of the figure list, and the load status."""
        codes = [c for c in list_bureaus(self.params) if c in self.ledgers.bureaus]
        names = {c: _bureau_name(self.params, c) for c in codes}
        self.bureau = _styled(
            w.Dropdown(
                options=[(f"{names[c]}（{c}）" if names[c] != c else c, c) for c in codes],
                value=bureau if bureau in codes else codes[0],
                description="单位",
                layout=w.Layout(width="auto", min_width="260px"),
            ),
            "zj-bureau",
        )
        years = self.ledgers.report_years(self.bureau.value) or self.ledgers.years
        self.year = _styled(
            w.Dropdown(
                options=years,
                value=int(year) if year in years else years[-1],
                description="年度",
                layout=w.Layout(width="150px"),
            ),
            "zj-year",
        )
        for choice in (self.bureau, self.year):
            choice.style.description_width = "2.5em"
        self.filter = _styled(
            w.ToggleButtons(options=list(FILTERS), value="全部", style={"button_width": "64px"}), "zj-filter"
        )
        self.status = _styled(w.HTML(layout=w.Layout(margin="0 0 0 8px")), "zj-status")

    def _build_figure_list(self) -> None:
        """The figures of the bureau-year, and the detail of the chosen one."""
        self.figures = _styled(
            w.Select(options=[], rows=14, layout=w.Layout(width="38%", min_width="240px")), "zj-figures"
        )
        self.detail = _styled(w.HTML(layout=w.Layout(flex="1 1 320px", min_width="0")), "zj-detail")

    def _build_override_form(self, user: str | None) -> None:
        """The correction of the chosen figure: new value, reason, reviewer, save and undo."""
        self.value = _styled(w.Text(description="新值", placeholder="报告中的写法"), "zj-override-value")
        self.reason = _styled(w.Text(description="原因", placeholder="如：以决算数为准"), "zj-override-reason")
        self.by = _styled(
            w.Text(description="修改人", value=user or remembered_reviewer(), placeholder="填写一次，以后自动记住"),
            "zj-override-by",
        )
        for field in (self.value, self.reason, self.by):
            field.style.description_width = "3.5em"
            field.layout = w.Layout(flex="1 1 180px", min_width="0")
        self.save = _styled(w.Button(description="保存修改", button_style="warning", icon="save"), "zj-override-save")
        self.remove = _styled(w.Button(description="撤销修改", icon="undo"), "zj-override-remove")
        self.override_feedback = _feedback("zj-override-feedback")

    def _build_narrative_boxes(self) -> None:
        """The bureau's own paragraphs for the year, and their save button."""
        self.problems = _styled(
            w.Textarea(description="存在的问题", layout=w.Layout(width="100%", height="110px")), "zj-narrative-problems"
        )
        self.next_steps = _styled(
            w.Textarea(description="下一步打算", layout=w.Layout(width="100%", height="110px")), "zj-narrative-next"
        )
        for area in (self.problems, self.next_steps):
            area.style.description_width = "5em"
        self.save_text = _styled(w.Button(description="保存文字", icon="save"), "zj-narrative-save")
        self.text_feedback = _feedback("zj-narrative-feedback")

    def _build_buttons(self) -> None:
        """Render the report, and where its download link and preview appear."""
        self.generate = _styled(w.Button(description="生成报告", button_style="primary", icon="file"), "zj-generate")
        self.generate_feedback = _feedback("zj-generate-feedback")
        self.result = _styled(w.HTML(layout=w.Layout(width="100%")), "zj-result")

    def _connect(self) -> None:
        """Every control to its action."""
        self.bureau.observe(lambda _: self._change_bureau(), names="value")
        self.year.observe(lambda _: self._act(self.load, self.status), names="value")
        self.filter.observe(lambda _: self._refresh_list(), names="value")
        self.figures.observe(lambda _: self._show_detail(), names="value")
        for field in (self.value, self.reason, self.by):
            field.observe(lambda _: self._check_override(), names="value")
        self.save.on_click(lambda _: self._act(self.save_override, self.override_feedback))
        self.remove.on_click(lambda _: self._act(self.remove_override, self.override_feedback))
        self.save_text.on_click(lambda _: self._act(self.save_narrative, self.text_feedback))
        self.generate.on_click(lambda _: self._act(self.render, self.generate_feedback))

    def _assemble(self, row: w.Layout) -> w.VBox:
        """The whole panel, its parts in rows that wrap (``row``) on a narrow screen."""
        texts = w.VBox([self.problems, self.next_steps, w.HBox([self.save_text, self.text_feedback], layout=row)])
        narrative = w.Accordion(children=[texts], selected_index=None, layout=w.Layout(width="100%"))
        narrative.set_title(0, "本单位本年度的文字（存在的问题、下一步打算；留空则使用模板中的默认段落）")
        return _styled(
            w.VBox(
                [
                    w.HTML(PANEL_CSS),
                    w.HBox([self.bureau, self.year, self.filter, self.status], layout=row),
                    w.HBox([self.figures, self.detail], layout=w.Layout(width="100%", align_items="flex-start")),
                    w.HTML("<b>修改选中的数据</b>（记录在参数目录的 overrides 中，以后每次生成都会采用）"),
                    w.HBox([self.value, self.reason, self.by], layout=row),
                    w.HBox([self.save, self.remove, self.override_feedback], layout=row),
                    narrative,
                    w.HBox([self.generate, self.generate_feedback], layout=row),
                    self.result,
                ],
                layout=w.Layout(width="100%", max_width="1100px"),
            ),
            "zj-panel",
        )

    # --- actions --------------------------------------------------------------------

    def _act(self, action: Callable[[], str], where: w.HTML) -> None:
        """Run an action and show its outcome beside the control that caused it, in plain Chinese."""
        start = time.perf_counter()
        try:
            message = action() or "已更新"
        except ParameterError as err:
            _say(where, "；".join(p.message for p in err.problems), ERROR)
            return
        except ZongjieError as err:
            _say(where, str(err), ERROR)
            return
        failed = message.startswith("请")
        elapsed = "" if failed else f"（{time.perf_counter() - start:.1f}秒）"
        _say(where, message + elapsed, ERROR if failed else OK)

    def _change_bureau(self) -> None:
        years = self.ledgers.report_years(self.bureau.value) or self.ledgers.years
        if list(self.year.options) != years:
            keep = self.year.value
            with self.year.hold_trait_notifications():
                self.year.options = years
                self.year.value = keep if keep in years else years[-1]
        self._act(self.load, self.status)

    def load(self) -> str:
        """Recompute every figure of the chosen bureau and year."""
        self.report = prepare(self.ledgers, self.params, self.bureau.value, int(self.year.value))
        texts = self.report.params.narrative(self.report.year)
        self.problems.value = texts.get("problems", "")
        self.next_steps.value = texts.get("next_steps", "")
        self.result.value = ""
        for feedback in (self.override_feedback, self.text_feedback, self.generate_feedback):
            feedback.value = ""
        self._refresh_list()
        return f"已载入{self.report.params.name}{self.report.year}年"

    @property
    def current(self) -> Report:
        """The bureau-year on screen (the panel loads one before it is first shown)."""
        if self.report is None:
            raise RuntimeError("审核面板尚未载入任何单位和年度")
        return self.report

    def selected(self) -> Figure | None:
        return self.report.figures.get(self.figures.value) if self.report else None

    def override_problem(self) -> str:
        """What keeps the correction from being saved, as the reviewer should read it; "" when nothing."""
        figure = self.selected()
        if figure is None:
            return "请先在左侧列表中选择一个数据项"
        if not self.value.value.strip():
            return "请填写新值"
        if self.value.value.strip() == (figure.text or "") and not figure.override:
            return "新值与报告中的写法相同，无需修改"
        if not self.reason.value.strip():
            return "请填写修改原因"
        if not self.by.value.strip():
            return "请填写修改人（填写一次，以后自动记住）"
        return ""

    def _check_override(self) -> None:
        """Checked as the reviewer types: say what is still missing, or that it can be saved."""
        figure = self.selected()
        if figure is None or self.value.value.strip() == (figure.text or ""):
            self.override_feedback.value = ""
            return
        problem = self.override_problem()
        _say(self.override_feedback, problem or "可以保存", ERROR if problem else OK)

    def save_override(self) -> str:
        problem = self.override_problem()
        figure = self.selected()
        if problem or figure is None:
            return problem or "请先在左侧列表中选择一个数据项"
        save_override(self.params, self.current.figures, figure.key, self.value.value, self.reason.value, self.by.value)
        remember_reviewer(self.by.value)
        key = figure.key
        self.load()
        self.figures.value = key
        return f"已保存对“{figure.label}”的修改"

    def remove_override(self) -> str:
        figure = self.selected()
        if figure is None or not remove_override(self.params, self.current.bureau, self.current.year, figure.key):
            return "请选择一个已修改的数据项再撤销"
        key = figure.key
        self.load()
        self.figures.value = key
        return f"已撤销对“{figure.label}”的修改"

    def save_narrative(self) -> str:
        texts = dict(zip(NARRATIVE_KEYS, (self.problems.value, self.next_steps.value)))
        save_narrative(self.current.params, self.current.year, texts)
        self.load()
        return "已保存本单位本年度的文字"

    def render(self) -> str:
        folder = render.write_report(
            self.current.figures,
            self.current.story,
            template_for(self.current, self.template),
            self.out,
            findings=self.current.findings,
            name=self.current.name,
        )
        written = folder / report_files(self.current.name).docx
        docx = written.read_bytes()
        # A data: link downloads the very file just written, whatever the server's paths are.
        href = (
            "data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,"
            + base64.b64encode(docx).decode()
        )
        name = f"{self.current.bureau}-{self.current.year}-report.docx"
        self.result.value = (
            f'<p><a class="zj-download" href="{href}" download="{html.escape(name)}">⬇ 下载报告（{html.escape(name)}）</a>'
            f'　<span style="color:#555">已保存在输出目录：{html.escape(_shown(written))}</span></p>'
            f"<details><summary>预览报告正文</summary>{present.preview_html(docx)}</details>"
        )
        self.last_rendered = written
        return "报告已生成"

    # --- views ----------------------------------------------------------------------

    def _refresh_list(self) -> None:
        """The listbox, showing what the filter asks for."""
        wanted = FILTERS[self.filter.value]
        figures = [f for f in self.current.figures.values() if wanted is None or f.status in wanted]
        keep = self.figures.value
        self.figures.options = [(_label(f), f.key) for f in figures]
        keys = [f.key for f in figures]
        self.figures.value = keep if keep in keys else (keys[0] if keys else None)
        self._show_detail()

    def _show_detail(self) -> None:
        figure = self.selected()
        self.override_feedback.value = ""
        if figure is None:
            self.detail.value = "<p>没有需要关注的数据。</p>"
            return
        self.value.value = figure.text or ""
        self.reason.value = ""
        parts = [
            f"<h4>{html.escape(figure.label)}：{html.escape(str(figure))}</h4>",
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

    def _rows_html(self, source: Source) -> str:
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
        table: str = shown.to_html(index=False, border=0, classes="zongjie-table")
        return title + table


def _bureau_name(params: Path, code: str) -> str:
    try:
        return load_bureau(params, code).name
    except ZongjieError:
        return code


def _shown(path: Path) -> str:
    try:
        shown = Path(os.path.relpath(path, Path.cwd())).as_posix()
    except ValueError:
        return path.as_posix()
    return path.resolve().as_posix() if shown.startswith("..") else shown


def app(data: str = "", params: str = "", out: str = "") -> ReviewPanel | None:
    """The review page served by ``zongjie review``: folders from the arguments or the app's environment.

    Shows the ledger problems (and no panel) when the data break the contract.
    """

    data = data or os.environ.get(ENV_DATA, "")
    params = params or os.environ.get(ENV_PARAMS, "parameters")
    out = out or os.environ.get(ENV_OUT, "output")
    display(HTML(present.TABLE_CSS))
    if not data:
        display(Markdown("**未指定台账目录。** 请用 `zongjie review --data 台账目录 --params 参数目录` 启动。"))
        return None
    try:
        ledgers = load_ledgers(Path(data))
    except DataError as err:
        display(Markdown(f"**台账有{len(err.problems)}处问题，无法核对。** 请按下表逐一修正后刷新本页："))
        display(HTML(present.problems_table(err.problems)))
        return None
    except ZongjieError as err:
        display(Markdown(f"**无法读取台账**：{html.escape(str(err))}"))
        return None
    reviewer = ReviewPanel(ledgers, params, out)
    display(reviewer.widget)
    return reviewer
