"""The reviewer's HTML of one report, as a reviewer sees it in Chromium (screenshot kept in tests/artifacts)."""

from __future__ import annotations

from conftest import PARAMS, SAMPLE

from toolkit import cli

from .conftest import fresh_artifact_folder


def test_report_page_reads_at_a_glance(browser, tmp_path, request):
    folder = fresh_artifact_folder(request.node)
    out = tmp_path / "out"
    args = ["run", "--data", SAMPLE, "--params", PARAMS, "--bureau", "hedong", "--year", "2022", "--out", out]
    assert cli.main([str(a) for a in args]) == 0
    page_file = out / "2022" / "hedong" / "report.html"
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(page_file.as_uri())
        page.locator("table").first.wait_for()
        body = page.locator("body").inner_text()
        assert "VBox(" not in body and "交互核对面板" in body
        flagged = page.locator("tr.zj-warning").first
        assert flagged.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        assert page.locator("details summary", has_text="状态正常").count() >= 1
        assert "与上次生成相比" in body and "落款日期" in page.content()  # 正常 rows are folded, still there
        assert page.locator("svg[role=img] rect.bar").count() > 10  # both charts drawn inline
        numbers = page.locator("table.zongjie-table td.num")
        assert numbers.count() > 10
        aligned = numbers.evaluate_all("cells => cells.map(c => getComputedStyle(c).textAlign)")
        assert set(aligned) == {"right"}  # numbers right-aligned, despite the notebook's own table style
        text = page.locator("table.zongjie-table td").first.evaluate("c => getComputedStyle(c).textAlign")
        assert text == "left"
        flagged_rows = page.locator("tr.zj-warning").count()
        assert flagged_rows > 0 and body.count("比2021年（165）下降41.2%") == 1  # a 提示 is not repeated
        page.screenshot(path=str(folder / "report-page.png"), full_page=True)
    finally:
        context.close()
