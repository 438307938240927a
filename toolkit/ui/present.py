"""Plain-HTML views of the pipeline's values for reviewers.

Plain tables read everywhere: in JupyterLab, in the exported HTML, with or without
widgets. Every text a reviewer reads is Chinese. Numbers stand right-aligned in columns
of their own, with their unit and one number of decimals per column
(:mod:`toolkit.publish.numbers`).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

import pandas as pd
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from toolkit.data.ledgers import Ledgers, Shelf
from toolkit.data.problems import Problem
from toolkit.publish import numbers
from toolkit.report import styles
from toolkit.report.changes import Change
from toolkit.report.checks import Finding
from toolkit.report.figures import Figure, Figures
from toolkit.report.overrides import recorded_old
from toolkit.report.prepare import Report

#: The style of every table shown in a notebook (report and overview), for screen and export.
TABLE_CSS = """<style>
.zongjie-table { border-collapse: collapse; font-size: 13px; }
.zongjie-table th, .zongjie-table td { border: 1px solid #ccc !important; padding: 2px 6px !important;
  text-align: left !important; vertical-align: top !important; }
.zongjie-table th { background: #f3f3f3; white-space: nowrap; }
.zongjie-table td:first-child { white-space: nowrap; }
.zongjie-table td.num, .zongjie-table th.num { text-align: right !important; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.zongjie-table td.num small { display: block; color: #666; white-space: normal; }
.zongjie-table td.unit { color: #555; white-space: nowrap; }
.zongjie-table td.st { white-space: nowrap; }
.zongjie-table details summary { cursor: pointer; color: #1a56c4; }
mark { background: #ffeb3b; }
</style>"""


WHY_ZH = {"data": "台账数据变化", "override": "人工修改", "template": "报告模板变化"}
STATUS = {"ok": "正常", "warning": "需核实", "missing": "缺失", "overridden": "已修改"}
_CSS = "zongjie-table"


def label_of(figures: Figures, key: str | None) -> str:
    """The label of the figure ``key`` names; "" when a finding concerns no figure of the report."""
    return figures[key].label if key is not None and key in figures else ""


def _table(frame: pd.DataFrame) -> str:
    page: str = frame.to_html(index=False, escape=True, border=0, classes=_CSS, na_rep="")
    return page


def html_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Iterable[int] = (),
    classes: Mapping[int, str] | None = None,
    raw: Iterable[int] = (),
    row_attrs: Sequence[str] | None = None,
) -> str:
    """A table of ``rows``: the ``numeric`` columns right-aligned, ``classes`` (column → ``unit``,
    ``st``) for others, ``raw`` ones already HTML (every other cell is escaped here);
    ``row_attrs`` adds attributes to each row."""
    named = {**(classes or {}), **dict.fromkeys(numeric, "num")}
    html_cells = set(raw)

    def cell(i: int, value: object, tag: str = "td") -> str:
        cls = f' class="{named[i]}"' if i in named and (tag == "td" or named[i] == "num") else ""
        text = "" if value is None else str(value) if i in html_cells and tag == "td" else html.escape(str(value))
        return f"<{tag}{cls}>{text}</{tag}>"

    head = "".join(cell(i, c, "th") for i, c in enumerate(columns))
    body = []
    for n, row in enumerate(rows):
        attrs = row_attrs[n] if row_attrs is not None and n < len(row_attrs) else ""
        body.append(f"<tr{attrs}>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>")
    return f'<table class="{_CSS}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def problems_table(problems: list[Problem]) -> str:
    rows = [
        (
            p.file,
            p.sheet or "",
            p.row or "",
            p.column or "",
            "" if p.value is None else str(p.value),
            p.message,
            p.expected or "",
        )
        for p in problems
    ]
    return html_table(["文件", "工作表", "行", "列", "值", "问题", "应为"], rows, numeric=[2])


def ledger_summary(ledgers: Ledgers | Shelf) -> str:
    """Rows read per table and file."""
    parts = [
        (ledgers.contract.table(t).zh, file, sheet, rows, _some(codes))
        for t, file, sheet, rows, codes in ledgers.sources
    ]
    return html_table(["台账", "文件", "工作表", "行数", "单位"], parts, numeric=[3])


def _some(codes: list[str], shown: int = 12) -> str:
    """A few codes and the count, so a province's ledger does not list a thousand codes."""
    if len(codes) <= shown:
        return "、".join(codes)
    return "、".join(codes[:shown]) + f"等{len(codes)}个单位"


def _text_column(figure: Figure, number: str) -> str:
    """The figures table's 报告中的写法: a number stands in 数值 (with its unit) instead."""
    return "" if number else str(figure)


def number_texts(figures: Sequence[Figure]) -> list[str]:
    """Each figure's number for a column of them: counts whole, amounts with one number of
    decimals among those written alike; "" for a figure that is no number or is missing."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, f in enumerate(figures):
        if numbers.is_number(f):
            places = numbers.places(f)
            groups.setdefault((f.form.kind, places), []).append(i)
    texts = [""] * len(figures)
    for (_, places), members in groups.items():
        column = numbers.column_texts([numbers.scaled(figures[i]) for i in members], places)
        for i, text in zip(members, column):
            texts[i] = text or ""
    return texts


def _computed(f: Figure) -> str:
    """What the ledgers give for a corrected figure: its text, or 缺失."""
    computed = (f.override or {}).get("computed")
    return "缺失" if computed is None else str(computed)


def _note(f: Figure) -> str:
    note = f.missing or "；".join(f.warnings)
    if f.override:
        old = f"已修改：原值“{recorded_old(f.override)}”，原因：{f.override.get('reason')}"
        note = old + (f"；{note}" if note else "")
    return note


FIGURE_COLUMNS = ("数据项", "报告中的写法", "数值", "单位", "状态", "说明", "来源", "计算规则", "代码")


def _figure_rows(figures: Sequence[Figure]) -> list[tuple[str, ...]]:
    values = number_texts(figures)
    return [
        (
            f.label,
            _text_column(f, value),
            value,
            numbers.unit_word(f) if value else "",
            STATUS[f.status],
            _note(f),
            "；".join(str(s) for s in f.sources),
            f.rule,
            f.key,
        )
        for f, value in zip(figures, values)
    ]


def figures_frame(figures: Figures) -> pd.DataFrame:
    """Every figure as a row: the report's writing, the number and its unit, status, note, sources, rule."""
    return pd.DataFrame(_figure_rows(list(figures.values())), columns=list(FIGURE_COLUMNS))


#: Statuses a reviewer looks at first, in this order, and their row colours.
ATTENTION_ORDER = {"missing": 0, "warning": 1, "overridden": 2, "ok": 3}
ROW_COLOURS = {"missing": "#fdecea", "warning": "#fff4d6", "overridden": "#e8f0fe", "ok": ""}


def figures_table(figures: Figures) -> str:
    """Every figure, those needing attention first (缺失, 需核实, 已修改) and coloured; the rest folded.

    The fold is a plain ``<details>``: a filter that works offline, in JupyterLab and in the HTML.
    """
    listed = sorted(figures.values(), key=lambda f: ATTENTION_ORDER[f.status])
    rows = _figure_rows(listed)
    attrs = [
        f' class="zj-{f.status}"' + (f' style="background:{ROW_COLOURS[f.status]}"' if ROW_COLOURS[f.status] else "")
        for f in listed
    ]
    attention = sum(f.status != "ok" for f in listed)

    def table(part: slice) -> str:
        return html_table(FIGURE_COLUMNS, rows[part], numeric=[2], classes={3: "unit", 4: "st"}, row_attrs=attrs[part])

    if attention == 0 or attention == len(listed):
        return table(slice(None))
    ok = len(listed) - attention
    return (
        table(slice(0, attention))
        + f"<details><summary>另有{ok}项状态正常（点击展开）</summary>{table(slice(attention, None))}</details>"
    )


def findings_table(findings: list[Finding], figures: Figures) -> str:
    """The checks' findings: those about a figure are its 需核实 row in the figures' table (counted
    here, not repeated); the others, about no single figure, are listed."""
    if not findings:
        return "<p>未发现需要核实的数据。</p>"
    shown = [f for f in findings if f.key is not None and f.key in figures]
    rest = [f for f in findings if f.key is None or f.key not in figures]
    parts = []
    if shown:
        labels = "、".join(dict.fromkeys(label_of(figures, f.key) for f in shown))
        parts.append(
            f"<p>共{len(shown)}条提示，涉及{labels}，已在上方“报告数据”表中标为“{STATUS['warning']}”，说明栏写明原因。</p>"
        )
    if rest:
        parts.append(f"<p>另有{len(rest)}条提示不属于单个数据项：</p>")
        parts.append(html_table(["提示"], [(f.message,) for f in rest]))
    return "\n".join(parts)


def preview_html(docx: bytes) -> str:
    """The rendered document's paragraphs, missing values marked."""
    out = ['<div class="zongjie-preview" style="font-family:serif;max-width:48em;line-height:1.8">']
    for style, raw in _paragraphs(docx):
        text = html.escape(raw)
        text = re.sub(r"【待补充：[^】]*】", lambda m: f"<mark>{m.group(0)}</mark>", text)
        if style == styles.TITLE:
            out.append(f'<h3 style="text-align:center">{text}</h3>')
        elif style in styles.HEADINGS:
            out.append(f"<p><b>{text}</b></p>")
        elif style in styles.SIGNATURES:
            out.append(f'<p style="text-align:right">{text}</p>')
        elif text:
            out.append(f'<p style="text-indent:2em;margin:0">{text}</p>')
    out.append("</div>")
    return "\n".join(out)


_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def _paragraphs(docx: bytes) -> list[tuple[str, str]]:
    """(style id, text) of each body paragraph, read from the main document part alone.

    python-docx's ``Document`` opens every part, and its ``paragraph.style`` searches the
    style sheet for each paragraph, most of a preview's cost; the paragraphs' own XML
    (through python-docx's element classes, so text reads as ``paragraph.text`` does) is enough.
    """

    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        relations = parse_xml(package.read("_rels/.rels"))
        main = next((r.get("Target") for r in relations if r.get("Type") == _OFFICE_DOCUMENT), "word/document.xml")
        document = parse_xml(package.read(main.lstrip("/")))
    body = document.find(qn("w:body"))
    if body is None:
        return []
    return [(p.style or "", p.text) for p in body.iterchildren(qn("w:p"))]


#: How a cell of the side-by-side overview marks a figure that is not simply 正常.
MARKS = {"missing": "（缺）", "warning": "（!）", "overridden": "（改）"}


def bureau_status(report: Report) -> str:
    """A key of :data:`STATUS` for a whole report: 正常 only when there is nothing to look at."""
    figures = report.figures.values()
    if report.figures.missing():
        return "missing"
    if report.findings or any(f.warnings for f in figures):
        return "warning"
    return "overridden" if any(f.override for f in figures) else "ok"


def _side_by_side_row(figures: list[Figure]) -> tuple[list[str], bool]:
    """One figure of every bureau: the cells (marked, numbers in one unit and decimals) and whether they are numbers."""
    numeric = numbers.is_number(figures[0])
    texts = numbers.figure_column(figures) if numeric else [f.text for f in figures]
    cells = []
    for f, text in zip(figures, texts):
        shown = "【待补充】" if f.text is None else text if text is not None else str(f)
        cells.append(f"{MARKS.get(f.status, '')}{shown}")
    return cells, numeric


def overview_figures(reports: Mapping[str, Report | Exception]) -> str:
    """Figures side by side: one row per figure, one column per bureau; numbers right-aligned in
    the row's unit with one number of decimals; marks for 缺失, 需核实 and 已修改."""
    good = {code: r for code, r in reports.items() if not isinstance(r, Exception)}
    if not good:
        return "<p>没有可以计算的单位。</p>"
    first = next(iter(good.values()))
    body = []
    for key, figure in first.figures.items():
        figures = [r.figures[key] for r in good.values() if key in r.figures]
        cells, numeric = _side_by_side_row(figures)
        cls = ' class="num"' if numeric else ""
        unit = numbers.unit_word(figure) if numeric else ""
        body.append(
            f'<tr><td>{html.escape(figure.label)}</td><td class="unit">{html.escape(unit)}</td>'
            + "".join(f"<td{cls}>{html.escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    head = "".join(f"<th>{html.escape(r.params.name)}</th>" for r in good.values())
    legend = "<p>（缺）缺失，（!）需核实，（改）审核时已修改；数字按各行的单位列出。</p>"
    return (
        f'<table class="{_CSS}"><thead><tr><th>数据项</th><th>单位</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{legend}"
    )


#: Notes of one kind shown before the rest is folded.
SHOWN_ITEMS = 2


def folded(texts: list[str], shown: int = SHOWN_ITEMS) -> str:
    """Several notes as a list, one per line, not a run-on paragraph (escaped here); beyond the
    first ``shown`` the rest is folded, so nine 提示 do not bury the table."""
    if not texts:
        return ""
    if len(texts) == 1:
        return html.escape(texts[0])

    def listed(items: list[str]) -> str:
        return (
            '<ul style="margin:0;padding-left:1.2em">' + "".join(f"<li>{html.escape(t)}</li>" for t in items) + "</ul>"
        )

    if len(texts) <= shown + 1:  # folding one item away saves nothing
        return listed(texts)
    rest = texts[shown:]
    return f"{listed(texts[:shown])}<details><summary>另有{len(rest)}条（点击展开）</summary>{listed(rest)}</details>"


def overview_status(reports: Mapping[str, Report | Exception], signoffs: Mapping[str, str] | None = None) -> str:
    """Per bureau: its status (正常 only with nothing to look at), its sign-off (``signoffs``:
    code → state, as ``signoff.SignOff`` writes it), then missing values, warnings and
    overrides, each as a list."""
    rows = []
    states = signoffs or {}
    for code, r in reports.items():
        if isinstance(r, Exception):
            rows.append((code, "", "无法计算", "", "", "", html.escape(str(r))))
            continue
        figs = r.figures.values()
        rows.append(
            (
                code,
                r.params.name,
                STATUS[bureau_status(r)],
                html.escape(states.get(code, "—")),
                folded([f.label for f in figs if f.text is None]),
                folded([f"{label_of(r.figures, x.key)}：{x.message}" for x in r.findings]),
                folded(
                    [f"{f.label}：{_computed(f)}→{f.text}（{f.override.get('reason')}）" for f in figs if f.override]
                ),
            )
        )
    return html_table(
        ["单位代码", "单位名称", "状态", "核对", "待补充", "提示", "已修改"],
        rows,
        raw=[3, 4, 5, 6],
        classes={2: "st"},
    )


def review_summary(rep: Report) -> tuple[str, str]:
    """What the review panel is and how to open it, as plain text and HTML, for places where it cannot run."""
    counts = {s: sum(f.status == s for f in rep.figures.values()) for s in ("warning", "missing", "overridden")}
    attention = "，".join(f"{STATUS[s]}{n}项" for s, n in counts.items() if n) or "没有需要关注的数据"
    lines = [
        f"交互核对面板（{rep.params.name}{rep.year}年：{attention}）",
        "在这里可以选择单位和年度、筛选需关注的数据、查看台账来源、填写新值和修改原因、生成并下载报告。",
        "面板需要运行中的 Python 内核，保存的笔记本和网页中不显示。打开方式：",
        "在 JupyterLab 中打开本笔记本，点击“运行 → 运行所有单元格”；",
        "或不写代码：在命令行运行 zongjie review --data 台账目录 --params 参数目录，在浏览器中核对。",
    ]
    page = (
        '<div class="zj-review-summary" style="border:1px solid #ccc;padding:6px 12px;max-width:48em">'
        f"<p><b>{html.escape(lines[0])}</b></p><p>{html.escape(lines[1])}</p><p>{html.escape(lines[2])}</p><ul>"
        f"<li>{html.escape(lines[3])}</li><li>{html.escape(lines[4])}</li></ul></div>"
    )
    return "\n".join(lines), page


def _pair(figure: Figure | None, old: str, new: str) -> tuple[str, str, str, bool]:
    """Two texts of one figure as numbers in its unit with one number of decimals, when they are numbers."""
    if figure is None or not numbers.is_number(figure):
        return old, new, "", False
    whole = figure.form.unit == "万元取整"  # written 1235万 in the report
    try:
        values = [Decimal(text.removesuffix("万") if whole else text) for text in (old, new)]
    except (InvalidOperation, ValueError):
        return old, new, "", False
    if not all(v.is_finite() for v in values):
        return old, new, "", False
    texts = numbers.column_texts(values, numbers.places(figure))
    return texts[0] or old, texts[1] or new, numbers.unit_word(figure), True


def _growth(change: Decimal | None) -> str:
    return "—" if change is None else f"{change:+.1%}".replace("+", "增长 ").replace("-", "下降 ")


def changes_html(
    since: list[Change], had_previous: bool, yearly: list[tuple[Change, Decimal | None]], rep: Report
) -> str:
    """Two short tables: changes since the previous run (with why), then differences from last year;
    numbers right-aligned with their unit."""
    parts = ["<h4>与上次生成相比</h4>"]
    if not had_previous:
        parts.append("<p>本单位本年度第一次生成，没有可比较的上次结果。</p>")
    elif not since:
        parts.append("<p>与上次生成的报告相比，没有数据变化。</p>")
    else:
        rows = []
        for c in since:
            old, new, unit, _ = _pair(rep.figures.get(c.key), c.old, c.new)
            rows.append((c.label, old, new, unit, WHY_ZH.get(c.why, "")))
        parts.append(html_table(["数据项", "上次", "本次", "单位", "原因"], rows, numeric=[1, 2], classes={3: "unit"}))
    last = rep.year - 1
    parts.append(f"<h4>与{last}年相比</h4>")
    if rep.previous is None or not any(rep.previous.own(k) for k in rep.figures if k != "year"):
        parts.append(f"<p>台账中没有{last}年可比的数据（活动或财政指标不足），不作同比。</p>")
    elif not yearly:
        parts.append(f"<p>数值类数据与{last}年相同。</p>")
    else:
        rows = []
        for c, change in yearly:
            old, new, unit, _ = _pair(rep.figures.get(c.key), c.old, c.new)
            rows.append((c.label, old, new, unit, _growth(change)))
        columns = ["数据项", f"{last}年", f"{rep.year}年", "单位", "变化"]
        parts.append(html_table(columns, rows, numeric=[1, 2, 4], classes={3: "unit"}))
    return "\n".join(parts)
