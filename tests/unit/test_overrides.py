"""Overrides with an audit trail, and a bureau's own narrative, applied everywhere."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime
from decimal import Decimal

import pytest
import yaml
from conftest import PARAMS, body_of, paragraphs

from toolkit.data.params import load_bureau, save_narrative
from toolkit.data.problems import ParameterError
from toolkit.report import prepare as report
from toolkit.report.overrides import overrides_path, remove_override, save_override
from toolkit.report.render import render_docx
from toolkit.resources import default_template


@pytest.fixture
def params(tmp_path):
    target = tmp_path / "parameters"
    shutil.copytree(PARAMS, target)
    return target


def _prepare(ledgers, params, bureau="hedong", year=2021):
    return report.prepare(ledgers, params, bureau, year, date(2022, 1, 10))


def test_override_is_saved_with_audit_and_applied(sample_ledgers, params, tmp_path):
    before = _prepare(sample_ledgers, params)
    entry = save_override(
        params, before.figures, "fiscal_revenue", "20.5", "以决算数为准", "张三", now=datetime(2022, 1, 5, 9, 30)
    )
    stored = yaml.safe_load(overrides_path(params, "hedong", 2021).read_text(encoding="utf-8"))
    assert (
        stored["overrides"]["fiscal_revenue"]
        == entry
        == {
            "label": "财政总收入",
            "old": before.figures["fiscal_revenue"].text,
            "new": "20.5",
            "reason": "以决算数为准",
            "by": "张三",
            "at": "2022-01-05T09:30:00",
        }
    )
    after = _prepare(sample_ledgers, params)
    figure = after.figures["fiscal_revenue"]
    assert (figure.text, figure.status) == ("20.5", "overridden")
    assert figure.override["computed"] == before.figures["fiscal_revenue"].text
    docx = render_docx(after.figures, after.story, default_template())
    assert "财政总收入20.5亿元" in "".join(body_of(paragraphs(docx, tmp_path)))
    folder = report.write(after, tmp_path / "out", default_template())
    record = next(
        f
        for f in json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]
        if f["key"] == "fiscal_revenue"
    )
    assert record["status"] == "overridden" and record["override"]["reason"] == "以决算数为准"

    assert remove_override(params, "hedong", 2021, "fiscal_revenue")
    assert not overrides_path(params, "hedong", 2021).exists()
    assert _prepare(sample_ledgers, params).figures["fiscal_revenue"].status != "overridden"


def test_override_fills_a_missing_value(minimal):
    from conftest import FINANCE, write_csv

    from toolkit.data.validate import load_ledgers

    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "税收收入"])
    ledgers = load_ledgers(data)
    rep = report.prepare(ledgers, params, "demo", 2021)
    save_override(params, rep.figures, "tax_revenue", "0.1", "台账漏记，按决算补", "李四")
    again = report.prepare(ledgers, params, "demo", 2021)
    assert not again.figures.missing() and again.figures["tax_revenue"].text == "0.1"


def test_stale_override_is_flagged(sample_ledgers, params):
    rep = _prepare(sample_ledgers, params)
    save_override(params, rep.figures, "drill_count", "9", "补记", "王五")
    path = overrides_path(params, "hedong", 2021)
    stored = yaml.safe_load(path.read_text(encoding="utf-8"))
    stored["overrides"]["drill_count"]["old"] = "7"  # as if the ledger said 7 when the override was made
    path.write_text(yaml.safe_dump(stored, allow_unicode=True), encoding="utf-8")
    figure = _prepare(sample_ledgers, params).figures["drill_count"]
    assert any("修改时台账计算值为“7”" in w for w in figure.warnings)


@pytest.mark.parametrize(
    ("old", "says"),
    [
        (None, "修改时未记录台账计算值，现为“{now}”"),  # no ``old`` at all
        ("''", "修改时未记录台账计算值，现为“{now}”"),
        (".nan", "修改时未记录台账计算值，现为“{now}”"),
        ("~", "修改时台账计算值为“缺失”，现为“{now}”"),  # the figure was missing at the correction
        ("'7'", "修改时台账计算值为“7”，现为“{now}”"),
    ],
)
def test_a_correction_without_the_old_value_says_so_never_none(sample_ledgers, params, old, says):
    from toolkit.ui import present

    now = _prepare(sample_ledgers, params).figures["drill_count"].text
    path = overrides_path(params, "hedong", 2021)
    path.parent.mkdir(exist_ok=True)
    recorded = "" if old is None else f"    old: {old}\n"
    path.write_text(f"overrides:\n  drill_count:\n{recorded}    new: 9\n    reason: 补记\n    by: 王五\n", "utf-8")
    rep = _prepare(sample_ledgers, params)
    figure = rep.figures["drill_count"]
    assert any(says.format(now=now) in w for w in figure.warnings), figure.warnings
    shown = present.figures_table(rep.figures) + present.overview_status({"hedong": rep})
    for text in (*figure.warnings, shown):
        assert not re.search(r"\bNone\b|\bnan\b", text)


def test_a_correction_of_a_missing_figure_shows_it_missing_not_none(minimal):
    from conftest import FINANCE, write_csv

    from toolkit.data.validate import load_ledgers
    from toolkit.ui import present

    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "税收收入"])
    rep = report.prepare(load_ledgers(data), params, "demo", 2021)
    save_override(params, rep.figures, "tax_revenue", "0.1", "台账漏记，按决算补", "李四")
    again = report.prepare(load_ledgers(data), params, "demo", 2021)
    assert not again.figures["tax_revenue"].warnings  # missing then, missing now: nothing stale
    shown = present.figures_table(again.figures) + present.overview_status({"demo": again})
    assert "None" not in shown and "原值“缺失”" in shown and "缺失→0.1" in shown


def test_override_needs_reason_and_known_key(sample_ledgers, params):
    rep = _prepare(sample_ledgers, params)
    with pytest.raises(ParameterError, match="修改原因"):
        save_override(params, rep.figures, "fiscal_revenue", "1", " ", "张三")
    path = overrides_path(params, "hedong", 2021)
    path.parent.mkdir(exist_ok=True)
    path.write_text("overrides:\n  no_such_figure: {new: '1', reason: x}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="no_such_figure"):
        _prepare(sample_ledgers, params)


def test_narrative_saved_to_parameters_keeps_comments(sample_ledgers, params, tmp_path):
    bureau = load_bureau(params, "hedong")
    save_narrative(bureau, 2021, {"problems": "一是自定义问题。\n\n二是另一个问题。", "next_steps": ""})
    text = (params / "bureaus" / "hedong.yaml").read_text(encoding="utf-8")
    assert text.startswith("# ") and "problems: |" in text
    rep = _prepare(sample_ledgers, params)
    body = body_of(paragraphs(render_docx(rep.figures, rep.story, default_template()), tmp_path))
    assert "一是自定义问题。" in body and "二是另一个问题。" in body
    assert any(p.startswith("（一）丰富载体模式") for p in body)  # next steps keep the default
    save_narrative(load_bureau(params, "hedong"), 2021, {"problems": "", "next_steps": ""})
    assert "narrative" not in yaml.safe_load((params / "bureaus" / "hedong.yaml").read_text(encoding="utf-8"))


def _record(folder, key):
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    return next(f for f in figures["figures"] if f["key"] == key), figures["findings"]


def test_override_sets_the_value_checks_and_figures_json_see(sample_ledgers, params, tmp_path):
    """One truth per figure: a corrected revenue far from last year's is what the >30% check reads."""
    plain = _prepare(sample_ledgers, params, year=2022)
    last_year = plain.previous["fiscal_revenue"].value
    assert not any(f.key == "fiscal_revenue" for f in plain.findings)
    far = (last_year * 3 / 100_000_000).quantize(Decimal("0.01"))  # three times last year, in 亿元
    save_override(params, plain.figures, "fiscal_revenue", f"{far}亿元", "以决算数为准", "张三")

    after = _prepare(sample_ledgers, params, year=2022)
    figure = after.figures["fiscal_revenue"]
    assert figure.value == far * 100_000_000 and figure.text == str(far).rstrip("0").rstrip(".")
    assert figure.status == "overridden" and figure.override["computed_value"] == plain.figures["fiscal_revenue"].value
    change = [f for f in after.findings if f.key == "fiscal_revenue"]
    assert change and "超过30%" in change[0].message and "增长" in change[0].message

    folder = report.write(after, tmp_path / "out", default_template())
    record, findings = _record(folder, "fiscal_revenue")
    assert Decimal(record["value"]) == far * 100_000_000
    assert record["status"] == "overridden" and record["override"]["by"] == "张三"
    assert any(f["key"] == "fiscal_revenue" and "超过30%" in f["message"] for f in findings)


@pytest.mark.parametrize(
    ("key", "new", "value", "text"),
    [
        ("drill_count", "9次", 9, "9"),
        ("drill_count", 12, 12, "12"),
        ("kickoff_date", "2021-03-08", date(2021, 3, 8), "3月8日"),
        ("kickoff_date", "3月9日", date(2021, 3, 9), "3月9日"),
        ("members_visit_dates", "5月30日至6月2日", (date(2021, 5, 30), date(2021, 6, 2)), "5月30日至6月2日"),
        ("lecture_months", "4至7月", (date(2021, 4, 1), date(2021, 7, 1)), "4至7月"),
        ("boarding_meal_funds", "356.1", Decimal("3561000.0"), "356.1"),
        ("livelihood_funds", "1300万元", Decimal("13000000"), "1300万"),
        ("through_month", "10月", 10, "10"),
        ("youth_visit_venue", "某某纪念馆", "某某纪念馆", "某某纪念馆"),
    ],
)
def test_override_value_is_typed_by_the_figures_kind(sample_ledgers, params, key, new, value, text):
    rep = _prepare(sample_ledgers, params)
    save_override(params, rep.figures, key, new, "核对原始记录", "张三")
    figure = _prepare(sample_ledgers, params).figures[key]
    assert (figure.value, figure.text, figure.status) == (value, text, "overridden")


# --- several reviewers at once: nothing lost, nothing overwritten unseen ---------------------------


def test_corrections_saved_at_once_are_all_kept(minimal):
    import threading

    from toolkit.data.validate import load_ledgers

    data, params = minimal
    rep = report.prepare(load_ledgers(data), params, "demo", 2021)
    mine = {"张三": ("drill_count", "home_visit_count", "open_day_visitors"), "李四": ("fiscal_revenue", "tax_revenue")}
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(by: str) -> None:
        try:
            start.wait()
            for n, key in enumerate(mine[by], 2):
                save_override(params, rep.figures, key, str(n * 7), "核对原始记录", by)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(by,)) for by in mine]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = yaml.safe_load(overrides_path(params, "demo", 2021).read_text(encoding="utf-8"))["overrides"]
    assert {k: v["by"] for k, v in stored.items()} == {k: by for by, keys in mine.items() for k in keys}


def test_a_correction_someone_changed_meanwhile_is_not_overwritten(sample_ledgers, params):
    first, second = _prepare(sample_ledgers, params), _prepare(sample_ledgers, params)  # two panels open
    save_override(params, first.figures, "fiscal_revenue", "20.5", "以决算数为准", "张三")
    first = _prepare(sample_ledgers, params)  # the saving panel shows its correction
    path = overrides_path(params, "hedong", 2021)
    kept = path.read_bytes()
    with pytest.raises(ParameterError) as refused:
        save_override(params, second.figures, "fiscal_revenue", "21", "另一个原因", "李四")
    message = str(refused.value)
    assert "他人已修改“财政总收入”" in message and "张三" in message and "20.5" in message
    assert "请刷新后再保存" in message and path.read_bytes() == kept
    save_override(params, second.figures, "drill_count", "9", "补记", "李四")  # another figure: both kept
    stored = yaml.safe_load(path.read_text(encoding="utf-8"))["overrides"]
    assert (stored["fiscal_revenue"]["by"], stored["drill_count"]["by"]) == ("张三", "李四")
    assert remove_override(params, "hedong", 2021, "fiscal_revenue")
    with pytest.raises(ParameterError, match="他人已撤销对“财政总收入”的修改"):
        save_override(params, first.figures, "fiscal_revenue", "20.6", "再改", "张三")
    fresh = _prepare(sample_ledgers, params)  # refreshed: the reviewer sees the file as it is now
    save_override(params, fresh.figures, "fiscal_revenue", "20.6", "再改", "张三")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["overrides"]["fiscal_revenue"]["new"] == "20.6"


def _writers(params, figures):
    from toolkit.report import signoff

    return {
        "save_override": lambda: save_override(params, figures, "drill_count", "9", "补记", "王五"),
        "remove_override": lambda: remove_override(params, "hedong", 2021, "drill_count"),
        "save_narrative": lambda: save_narrative(load_bureau(params, "hedong"), 2021, {"problems": "一是。"}),
        "sign": lambda: signoff.sign(params, figures, "王审核"),
        "withdraw": lambda: signoff.withdraw(params, "hedong", 2021),
    }


@pytest.mark.parametrize("writer", ["save_override", "remove_override", "save_narrative", "sign", "withdraw"])
def test_every_writer_waits_for_the_lock_and_writes_nothing_without_it(sample_ledgers, params, monkeypatch, writer):
    from toolkit import outputs
    from toolkit.errors import FileBusy
    from toolkit.report.signoff import signoff_path

    rep = _prepare(sample_ledgers, params)
    save_override(params, rep.figures, "drill_count", "8", "补记", "王五")
    rep = _prepare(sample_ledgers, params)
    _writers(params, rep.figures)["sign"]()
    files = {
        "save_override": overrides_path(params, "hedong", 2021),
        "remove_override": overrides_path(params, "hedong", 2021),
        "save_narrative": params / "bureaus" / "hedong.yaml",
        "sign": signoff_path(params, "hedong", 2021),
        "withdraw": signoff_path(params, "hedong", 2021),
    }
    path = files[writer]
    before = path.read_bytes()
    monkeypatch.setattr(outputs, "LOCK_TIMEOUT", 0.05)
    with outputs.locked(path), pytest.raises(FileBusy, match="正由他人写入"):
        _writers(params, rep.figures)[writer]()
    assert path.read_bytes() == before
    _writers(params, rep.figures)[writer]()  # let go: it writes
    assert not path.exists() or path.read_bytes() != before


# --- a narrative changes its own year's block, nothing else -----------------------------------------

#: Parameter files as hands write them, and the lines a save of 2021's narrative must leave as they are.
_HAND_WRITTEN = {
    "none yet": (
        "# 河东县财政局的参数（手工维护）\nname: 河东县财政局   # 全称\noffice_director: 王志刚\n\nliaison: 赵丽娟\n",
        [
            "# 河东县财政局的参数（手工维护）",
            "name: 河东县财政局   # 全称",
            "office_director: 王志刚",
            "",
            "liaison: 赵丽娟",
        ],
    ),
    "another year": (
        "# 说明\nname: 河东县财政局\nnarrative:\n    2020:\n        problems: |\n            # 这一行是正文\n"
        "            旧问题。\n        # 注：2020年的打算沿用模板\n    # 2022年由办公室填写\n    2022:\n"
        "        next_steps: 明年。\nliaison: 赵丽娟  # 联络员\nsigned_on: {2021: 2022-01-10}\n",
        [
            "# 说明",
            "narrative:",
            "    2020:",
            "        problems: |",
            "            # 这一行是正文",
            "            旧问题。",
            "        # 注：2020年的打算沿用模板",
            "    # 2022年由办公室填写",
            "    2022:",
            "        next_steps: 明年。",
            "liaison: 赵丽娟  # 联络员",
            "signed_on: {2021: 2022-01-10}",
        ],
    ),
    "this year already": (
        "name: 河东县财政局\r\nnarrative:\r\n  '2021':\r\n    problems: 旧的\r\n    next_steps: |\r\n      旧打算\r\n"
        "  2019: {problems: 更早}\r\n# 末尾注释\r\n",
        ["name: 河东县财政局", "  2019: {problems: 更早}", "# 末尾注释"],
    ),
    "flow": (
        "name: 河东县财政局\nnarrative: {2020: {problems: 旧问题。}}\n# 结尾\nliaison: 赵丽娟",
        ["name: 河东县财政局", "# 结尾", "liaison: 赵丽娟"],
    ),
    "empty": ("name: 河东县财政局\nnarrative:\nliaison: 赵丽娟\n", ["name: 河东县财政局", "liaison: 赵丽娟"]),
}


@pytest.mark.parametrize("layout", list(_HAND_WRITTEN))
@pytest.mark.parametrize("texts", [{"problems": "一是新问题。\n\n二是另一个。", "next_steps": ""}, {}])
def test_a_narrative_changes_only_its_own_year(params, layout, texts):
    """Other keys, other years, comments and layout stay; the year's texts are what was saved."""
    path = params / "bureaus" / "hedong.yaml"
    written, kept = _HAND_WRITTEN[layout]
    path.write_bytes(written.encode("utf-8"))
    bureau = load_bureau(params, "hedong")
    before = yaml.safe_load(written)
    save_narrative(bureau, 2021, texts)
    text = path.read_text(encoding="utf-8")
    after = yaml.safe_load(text)
    years = {str(k): v for k, v in (after.get("narrative") or {}).items()}
    wanted = {k: v.strip() for k, v in texts.items() if v}
    assert {k: v.strip() for k, v in (years.pop("2021", None) or {}).items()} == wanted
    assert years == {str(k): v for k, v in (before.get("narrative") or {}).items() if str(k) != "2021"}
    assert {k: v for k, v in after.items() if k != "narrative"} == {k: v for k, v in before.items() if k != "narrative"}
    lines = text.splitlines()
    assert [line for line in kept if line not in lines] == []
    assert [line for line in lines if line and line in kept] == [line for line in kept if line]  # in order
    assert load_bureau(params, "hedong").narrative(2021) == wanted
    assert bureau.narrative(2021) == wanted  # the caller's copy is the file's now


def test_a_hand_edit_made_after_loading_survives_a_narrative_save(params):
    path = params / "bureaus" / "hedong.yaml"
    bureau = load_bureau(params, "hedong")  # a panel opens
    edited = path.read_text(encoding="utf-8").replace("赵丽娟", "钱多多") + "# 办公室补充：联络员已更换\n"
    path.write_text(edited, encoding="utf-8")  # someone edits the file by hand meanwhile
    save_narrative(bureau, 2021, {"problems": "一是。", "next_steps": ""}, loaded={})
    text = path.read_text(encoding="utf-8")
    assert text.startswith(edited) and "钱多多" in text and "# 办公室补充" in text
    assert load_bureau(params, "hedong").get("liaison") == "钱多多"


def test_a_narrative_someone_else_saved_meanwhile_is_merged_or_refused(params):
    path = params / "bureaus" / "hedong.yaml"
    mine, theirs = load_bureau(params, "hedong"), load_bureau(params, "hedong")  # two panels, nothing yet
    save_narrative(theirs, 2021, {"problems": "他人的问题。", "next_steps": ""}, loaded={})
    saved = path.read_bytes()
    with pytest.raises(ParameterError) as refused:
        save_narrative(mine, 2021, {"problems": "我的问题。", "next_steps": ""}, loaded={})
    assert "他人已修改本单位2021年的“存在的问题”，请刷新后再保存" in str(refused.value)
    assert path.read_bytes() == saved  # nothing written
    save_narrative(mine, 2021, {"problems": "", "next_steps": "我的打算。"}, loaded={})  # the other text: merged
    assert load_bureau(params, "hedong").narrative(2021) == {"problems": "他人的问题。", "next_steps": "我的打算。"}
