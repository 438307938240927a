"""The review panel: an analyst checks every figure in JupyterLab or the review app before it goes out.

Choose a bureau and year (the panel opens on the first one that needs attention, filtered
to what does), see where a number came from, correct it with a reason (kept in the
parameters' 修改记录 with who and when), edit the bureau's own paragraphs, mark the
report 已核对 or 已定稿 (:mod:`toolkit.report.signoff`), and render it — all without
rerunning the notebook. Everything a reviewer reads is Chinese: values with their units
as the report prints them, moments as ``2026年12月2日 03:57``, figures by their labels.
Every widget carries a ``zj-…`` CSS class so browser tests can find it.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import time
import zipfile
from collections.abc import Callable, Mapping
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

import IPython.display
import ipywidgets as w
import pandas as pd
from docx import Document

from toolkit.data.ledgers import Ledgers
from toolkit.data.params import NARRATIVE_KEYS, list_bureaus, load_bureau, save_narrative
from toolkit.data.problems import DataError, ParameterError, Problem
from toolkit.data.sources import find_sources
from toolkit.data.validate import read_ledgers
from toolkit.errors import ZongjieError
from toolkit.outputs import report_files
from toolkit.report import overrides, render, signoff
from toolkit.report.figures import Figure, Source
from toolkit.report.formatting import Refused
from toolkit.report.overrides import SAME as SAME  # the panel's word for a value that changes nothing
from toolkit.report.overrides import read_new, remove_override, save_override
from toolkit.report.prepare import Report, prepare, template_for
from toolkit.resources import DEFAULT_REPORT, ENV_DATA, ENV_OUT, ENV_PARAMS, ENV_REPORT
from toolkit.ui import present

#: IPython's display and its HTML and Markdown outputs, which IPython leaves unannotated, as this module calls them.
display: Callable[..., None] = IPython.display.display
HTML: Callable[[str], IPython.display.HTML] = IPython.display.HTML
Markdown: Callable[[str], IPython.display.Markdown] = IPython.display.Markdown

FILTERS = {"全部": None, "需关注": ("warning", "missing", "overridden")}
ATTENTION = ("warning", "missing", "overridden")
ERROR, OK = "#b00020", "#1b5e20"
#: The colour of each sign-off status where the panel shows it.
SIGNOFF_COLOURS = {signoff.PENDING: "#e65100", signoff.REVIEWED: OK, signoff.FINAL: "#0d47a1"}

#: A compact panel: every part flexes and wraps, nothing has a fixed width wider than a phone.
PANEL_CSS = """<style>
.zj-panel { max-width: 100%; box-sizing: border-box; }
.zj-panel .widget-text, .zj-panel .widget-textarea { width: auto; }
.zj-detail { max-height: 340px; overflow: auto; border: 1px solid #ddd; padding: 0 8px; box-sizing: border-box; }
.zj-detail table { font-size: 12px; }
.zj-feedback { font-size: 13px; line-height: 28px; white-space: normal; }
.zj-signoff-state { font-size: 13px; line-height: 20px; }
.zj-signoff-state ul { margin: 2px 0; padding-left: 1.4em; }
.zj-panel textarea::placeholder { color: #8a8a8a; }
a.zj-download { display: inline-block; padding: 4px 14px; background: #1976d2; color: #fff !important;
  border-radius: 2px; text-decoration: none !important; font-size: 13px; line-height: 20px; }
a.zj-download:hover { background: #115293; }
.zj-result details summary { cursor: pointer; color: #1976d2; margin: 6px 0; }
</style>"""


# --- wording: what a reviewer reads ------------------------------------------------------

#: Kinds of figure printed as a number whose unit the template writes after the tag.
_NUMBER_KINDS = ("amount", "count", "number", "month", "year")
_UNIT_AFTER_TAG = re.compile(
    r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}(人次|亿元|万元|元|学时|课时|小时|次|个|条|名|人|项|家|场|期|天|年|月)"
)
_RUN_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
#: Words of files and code a message may carry, as a reviewer says them.
_PLAIN_WORDS = (
    ("（new）", ""),
    ("（reason）", ""),
    ("（by）", ""),
    ("overrides", "修改记录"),
    ("signoffs", "核对记录"),
)


@lru_cache(maxsize=32)
def _tag_units(path: str, mtime_ns: int) -> dict[str, str]:
    """The unit word right after each tag in the template's paragraphs (a tag's first use)."""
    with zipfile.ZipFile(path) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    units: dict[str, str] = {}
    for paragraph in xml.split("</w:p>"):
        text = html.unescape("".join(_RUN_TEXT.findall(paragraph)))
        for key, unit in _UNIT_AFTER_TAG.findall(text):
            units.setdefault(key, unit)
    return units


def template_units(template: Path) -> dict[str, str]:
    """Figure key → the unit its template prints after it (``{{ fiscal_revenue }}亿元`` → 亿元); {} when unreadable."""
    try:
        return _tag_units(str(Path(template).resolve()), Path(template).stat().st_mtime_ns)
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return {}


def unit_shown(figure: Figure, units: Mapping[str, str] | None = None) -> str:
    """The unit the report prints after the figure: the template's word after its tag, else its form's."""
    if figure.form.kind in _NUMBER_KINDS and units and figure.key in units:
        return units[figure.key]
    return signoff.unit_of(figure)


def shown(figure: Figure, units: Mapping[str, str] | None = None) -> str:
    """The figure as the report prints it, unit included: ``8.77亿元``, ``6个``, ``2021年``; missing: 【待补充：…】."""
    if figure.text is None:
        return str(figure)
    return figure.text + unit_shown(figure, units)


def editable(figure: Figure, units: Mapping[str, str] | None = None) -> str:
    """What the new-value box starts with: the figure as printed, unit included when the parser reads it back."""
    if figure.text is None:
        return ""
    printed = shown(figure, units)
    try:
        read_new(printed, figure.form)
    except Refused:
        return figure.text
    return printed


def plain(message: str, figures: Mapping[str, Figure] | None = None) -> str:
    """A message as a reviewer reads it: figures by their labels, no field, file or folder names."""
    for key, figure in (figures or {}).items():
        message = message.replace(f"“{key}”", f"“{figure.label}”")
    for word, said in _PLAIN_WORDS:
        message = message.replace(word, said)
    return message


def problem_text(problem: Problem, figures: Mapping[str, Figure] | None = None) -> str:
    """One problem of a refused action, in plain words, with what is expected."""
    expected = f"（应为{plain(problem.expected, figures)}）" if problem.expected else ""
    return plain(problem.message, figures) + expected


def value_problem(figure: Figure, typed: str, units: Mapping[str, str] | None = None) -> str:
    """Why ``typed`` cannot replace the figure, by the save's own rule (:func:`overrides.value_problem`); "" when it can."""
    return overrides.value_problem(figure, typed, printed=shown(figure, units))


def download_name(rep: Report) -> str:
    """``<单位名称><年度>年<报告标题>.docx``, e.g. ``青山县财政局2021年党史学习教育开展情况总结.docx``."""
    title = (rep.definition.title if rep.definition else "") or "工作总结"
    return re.sub(r'[\\/:*?"<>|\s]+', "", f"{rep.params.name}{rep.year}年{title}") + ".docx"


_MARK = "ZJ-NARRATIVE-{}"


def _texts(docx: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(docx)).paragraphs]


def default_paragraphs(rep: Report, template: Path) -> dict[str, str]:
    """Narrative key → the template's paragraphs an empty box leaves in the report ("" when none).

    The report is rendered twice, the boxes empty and holding a marker: what the markers
    replace is the default text.
    """
    empty: render.Story = {key: [] for key in NARRATIVE_KEYS}
    marked: render.Story = {key: [render.NarrativeParagraph(_MARK.format(key))] for key in NARRATIVE_KEYS}
    without = _texts(render.render_docx(rep.figures, empty, template))
    with_marks = _texts(render.render_docx(rep.figures, marked, template))
    defaults = dict.fromkeys(NARRATIVE_KEYS, "")
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, without, with_marks, autojunk=False).get_opcodes():
        for key in NARRATIVE_KEYS:
            if tag != "equal" and _MARK.format(key) in with_marks[j1:j2]:
                defaults[key] = "\n\n".join(p.strip() for p in without[i1:i2] if p.strip())
    return defaults


def placeholder(default: str) -> str:
    """What an empty narrative box shows: the paragraphs it would be replaced by."""
    if not default:
        return "留空时报告中不写这一部分。"
    return "留空时报告使用模板中的默认段落：\n\n" + default


def signoff_html(state: signoff.SignOff) -> str:
    """The report's sign-off as the panel shows it: status, who and when, or which figures moved."""
    colour = SIGNOFF_COLOURS.get(state.status, "#555")
    head = f'<b>核对状态</b>：<b style="color:{colour}">{html.escape(state.status)}</b>'
    if state.signed:
        return f"{head}（{html.escape(state.by)}，{html.escape(signoff.shown_at(state.at))}）"
    if not state.withdrawn:
        return head + "（尚未标记为已核对）"
    items = "".join(f"<li>{html.escape(m)}</li>" for m in state.moved)
    return f"{head}（{html.escape(state.previous)}后数据有变化，请重新核对{'：' if items else ''}）<ul>{items}</ul>"


class Refusal(ZongjieError):
    """An action the panel will not take as asked; ``str()`` says why, as the reviewer reads it."""


def _label(f: Figure, units: Mapping[str, str]) -> str:
    return f"{present.STATUS[f.status]}｜{f.label}：{shown(f, units)}"


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


# --- what changed on disk since the panel was built ---------------------------------------


def _stamp(folder: Path | None) -> tuple[tuple[str, int, int], ...]:
    """Every file the loader would look at under ``folder`` (:func:`~toolkit.data.sources.find_sources`:
    not hidden ones, not Office's ``~$`` lock files, so opening a ledger in Excel changes nothing
    here), with its modification time and size; () for none."""
    if folder is None or not Path(folder).is_dir():
        return ()
    stamps = ((path, path.stat()) for path in find_sources(Path(folder)))
    return tuple((path.as_posix(), stat.st_mtime_ns, stat.st_size) for path, stat in stamps)


class ReviewPanel:
    """Widgets over one :class:`Report` at a time; every action recomputes in process.

    ``report`` names the report definition reviewed (its figures, corrections and sign-offs);
    ``data`` is the ledgers' folder, for :meth:`refresh_if_stale`.
    """

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
        report: str = DEFAULT_REPORT,
        data: str | Path | None = None,
    ):
        self.ledgers, self.params, self.out = ledgers, Path(params), Path(out)
        self.report_name = report or DEFAULT_REPORT
        self.data = Path(data) if data else None
        self.template = Path(template) if template else None  # None: resolved per bureau by report.template_for
        self.report: Report | None = None
        self.narrative_loaded: dict[str, str] = {}
        self.units: dict[str, str] = {}
        self.last_rendered: Path | None = None
        self._settling = False  # True while the panel sets its own choices: no reload per change
        self._stamps = (_stamp(self.data), _stamp(self.params))
        self._build_selectors()
        self._build_figure_list()
        self._build_override_form(user)
        self._build_signoff(user)
        self._build_narrative_boxes()
        self._build_buttons()
        self._connect()
        self.widget = self._assemble(w.Layout(flex_flow="row wrap", align_items="center", width="100%"))
        self._asked = (bureau, year)
        self._open(bureau, year)

    # --- the panel's parts ----------------------------------------------------------

    def _build_selectors(self) -> None:
        """The bureau and year to review, the filter of the figure list, and the load status."""
        self.bureau = _styled(
            w.Dropdown(description="单位", layout=w.Layout(width="auto", min_width="260px")), "zj-bureau"
        )
        self.year = _styled(w.Dropdown(description="年度", layout=w.Layout(width="150px")), "zj-year")
        for choice in (self.bureau, self.year):
            choice.style.description_width = "2.5em"
        self.filter = _styled(
            w.ToggleButtons(options=list(FILTERS), value="需关注", style={"button_width": "64px"}), "zj-filter"
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
        self.value = _styled(w.Text(description="新值", placeholder="报告中的写法，如“20.5亿元”"), "zj-override-value")
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

    def _build_signoff(self, user: str | None) -> None:
        """The report's sign-off: its state, the signer's name, and the two marks."""
        self.signoff_state = _styled(w.HTML(layout=w.Layout(width="100%")), "zj-signoff-state")
        self.signer = _styled(
            w.Text(description="核对人", value=user or remembered_reviewer(), placeholder="填写一次，以后自动记住"),
            "zj-signoff-by",
        )
        self.signer.style.description_width = "3.5em"
        self.signer.layout = w.Layout(flex="0 1 240px", min_width="0")
        self.mark_reviewed = _styled(
            w.Button(description="标记为已核对", button_style="success", icon="check"), "zj-signoff-review"
        )
        self.mark_final = _styled(w.Button(description="标记为已定稿", icon="lock"), "zj-signoff-final")
        self.signoff_feedback = _feedback("zj-signoff-feedback")

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
        self.year.observe(lambda _: self._change_year(), names="value")
        self.filter.observe(lambda _: self._refresh_list(), names="value")
        self.figures.observe(lambda _: self._show_detail(), names="value")
        for field in (self.value, self.reason, self.by):
            field.observe(lambda _: self._check_override(), names="value")
        self.save.on_click(lambda _: self._act(self.save_override, self.override_feedback))
        self.remove.on_click(lambda _: self._act(self.remove_override, self.override_feedback))
        self.mark_reviewed.on_click(lambda _: self._act(self.mark, self.signoff_feedback))
        self.mark_final.on_click(lambda _: self._act(self.finalise, self.signoff_feedback))
        self.save_text.on_click(lambda _: self._act(self.save_narrative, self.text_feedback))
        self.generate.on_click(lambda _: self._act(self.render, self.generate_feedback))

    def _assemble(self, row: w.Layout) -> w.VBox:
        """The whole panel, its parts in rows that wrap (``row``) on a narrow screen."""
        texts = w.VBox([self.problems, self.next_steps, w.HBox([self.save_text, self.text_feedback], layout=row)])
        self.narrative = w.Accordion(children=[texts], selected_index=None, layout=w.Layout(width="100%"))
        self.narrative.set_title(0, "本单位本年度的文字（存在的问题、下一步打算；留空则使用模板中的默认段落）")
        self.narrative.observe(lambda _: self._fill_placeholders(), names="selected_index")
        sign_row = [self.signer, self.mark_reviewed, self.mark_final, self.signoff_feedback]
        return _styled(
            w.VBox(
                [
                    w.HTML(PANEL_CSS),
                    w.HBox([self.bureau, self.year, self.filter, self.status], layout=row),
                    w.HBox([self.figures, self.detail], layout=w.Layout(width="100%", align_items="flex-start")),
                    w.HTML("<b>修改选中的数据</b>（保存在参数目录的修改记录中，以后每次生成都会采用）"),
                    w.HBox([self.value, self.reason, self.by], layout=row),
                    w.HBox([self.save, self.remove, self.override_feedback], layout=row),
                    self.narrative,
                    self.signoff_state,
                    w.HBox(sign_row, layout=row),
                    w.HBox([self.generate, self.generate_feedback], layout=row),
                    self.result,
                ],
                layout=w.Layout(width="100%", max_width="1100px"),
            ),
            "zj-panel",
        )

    # --- where the panel opens --------------------------------------------------------

    def _codes(self) -> list[str]:
        return [c for c in list_bureaus(self.params) if c in self.ledgers.bureaus]

    def _years(self, code: str) -> list[int]:
        return self.ledgers.report_years(code) or self.ledgers.years

    def needs_attention(self, rep: Report) -> bool:
        """Figures to look at (缺失, 需核实, 已修改) and no sign-off that still holds."""
        if not any(f.status in ATTENTION for f in rep.figures.values()):
            return False
        try:
            return not signoff.state(self.params, rep.figures, rep.name).signed
        except ParameterError:
            return True

    def _first_needing_attention(self, codes: list[str]) -> tuple[str, int, Report | None]:
        """The first bureau (its latest year) that needs attention, with its report; else the first bureau."""
        for code in codes:
            year = self._years(code)[-1]
            try:
                rep = prepare(self.ledgers, self.params, code, year, report=self.report_name)
            except ZongjieError:
                return code, year, None  # its problem is the first thing to see
            if self.needs_attention(rep):
                return code, year, rep
        return codes[0], self._years(codes[0])[-1], None

    def _open(self, bureau: str | None, year: int | None) -> None:
        """Choose the bureau-year (the one asked for, else the first needing attention) and load it."""
        codes = self._codes()
        if bureau in codes:
            years = self._years(str(bureau))
            code, chosen, ready = str(bureau), int(year) if year in years else years[-1], None
        else:
            code, chosen, ready = self._first_needing_attention(codes)
        names = {c: _bureau_name(self.params, c) for c in codes}
        with self._settled():
            self.bureau.options = [(f"{names[c]}（{c}）" if names[c] != c else c, c) for c in codes]
            self.bureau.value = code
            self.year.options = self._years(code)
            self.year.value = chosen
        self.report = ready
        self._act(self.load, self.status)
        if self.report is not None:
            wanted = "需关注" if any(f.status in ATTENTION for f in self.report.figures.values()) else "全部"
            self.filter.value = wanted

    def _settled(self) -> _Settling:
        return _Settling(self)

    def refresh_if_stale(self) -> bool:
        """Recompute when the ledgers or parameters changed since the panel was built; True when it did.

        The review app's kernels are started and run before anyone asks for the page;
        when the page is opened, what changed meanwhile (another reviewer's correction or
        sign-off, new ledgers) is read again.
        """
        stamps = (_stamp(self.data), _stamp(self.params))
        if stamps == self._stamps:
            return False
        if stamps[0] != self._stamps[0] and self.data is not None:
            try:
                self.ledgers = read_ledgers(self.data, self.params)
            except ZongjieError as err:
                _say(self.status, f"台账在页面打开前有改动，但无法读取：{err}。请修正后刷新本页。", ERROR)
                return True
        self._stamps = stamps
        self.report = None
        self._open(*self._asked)
        return True

    # --- actions --------------------------------------------------------------------

    def _act(self, action: Callable[[], str], where: w.HTML) -> None:
        """Run an action and show its outcome beside the control that caused it, in plain Chinese."""
        start = time.perf_counter()
        figures = self.report.figures if self.report else None
        try:
            message = action() or "已更新"
        except ParameterError as err:
            _say(where, "；".join(problem_text(p, figures) for p in err.problems), ERROR)
            return
        except ZongjieError as err:
            _say(where, plain(str(err), figures), ERROR)
            return
        _say(where, f"{message}（{time.perf_counter() - start:.1f}秒）", OK)

    def _change_year(self) -> None:
        if not self._settling:
            self._act(self.load, self.status)

    def _change_bureau(self) -> None:
        if self._settling:
            return
        years = self._years(self.bureau.value)
        if list(self.year.options) != years:
            keep = self.year.value
            with self._settled():
                self.year.options = years
                self.year.value = keep if keep in years else years[-1]
        self._act(self.load, self.status)

    def load(self) -> str:
        """Recompute every figure of the chosen bureau and year (or take the one the panel opened on)."""
        ready = self.report
        if ready is None or (ready.bureau, ready.year) != (self.bureau.value, int(self.year.value)):
            self.report = None
            ready = prepare(self.ledgers, self.params, self.bureau.value, int(self.year.value), report=self.report_name)
        self.report = ready
        self.units = self._template_units(ready)
        texts = ready.params.narrative(ready.year)
        self.narrative_loaded = texts  # what a save compares the file with: another's save is never overwritten
        self.problems.value = texts.get("problems", "")
        self.next_steps.value = texts.get("next_steps", "")
        self.result.value = ""
        for feedback in (self.override_feedback, self.text_feedback, self.generate_feedback, self.signoff_feedback):
            feedback.value = ""
        self._refresh_list()
        self._show_signoff()
        self._fill_placeholders()
        return f"已载入{ready.params.name}{ready.year}年"

    def _template_units(self, rep: Report) -> dict[str, str]:
        try:
            return template_units(template_for(rep, self.template))
        except ZongjieError:  # the bureau's own template is wrong: said when the report is rendered
            return {}

    def _reload(self) -> None:
        """Recompute the bureau-year on screen, keeping the chosen figure."""
        key = self.figures.value
        self.report = None
        self.load()
        if key in [k for _, k in self.figures.options]:
            self.figures.value = key

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
        problem = value_problem(figure, self.value.value, self.units)
        if problem:
            return problem
        if not self.reason.value.strip():
            return "请填写修改原因"
        if not self.by.value.strip():
            return "请填写修改人（填写一次，以后自动记住）"
        return ""

    def _check_override(self) -> None:
        """Checked as the reviewer types, by the save's own parser: what is still wrong, or that it can be saved."""
        figure = self.selected()
        if figure is None or self.value.value.strip() in (figure.text or "", shown(figure, self.units)):
            self.override_feedback.value = ""
            return
        problem = self.override_problem()
        _say(self.override_feedback, problem or "可以保存", ERROR if problem else OK)

    def save_override(self) -> str:
        problem = self.override_problem()
        figure = self.selected()
        if problem or figure is None:
            raise Refusal(problem or "请先在左侧列表中选择一个数据项")
        figures, typed = self.current.figures, self.value.value
        save_override(self.params, figures, figure.key, typed, self.reason.value, self.by.value, refuse_same=True)
        remember_reviewer(self.by.value)
        self._reload()
        return f"已保存对“{figure.label}”的修改"

    def remove_override(self) -> str:
        figure = self.selected()
        rep = self.current
        if figure is None or not remove_override(self.params, rep.bureau, rep.year, figure.key, rep.name):
            raise Refusal("请选择一个已修改的数据项再撤销")
        self._reload()
        return f"已撤销对“{figure.label}”的修改"

    def _sign(self, final: bool) -> str:
        name = self.signer.value.strip()
        if not name:
            raise Refusal(f"请填写{'定稿人' if final else '核对人'}（填写一次，以后自动记住）")
        rep = self.current
        state = signoff.sign(self.params, rep.figures, name, final=final, report=rep.name, gate=rep.gate())
        remember_reviewer(name)
        self._show_signoff(state)
        return f"已标记为{state.status}"

    def mark(self) -> str:
        """Mark the report on screen 已核对 against its current figures."""
        return self._sign(final=False)

    def finalise(self) -> str:
        """Mark the report on screen 已定稿 (see :func:`toolkit.report.signoff.sign`)."""
        return self._sign(final=True)

    def save_narrative(self) -> str:
        texts = dict(zip(NARRATIVE_KEYS, (self.problems.value, self.next_steps.value)))
        save_narrative(self.current.params, self.current.year, texts, loaded=self.narrative_loaded)
        self._reload()
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
        name = html.escape(download_name(self.current))
        self.result.value = (
            f'<p><a class="zj-download" href="{href}" download="{name}">⬇ 下载报告（{name}）</a>'
            f'　<span style="color:#555">已保存在输出目录：{html.escape(_shown(written))}</span></p>'
            f"<details><summary>预览报告正文</summary>{present.preview_html(docx)}</details>"
        )
        self.last_rendered = written
        return "报告已生成"

    # --- views ----------------------------------------------------------------------

    def _refresh_list(self) -> None:
        """The listbox, showing what the filter asks for."""
        if self._settling:
            return
        if self.report is None:  # the bureau-year could not be computed: its status says why
            self.figures.options = []
            return
        wanted = FILTERS[self.filter.value]
        figures = [f for f in self.current.figures.values() if wanted is None or f.status in wanted]
        keep = self.figures.value
        self.figures.options = [(_label(f, self.units), f.key) for f in figures]
        keys = [f.key for f in figures]
        self.figures.value = keep if keep in keys else (keys[0] if keys else None)
        self._show_detail()

    def _show_signoff(self, state: signoff.SignOff | None = None) -> None:
        try:
            state = state or signoff.state(self.params, self.current.figures, self.current.name)
        except ParameterError as err:
            _say(self.signoff_state, "核对记录无法读取：" + "；".join(problem_text(p) for p in err.problems), ERROR)
            return
        self.signoff_state.value = signoff_html(state)

    def _fill_placeholders(self) -> None:
        """Empty boxes show the default paragraphs they stand in for (worked out once the boxes are opened)."""
        if self.narrative.selected_index is None or self.report is None:
            return
        try:
            defaults = default_paragraphs(self.report, template_for(self.report, self.template))
        except ZongjieError:
            defaults = dict.fromkeys(NARRATIVE_KEYS, "")
        self.problems.placeholder = placeholder(defaults["problems"])
        self.next_steps.placeholder = placeholder(defaults["next_steps"])

    def _show_detail(self) -> None:
        figure = self.selected()
        self.override_feedback.value = ""
        if figure is None:
            self.detail.value = "<p>没有需要关注的数据。选择“全部”可查看每一项数据。</p>"
            return
        self.value.value = editable(figure, self.units)
        self.reason.value = ""
        parts = [
            f"<h4>{html.escape(figure.label)}：{html.escape(shown(figure, self.units))}</h4>",
            f"<p><b>状态</b>：{present.STATUS[figure.status]}　<b>规则</b>：{html.escape(figure.rule)}</p>",
        ]
        if figure.missing:
            parts.append(f"<p><b>缺失原因</b>：{html.escape(figure.missing)}</p>")
        for note in figure.warnings:
            parts.append(f"<p>⚠ {html.escape(note)}</p>")
        if figure.override:
            parts.append(self._override_html(figure))
        parts += [self._rows_html(source) for source in figure.sources]
        self.detail.value = "\n".join(parts)

    def _override_html(self, figure: Figure) -> str:
        """The correction in force: what the ledgers gave, the new value, why, who and when."""
        o = figure.override or {}
        computed = o.get("computed")
        before = "缺失" if computed is None else f"{computed}{unit_shown(figure, self.units)}"
        return (
            f"<p><b>已修改</b>：台账计算值“{html.escape(before)}”，新值“{html.escape(shown(figure, self.units))}”；"
            f"原因：{html.escape(str(o.get('reason', '')))}；"
            f"{html.escape(str(o.get('by', '')))}于{html.escape(signoff.shown_at(_at(o.get('at'))))}修改</p>"
        )

    def _rows_html(self, source: Source) -> str:
        title = f"<p><b>来源</b>：{html.escape(str(source))}</p>"
        table = next((t for t in self.ledgers.contract.tables if t.name == source.table), None)
        if table is None:
            return title
        # the row number, then the contract's columns by their Chinese header
        columns = {"_row": "行", **{c.name: c.zh for c in table.columns}}
        frame = self.ledgers.frame(source.table)
        rows = frame[
            (frame["_file"] == source.file) & (frame["_sheet"] == source.sheet) & frame["_row"].isin(source.rows)
        ]
        picked = rows[list(columns)].astype(object)
        shown_rows = picked.where(pd.notna(picked), "").rename(columns=columns)
        page: str = shown_rows.to_html(index=False, border=0, classes="zongjie-table")
        return title + page


class _Settling:
    """While the panel sets its own choices, the choices' observers do nothing."""

    def __init__(self, panel: ReviewPanel):
        self.panel = panel

    def __enter__(self) -> None:
        self.panel._settling = True

    def __exit__(self, *exc: object) -> None:
        self.panel._settling = False


def _at(value: object) -> str | None:
    return None if value is None else str(value)


def _bureau_name(params: Path, code: str) -> str:
    try:
        return load_bureau(params, code).name
    except ZongjieError:
        return code


def _shown(path: Path) -> str:
    try:
        shown_path = Path(os.path.relpath(path, Path.cwd())).as_posix()
    except ValueError:
        return path.as_posix()
    return path.resolve().as_posix() if shown_path.startswith("..") else shown_path


def app(data: str = "", params: str = "", out: str = "", report: str = "") -> ReviewPanel | None:
    """The review page served by ``zongjie review``: folders and report from the arguments or the app's environment.

    Shows the ledger problems (and no panel) when the data break the contract.
    """

    data = data or os.environ.get(ENV_DATA, "")
    params = params or os.environ.get(ENV_PARAMS, "parameters")
    out = out or os.environ.get(ENV_OUT, "output")
    report = report or os.environ.get(ENV_REPORT, "") or DEFAULT_REPORT
    display(HTML(present.TABLE_CSS))
    if not data:
        display(Markdown("**未指定台账目录。** 请用 `zongjie review --data 台账目录 --params 参数目录` 启动。"))
        return None
    try:
        ledgers = read_ledgers(Path(data), Path(params))
    except DataError as err:
        display(Markdown(f"**台账有{len(err.problems)}处问题，无法核对。** 请按下表逐一修正后刷新本页："))
        display(HTML(present.problems_table(err.problems)))
        return None
    except ZongjieError as err:
        display(Markdown(f"**无法读取台账**：{html.escape(str(err))}"))
        return None
    reviewer = ReviewPanel(ledgers, params, out, report=report, data=data)
    display(reviewer.widget)
    return reviewer
