"""What the report notebook calls: each step of the pipeline, displayed for a reviewer.

This module sits at the edge beside ``review`` and ``cli``: it may import IPython; the
library modules do not. Every function displays plain HTML first, so the executed
notebook and its HTML export read the same without widgets.
"""

from __future__ import annotations

import base64
import html
import importlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import IPython.display
from IPython import get_ipython

from toolkit.data.dates import DATE_FORMS, UnreadableDate, read_date
from toolkit.data.ledgers import Ledgers, Shelf, read_cached
from toolkit.data.params import list_bureaus
from toolkit.data.problems import DataError, Notice
from toolkit.errors import PdfError, ZongjieError
from toolkit.outputs import HEADLESS, report_dir, report_files
from toolkit.publish import pdf
from toolkit.record import NotebookRecord
from toolkit.report import changes as ch
from toolkit.report import render, signoff
from toolkit.report.prepare import Report, prepare, prepare_all, template_for
from toolkit.resources import DEFAULT_REPORT
from toolkit.ui import charts, present
from toolkit.ui import overview as ov

if TYPE_CHECKING:
    from toolkit.ui.review import ReviewPanel

#: IPython's display and its HTML and Markdown outputs, which IPython leaves unannotated,
#: as this module calls them (a test replaces ``display`` to see what a step shows).
display: Callable[..., None] = IPython.display.display
HTML: Callable[[str], IPython.display.HTML] = IPython.display.HTML
Markdown: Callable[[str], IPython.display.Markdown] = IPython.display.Markdown


def setup() -> None:
    """Short error messages instead of tracebacks: reviewers read the message, not the stack."""
    shell = get_ipython()
    if shell is not None:
        shell.InteractiveTB.set_mode("Minimal")  # like %xmode Minimal, without printing a notice
    display(HTML(present.TABLE_CSS))


def load(data: str, ledger_cache: str = "", params: str = "") -> Ledgers | Shelf:
    """Load and validate the ledgers (or read the batch's validated copy); show the result.

    ``params`` is the parameters folder, whose ``contract.yaml`` (if any) extends what the
    ledgers may hold; the batch's copy was validated against it already.
    """
    if ledger_cache:
        ledgers = _batch_ledgers(Path(ledger_cache))
        display(Markdown("台账已在批量运行开始时统一读取并校验，**未发现问题**。"))
    else:
        # imported here: a batch's kernel reads the validated copy and never needs the
        # readers and checks (pandera among them, a tenth of a second of its start)
        validate = importlib.import_module("toolkit.data.validate")
        try:
            ledgers = validate.read_ledgers(Path(data), params or None)
        except DataError as err:
            display(Markdown(f"**台账有{len(err.problems)}处问题，未生成报告。** 请按下表逐一修正："))
            display(HTML(present.problems_table(err.problems)))
            raise
        display(Markdown("台账校验通过，**未发现问题**。"))
    show_notices(ledgers.notices)
    display(HTML(present.ledger_summary(ledgers)))
    return ledgers


def _batch_ledgers(path: Path) -> Ledgers | Shelf:
    """The batch's validated copy of this bureau's rows (or of all rows bureau by bureau, for the overview).

    Each copy is small and read once: what a batch kernel keeps between notebooks is
    frozen out of the garbage collector by the kernel's reset (see ``kernels.KernelSlot``).
    """
    return read_cached(path)


def show_notices(notices: Sequence[Notice]) -> None:
    """What the loader skipped on purpose: copies, hidden sheets, title and 合计 rows, extra columns."""
    if not notices:
        return

    items = "".join(f"<li>{html.escape(str(n))}</li>" for n in notices)
    display(Markdown(f"**提示：台账中有{len(notices)}处内容未作为数据读取**，请确认无误："))
    display(HTML(f"<ul>{items}</ul>"))


def figures(ledgers: Ledgers, params: str, bureau: str, year: int, signed_on: str = "", report: str = "") -> Report:
    """Compute and show every figure of the report with its sources and status."""
    try:
        day = read_date(signed_on)
    except UnreadableDate as exc:
        raise ZongjieError(f"落款日期（signed_on）{exc.message}：“{signed_on}”，应写作{DATE_FORMS}。") from None
    rep = prepare(ledgers, Path(params), bureau, int(year), day, report=report or DEFAULT_REPORT)
    counts = {s: sum(f.status == s for f in rep.figures.values()) for s in present.STATUS}
    display(
        Markdown(
            f"**{rep.params.name}{rep.year}年**：共{len(rep.figures)}项数据，"
            + "，".join(f"{present.STATUS[s]}{n}项" for s, n in counts.items() if n)
        )
    )
    display(HTML(present.figures_table(rep.figures)))
    publish_result(rep)
    return rep


def publish_result(rep: Report) -> None:
    """A machine-readable record of the run for the batch summary (missing, warnings, overrides)."""
    display(rep.record().part(), raw=True)


def changes(rep: Report, out: str) -> None:
    """What changed since the previous run of this report (old → new, why) and against last year."""
    folder = report_dir(Path(out), rep.year, rep.bureau)
    previous = ch.read_previous(folder, report_files(rep.name).figures)
    since = ch.since_last_run(rep.figures, previous)
    yearly = ch.from_last_year(rep.figures, rep.previous)
    display(HTML(present.changes_html(since, previous is not None, yearly, rep)))
    record = NotebookRecord(changes=[str(c) for c in since], year_changes=[str(c) for c, _ in yearly])
    display(record.part(), raw=True)


def checks(rep: Report) -> None:
    display(HTML(present.findings_table(rep.findings, rep.figures)))


def _show_svg(drawing: str) -> None:
    """Display a chart made by ``toolkit.ui.charts`` (the HTML export inlines it).

    The same output as ``IPython.display.SVG``, without re-parsing: ``SVG`` reads the
    text with minidom to find its ``<svg>`` element, three times the cost of drawing it,
    and the chart is that element already.
    """
    display({"image/svg+xml": drawing}, raw=True)


def show_charts(rep: Report) -> None:
    _show_svg(charts.activities_per_month(rep.scope))
    _show_svg(charts.finance_against_previous(rep.figures, rep.previous))


@dataclass
class Draft:
    docx: bytes
    template: Path


def preview(rep: Report, template: str = "") -> Draft:
    """Render the report (as a draft) and show its paragraphs."""
    path = template_for(rep, template)  # the one asked for, else the bureau's own, else the report's
    docx = render.render_docx(rep.figures, rep.story, path)
    display(HTML(present.preview_html(docx)))
    return Draft(docx, path)


def write(rep: Report, draft: Draft, out: str, final: bool = False) -> Path:
    """Write report.docx and figures.json; a final report is refused while anything blocks it
    (missing values, sums over blank cells, unread ledger content, rows of unknown codes)."""
    if final:
        rep.gate().refuse()  # before anything is written
    folder = render.write_report(
        rep.figures,
        rep.story,
        draft.template,
        Path(out),
        final=final,
        docx=draft.docx,
        findings=rep.findings,
        name=rep.name,
    )
    kind = "正式稿" if final else "草稿"
    files = report_files(rep.name)
    link = Path(os.path.relpath(folder / files.docx, Path.cwd())).as_posix()
    display(Markdown(f"已生成{kind}：[{files.docx}]({link})；每个数据的来源见同目录的 `{files.figures}`。"))
    return folder


def write_pdf(rep: Report, folder: Path, wanted: bool = False) -> Path | None:
    """Convert the report's docx to PDF with LibreOffice and show the first page (when asked).

    A failed conversion is shown and recorded for the batch summary; the Word report
    stays as written. The converter is the kernel's own, so a batch worker that runs
    one notebook after another starts LibreOffice once.
    """
    if not wanted:
        display(Markdown("本次未要求生成 PDF（如需 PDF，生成时选择同时生成 PDF，此处将显示第一页）。"))
        return None
    try:
        path = pdf.write_beside(Path(folder) / report_files(rep.name).docx)
    except PdfError as err:
        display(Markdown(f"**PDF 未生成**：{err}（Word 报告不受影响。）"))
        display(NotebookRecord(pdf_error=str(err)).part(), raw=True)
        return None
    link = Path(os.path.relpath(path, Path.cwd())).as_posix()
    # the converter's process shows a batch test that LibreOffice was started once per worker
    display(NotebookRecord(pdf=path.name, pdf_converter=pdf.shared().pid).part(), raw=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            picture = pdf.first_page_png(path, Path(tmp) / "page1.png").read_bytes()
    except PdfError as err:
        display(Markdown(f"已生成 PDF：[{path.name}]({link})。首页图片未能生成：{err}"))
        return path
    display(Markdown(f"已生成 PDF：[{path.name}]({link})。第一页（LibreOffice 排版）："))
    encoded = base64.b64encode(picture).decode("ascii")
    display(
        HTML(
            f'<img alt="report.pdf 第一页" width="560" style="border: 1px solid #999" src="data:image/png;base64,{encoded}">'
        )
    )
    return path


def review(
    ledgers: Ledgers,
    params: str,
    out: str,
    bureau: str,
    year: int,
    template: str = "",
    rep: Report | None = None,
) -> ReviewPanel | None:
    """Show the interactive review panel in JupyterLab, and a static summary wherever a widget cannot live.

    Both go out as one display: JupyterLab with a kernel shows the panel; the saved
    notebook and its HTML (see ``export.for_reading``) show the summary of what the panel
    is and how to open it, never the widget's Python repr. In a kernel zongjie runs
    headless (``run``, ``batch``) only the summary is shown: the panel would be built for
    no one. ``rep`` is the report the notebook computed, for that summary; the panel
    reviews the same report definition (its corrections and sign-offs).
    """
    name = rep.name if rep is not None else DEFAULT_REPORT
    if os.environ.get(HEADLESS):
        if rep is None:
            rep = prepare(ledgers, Path(params), bureau, int(year), report=name)
        text, page = present.review_summary(rep)
        display({"text/plain": text, "text/html": page}, raw=True)
        return None

    # imported here: a headless kernel (every batch and run) never builds the panel, and
    # ipywidgets is a tenth of a second of its start
    review = importlib.import_module("toolkit.ui.review")
    panel: ReviewPanel = review.ReviewPanel(
        ledgers, params, out, bureau=bureau, year=int(year), template=template or None, report=name
    )
    bundle = panel.widget._repr_mimebundle_()
    text, page = present.review_summary(panel.current)
    bundle.update({"text/plain": text, "text/html": page})
    display(bundle, raw=True)
    return panel


def overview(
    ledgers: Ledgers | Shelf, params: str, year: int, report: str = DEFAULT_REPORT
) -> dict[str, Report | ZongjieError]:
    """Every bureau of the year in ``report``: side by side when they fit (see ``toolkit.ui.overview``),
    else aggregated by figure with the bureaus that need attention first."""

    codes = [c for c in list_bureaus(Path(params)) if c in ledgers.bureaus]
    reports = prepare_all(ledgers, Path(params), int(year), codes, report=report or DEFAULT_REPORT, keep_rows=False)
    display(Markdown(f"**{year}年**：{len(codes)}个单位。"))
    if len(reports) <= ov.SIDE_BY_SIDE:
        display(HTML(present.overview_status(reports, _signoffs(Path(params), reports))))
        display(HTML(present.overview_figures(reports)))
        return reports
    display(
        Markdown(
            f"单位较多，不再逐个并排：下表按数据项汇总全部{len(codes)}个单位，其后列出需关注的单位"
            f"（最多{ov.ATTENTION_PAGE}个）。每个单位的情况见同目录的 index.html（可搜索、排序），"
            "各单位主要数据见 汇总表.docx。"
        )
    )
    display(HTML(ov.figure_summary(reports)))
    display(HTML(ov.attention_table(reports)))
    return reports


def _signoffs(params: Path, reports: Mapping[str, Report | ZongjieError]) -> dict[str, str]:
    """Each bureau's sign-off state against its figures now, as one line."""
    states: dict[str, str] = {}
    for code, rep in reports.items():
        if isinstance(rep, Report):
            try:
                states[code] = str(signoff.state(params, rep.figures))
            except ZongjieError as err:
                states[code] = f"核对记录无法读取：{err}"
    return states


def overview_charts(reports: Mapping[str, Report | Exception]) -> None:

    revenue, attention = reports, reports
    if len(reports) > ov.SIDE_BY_SIDE:
        display(
            Markdown(
                f"单位较多，图中只画财政总收入最高的{ov.CHART_BARS}个单位和需关注数据最多的{ov.CHART_BARS}个单位。"
            )
        )
        revenue = ov.top(reports, ov.CHART_BARS, ov.revenue)
        attention = ov.top(reports, ov.CHART_BARS, ov.attention_total)
    _show_svg(charts.compare_bureaus(revenue))
    _show_svg(charts.attention_counts(attention))
