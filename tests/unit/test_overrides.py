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
