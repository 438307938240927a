"""``<out>/<year>/index.html``: every bureau of a year's batch on one page, for people.

One self-contained file, no network: the rows travel as JSON inside the page and a small
inline script searches, filters, sorts and shows them a page at a time (100 rows by
default, or all). Loading costs the same for ten bureaus or a thousand: the browser
parses one JSON array and lays out one page of rows, where a thousand static rows took
most of the 2-second budget on a busy 2-core machine. Which files are linked is data: add an entry to :data:`YEAR_FILES` or
:data:`BUREAU_FILES` and the page links the file wherever it exists.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from toolkit.outputs import (
    INDEX,
    OVERVIEW_PAGE,
    PROBLEM_LIST,
    READING_COPY,
    SUMMARY_CSV,
    SUMMARY_TABLE_DOCX,
    SUMMARY_TABLE_PDF,
    atomic_write,
    report_files,
)
from toolkit.resources import DEFAULT_REPORT

#: Files of the whole year, linked at the top of the page when present: (file, link text).
YEAR_FILES: tuple[tuple[str, str], ...] = (
    (SUMMARY_TABLE_DOCX, "汇总表（Word）"),
    (SUMMARY_TABLE_PDF, "汇总表（PDF）"),
    (OVERVIEW_PAGE, "各单位数据对比"),
    (SUMMARY_CSV, "明细表（CSV，可用Excel打开）"),
    (PROBLEM_LIST, "台账问题清单（Excel）"),
)


#: Files of one bureau, linked in its row when present: (file, link text).
#: Files of one bureau, linked in its row when present: (file, link text), the seed report's names.
BUREAU_FILES: tuple[tuple[str, str], ...] = (
    (READING_COPY, "核对页"),
    (report_files().docx, "Word"),
    (report_files().pdf, "PDF"),
    (PROBLEM_LIST, "问题清单"),
)


def bureau_files(report: str = DEFAULT_REPORT) -> tuple[tuple[str, str], ...]:
    """:data:`BUREAU_FILES` with the document names of ``report`` (``<name>.docx`` …)."""
    seed, own = report_files(), report_files(report)
    renamed = {seed.docx: own.docx, seed.pdf: own.pdf, seed.figures: own.figures}
    return tuple((renamed.get(f, f), text) for f, text in BUREAU_FILES)


#: What a row's status says: the run's outcome, and for a report made, whether anything is left to look at.
STATUS_ZH = {
    "ok": "成功",
    "warning": "有提示",
    "missing": "待补充",
    "failed": "失败",
    "interrupted": "已中断",
    "held": "未核对",
}
#: Sort rank of a row: what needs a person's attention comes first.
_RANK = {"failed": 0, "interrupted": 1, "missing": 2, "warning": 3}
#: The table's columns (header, what it means), in the order shown; the legend lists them folded.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("单位代码", "单位的代码，也是该单位输出文件夹的名称。"),
    ("单位名称", "单位全称。"),
    (
        "状态",
        "成功：报告已生成，没有需要处理的数据；有提示：报告已生成，有需要核实的数据；"
        "待补充：报告已生成，但缺少数据；失败：报告未生成，原因见下方说明；已中断：批量运行被中止，下次运行会补做。",
    ),
    ("核对", "报告的核对情况（如已核对、已定稿、待核对）；“—”表示尚无记录。"),
    ("待补充", "台账中缺少、报告里以“【待补充】”标出的数据项个数；生成正式稿时须为0。"),
    ("提示", "数据检查发现需要核实的数据项个数（如同比变化过大），不影响生成。"),
    ("已修改", "审核时人工修改过的数据项个数（见该单位的修改记录）。"),
    ("变化", "与上次生成相比数值有变化的数据项个数；具体数据项列在该单位下方。"),
    ("用时", "生成该单位报告所用的秒数；“沿用”表示台账和参数未改动，沿用上次的结果。"),
    ("文件", "核对页（网页，含数据来源和检查结果）、Word 报告，以及已生成的其他文件。"),
)
#: Columns the script sorts as numbers (by their position in :data:`COLUMNS`); the others as text.
_NUMERIC = frozenset({2, 4, 5, 6, 7, 8})
_COUNTS = frozenset({4, 5, 6, 7, 8})  # right-aligned numbers
_SORTABLE = 9  # columns before this one sort when their header is clicked

#: Column widths (table font 14 px): at 800 px every column keeps at least 48 px, the
#: name takes what is left, and a fixed layout lays out a thousand rows without measuring them.
_WIDTHS = ("7em", "auto", "4.6em", "4.6em", "4.6em", "4em", "4.6em", "4em", "4em", "8.5em")
#: Items of a note shown before the rest is folded.
SHOWN_ITEMS = 2
_YEAR = re.compile(r"^\d{4}$")
_YEAR_LINK = r'(?:<strong>\d{4}年</strong>|<a href="\.\./\d{4}/index\.html">\d{4}年</a>)'
#: The year links of a page, in this version of the page and in earlier ones.
_YEAR_LINKS = re.compile(f"年度：{_YEAR_LINK}(?: \\| {_YEAR_LINK})*")
_e = html.escape


class BureauResult(Protocol):
    """What the page reads of one bureau's run (a batch's ``RunResult``).

    ``status``, ``changes`` and ``signoff`` (the report's sign-off, a short state such as
    已核对) are read when present.
    """

    @property
    def bureau(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str: ...
    @property
    def missing(self) -> Sequence[str]: ...
    @property
    def warnings(self) -> Sequence[str]: ...
    @property
    def overrides(self) -> Sequence[str]: ...
    @property
    def seconds(self) -> float: ...
    @property
    def skipped(self) -> bool: ...


class YearSummary(Protocol):
    """What the page reads of a year's batch (a ``BatchSummary``); ``problems`` is read when present."""

    @property
    def year(self) -> int: ...
    @property
    def folder(self) -> Path | None: ...
    @property
    def results(self) -> Sequence[BureauResult]: ...


def _folder(summary: YearSummary) -> Path:
    """The year's output folder, where the page goes."""
    if summary.folder is None:
        raise TypeError("the batch summary has no output folder")
    return Path(summary.folder)


def _run_status(result: BureauResult) -> str:
    """ok, failed or interrupted: how the run ended."""
    status = getattr(result, "status", None)
    return status if status in ("ok", "failed", "interrupted", "held") else ("ok" if result.ok else "failed")


def _status(result: BureauResult) -> str:
    """A key of :data:`STATUS_ZH`: how the run ended and, for a report made, what is left to look at."""
    status = _run_status(result)
    if status != "ok":
        return status
    return "missing" if result.missing else "warning" if result.warnings else "ok"


def _texts(value: object) -> list[str]:
    """A list of notes read defensively: anything else (None, a number) is no notes."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        return []
    return [str(v) for v in value]


def _changes(result: BureauResult) -> list[str]:
    """What changed since the last run; a reused result changed nothing."""
    return [] if result.skipped else _texts(getattr(result, "changes", None))


def _signoff(result: BureauResult) -> str:
    """The report's sign-off state (e.g. 已核对), "" when unknown."""
    value = getattr(result, "signoff", "")
    return value.strip() if isinstance(value, str) else ""


def year_links(years: Sequence[int], year: int) -> str:
    """``年度：2021年 | 2022年``, every year but ``year`` a link to its page."""
    parts = [f"<strong>{y}年</strong>" if y == year else f'<a href="../{y}/{INDEX}">{y}年</a>' for y in years]
    return "年度：" + " | ".join(parts)


def _years(folder: Path, year: int) -> list[int]:
    """Every year of the output folder with an index page, and ``year``."""
    parent = folder.parent
    found = {year}
    if parent.is_dir():
        found |= {int(p.name) for p in parent.iterdir() if p.is_dir() and _YEAR.match(p.name) and (p / INDEX).is_file()}
    return sorted(found)


def _with_links(page: str, links: str) -> str:
    """``page`` with its year links replaced by ``links`` (taken as they are, not as a pattern)."""
    return _YEAR_LINKS.sub(lambda _: links, page, count=1)


def relink_years(folder: Path, year: int) -> list[Path]:
    """Bring the year links of every other year's page up to date; return the pages rewritten.

    Only the links change (the rest of each page is left as it was written, data
    included); a page that cannot be read or written is left alone, since it is not
    this run's.
    """
    years = _years(folder, year)
    rewritten = []
    for other in years:
        path = folder.parent / str(other) / INDEX
        if other == year:
            continue
        try:
            page = path.read_text(encoding="utf-8")
            updated = _with_links(page, year_links(years, other))
            if updated != page:
                atomic_write(path, updated.encode("utf-8"))
                rewritten.append(path)
        except (OSError, UnicodeDecodeError):
            continue
    return rewritten


def _rank(result: BureauResult) -> int:
    status = _status(result)
    if status in _RANK:
        return _RANK[status]
    return 4 if result.overrides else 5


def _details(result: BureauResult) -> list[list[object]]:
    """The notes under a bureau's row: ``[heading, items, unit]`` for each kind it has."""
    kinds = (
        ("待补充", "项", _texts(result.missing)),
        ("提示", "条", _texts(result.warnings)),
        ("已修改", "项", _texts(result.overrides)),
        ("与上次相比变化", "项", _changes(result)),
    )
    return [[f"{label}{len(items)}{unit}", items, unit] for label, unit, items in kinds if items]


def _row(
    result: BureauResult, name: str, folder: Path, linked: tuple[tuple[str, str], ...] = BUREAU_FILES
) -> list[object]:
    """One bureau as the script reads it: ``[code, name, run status, missing, warnings,
    overrides, seconds (-1 when reused), files present, error, notes, attention rank,
    changes, sign-off]``; the script escapes."""
    own = folder / result.bureau
    files = [i for i, (f, _) in enumerate(linked) if (own / f).is_file()]
    seconds = -1 if result.skipped else round(result.seconds, 1)
    counts = [len(_texts(result.missing)), len(_texts(result.warnings)), len(_texts(result.overrides))]
    return [
        result.bureau,
        name,
        _run_status(result),
        *counts,
        seconds,
        files,
        result.error,
        _details(result),
        _rank(result),
        len(_changes(result)),
        _signoff(result),
    ]


def _json_script(value: object) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _tally(results: Sequence[BureauResult]) -> str:
    counts = {s: sum(_status(r) == s for r in results) for s in STATUS_ZH}
    parts = [f"{STATUS_ZH[s]}{counts[s]}个" for s in ("ok", "warning", "missing", "failed")]
    if counts["interrupted"]:
        parts.append(f"{STATUS_ZH['interrupted']}{counts['interrupted']}个")
    return f"共{len(results)}个单位：" + "，".join(parts)


def _heads() -> str:
    cells = []
    for i, (label, text) in enumerate(COLUMNS):
        kind = (" data-num" if i in _NUMERIC else "") + (" data-sort" if i < _SORTABLE else "")
        kind += ' class="n"' if i in _COUNTS else ""
        cells.append(f'<th scope="col" title="{_e(text)}" data-col="{i}"{kind}>{_e(label)}</th>')
    return "".join(cells)


def index_html(
    summary: YearSummary, names: dict[str, str], *, now: datetime | None = None, report: str = DEFAULT_REPORT
) -> str:
    """The page for ``summary`` (year, results, folder); ``names`` maps codes to bureau names;
    each bureau's row links the files of ``report``."""
    folder = _folder(summary)
    linked = bureau_files(report)
    year, results = summary.year, list(summary.results)
    now = (now or datetime.now()).astimezone()
    ordered = sorted(results, key=lambda r: (_rank(r), r.bureau))  # what needs attention first
    rows = [_row(r, names.get(r.bureau, ""), folder, linked) for r in ordered]
    files = [f'<a href="{_e(f)}">{_e(t)}</a>' for f, t in YEAR_FILES if (folder / f).is_file()]
    attention = sum(1 for r in results if _rank(r) < 4)
    notes = "".join(f'<p class="warn">注意：{_e(p)}</p>' for p in getattr(summary, "problems", None) or [])
    legend = "".join(f"<dt>{_e(label)}</dt><dd>{_e(text)}</dd>" for label, text in COLUMNS)
    return _PAGE.format(
        year=year,
        generated=f"{now.year}年{now.month}月{now.day}日 {now:%H:%M}（{now:%Z}）",
        years=year_links(_years(folder, year), year),
        tally=_tally(results),
        attention=attention,
        files=" | ".join(files) or "（尚无）",
        heads=_heads(),
        cols="".join(f'<col style="width:{w}">' for w in _WIDTHS),
        data=_json_script(rows),
        files_json=_json_script([t for _, t in linked]),
        file_names=_json_script([f for f, _ in linked]),
        status_json=_json_script(STATUS_ZH),
        shown=SHOWN_ITEMS,
        columns=len(COLUMNS),
        legend=legend,
        notes=notes,
        total=len(results),
        style=_STYLE,
        script=_SCRIPT,
    )


def write_index(summary: YearSummary, names: dict[str, str], report: str = DEFAULT_REPORT) -> Path:
    """Write ``index.html`` into the summary's folder (atomically) and return its path.

    The other years' pages then link this year too (:func:`relink_years`).
    """
    folder = _folder(summary)
    path = folder / INDEX
    atomic_write(path, index_html(summary, names, report=report).encode("utf-8"))
    relink_years(folder, summary.year)
    return path


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1em clamp(.5em, 2.5vw, 2em); color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
.meta, .files { margin: .3em 0; }
.tools { margin: .6em 0; display: flex; gap: .5em 1em; align-items: center; flex-wrap: wrap; }
.tools input { width: min(22em, 80vw); padding: 4px 6px; font-size: 1em; }
.tools select { padding: 3px; font-size: 1em; }
table { border-collapse: collapse; width: 100%; max-width: 78em; table-layout: fixed; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f3f3f3; user-select: none; position: sticky; top: 0; z-index: 1; font-weight: 600; }
th[data-sort] { cursor: pointer; }
th.asc::after, th.desc::after { position: absolute; right: 2px; bottom: 2px; font-size: .7em; color: #555; }
th.asc::after { content: "▲"; } th.desc::after { content: "▼"; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n.zero { color: #999; }
tr.missing td, tr.warning td { background: #fffbe6; } tr.failed td { background: #fdecea; }
tr.interrupted td { background: #fff4e0; }
tr.b.has-notes td { border-bottom-color: transparent; }
tr.notes td { font-size: .92em; color: #333; padding-top: 0; }
.note { margin: .15em 0; } .note b { font-weight: 600; margin-right: .3em; }
.note ul { margin: .1em 0 .1em 1.2em; padding: 0; } .note li { margin: 0; }
.note details { display: inline; } .note details[open] { display: block; }
.note summary { display: inline; cursor: pointer; color: #1a56c4; }
.st { font-style: normal; padding: 0 4px; border-radius: 3px; white-space: nowrap; }
tr.ok .st { background: #e6f4ea; color: #1e6b34; } tr.warning .st { background: #fef0c7; color: #7a4b00; }
tr.missing .st { background: #fbd9a8; color: #6b3300; } tr.failed .st { background: #d93025; color: #fff; }
tr.interrupted .st { background: #f29900; color: #fff; }
.so { white-space: nowrap; } .so.none { color: #999; }
.warn { color: #b3261e; white-space: pre-line; }
.err { color: #b3261e; font-weight: normal; }
details summary { cursor: pointer; color: #444; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: .5em 0 1em; }
dl.legend dt { font-weight: bold; } dl.legend dd { margin: 0; }
td a { display: inline-block; margin-right: .4em; }
a { color: #1a56c4; }
"""

_SCRIPT = """
(function () {
  var meta = JSON.parse(document.getElementById("meta").textContent);
  function stateOf(r) { return r[2] !== "ok" ? r[2] : r[3] ? "missing" : r[4] ? "warning" : "ok"; }
  var data = JSON.parse(document.getElementById("rows").textContent).map(function (r) {
    var state = stateOf(r), flags = [state, r[2]];
    if (r[10] < 4) flags.push("attention");
    if (r[3]) flags.push("missing");
    if (r[4]) flags.push("warning");
    if (r[5]) flags.push("overridden");
    if (r[11]) flags.push("changed");
    var words = [r[0], r[1], meta.status[state], r[8], r[12]];
    r[9].forEach(function (n) { words.push(n[0]); words.push.apply(words, n[1]); });
    return {r: r, s: state, c: " " + flags.join(" ") + " ",
            k: [r[0], r[1], r[10], r[12], r[3], r[4], r[5], r[11], r[6]], t: words.join(" ").toLowerCase()};
  });
  var body = document.querySelector("#bureaus tbody");
  var search = document.getElementById("search"), filter = document.getElementById("filter");
  var size = document.getElementById("size"), pager = document.getElementById("pager");
  var shown = document.getElementById("shown"), pageNo = 0, view = data;
  var collator = new Intl.Collator("zh-CN", {numeric: true});
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function num(n) { return "<td class=\\"n" + (n ? "" : " zero") + "\\">" + n + "</td>"; }
  function note(n) {
    var items = n[1], first = items.slice(0, meta.shown), rest = items.slice(meta.shown);
    var text = "<div class=note><b>" + esc(n[0]) + "：</b>" + first.map(esc).join("；");
    if (rest.length) {
      text += "<details><summary>……另有" + rest.length + esc(n[2]) + "（点击展开）</summary><ul>" +
        rest.map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("") + "</ul></details>";
    }
    return text + "</div>";
  }
  function row(d) {
    var r = d.r, code = esc(r[0]), cls = d.c.trim();
    var links = r[7].map(function (i) {
      return "<a href=\\"" + code + "/" + esc(meta.names[i]) + "\\">" + esc(meta.files[i]) + "</a>";
    }).join(" ") || "—";
    var notes = (r[8] ? ["<div class=\\"note err\\">" + esc(r[8]) + "</div>"] : []).concat(r[9].map(note));
    var signoff = r[12] ? "<span class=so>" + esc(r[12]) + "</span>" : "<span class=\\"so none\\">—</span>";
    var main = "<tr class=\\"b " + cls + (notes.length ? " has-notes" : "") + "\\"><td>" + code + "</td><td>" +
      esc(r[1]) + "</td><td><i class=st>" + meta.status[d.s] + "</i></td><td>" + signoff + "</td>" +
      num(r[3]) + num(r[4]) + num(r[5]) + num(r[11]) +
      "<td class=n>" + (r[6] < 0 ? "沿用" : r[6].toFixed(1)) + "</td><td>" + links + "</td></tr>";
    if (!notes.length) return main;
    return main + "<tr class=\\"notes " + cls + "\\"><td colspan=" + meta.columns + ">" + notes.join("") + "</td></tr>";
  }
  function render() {
    var per = +size.value || view.length || 1, pages = Math.max(1, Math.ceil(view.length / per));
    pageNo = Math.min(pageNo, pages - 1);
    body.innerHTML = view.slice(pageNo * per, pageNo * per + per).map(row).join("");
    shown.textContent = view.length;
    pager.hidden = pages < 2;
    document.getElementById("pageinfo").textContent = "第" + (pageNo + 1) + "/" + pages + "页";
  }
  function apply() {
    var q = search.value.trim().toLowerCase(), f = filter.value;
    var words = q ? q.split(/\\s+/) : [];
    view = data.filter(function (r) {
      if (f !== "all" && r.c.indexOf(" " + f + " ") < 0) return false;
      return words.every(function (w) { return r.t.indexOf(w) >= 0; });
    });
    pageNo = 0;
    render();
  }
  function sortBy(col, dir, num) {
    data.sort(function (a, b) {
      var x = a.k[col], y = b.k[col];
      var d = num ? x - y : collator.compare(String(x), String(y));
      return d * dir || collator.compare(a.k[0], b.k[0]);
    });
    apply();
  }
  search.addEventListener("input", apply);
  filter.addEventListener("change", apply);
  size.addEventListener("change", function () { pageNo = 0; render(); });
  document.getElementById("prev").addEventListener("click", function () { if (pageNo > 0) { pageNo--; render(); } });
  document.getElementById("next").addEventListener("click", function () { pageNo++; render(); });
  document.querySelectorAll("#bureaus th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      var num = th.hasAttribute("data-num");
      var dir = th.classList.contains("asc") ? -1 : th.classList.contains("desc") ? 1 : (num && th.dataset.col !== "2" ? -1 : 1);
      document.querySelectorAll("#bureaus th").forEach(function (h) { h.classList.remove("asc", "desc"); });
      th.classList.add(dir > 0 ? "asc" : "desc");
      sortBy(+th.dataset.col, dir, num);
    });
  });
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{year}年工作总结生成情况</title>
<style>{style}</style></head><body>
<h1>{year}年工作总结生成情况</h1>
<p class="meta">生成时间：{generated}。<span class="years">{years}</span></p>
<p class="meta">{tally}；需关注（失败、已中断、有待补充或提示）{attention}个。</p>
<p class="files">全年文件：{files}</p>
{notes}
<details><summary>各列说明</summary><dl class="legend">{legend}</dl>
<p>点击列名可排序（再次点击反向）；默认把需关注的单位排在前面。待补充、提示、修改和变化的具体数据项列在该单位下方，超过{shown}项的其余部分折叠，点击展开。搜索框可查找单位代码、名称或这些说明中的文字，多个词以空格分开。</p></details>
<div class="tools"><label>搜索：<input id="search" type="search" placeholder="单位代码、名称或说明中的文字"></label>
<label>筛选：<select id="filter">
<option value="all">全部</option><option value="attention">需关注</option><option value="failed">失败</option>
<option value="interrupted">已中断</option><option value="missing">有待补充</option><option value="warning">有提示</option>
<option value="overridden">已修改</option><option value="changed">有变化</option></select></label>
<label>每页：<select id="size"><option value="100">100个</option><option value="500">500个</option>
<option value="0">全部</option></select></label>
<span>共 <span id="shown">{total}</span> / {total} 个单位</span>
<span id="pager"><button id="prev" type="button">上一页</button> <span id="pageinfo"></span>
<button id="next" type="button">下一页</button></span></div>
<noscript><p>此页需要浏览器启用脚本；也可以用 Excel 打开同目录的 summary.csv。</p></noscript>
<table id="bureaus"><colgroup>{cols}</colgroup><thead><tr>{heads}</tr></thead><tbody></tbody></table>
<script type="application/json" id="rows">{data}</script>
<script type="application/json" id="meta">{{"files":{files_json},"names":{file_names},"status":{status_json},"shown":{shown},"columns":{columns}}}</script>
<script>{script}</script>
</body></html>
"""
