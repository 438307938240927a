"""The review panel's behaviour, driven in process (the browser test drives it in JupyterLab)."""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import PARAMS

from toolkit.review import ReviewPanel


@pytest.fixture
def panel(sample_ledgers, tmp_path, monkeypatch):
    params = tmp_path / "parameters"
    shutil.copytree(PARAMS, params)
    monkeypatch.chdir(tmp_path)
    return ReviewPanel(sample_ledgers, params, tmp_path / "out", bureau="qingshan", year=2021, user="测试员")


def test_every_widget_has_a_css_class(panel):
    classes = {c for widget in vars(panel).values() if hasattr(widget, "_dom_classes") for c in widget._dom_classes}
    assert {
        "zj-panel",
        "zj-bureau",
        "zj-year",
        "zj-filter",
        "zj-figures",
        "zj-detail",
        "zj-grid",
        "zj-override-value",
        "zj-override-reason",
        "zj-override-by",
        "zj-override-save",
        "zj-override-remove",
        "zj-narrative-problems",
        "zj-narrative-next",
        "zj-narrative-save",
        "zj-generate",
        "zj-result",
        "zj-status",
    } <= classes


def test_switching_bureau_recomputes(panel):
    assert "青山县财政局" in panel.grid.value
    panel.bureau.value = "hedong"
    assert "河东县财政局" in panel.grid.value and "青山县财政局" not in panel.grid.value
    assert "已载入河东县财政局2021年" in panel.status.value


def test_filter_and_detail_show_sources(panel):
    panel.filter.value = "需关注"
    assert all(not label.startswith("正常") for label, _ in panel.figures.options)
    assert "需核实" in panel.grid.value and "青山县财政局" not in panel.grid.value  # the grid follows the filter
    panel.filter.value = "全部"
    panel.figures.value = "fiscal_revenue"
    assert "县级财政局台账.xlsx" in panel.detail.value and "财政总收入" in panel.detail.value
    assert "<table" in panel.detail.value  # the ledger rows themselves
    assert "财政总收入</td>" in panel.detail.value and "亿元</td>" in panel.detail.value


def test_override_then_generate(panel, tmp_path):
    panel.bureau.value = "hedong"
    panel.figures.value = "fiscal_revenue"
    panel.value.value, panel.reason.value = "20.5", "以决算数为准"
    panel.save.click()
    assert "已保存" in panel.status.value
    assert ("已修改｜财政总收入：20.5", "fiscal_revenue") in panel.figures.options
    entry = yaml.safe_load((tmp_path / "parameters/overrides/hedong-2021.yaml").read_text(encoding="utf-8"))[
        "overrides"
    ]["fiscal_revenue"]
    assert entry["by"] == "测试员" and entry["new"] == "20.5"
    panel.generate.click()
    assert "报告已生成" in panel.status.value
    assert "report.docx" in panel.result.value and "财政总收入20.5亿元" in panel.result.value
    assert 'href="data:application/vnd.openxmlformats' in panel.result.value
    assert panel.last_rendered == tmp_path / "out/2021/hedong/report.docx" and panel.last_rendered.is_file()


def test_bad_override_shows_a_message_not_a_traceback(panel):
    panel.figures.value = "tax_revenue"
    panel.value.value, panel.reason.value = "1", ""
    panel.save.click()
    assert "请填写修改原因" in panel.status.value and "color:#b00020" in panel.status.value
