"""Plain-HTML views of the pipeline's values for reviewers.

Plain tables read everywhere: in JupyterLab, in the exported HTML, with or without
widgets. Every text a reviewer reads is Chinese.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from toolkit.data.contract import TABLES
from toolkit.data.ledgers import Ledgers
from toolkit.data.problems import Problem
from toolkit.report import styles
from toolkit.report.changes import Change
from toolkit.report.checks import Finding
from toolkit.report.figures import Figures
from toolkit.report.prepare import Report

#: The style of every table shown in a notebook (report and overview), for screen and export.
TABLE_CSS = """<style>
.zongjie-table { border-collapse: collapse; font-size: 13px; }
.zongjie-table th, .zongjie-table td { border: 1px solid #ccc !important; padding: 2px 6px !important;
  text-align: left !important; vertical-align: top !important; }
.zongjie-table th { background: #f3f3f3; white-space: nowrap; }
.zongjie-table td:first-child { white-space: nowrap; }
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


def problems_table(problems: list[Problem]) -> str:
    frame = pd.DataFrame(
        [
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
        ],
        columns=["文件", "工作表", "行", "列", "值", "问题", "应为"],
    )
    return _table(frame)


def ledger_summary(ledgers: Ledgers) -> str:
    """Rows read per table and file."""
    parts = [(TABLES[t].zh, file, sheet, rows, _some(codes)) for t, file, sheet, rows, codes in ledgers.sources]
    return _table(pd.DataFrame(parts, columns=["台账", "文件", "工作表", "行数", "单位"]))


def _some(codes: list[str], shown: int = 12) -> str:
    """A few codes and the count, so a province's ledger does not list a thousand codes."""
    if len(codes) <= shown:
        return "、".join(codes)
    return "、".join(codes[:shown]) + f"等{len(codes)}个单位"


def figures_frame(figures: Figures) -> pd.DataFrame:
    rows = []
    for f in figures.values():
        note = f.missing or "；".join(f.warnings)
        if f.override:
            note = f"已修改：原值“{f.override.get('old')}”，原因：{f.override.get('reason')}" + (
                f"；{note}" if note else ""
            )
        rows.append(
            {
                "数据项": f.label,
                "报告中的写法": str(f),
                "状态": STATUS[f.status],
                "说明": note,
                "来源": "；".join(str(s) for s in f.sources),
                "计算规则": f.rule,
                "代码": f.key,
            }
        )
    return pd.DataFrame(rows)


#: Statuses a reviewer looks at first, in this order, and their row colours.
ATTENTION_ORDER = {"missing": 0, "warning": 1, "overridden": 2, "ok": 3}
ROW_COLOURS = {"missing": "#fdecea", "warning": "#fff4d6", "overridden": "#e8f0fe", "ok": ""}


def figures_table(figures: Figures) -> str:
    """Every figure, those needing attention first (缺失, 需核实, 已修改) and coloured; the rest folded.

    The fold is a plain ``<details>``: a filter that works offline, in JupyterLab and in the HTML.
    """
    listed = sorted(figures.values(), key=lambda f: ATTENTION_ORDER[f.status])
    frame = figures_frame(Figures(figures.bureau, figures.year, listed))
    page: str = frame.to_html(index=False, escape=True, border=0, classes=_CSS, na_rep="")
    for f in listed:  # colour each row by its status (rows are in the same order)
        colour = ROW_COLOURS[f.status]
        style = f' style="background:{colour}"' if colour else ""
        page = page.replace("<tr>\n      <td>", f'<tr class="zj-{f.status}"{style}>\n      <td data-s="">', 1)
    page = page.replace(' data-s=""', "")
    attention = sum(f.status != "ok" for f in listed)
    if attention == 0 or attention == len(listed):
        return page
    head, _, body = page.partition("<tbody>")
    rows = body.split("</tr>")
    shown = "</tr>".join(rows[:attention]) + "</tr>"
    folded = "</tr>".join(rows[attention:])
    ok = len(listed) - attention
    return (
        f"{head}<tbody>{shown}</tbody></table>"
        f"<details><summary>另有{ok}项状态正常（点击展开）</summary>{head}<tbody>{folded}</details>"
    )


def findings_table(findings: list[Finding], figures: Figures) -> str:
    if not findings:
        return "<p>未发现需要核实的数据。</p>"
    frame = pd.DataFrame([(label_of(figures, f.key), f.message) for f in findings], columns=["数据项", "提示"])
    return _table(frame)


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


def overview_figures(reports: Mapping[str, Report | Exception]) -> str:
    """Figures side by side: one row per figure, one column per bureau; missing ones marked."""
    good = {code: r for code, r in reports.items() if not isinstance(r, Exception)}
    if not good:
        return "<p>没有可以计算的单位。</p>"
    first = next(iter(good.values()))
    columns = {code: r.params.name for code, r in good.items()}
    rows = []
    for key, figure in first.figures.items():
        row = {"数据项": figure.label}
        for code, r in good.items():
            f = r.figures[key]
            mark = {"missing": "（缺）", "warning": "（!）", "overridden": "（改）"}.get(f.status, "")
            row[columns[code]] = f"{f}{mark}" if f.text is not None else "【待补充】"
        rows.append(row)
    return _table(pd.DataFrame(rows))


def _items(texts: list[str]) -> str:
    """Several notes as a list, one per line, not a run-on paragraph (escaped here)."""
    if not texts:
        return ""
    if len(texts) == 1:
        return html.escape(texts[0])
    return '<ul style="margin:0;padding-left:1.2em">' + "".join(f"<li>{html.escape(t)}</li>" for t in texts) + "</ul>"


def overview_status(reports: Mapping[str, Report | Exception]) -> str:
    """Per bureau: missing values, warnings and overrides, each as a list."""
    rows = []
    for code, r in reports.items():
        if isinstance(r, Exception):
            rows.append((html.escape(code), "", "无法计算", "", "", html.escape(str(r))))
            continue
        figs = r.figures.values()
        rows.append(
            (
                html.escape(code),
                html.escape(r.params.name),
                STATUS["missing"] if r.figures.missing() else STATUS["ok"],
                _items([f.label for f in figs if f.text is None]),
                _items([f"{label_of(r.figures, x.key)}：{x.message}" for x in r.findings]),
                _items(
                    [
                        f"{f.label}：{f.override.get('computed')}→{f.text}（{f.override.get('reason')}）"
                        for f in figs
                        if f.override
                    ]
                ),
            )
        )
    frame = pd.DataFrame(rows, columns=["单位代码", "单位名称", "状态", "待补充", "提示", "已修改"])
    page: str = frame.to_html(index=False, escape=False, border=0, classes=_CSS, na_rep="")
    return page


def review_summary(rep: Report) -> tuple[str, str]:
    """What the review panel is and how to open it, as plain text and HTML, for places where it cannot run."""
    counts = {s: sum(f.status == s for f in rep.figures.values()) for s in ("warning", "missing", "overridden")}
    attention = "，".join(f"{STATUS[s]}{n}项" for s, n in counts.items() if n) or "没有需要关注的数据"
    lines = [
        f"交互核对面板（{rep.params.name}{rep.year}年：{attention}）",
        "在这里可以选择单位和年度、筛选需关注的数据、查看台账来源、填写新值和修改原因、生成并下载报告。",
        "面板需要运行中的 Python 内核，保存的笔记本和网页中不显示。打开方式：",
        "在 JupyterLab 中打开本笔记本，点击“运行 → 全部运行”；",
        "或不写代码：在命令行运行 zongjie review --data 台账目录 --params 参数目录，在浏览器中核对。",
    ]
    page = (
        '<div class="zj-review-summary" style="border:1px solid #ccc;padding:6px 12px;max-width:48em">'
        f"<p><b>{html.escape(lines[0])}</b></p><p>{html.escape(lines[1])}</p><p>{html.escape(lines[2])}</p><ul>"
        f"<li>{html.escape(lines[3])}</li><li>{html.escape(lines[4])}</li></ul></div>"
    )
    return "\n".join(lines), page


def changes_html(
    since: list[Change], had_previous: bool, yearly: list[tuple[Change, Decimal | None]], rep: Report
) -> str:
    """Two short tables: changes since the previous run (with why), then differences from last year."""
    parts = ["<h4>与上次生成相比</h4>"]
    if not had_previous:
        parts.append("<p>本单位本年度第一次生成，没有可比较的上次结果。</p>")
    elif not since:
        parts.append("<p>与上次生成的报告相比，没有数据变化。</p>")
    else:
        frame = pd.DataFrame(
            [(c.label, c.old, c.new, WHY_ZH.get(c.why, "")) for c in since], columns=["数据项", "上次", "本次", "原因"]
        )
        parts.append(_table(frame))
    last = rep.year - 1
    parts.append(f"<h4>与{last}年相比</h4>")
    if rep.previous is None:
        parts.append(f"<p>台账中没有{last}年可比的数据（活动或财政指标不足），不作同比。</p>")
    elif not yearly:
        parts.append(f"<p>数值类数据与{last}年相同。</p>")
    else:
        rows = [
            (
                c.label,
                c.old,
                c.new,
                "—" if change is None else f"{change:+.1%}".replace("+", "增长 ").replace("-", "下降 "),
            )
            for c, change in yearly
        ]
        parts.append(_table(pd.DataFrame(rows, columns=["数据项", f"{last}年", f"{rep.year}年", "变化"])))
    return "\n".join(parts)
