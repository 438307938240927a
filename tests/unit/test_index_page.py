"""index.html: generation time, other years, column legend, links to the files that exist, escaping."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from toolkit.publish.index_page import BUREAU_FILES, COLUMNS, index_html, write_index
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
    assert '<a href="汇总表.docx">' in page and '<a href="summary.csv">' in page
    assert "汇总表.pdf" not in page and "overview.html" not in page
    rows = {r[0]: r for r in _rows(page)}
    files = [f for f, _ in BUREAU_FILES]
    assert [files[i] for i in rows["a1"][7]] == ["report.html", "report.docx", "report.pdf"]
    assert [files[i] for i in rows["b2"][7]] == ["report.html"]
    assert rows["b2"][1] == "乙县<script>alert(1)</script>" and "<script>alert(1)" not in page
    assert [r[0] for r in _rows(page)] == ["b2", "a1", "c3"]  # failed, then missing values, then warnings
    assert rows["a1"][9] == ["待补充：税收收入：财政指标中没有2022年“税收收入”"]
    assert rows["c3"][6] == -1 and rows["a1"][6] == 1.2  # reused; seconds
    assert "共3个单位：成功2个，失败1个" in page
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
