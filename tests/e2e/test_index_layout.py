"""index.html as a reviewer reads it in Chromium: legible at 800 px, short, the notes folded,
statuses that say what is left to do, the sign-off and changes shown, every year linked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from toolkit.publish.index_page import COLUMNS, write_index
from toolkit.run.execute import RunResult

from .conftest import ARTIFACTS, ROOT

#: The tester's measures: no column narrower than this at 800 px, the page shorter than that.
MIN_COLUMN_PX = 48
MAX_HEIGHT_PX = 4000
WARNINGS = [
    "农林水事务支出：1-11月农林水事务支出为年初预算的194%，超出预算，请核实",
    "落款日期：落款日期未在参数文件 signed_on 中给出，暂用生成当天；2021年报告请填写实际落款日期",
    *(f"第{i}项指标：与上年相比变化{40 + i}%，变化较大，请核实台账数据是否录入有误" for i in range(7)),
]


@dataclass
class Summary:
    year: int
    folder: Path
    results: list = field(default_factory=list)


def _names() -> dict[str, str]:
    return {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))["name"]
        for p in sorted((ROOT / "parameters" / "bureaus").glob("*.yaml"))
    }


def _results(codes: list[str], year: int) -> list[RunResult]:
    """The five sample bureaus as a tester saw them: nine 提示 each, one lacking data, one failed."""
    results = []
    for i, code in enumerate(codes):
        result = RunResult(code, year, ok=True, warnings=list(WARNINGS), seconds=1.5 + i)
        result.changes = ["财政总收入：12.3→12.5（台账数据变化）", "税收收入：5→6（人工修改）"]
        result.signoff = "已核对" if i == 0 else ""
        results.append(result)
    results[1].missing = ["税收收入：财政指标中没有2021年“税收收入”"]
    results[2] = RunResult(codes[2], year, error="台账中本单位的数据有3处问题，未生成报告：" + "第12行日期无效。" * 6)
    return results


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("out")
    names = _names()
    written = {}
    for year in (2021, 2022):  # 2021 first: its page must then learn of 2022
        folder = out / str(year)
        for code in names:
            (folder / code).mkdir(parents=True, exist_ok=True)
            (folder / code / "report.html").write_text("x", encoding="utf-8")
            (folder / code / "report.docx").write_bytes(b"x")
        written[year] = write_index(Summary(year, folder, _results(sorted(names), year)), names)
    return written


def _column_widths(page) -> dict[str, float]:
    return dict(
        page.eval_on_selector_all(
            "#bureaus thead th", "ths => ths.map(t => [t.textContent, t.getBoundingClientRect().width])"
        )
    )


def test_legible_and_short_at_800_px(page, pages):
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(pages[2021].as_uri())
    page.wait_for_selector("body[data-ready]")
    widths = _column_widths(page)
    assert list(widths) == [label for label, _ in COLUMNS]
    assert min(widths.values()) >= MIN_COLUMN_PX, widths
    height = page.evaluate("document.documentElement.getBoundingClientRect().height")
    assert height < MAX_HEIGHT_PX, height
    assert page.evaluate("document.documentElement.scrollWidth") <= 800  # nothing sideways
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "index-800.png"), full_page=True)
    print(f"index.html at 800 px: {height:.0f} px tall, narrowest column {min(widths.values()):.0f} px")

    assert not page.locator("dl.legend").is_visible()  # the legend is folded
    page.get_by_text("各列说明").click()
    page.locator("dl.legend").wait_for(state="visible")


def test_statuses_notes_changes_and_signoff(page, pages):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(pages[2021].as_uri())
    page.wait_for_selector("body[data-ready]")
    codes = sorted(_names())
    rows = page.locator("#bureaus tbody tr.b")
    statuses = dict(
        zip(rows.evaluate_all("rs => rs.map(r => r.cells[0].textContent)"), rows.locator(".st").all_inner_texts())
    )
    assert statuses == {
        codes[0]: "有提示",
        codes[1]: "待补充",
        codes[2]: "失败",
        codes[3]: "有提示",
        codes[4]: "有提示",
    }
    first = page.locator("#bureaus tbody tr.b").first
    assert first.bounding_box()["y"] < 450  # the bureaus start in the top half of the first screen

    signed = page.locator("#bureaus tbody tr.b", has_text=codes[0])
    assert signed.locator("td").nth(3).inner_text() == "已核对"
    assert signed.locator("td").nth(7).inner_text() == "2"  # changes since the last run
    unsigned = page.locator("#bureaus tbody tr.b", has_text=codes[3])
    assert unsigned.locator("td").nth(3).inner_text() == "—"

    notes = page.locator("tr.notes").filter(has_text="提示9条").first
    assert notes.get_by_text(WARNINGS[0], exact=False).is_visible()
    hidden = notes.locator("li", has_text="第6项指标")
    assert not hidden.is_visible()  # the rest is folded
    notes.locator("summary", has_text="另有7条").click()
    hidden.wait_for(state="visible")
    assert "与上次相比变化2项：财政总收入：12.3→12.5（台账数据变化）；税收收入：5→6（人工修改）" in notes.inner_text()

    page.select_option("#filter", "changed")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.cells[0].textContent)")) == sorted(
        c for i, c in enumerate(codes) if i != 2
    )
    page.fill("#search", "第6项指标")  # the folded notes are searched too
    assert page.text_content("#shown") == "4"


def test_every_year_links_every_other(page, pages):
    page.goto(pages[2021].as_uri())
    page.wait_for_selector("body[data-ready]")
    page.locator('a[href="../2022/index.html"]').click()
    page.wait_for_url("**/2022/index.html")
    page.wait_for_selector("body[data-ready]")
    assert page.locator("h1").inner_text() == "2022年工作总结生成情况"
    assert page.locator('a[href="../2021/index.html"]').is_visible()
