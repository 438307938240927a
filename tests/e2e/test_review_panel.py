"""The review panel of notebooks/report.ipynb, used in JupyterLab the way an analyst would."""

from __future__ import annotations

import json
from datetime import datetime

import yaml
from docx import Document

from .conftest import ROOT, Lab, LabServer, expect

NOTEBOOK = "notebooks/report.ipynb"
EXPECTED = ROOT / "tests" / "data" / "expected"
NEW_VALUE, REASON, WHO = "20.5", "以决算数为准", "测试员"
SECOND = 1000  # Playwright timeouts are in milliseconds


def computed(bureau: str, year: int, key: str) -> str:
    """The text the sample ledgers give for one figure (the test data's oracle)."""
    return json.loads((EXPECTED / f"{bureau}-{year}.json").read_text(encoding="utf-8"))[key]


def figure_label(lab: Lab, label: str) -> str:
    """The full option label of a figure in the ``zj-figures`` listbox, e.g. ``正常｜财政总收入：21.54亿元``."""
    options = lab.widget("zj-figures").locator("select option")
    expect(options.filter(has_text=f"｜{label}：")).to_have_count(1)
    return options.filter(has_text=f"｜{label}：").inner_text().strip()


def test_review_panel_override_and_generate(lab: Lab, lab_server: LabServer):
    # 1. Open the report notebook, run every cell through the Run menu, wait for the panel.
    lab.open(NOTEBOOK)
    lab.shot("opened")
    lab.run_all(timeout=240)
    panel = lab.widget("zj-panel")
    expect(panel).to_be_visible(timeout=120 * SECOND)
    status = lab.widget("zj-status")
    expect(status).to_contain_text("青山县财政局", timeout=30 * SECOND)
    # it opens on what needs attention
    expect(lab.widget("zj-filter").locator("button.mod-active")).to_have_text("需关注")
    lab.shot("panel-qingshan", panel)

    # 2. Switch the bureau: every figure is recomputed for hedong.
    bureau = lab.widget("zj-bureau").locator("select")
    expect(bureau).to_have_value("青山县财政局（qingshan）")  # names, with codes
    expect(lab.widget("zj-year").locator("select")).to_have_value("2021")
    bureau.select_option(label="河东县财政局（hedong）")
    expect(status).to_contain_text("已载入河东县财政局2021年", timeout=60 * SECOND)
    lab.shot("panel-hedong", panel)

    # 3. Select fiscal_revenue (listed under 全部), see its ledger rows, and correct it with a reason.
    old = computed("hedong", 2021, "fiscal_revenue")
    lab.widget("zj-filter").locator("button", has_text="全部").click()
    figures = lab.widget("zj-figures").locator("select")
    figures.select_option(label=figure_label(lab, "财政总收入"))
    detail = lab.widget("zj-detail")
    expect(detail).to_contain_text("财政总收入：", timeout=30 * SECOND)
    expect(detail).to_contain_text("县级财政局台账.xlsx")
    ledger_row = detail.locator("table tbody tr").first
    shows_row = "zj-detail shows the ledger row fiscal_revenue comes from (bureau and indicator filled in)"
    expect(ledger_row, shows_row).to_contain_text("hedong")
    expect(ledger_row, shows_row).to_contain_text("财政总收入")
    value = lab.widget("zj-override-value").locator("input")
    expect(value).to_have_value(f"{old}亿元")  # the panel fills in the current text; type only after it has
    lab.shot("figure-selected", detail)

    value.fill(NEW_VALUE)
    lab.widget("zj-override-reason").locator("input").fill(REASON)
    lab.widget("zj-override-by").locator("input").fill(WHO)
    lab.shot("override-typed", value)
    lab.widget("zj-override-save").click()
    feedback = lab.widget("zj-override-feedback")
    expect(feedback).to_contain_text("已保存", timeout=60 * SECOND)
    expect(figures.locator("option", has_text="｜财政总收入：")).to_have_text(
        f"已修改｜财政总收入：{NEW_VALUE}亿元", timeout=30 * SECOND
    )
    expect(detail).to_contain_text("已修改")
    lab.shot("override-saved", panel)

    # 4. Render the report from the panel.
    lab.widget("zj-generate").click()
    result = lab.widget("zj-result")
    expect(result).to_contain_text("report.docx", timeout=90 * SECOND)
    expect(result.locator("a.zj-download")).to_be_visible()
    result.locator("summary").click()
    expect(result).to_contain_text(f"财政总收入{NEW_VALUE}亿元")
    expect(lab.widget("zj-generate-feedback")).to_contain_text("报告已生成")
    lab.shot("generated", result)

    # 5. The files the analyst would hand on: the report and the audit trail of the correction.
    report = lab_server.root / "output" / "2021" / "hedong" / "report.docx"
    assert report.is_file(), f"no report at {report}"
    text = "\n".join(p.text for p in Document(str(report)).paragraphs)
    assert f"财政总收入{NEW_VALUE}亿元" in text

    record = lab_server.root / "parameters" / "overrides" / "hedong-2021.yaml"
    assert record.is_file(), f"no override record at {record}"
    entry = yaml.safe_load(record.read_text(encoding="utf-8"))["overrides"]["fiscal_revenue"]
    assert str(entry["old"]) == old
    assert str(entry["new"]) == NEW_VALUE
    assert entry["reason"] == REASON
    assert entry["by"] == WHO
    at = entry["at"] if isinstance(entry["at"], datetime) else datetime.fromisoformat(str(entry["at"]))
    assert abs((datetime.now() - at).total_seconds()) < 3600, entry["at"]
