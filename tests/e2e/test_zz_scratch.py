from playwright.sync_api import expect


def test_scratch(lab, lab_server):
    lab.open("notebooks/report.ipynb")
    lab.run_all(timeout=240)
    expect(lab.widget("zj-panel")).to_be_visible(timeout=120_000)
    lab.widget("zj-generate").click()
    result = lab.widget("zj-result")
    expect(result).to_contain_text("report.docx", timeout=90_000)
    link = result.locator("a", has_text="report.docx")
    href = link.evaluate("a => a.href")
    print("HREF", href, link.get_attribute("target"))
    resp = lab.page.request.get(href)
    print("GET", resp.status, resp.headers.get("content-type"), len(resp.body()))
    with lab.page.context.expect_page() as info:
        link.click()
    new = info.value
    new.wait_for_timeout(8000)
    new.screenshot(path=str(lab.artifacts / "link.png"))
    print("NEWURL", new.url)
    # the same through the filtering toggles
    lab.widget("zj-filter").get_by_role("button", name="需关注").click() if lab.widget("zj-filter").get_by_role("button", name="需关注").count() else lab.widget("zj-filter").locator("button", has_text="需关注").click()
    lab.page.wait_for_timeout(3000)
    print("OPTIONS", lab.widget("zj-figures").locator("option").all_inner_texts())
    print("STATUS", lab.widget("zj-status").inner_text())
