"""index.html: generation time, other years, column legend, links to the files that exist, escaping,
statuses, notes, changes and sign-off, and the other years' pages linking a new year."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from toolkit.publish.index_page import BUREAU_FILES, COLUMNS, STATUS_ZH, index_html, relink_years, write_index
from toolkit.run.execute import RunResult


@dataclass
class Summary:
    year: int
    folder: Path
    results: list = field(default_factory=list)


def _rows(page: str) -> list:
    return json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', page, re.S).group(1))


def _summary(tmp_path: Path) -> Summary:
    out = tmp_path / "out"
    year_dir = out / "2022"
    for code in ("a1", "b2", "c3"):
        (year_dir / code).mkdir(parents=True)
        (year_dir / code / "report.html").write_text("x", encoding="utf-8")
    (year_dir / "a1" / "report.docx").write_bytes(b"x")
    (year_dir / "a1" / "report.pdf").write_bytes(b"x")
    (year_dir / "汇总表.docx").write_bytes(b"x")
    (year_dir / "summary.csv").write_text("x", encoding="utf-8")
    (out / "2021").mkdir()
    (out / "2021" / "index.html").write_text("x", encoding="utf-8")
    (out / "2020").mkdir()  # a year folder without an index is not linked
    (out / "misc").mkdir()
    results = [
        RunResult("a1", 2022, ok=True, missing=["税收收入：财政指标中没有2022年“税收收入”"], seconds=1.25),
        RunResult("b2", 2022, ok=False, error="参数文件有误：缺少单位全称"),
        RunResult("c3", 2022, ok=True, warnings=["财政总收入：同比增长52%"], skipped=True),
    ]
    return Summary(2022, year_dir, results)


def test_page_names_time_years_columns_and_existing_files(tmp_path):
    summary = _summary(tmp_path)
    now = datetime(2026, 11, 29, 5, 7, tzinfo=UTC)
    page = index_html(summary, {"a1": "甲县财政局", "b2": "乙县<script>alert(1)</script>"}, now=now)
    assert "生成时间：2026年11月29日 05:07" in page
    assert '<a href="../2021/index.html">2021年</a>' in page and "<strong>2022年</strong>" in page
    assert "../2020/index.html" not in page
    for label, text in COLUMNS:
        assert f"<dt>{label}</dt><dd>{html.escape(text)}</dd>" in page
    assert "<details><summary>各列说明</summary>" in page  # the legend is folded
    for developer in ("--final", "parameters/", "overrides", ".yaml"):
        assert developer not in "".join(text for _, text in COLUMNS)
    assert '<a href="汇总表.docx">' in page and '<a href="summary.csv">' in page
    assert "汇总表.pdf" not in page and "overview.html" not in page
    rows = {r[0]: r for r in _rows(page)}
    files = [f for f, _ in BUREAU_FILES]
    assert [files[i] for i in rows["a1"][7]] == ["report.html", "report.docx", "report.pdf"]
    assert [files[i] for i in rows["b2"][7]] == ["report.html"]
    assert rows["b2"][1] == "乙县<script>alert(1)</script>" and "<script>alert(1)" not in page
    assert [r[0] for r in _rows(page)] == ["b2", "a1", "c3"]  # failed, then missing values, then warnings
    assert rows["a1"][9] == [["待补充1项", ["税收收入：财政指标中没有2022年“税收收入”"], "项"]]
    assert rows["c3"][6] == -1 and rows["a1"][6] == 1.2  # reused; seconds
    assert "共3个单位：成功0个，有提示1个，待补充1个，失败1个" in page
    assert "需关注（失败、已中断、有待补充或提示）3个" in page
    assert "http://" not in page and "https://" not in page  # nothing from the network


def test_write_index_is_atomic_and_in_the_year_folder(tmp_path):
    summary = _summary(tmp_path)
    path = write_index(summary, {})
    assert path == summary.folder / "index.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not [p for p in summary.folder.iterdir() if p.name.endswith(".tmp")]


def test_a_new_bureau_file_is_one_entry(tmp_path, monkeypatch):
    summary = _summary(tmp_path)
    (summary.folder / "b2" / "extra.txt").write_text("x", encoding="utf-8")
    monkeypatch.setattr("toolkit.publish.index_page.BUREAU_FILES", (*BUREAU_FILES, ("extra.txt", "附加")))
    rows = {r[0]: r for r in _rows(index_html(summary, {}))}
    assert rows["b2"][7] == [0, len(BUREAU_FILES)]


def _result(code: str, **fields) -> RunResult:
    return RunResult(code, 2022, **{"ok": True, **fields})


def test_status_tells_clean_from_warnings_missing_failed_and_interrupted(tmp_path):
    summary = Summary(
        2022,
        tmp_path / "2022",
        [
            _result("clean", overrides=["x：1→2"]),
            _result("warned", warnings=["a", "b"]),
            _result("lacking", missing=["m"], warnings=["a"]),
            RunResult("broken", 2022, error="坏了"),
            RunResult("stopped", 2022, error="已中断，未完成。", interrupted=True),
        ],
    )
    page = index_html(summary, {})
    rows = {r[0]: r for r in _rows(page)}
    assert {code: r[2] for code, r in rows.items()} == {
        "clean": "ok",
        "warned": "ok",
        "lacking": "ok",
        "broken": "failed",
        "stopped": "interrupted",
    }  # how the run ended; the page's state adds what is left to look at
    assert [r[0] for r in _rows(page)] == ["broken", "stopped", "lacking", "warned", "clean"]
    assert "共5个单位：成功1个，有提示1个，待补充1个，失败1个，已中断1个" in page
    assert STATUS_ZH == {
        "ok": "成功",
        "warning": "有提示",
        "missing": "待补充",
        "failed": "失败",
        "interrupted": "已中断",
        "held": "未核对",
    }
    script = page[page.index("function stateOf") :]
    assert 'r[3] ? "missing" : r[4] ? "warning" : "ok"' in script  # 成功 only with nothing to look at


def test_changes_and_signoff_are_shown_when_known(tmp_path):
    changed = _result("a", changes=["财政总收入：12.3→12.5（台账数据变化）", "税收收入：5→6（人工修改）"])
    changed.signoff = "已核对"  # the sign-off is read when a result carries one
    reused = _result("b", changes=["旧的变化"], skipped=True)
    odd = _result("c")
    odd.signoff = 3  # anything but text is no sign-off
    rows = {r[0]: r for r in _rows(index_html(Summary(2022, tmp_path / "2022", [changed, reused, odd]), {}))}
    assert rows["a"][11] == 2 and rows["a"][12] == "已核对"
    assert rows["a"][9] == [["与上次相比变化2项", changed.changes, "项"]]
    assert rows["b"][11] == 0 and rows["b"][9] == []  # reused: nothing changed in this run
    assert rows["c"][12] == "" and rows["b"][12] == ""


def test_every_note_is_kept_for_the_page_to_fold(tmp_path):
    warnings = [f"提示{i}" for i in range(9)]
    rows = _rows(index_html(Summary(2022, tmp_path / "2022", [_result("a", warnings=warnings)]), {}))
    assert rows[0][4] == 9 and rows[0][9] == [["提示9条", warnings, "条"]]


def _page_of(out: Path, year: int, results: list) -> Path:
    (out / str(year)).mkdir(parents=True, exist_ok=True)
    return write_index(Summary(year, out / str(year), results), {})


def test_a_new_year_is_linked_from_the_other_years_pages(tmp_path):
    out = tmp_path / "out"
    first = _page_of(out, 2021, [_result("a", warnings=["旧提示"])])
    before = first.read_text(encoding="utf-8")
    assert "年度：<strong>2021年</strong>" in before and "2022" not in before.split("<table")[0]
    _page_of(out, 2022, [_result("a")])
    after = first.read_text(encoding="utf-8")
    assert '年度：<strong>2021年</strong> | <a href="../2022/index.html">2022年</a>' in after
    assert (
        after.replace('<strong>2021年</strong> | <a href="../2022/index.html">2022年</a>', "<strong>2021年</strong>")
        == before
    )
    assert _rows(after) == _rows(before)  # its data are left as they were
    _page_of(out, 2020, [])
    for year in (2021, 2022):
        page = (out / str(year) / "index.html").read_text(encoding="utf-8")
        assert '<a href="../2020/index.html">2020年</a>' in page, year


def test_relinking_leaves_unreadable_or_unknown_pages_alone(tmp_path):
    out = tmp_path / "out"
    (out / "2019").mkdir(parents=True)
    (out / "2019" / "index.html").write_bytes(b"\xff\xfe not utf-8")
    (out / "2020").mkdir()
    (out / "2020" / "index.html").write_text("<p>someone's own page</p>", encoding="utf-8")
    older = out / "2018"
    older.mkdir()  # a page written by an earlier version of this module
    (older / "index.html").write_text(
        '<p class="meta">生成时间：2025年1月1日。年度：<strong>2018年</strong> | <a href="../2019/index.html">2019年</a></p>',
        encoding="utf-8",
    )
    _page_of(out, 2021, [])
    assert (out / "2019" / "index.html").read_bytes() == b"\xff\xfe not utf-8"
    assert (out / "2020" / "index.html").read_text(encoding="utf-8") == "<p>someone's own page</p>"
    assert (
        (older / "index.html")
        .read_text(encoding="utf-8")
        .endswith(
            '年度：<strong>2018年</strong> | <a href="../2019/index.html">2019年</a> | '
            '<a href="../2020/index.html">2020年</a> | <a href="../2021/index.html">2021年</a></p>'
        )
    )
    assert relink_years(out / "2021", 2021) == []  # nothing left to change
