"""The review panel's behaviour, driven in process (the browser tests drive it in JupyterLab and Voilà)."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime

import pytest
import yaml
from conftest import PARAMS, SAMPLE, expected_texts

from toolkit.data.problems import ParameterError
from toolkit.data.validate import read_ledgers
from toolkit.report import signoff
from toolkit.report.definitions import new_report
from toolkit.report.formatting import Refused
from toolkit.report.overrides import read_new, save_override
from toolkit.report.prepare import prepare
from toolkit.ui import review
from toolkit.ui.review import ReviewPanel

#: Words of code and files a reviewer must never read.
INTERNAL = re.compile(r"overrides|signoffs|\bnew\b|\breason\b|_[a-z]+_|\d{4}-\d{2}-\d{2}T")


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture
def params(tmp_path):
    folder = tmp_path / "parameters"
    shutil.copytree(PARAMS, folder)
    return folder


@pytest.fixture
def panel(sample_ledgers, params, tmp_path, monkeypatch, config_home):
    monkeypatch.chdir(tmp_path)
    return ReviewPanel(sample_ledgers, params, tmp_path / "out", bureau="qingshan", year=2021, user="测试员")


def texts_of(panel: ReviewPanel) -> str:
    """Everything the panel shows in text: options, HTML and feedback."""
    shown = [label for label, _ in panel.figures.options]
    shown += [panel.detail.value, panel.status.value, panel.signoff_state.value, panel.override_feedback.value]
    shown += [panel.signoff_feedback.value, panel.text_feedback.value, panel.generate_feedback.value]
    return "\n".join(shown)


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
        "zj-signoff-state",
        "zj-signoff-by",
        "zj-signoff-review",
        "zj-signoff-final",
        "zj-signoff-feedback",
    } <= classes


def test_bureaus_are_named_and_years_have_data(panel, sample_ledgers):
    labels = dict((code, label) for label, code in panel.bureau.options)
    assert labels["qingshan"] == "青山县财政局（qingshan）"
    # The sample ledgers hold a stray row or two in 2020 and 2023: not a report year.
    assert set(sample_ledgers.years) - set(panel.year.options)
    for year in panel.year.options:
        assert year in sample_ledgers.report_years("qingshan")


def test_opens_on_the_first_bureau_needing_attention_filtered_to_it(sample_ledgers, params, tmp_path, config_home):
    fresh = ReviewPanel(sample_ledgers, params, tmp_path / "out")
    first = fresh.bureau.options[0][1]
    assert fresh.bureau.value == first and fresh.year.value == sample_ledgers.report_years(first)[-1]
    assert fresh.filter.value == "需关注"
    assert fresh.figures.options and all(not label.startswith("正常") for label, _ in fresh.figures.options)
    assert len(fresh.figures.options) < len(fresh.current.figures)
    # once its figures are marked 已核对, the next bureau is the first that needs attention
    signoff.sign(params, fresh.current.figures, "王审核")
    after = ReviewPanel(sample_ledgers, params, tmp_path / "out")
    assert after.bureau.value == fresh.bureau.options[1][1] and after.filter.value == "需关注"


def test_switching_bureau_recomputes(panel):
    panel.bureau.value = "hedong"
    assert "已载入河东县财政局2021年" in panel.status.value
    panel.filter.value = "全部"
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


def test_values_read_with_their_units_as_the_report_prints_them(panel):
    panel.filter.value = "全部"
    labels = {key: label for label, key in panel.figures.options}
    texts = expected_texts("qingshan", 2021)
    assert labels["fiscal_revenue"].endswith(f"财政总收入：{texts['fiscal_revenue']}亿元")
    assert labels["livelihood_funds"].endswith(f"民生配套资金：{texts['livelihood_funds']}元")  # 1235万元
    assert labels["lecture_branches"].endswith(f"：{texts['lecture_branches']}个")  # 个党支部
    assert labels["open_day_visitors"].endswith(f"：{texts['open_day_visitors']}名")  # 客商等…名
    assert labels["student_aid_persons"].endswith(f"：{texts['student_aid_persons']}人次")
    assert labels["year"].endswith("：2021年") and labels["through_month"].endswith(f"：{texts['through_month']}月")
    assert labels["bureau_name"].endswith("：青山县财政局")  # words carry no unit
    panel.figures.value = "fiscal_revenue"
    assert f"<h4>财政总收入：{texts['fiscal_revenue']}亿元</h4>" in panel.detail.value
    assert panel.value.value == f"{texts['fiscal_revenue']}亿元"  # what is typed reads the same way


def test_a_correction_reads_in_plain_words(panel, params):
    panel.filter.value = "全部"
    panel.figures.value = "open_day_visitors"
    panel.value.value, panel.reason.value = "180名", "以签到表为准"
    panel.save.click()
    assert "已保存对“开放日接待人数”的修改" in panel.override_feedback.value
    assert "已修改｜开放日接待人数：180名" in [label for label, _ in panel.figures.options]
    entry = yaml.safe_load((params / "overrides" / "qingshan-2021.yaml").read_text(encoding="utf-8"))
    at = datetime.fromisoformat(str(entry["overrides"]["open_day_visitors"]["at"]))
    when = f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"
    texts = expected_texts("qingshan", 2021)
    assert (
        f"台账计算值“{texts['open_day_visitors']}名”，新值“180名”；原因：以签到表为准；测试员于{when}修改"
    ) in panel.detail.value
    assert not INTERNAL.search(texts_of(panel)), INTERNAL.search(texts_of(panel))


def test_typing_is_checked_by_the_saves_own_parser(panel, params):
    panel.filter.value = "全部"
    panel.figures.value = "open_day_visitors"
    panel.reason.value = "以签到表为准"
    panel.value.value = "九十七"
    with pytest.raises(Refused) as refused:  # the reader every saved correction goes through
        read_new("九十七", panel.selected().form)
    said = f"新值“九十七”不能使用：{refused.value.message}，应为{refused.value.expected}"
    assert said in panel.override_feedback.value and review.ERROR in panel.override_feedback.value
    assert "可以保存" not in panel.override_feedback.value
    panel.save.click()
    assert said in panel.override_feedback.value  # the save says the same, and writes nothing
    assert not (params / "overrides" / "qingshan-2021.yaml").exists()
    panel.value.value = "97"
    assert "可以保存" in panel.override_feedback.value


@pytest.mark.parametrize(
    ("key", "typed"),
    [
        ("open_day_visitors", "九十七"),
        ("open_day_visitors", "97"),
        ("open_day_visitors", "97名"),
        ("open_day_visitors", "-3"),
        ("open_day_visitors", "9.5"),
        ("fiscal_revenue", "20.5亿元"),
        ("fiscal_revenue", "20.5万元"),
        ("fiscal_revenue", "二十亿左右"),
        ("livelihood_funds", "1300万元"),
        ("kickoff_date", "3月6日"),
        ("kickoff_date", "3月35日"),
        ("lecture_months", "4至7月"),
        ("lecture_months", "6至4月"),
        ("through_month", "13"),
        ("signed_on", "2022-01-20"),
        ("youth_visit_venue", "某县革命历史陈列馆"),
    ],
)
def test_can_be_saved_exactly_when_the_save_accepts(panel, params, key, typed):
    panel.filter.value = "全部"
    panel.figures.value = key
    panel.value.value, panel.reason.value = typed, "核对"
    accepted_here = panel.override_problem() == ""
    assert ("可以保存" in panel.override_feedback.value) == accepted_here
    try:
        save_override(params, panel.current.figures, key, typed, "核对", "测试员")
        saved = True
    except ParameterError:
        saved = False
    assert accepted_here == saved


def test_override_then_generate(panel, tmp_path, config_home):
    panel.bureau.value = "hedong"
    panel.filter.value = "全部"
    panel.figures.value = "fiscal_revenue"
    panel.value.value, panel.reason.value = "20.5", "以决算数为准"
    panel.save.click()
    assert "已保存" in panel.override_feedback.value
    assert ("已修改｜财政总收入：20.5亿元", "fiscal_revenue") in panel.figures.options
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
    assert 'download="河东县财政局2021年党史学习教育开展情况总结.docx"' in panel.result.value
    assert panel.last_rendered == tmp_path / "out/2021/hedong/report.docx" and panel.last_rendered.is_file()


def test_missing_reason_is_said_beside_the_button_as_the_user_types(panel, tmp_path):
    panel.filter.value = "全部"
    panel.figures.value = "tax_revenue"
    panel.value.value = "1"
    assert "请填写修改原因" in panel.override_feedback.value  # before any click
    panel.save.click()
    assert "请填写修改原因" in panel.override_feedback.value and review.ERROR in panel.override_feedback.value
    assert ".yaml" not in panel.override_feedback.value and "tax_revenue" not in panel.override_feedback.value
    assert not (tmp_path / "parameters/overrides/qingshan-2021.yaml").exists()
    panel.reason.value = "以决算数为准"
    assert "可以保存" in panel.override_feedback.value


def test_the_unchanged_value_needs_no_saving(panel):
    panel.filter.value = "全部"
    panel.figures.value = "fiscal_revenue"
    typed = panel.value.value  # as shown: 19.37亿元
    panel.value.value = typed.removesuffix("亿元")  # the same figure without its unit
    assert panel.override_problem() == review.SAME and panel.override_feedback.value == ""


def test_plain_words_for_messages_from_files():
    rep_figures = {"open_day_visitors": type("F", (), {"label": "开放日接待人数"})()}
    said = review.plain("数据项“open_day_visitors”的修改后的值（new）不能使用：不是整数（见 overrides）", rep_figures)
    assert said == "数据项“开放日接待人数”的修改后的值不能使用：不是整数（见 修改记录）"


def test_empty_narrative_boxes_show_the_default_paragraphs(panel):
    panel.bureau.value = "hedong"  # hedong has no paragraphs of its own for 2021
    assert panel.problems.value == "" and panel.next_steps.value == ""
    panel.narrative.selected_index = 0  # the boxes are opened
    assert panel.problems.placeholder.startswith("留空时报告使用模板中的默认段落：")
    assert "党史学习教育开展以来，我们虽取得一些成效" in panel.problems.placeholder
    assert "（一）丰富载体模式，确保学习取得实效。" in panel.next_steps.placeholder
    assert "党史学习教育开展以来，我们虽取得一些成效" not in panel.next_steps.placeholder


def test_a_panel_opened_earlier_reverts_no_ones_narrative_nor_a_hand_edit(panel, sample_ledgers, params, tmp_path):
    """Two reviewers on the same bureau-year; the file is edited by hand between; nobody's work is lost."""
    path = params / "bureaus" / "qingshan.yaml"
    other = ReviewPanel(sample_ledgers, params, tmp_path / "out", bureau="qingshan", year=2021, user="李审核")
    other.problems.value = "一是他人写的问题。"
    other.save_text.click()
    assert "已保存本单位本年度的文字" in other.text_feedback.value
    hand = path.read_text(encoding="utf-8").replace("陈晓敏", "钱多多") + "# 办公室补充的说明\n"
    path.write_text(hand, encoding="utf-8")  # a hand edit of another key while both panels are open

    panel.next_steps.value = "（一）本人写的打算。"  # the panel opened before both changes
    panel.save_text.click()
    assert "已保存本单位本年度的文字" in panel.text_feedback.value
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert saved["liaison"] == "钱多多" and "# 办公室补充的说明" in path.read_text(encoding="utf-8")
    assert saved["narrative"][2021] == {"problems": "一是他人写的问题。\n", "next_steps": "（一）本人写的打算。\n"}
    assert "2022" in str(saved["narrative"]) and saved["narrative"][2022]["problems"].startswith("一年来")
    assert panel.problems.value == "一是他人写的问题。"  # reloaded: the panel shows what the file holds

    panel.problems.value = "一是本人改写的问题。"
    panel.save_text.click()
    before = path.read_bytes()
    other.problems.value = "一是另一种写法。"  # the other panel still holds the text it loaded before that
    other.save_text.click()
    assert "他人已修改本单位2021年的“存在的问题”，请刷新后再保存" in other.text_feedback.value
    assert review.ERROR in other.text_feedback.value and path.read_bytes() == before
    assert not INTERNAL.search(other.text_feedback.value)


def test_signoff_from_the_panel_and_its_withdrawal_by_a_correction(panel, params):
    assert "待核对" in panel.signoff_state.value
    panel.signer.value = "王审核"
    panel.mark_final.click()
    assert "请先标记为已核对" in panel.signoff_feedback.value and review.ERROR in panel.signoff_feedback.value
    panel.mark_reviewed.click()
    assert "已标记为已核对" in panel.signoff_feedback.value
    assert re.search(r"已核对</b>（王审核，\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d）", panel.signoff_state.value)
    panel.signer.value = "市局办公室"
    panel.mark_final.click()
    assert "已定稿</b>（市局办公室，" in panel.signoff_state.value
    panel.filter.value = "全部"
    panel.figures.value = "tax_revenue"
    panel.value.value, panel.reason.value = "13亿元", "以决算数为准"
    panel.save.click()
    assert "待核对" in panel.signoff_state.value and "已定稿后数据有变化" in panel.signoff_state.value
    old = expected_texts("qingshan", 2021)["tax_revenue"]
    assert f"税收收入：{old}亿元→13亿元" in panel.signoff_state.value


def test_a_report_is_not_finalised_while_the_ledgers_hold_unread_data(panel, monkeypatch):
    from toolkit.data.problems import Notice

    panel.signer.value = "王审核"
    panel.mark_reviewed.click()
    unread = Notice("旧台账.et", "不读取.et格式的文件", kind="ignored_file", unread=True)
    monkeypatch.setattr(panel.ledgers, "notices", [*panel.ledgers.notices, unread])  # the session's ledgers stay
    panel.mark_final.click()
    assert "不能定稿" in panel.signoff_feedback.value and "旧台账.et" in panel.signoff_feedback.value
    assert review.ERROR in panel.signoff_feedback.value and "已定稿" not in panel.signoff_state.value


def test_the_panel_follows_the_chosen_report(sample_ledgers, params, tmp_path, config_home, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = new_report("brief", tmp_path / "templates", title="工作简报")
    brief = ReviewPanel(sample_ledgers, params, tmp_path / "out", bureau="qingshan", year=2021, report=str(folder))
    assert list(brief.current.figures) == ["bureau_name", "year", "signed_on"]
    brief.filter.value = "全部"
    brief.figures.value = "year"
    brief.value.value, brief.reason.value, brief.by.value = "2020", "简报按上年编写", "测试员"
    brief.save.click()
    assert "已保存" in brief.override_feedback.value
    assert (params / "overrides" / "brief" / "qingshan-2021.yaml").is_file()
    assert not (params / "overrides" / "qingshan-2021.yaml").exists()
    brief.signer.value = "王审核"
    brief.mark_reviewed.click()
    assert (params / "signoffs" / "brief" / "qingshan-2021.yaml").is_file()
    brief.generate.click()
    assert 'download="青山县财政局2021年工作简报.docx"' in brief.result.value
    assert (
        prepare(sample_ledgers, params, "qingshan", 2021).figures["year"].text == "2021"
    )  # the seed report: as before


def test_a_page_opened_later_reads_what_changed_meanwhile(sample_ledgers, params, tmp_path, config_home):
    waiting = ReviewPanel(sample_ledgers, params, tmp_path / "out", bureau="qingshan", year=2021)
    assert not waiting.refresh_if_stale()
    # another reviewer corrects a figure while this panel waits for its page
    other = prepare(sample_ledgers, params, "qingshan", 2021)
    save_override(params, other.figures, "tax_revenue", "13", "以决算数为准", "李审核")
    assert waiting.refresh_if_stale()
    assert waiting.current.figures["tax_revenue"].text == "13"


def test_a_ledger_open_in_excel_is_no_change_but_a_saved_one_is(sample_ledgers, params, tmp_path, config_home):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    waiting = ReviewPanel(sample_ledgers, params, tmp_path / "out", bureau="qingshan", year=2021, data=data)
    (data / "~$县级财政局台账.xlsx").write_bytes(b"\x00" * 165)  # Excel's lock file while a clerk has it open
    assert not waiting.refresh_if_stale()
    book = data / "县级财政局台账.xlsx"
    book.write_bytes(book.read_bytes())  # saved again
    os.utime(book, ns=(book.stat().st_atime_ns, book.stat().st_mtime_ns + 1_000_000_000))
    assert waiting.refresh_if_stale()


def test_reviewer_comes_from_the_setting_never_the_login(sample_ledgers, params, tmp_path, config_home, monkeypatch):
    monkeypatch.setenv("USER", "root")
    fresh = ReviewPanel(sample_ledgers, params, tmp_path / "out")
    assert fresh.by.value == "" and fresh.signer.value == ""
    review.remember_reviewer("李审核")
    again = ReviewPanel(sample_ledgers, params, tmp_path / "out")
    assert again.by.value == "李审核" and again.signer.value == "李审核"


def test_headless_kernel_shows_the_summary_and_builds_no_panel(sample_ledgers, tmp_path, monkeypatch):
    """Under ``run``/``batch`` the saved notebook keeps only the summary: the panel is not built."""
    from toolkit.outputs import HEADLESS
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


def test_a_report_over_an_added_ledger_reads_it_through_the_contract(params, tmp_path, config_home):
    """The review app reads the ledgers as the parameters' contract.yaml describes them (the training report)."""
    from conftest import SAMPLE

    if not (params / "contract.yaml").is_file():
        pytest.skip("the parameters add no ledger")
    panel = ReviewPanel(read_ledgers(SAMPLE, params), params, tmp_path / "out", report="training")
    training = panel.current.definition
    assert training is not None and training.name == "training" and "培训" in training.title
    panel.filter.value = "全部"
    added = [
        f.key
        for f in panel.current.figures.values()
        if f.sources and f.sources[0].table not in ("activities", "problems", "finance", "parameters")
    ]
    panel.figures.value = added[0]
    assert "<table" in panel.detail.value  # the added ledger's rows, by their Chinese headers
    figure = panel.selected()
    assert panel.value.value in (figure.text, review.shown(figure, panel.units))  # as typed, the save reads it
    assert review.download_name(panel.current).endswith(f"年{training.title}.docx")
