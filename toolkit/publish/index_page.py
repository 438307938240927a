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

#: Files of the whole year, linked at the top of the page when present: (file, link text).
YEAR_FILES: tuple[tuple[str, str], ...] = (
    (SUMMARY_TABLE_DOCX, "汇总表（Word）"),
    (SUMMARY_TABLE_PDF, "汇总表（PDF）"),
    (OVERVIEW_PAGE, "各单位数据对比"),
    (SUMMARY_CSV, "明细表（CSV，可用Excel打开）"),
    (PROBLEM_LIST, "台账问题清单（Excel）"),
)
#: Files of one bureau, linked in its row when present: (file, link text).
BUREAU_FILES: tuple[tuple[str, str], ...] = (
    (READING_COPY, "核对页"),
    (report_files().docx, "Word"),
    (report_files().pdf, "PDF"),
    (PROBLEM_LIST, "问题清单"),
)
STATUS_ZH = {"ok": "成功", "failed": "失败", "interrupted": "已中断"}
#: Sort rank of a row: what needs a person's attention comes first.
_RANK = {"failed": 0, "interrupted": 1}
COLUMNS: tuple[tuple[str, str], ...] = (
    ("单位代码", "参数文件 parameters/bureaus/<单位代码>.yaml 的文件名，也是输出文件夹名。"),
    ("单位名称", "参数文件中的 name（单位全称）。"),
    ("状态", "成功：报告已生成；失败：未生成，原因见“说明”；已中断：批量运行被中止，下次运行会补做。"),
    ("待补充", "台账中缺少、报告里以“【待补充】”标出的数据项个数；正式稿（--final）要求为0。"),
    ("提示", "数据检查发现需要核实的数据项个数（如同比变化过大），不影响生成。"),
    ("已修改", "审核时人工修改过的数据项个数（见 parameters/overrides/）。"),
    ("用时", "生成该单位报告所用的秒数；“沿用”表示输入未改动，沿用上次的结果。"),
    ("文件", "核对页（网页，含数据来源和检查结果）、Word 报告，以及已生成的其他文件。"),
    ("说明", "失败或中断的原因，以及待补充、提示、已修改的具体数据项。"),
)

#: Column widths: a fixed table layout lays out a thousand rows at once without measuring them.
_WIDTHS = ("9em", "14em", "5.5em", "5em", "4em", "5em", "4.5em", "12em", "auto")
_YEAR = re.compile(r"^\d{4}$")
_e = html.escape


class BureauResult(Protocol):
    """What the page reads of one bureau's run (a batch's ``RunResult``); ``status`` is read when present."""

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


def _status(result: BureauResult) -> str:
    status = getattr(result, "status", None)
    return status if status in STATUS_ZH else ("ok" if result.ok else "failed")


def _other_years(folder: Path, year: int) -> str:
    """Links to the index of every other year in the output folder."""
    years = (
        sorted(
            int(p.name)
            for p in folder.parent.iterdir()
            if p.is_dir() and _YEAR.match(p.name) and (p.name == str(year) or (p / INDEX).is_file())
        )
        if folder.parent.is_dir()
        else [year]
    )
    if year not in years:
        years = sorted([*years, year])
    parts = [f"<strong>{y}年</strong>" if y == year else f'<a href="../{y}/{INDEX}">{y}年</a>' for y in years]
    return "年度：" + " | ".join(parts)


def _rank(result: BureauResult) -> int:
    status = _status(result)
    if status in _RANK:
        return _RANK[status]
    return 2 if result.missing else 3 if result.warnings else 4 if result.overrides else 5


def _row(result: BureauResult, name: str, folder: Path) -> list[object]:
    """One bureau as the script reads it: ``[code, name, status, missing, warnings, overrides,
    seconds (-1 when reused), files present, error, notes, attention rank]``; the script escapes."""
    status = _status(result)
    own = folder / result.bureau
    files = [i for i, (f, _) in enumerate(BUREAU_FILES) if (own / f).is_file()]
    notes = [
        f"{label}：{'；'.join(items)}"
        for label, items in (("待补充", result.missing), ("提示", result.warnings), ("已修改", result.overrides))
        if items
    ]
    seconds = -1 if result.skipped else round(result.seconds, 1)
    counts = [len(result.missing), len(result.warnings), len(result.overrides)]
    return [result.bureau, name, status, *counts, seconds, files, result.error, notes, _rank(result)]


def _json_script(value: object) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def index_html(summary: YearSummary, names: dict[str, str], *, now: datetime | None = None) -> str:
    """The page for ``summary`` (year, results, folder); ``names`` maps codes to bureau names."""
    folder = _folder(summary)
    year, results = summary.year, list(summary.results)
    now = (now or datetime.now()).astimezone()
    counts = {s: sum(_status(r) == s for r in results) for s in STATUS_ZH}
    ordered = sorted(results, key=lambda r: (_rank(r), r.bureau))  # what needs attention first
    rows = [_row(r, names.get(r.bureau, ""), folder) for r in ordered]
    files = [f'<a href="{_e(f)}">{_e(t)}</a>' for f, t in YEAR_FILES if (folder / f).is_file()]
    tally = f"共{len(results)}个单位：成功{counts['ok']}个，失败{counts['failed']}个"
    if counts["interrupted"]:
        tally += f"，已中断{counts['interrupted']}个"
    attention = sum(1 for r in results if _rank(r) < 4)
    heads = "".join(
        f'<th title="{_e(text)}" data-col="{i}"{" data-num" if 2 <= i <= 6 else ""}>{_e(label)}</th>'
        for i, (label, text) in enumerate(COLUMNS)
    )
    notes = "".join(f'<p class="warn">注意：{_e(p)}</p>' for p in getattr(summary, "problems", None) or [])
    legend = "".join(f"<dt>{_e(label)}</dt><dd>{_e(text)}</dd>" for label, text in COLUMNS)
    return _PAGE.format(
        year=year,
        generated=f"{now.year}年{now.month}月{now.day}日 {now:%H:%M}（{now:%Z}）",
        years=_other_years(folder, year),
        tally=tally,
        attention=attention,
        files=" | ".join(files) or "（尚无）",
        heads=heads,
        cols="".join(f'<col style="width:{w}">' for w in _WIDTHS),
        data=_json_script(rows),
        files_json=_json_script([t for _, t in BUREAU_FILES]),
        file_names=_json_script([f for f, _ in BUREAU_FILES]),
        status_json=_json_script(STATUS_ZH),
        legend=legend,
        notes=notes,
        total=len(results),
        style=_STYLE,
        script=_SCRIPT,
    )


def write_index(summary: YearSummary, names: dict[str, str]) -> Path:
    """Write ``index.html`` into the summary's folder (atomically) and return its path."""
    path = _folder(summary) / INDEX
    atomic_write(path, index_html(summary, names).encode("utf-8"))
    return path


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.5em; margin: 0 0 .3em; }
.meta, .files { margin: .3em 0; }
.tools { margin: .8em 0; display: flex; gap: 1em; align-items: center; flex-wrap: wrap; }
.tools input { width: 22em; padding: 4px 6px; font-size: 1em; }
.tools select { padding: 3px; font-size: 1em; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; cursor: pointer; user-select: none; white-space: nowrap; position: sticky; top: 0; }
th.asc::after { content: " ▲"; } th.desc::after { content: " ▼"; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.missing td, tr.warning td { background: #fffbe6; } tr.failed td { background: #fdecea; } tr.interrupted td { background: #fff4e0; }
.st { font-style: normal; padding: 0 6px; border-radius: 3px; white-space: nowrap; }
tr.ok .st { background: #e6f4ea; color: #1e6b34; } tr.failed .st { background: #d93025; color: #fff; }
tr.interrupted .st { background: #f29900; color: #fff; }
.warn { color: #b3261e; white-space: pre-line; }
.err { color: #b3261e; font-weight: normal; }
details summary { cursor: pointer; color: #444; }
td:last-child { font-size: .9em; color: #444; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: .5em 0 1em; }
dl.legend dt { font-weight: bold; } dl.legend dd { margin: 0; }
a { color: #1a56c4; }
"""

_SCRIPT = """
(function () {
  var meta = JSON.parse(document.getElementById("meta").textContent);
  var RANK = {failed: 0, interrupted: 1, ok: 2};
  var data = JSON.parse(document.getElementById("rows").textContent).map(function (r) {
    var flags = [r[2]];
    if (r[10] < 5) flags.push("attention");
    if (r[3]) flags.push("missing");
    if (r[4]) flags.push("warning");
    if (r[5]) flags.push("overridden");
    return {r: r, c: " " + flags.join(" ") + " ", k: [r[0], r[1], RANK[r[2]], r[3], r[4], r[5], r[6]],
            t: [r[0], r[1], meta.status[r[2]], r[8]].concat(r[9]).join(" ").toLowerCase()};
  });
  var body = document.querySelector("#bureaus tbody");
  var search = document.getElementById("search"), filter = document.getElementById("filter");
  var size = document.getElementById("size"), pager = document.getElementById("pager");
  var shown = document.getElementById("shown"), pageNo = 0, view = data;
  var collator = new Intl.Collator("zh-CN", {numeric: true});
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function row(d) {
    var r = d.r, code = esc(r[0]);
    var links = r[7].map(function (i) {
      return "<a href=\\"" + code + "/" + esc(meta.names[i]) + "\\">" + esc(meta.files[i]) + "</a>";
    }).join(" ") || "—";
    var notes = (r[8] ? ["<b class=err>" + esc(r[8]) + "</b>"] : []).concat(r[9].map(esc)).join("<br>");
    return "<tr class=\\"" + d.c.trim() + "\\"><td>" + code + "</td><td>" + esc(r[1]) + "</td><td><i class=st>" +
      meta.status[r[2]] + "</i></td><td class=n>" + r[3] + "</td><td class=n>" + r[4] + "</td><td class=n>" + r[5] +
      "</td><td class=n>" + (r[6] < 0 ? "沿用" : r[6].toFixed(1)) + "</td><td>" + links + "</td><td>" + notes + "</td></tr>";
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
  document.querySelectorAll("#bureaus th").forEach(function (th) {
    if (+th.dataset.col > 6) return;
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
<p class="meta">生成时间：{generated}。{years}</p>
<p class="meta">{tally}；需关注（失败、已中断、有待补充或提示）{attention}个。</p>
<p class="files">全年文件：{files}</p>
{notes}
<details open><summary>各列说明</summary><dl class="legend">{legend}</dl>
<p>点击列名可排序（再次点击反向）；默认把需关注的单位排在前面。搜索框可查找单位代码、名称或说明中的文字，多个词以空格分开。</p></details>
<div class="tools"><label>搜索：<input id="search" type="search" placeholder="单位代码、名称或说明中的文字"></label>
<label>筛选：<select id="filter">
<option value="all">全部</option><option value="attention">需关注</option><option value="failed">失败</option>
<option value="interrupted">已中断</option><option value="missing">有待补充</option><option value="warning">有提示</option>
<option value="overridden">已修改</option></select></label>
<label>每页：<select id="size"><option value="100">100个</option><option value="500">500个</option>
<option value="0">全部</option></select></label>
<span>共 <span id="shown">{total}</span> / {total} 个单位</span>
<span id="pager"><button id="prev" type="button">上一页</button> <span id="pageinfo"></span>
<button id="next" type="button">下一页</button></span></div>
<noscript><p>此页需要浏览器启用脚本；也可以用 Excel 打开同目录的 summary.csv。</p></noscript>
<table id="bureaus"><colgroup>{cols}</colgroup><thead><tr>{heads}</tr></thead><tbody></tbody></table>
<script type="application/json" id="rows">{data}</script>
<script type="application/json" id="meta">{{"files":{files_json},"names":{file_names},"status":{status_json}}}</script>
<script>{script}</script>
</body></html>
"""
