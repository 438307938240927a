"""index.html with 1,000 bureaus in Chromium: loads in under 2 s offline, searches, filters and sorts."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from toolkit.publish.index_page import write_index
from toolkit.run.execute import RunResult

from .conftest import ARTIFACTS

N = 1000
LOAD_LIMIT_S = 2.0


@dataclass
class Summary:
    year: int
    folder: Path
    results: list = field(default_factory=list)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> tuple[Path, list, dict]:
    """1,000 synthetic results (some failed, some with missing values), their files, two other years."""
    rnd = random.Random(2024)
    out = tmp_path_factory.mktemp("out")
    year_dir = out / "2022"
    results, names = [], {}
    for i in range(N):
        code = f"bureau-{i:04d}"
        names[code] = f"第{i + 1}虚构县财政局"
        folder = year_dir / code
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("x", encoding="utf-8")
        failed = rnd.random() < 0.05
        if not failed:
            (folder / "report.docx").write_bytes(b"x")
        results.append(
            RunResult(
                code,
                2022,
                ok=not failed,
                error=f"台账第{i}行有误" if failed else "",
                missing=[f"数据项{j}：缺少" for j in range(rnd.choice([0, 0, 0, 1, 3]))],
                warnings=[f"提示{j}" for j in range(rnd.choice([0, 0, 2]))],
                seconds=rnd.uniform(0.3, 3.0),
            )
        )
    (year_dir / "汇总表.docx").write_bytes(b"x")
    for year in (2021, 2023):
        (out / str(year)).mkdir()
        (out / str(year) / "index.html").write_text("x", encoding="utf-8")
    path = write_index(Summary(2022, year_dir, results), names)
    return path, results, names


def _visible_codes(page) -> list[str]:
    return page.eval_on_selector_all("#bureaus tbody tr.b", "rows => rows.map(r => r.cells[0].textContent)")


def test_index_of_1000_bureaus_in_chromium(page, index):
    path, results, names = index
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    start = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("body[data-ready]")
    wall = time.perf_counter() - start
    in_page = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000
    print(f"index.html with {N} bureaus: load {in_page:.3f} s in page, {wall:.3f} s wall")
    # the browser's own navigation timing is the measure; the wall clock adds Playwright's round trips
    assert in_page < LOAD_LIMIT_S and wall < 2 * LOAD_LIMIT_S
    assert all(url.startswith("file://") for url in requests), requests  # nothing from the network

    assert page.text_content("#shown") == str(N)
    assert page.locator("#bureaus tbody tr.b").count() == 100  # a page at a time
    failed = sorted(r.bureau for r in results if not r.ok)
    assert _visible_codes(page)[: len(failed)] == failed  # failed bureaus first by default
    assert page.get_by_text("生成时间：").is_visible()
    for href in ("../2021/index.html", "../2023/index.html", "汇总表.docx", "bureau-0000/report.html"):
        assert page.locator(f'a[href="{href}"]').first.is_visible(), href
    assert page.get_by_text("各列说明").is_visible()
    assert not page.locator("dl.legend").is_visible()  # folded until asked for

    # search by name, then by a word of the error text
    page.fill("#search", "第777虚构县")
    assert _visible_codes(page) == ["bureau-0776"]
    assert page.text_content("#shown") == "1"
    page.fill("#search", "台账第")
    assert sorted(_visible_codes(page)) == failed
    page.fill("#search", "")

    # filter: bureaus with missing values, all on one page
    page.select_option("#size", "0")
    page.select_option("#filter", "missing")
    with_missing = sorted(r.bureau for r in results if r.missing)
    assert sorted(_visible_codes(page)) == with_missing
    page.select_option("#filter", "all")
    assert page.locator("#bureaus tbody tr.b").count() == N

    # sort by 待补充 (most first), then reversed; by 单位代码 ascending
    page.click("#bureaus th[data-col='4']")
    counts = page.eval_on_selector_all("#bureaus tbody tr.b", "rows => rows.map(r => +r.cells[4].textContent)")
    assert counts == sorted(counts, reverse=True) and counts[0] == max(len(r.missing) for r in results)
    page.click("#bureaus th[data-col='4']")
    counts = page.eval_on_selector_all("#bureaus tbody tr.b", "rows => rows.map(r => +r.cells[4].textContent)")
    assert counts == sorted(counts)
    page.click("#bureaus th[data-col='0']")
    assert _visible_codes(page) == sorted(names)

    # pages of 100 (the default): sorting and searching the 1,000 rows feel instant
    page.select_option("#size", "100")
    timed = time.perf_counter()
    page.click("#bureaus th[data-col='8']")
    page.fill("#search", "虚构")
    took = time.perf_counter() - timed
    print(f"sort and search over {N} bureaus: {took:.3f} s")
    assert took < LOAD_LIMIT_S
    page.fill("#search", "")
    page.click("#bureaus th[data-col='0']")
    page.click("#next")
    assert page.text_content("#pageinfo") == "第2/10页"
    assert _visible_codes(page)[0] == "bureau-0100"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.click("#prev")
    page.click("#bureaus th[data-col='2']")
    page.screenshot(path=str(ARTIFACTS / "index-1000.png"))
