"""The review panel's behaviour, driven in process (the browser tests drive it in JupyterLab and Voilà)."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import PARAMS

from toolkit.ui import review
from toolkit.ui.review import ReviewPanel


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def panel(sample_ledgers, tmp_path, monkeypatch, config_home):
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
        "zj-override-value",
        "zj-override-reason",
        "zj-override-by",
        "zj-override-save",
        "zj-override-remove",
        "zj-override-feedback",
        "zj-narrative-problems",
        "zj-narrative-next",
        "zj-narrative-save",
        "zj-narrative-feedback",
        "zj-generate",
        "zj-generate-feedback",
        "zj-result",
        "zj-status",
    } <= classes


def test_bureaus_are_named_and_years_have_data(panel, sample_ledgers):
    labels = dict((code, label) for label, code in panel.bureau.options)
    assert labels["qingshan"] == "青山县财政局（qingshan）"
    # The sample ledgers hold a stray row or two in 2020 and 2023: not a report year.
    assert set(sample_ledgers.years) - set(panel.year.options)
    for year in panel.year.options:
        assert year in sample_ledgers.report_years("qingshan")


def test_switching_bureau_recomputes(panel):
    panel.bureau.value = "hedong"
    assert "已载入河东县财政局2021年" in panel.status.value
    panel.figures.value = "fiscal_revenue"
    assert "hedong" in panel.detail.value


def test_no_year_on_year_check_against_a_stray_year(panel):
    warnings = [w for f in panel.report.figures.values() for w in f.warnings]
    assert not any("比2020年" in w for w in warnings), warnings


def test_filter_and_detail_show_sources(panel):
    panel.filter.value = "需关注"
    assert panel.figures.options and all(not label.startswith("正常") for label, _ in panel.figures.options)
    panel.filter.value = "全部"
    panel.figures.value = "fiscal_revenue"
    assert "县级财政局台账.xlsx" in panel.detail.value and "财政总收入" in panel.detail.value
    assert "<table" in panel.detail.value  # the ledger rows themselves
    assert "财政总收入</td>" in panel.detail.value and "亿元</td>" in panel.detail.value


def test_override_then_generate(panel, tmp_path, config_home):
    panel.bureau.value = "hedong"
    panel.figures.value = "fiscal_revenue"
    panel.value.value, panel.reason.value = "20.5", "以决算数为准"
    panel.save.click()
    assert "已保存" in panel.override_feedback.value
    assert ("已修改｜财政总收入：20.5", "fiscal_revenue") in panel.figures.options
    entry = yaml.safe_load((tmp_path / "parameters/overrides/hedong-2021.yaml").read_text(encoding="utf-8"))[
        "overrides"
    ]["fiscal_revenue"]
    assert entry["by"] == "测试员" and entry["new"] == "20.5"
    # The reviewer's name is remembered for next time, in the user's config folder.
    assert json.loads((config_home / "zongjie" / "reviewer.json").read_text(encoding="utf-8"))["name"] == "测试员"
    panel.generate.click()
    assert "报告已生成" in panel.generate_feedback.value
    assert 'class="zj-download"' in panel.result.value and "财政总收入20.5亿元" in panel.result.value
    assert 'href="data:application/vnd.openxmlformats' in panel.result.value
    assert panel.last_rendered == tmp_path / "out/2021/hedong/report.docx" and panel.last_rendered.is_file()


def test_missing_reason_is_said_beside_the_button_as_the_user_types(panel, tmp_path):
    panel.figures.value = "tax_revenue"
    panel.value.value = "1"
    assert "请填写修改原因" in panel.override_feedback.value  # before any click
    panel.save.click()
    assert "请填写修改原因" in panel.override_feedback.value and review.ERROR in panel.override_feedback.value
    assert ".yaml" not in panel.override_feedback.value and "tax_revenue" not in panel.override_feedback.value
    assert not (tmp_path / "parameters/overrides/qingshan-2021.yaml").exists()
    panel.reason.value = "以决算数为准"
    assert "可以保存" in panel.override_feedback.value


def test_reviewer_comes_from_the_setting_never_the_login(sample_ledgers, tmp_path, config_home, monkeypatch):
    params = tmp_path / "parameters"
    shutil.copytree(PARAMS, params)
    monkeypatch.setenv("USER", "root")
    fresh = ReviewPanel(sample_ledgers, params, tmp_path / "out")
    assert fresh.by.value == ""
    review.remember_reviewer("李审核")
    assert ReviewPanel(sample_ledgers, params, tmp_path / "out").by.value == "李审核"


def test_headless_kernel_shows_the_summary_and_builds_no_panel(sample_ledgers, tmp_path, monkeypatch):
    """Under ``run``/``batch`` the saved notebook keeps only the summary: the panel is not built."""
    from toolkit.outputs import HEADLESS
    from toolkit.report.prepare import prepare
    from toolkit.ui import notebook, present

    shown = []
    monkeypatch.setattr(notebook, "display", lambda *objs, **kw: shown.extend(objs))
    monkeypatch.setattr(review, "ReviewPanel", lambda *a, **k: pytest.fail("panel built in a headless kernel"))
    monkeypatch.setenv(HEADLESS, "1")
    rep = prepare(sample_ledgers, PARAMS, "hedong", 2022)
    assert notebook.review(sample_ledgers, str(PARAMS), str(tmp_path), "hedong", 2022, "", rep) is None
    text, page = present.review_summary(rep)
    assert shown == [{"text/plain": text, "text/html": page}]
    shown.clear()
    notebook.review(sample_ledgers, str(PARAMS), str(tmp_path), "hedong", 2022)  # without the report: computed
    assert shown == [{"text/plain": text, "text/html": page}]
