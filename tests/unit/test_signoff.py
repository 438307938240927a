"""Sign-off per bureau-year: 已核对 and 已定稿 hold while the figures do, and name what moved when not."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime

import pytest
import yaml
from conftest import FINANCE, minimal_folder, write_csv

from toolkit.data.problems import ParameterError
from toolkit.data.validate import load_ledgers
from toolkit.report import signoff
from toolkit.report.overrides import save_override
from toolkit.report.prepare import prepare
from toolkit.report.render import figures_json

AT = datetime(2026, 12, 2, 3, 57, 8)


def figures(data, params, **kw):
    return prepare(load_ledgers(data), params, "demo", 2021, **kw).figures


def with_revenue(data, amount: str) -> None:
    """The finance ledger with 财政总收入 (万元) set to ``amount``."""
    rows = [dict(r, 数值=amount) if r["指标"] == "财政总收入" else r for r in FINANCE]
    write_csv(data / "财政指标.csv", rows)


def test_nothing_marked_is_pending(minimal):
    data, params = minimal
    now = signoff.state(params, figures(data, params))
    assert now.status == signoff.PENDING and not now.signed and not now.withdrawn
    assert now.by == "" and now.at is None and now.moved == [] and str(now) == "待核对"


def test_a_signoff_survives_recomputing_unchanged_data(minimal):
    data, params = minimal
    signed = signoff.sign(params, figures(data, params), "王审核", now=AT)
    assert (signed.status, signed.by, signed.at) == (signoff.REVIEWED, "王审核", AT)
    path = params / "signoffs" / "demo-2021.yaml"
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert record["status"] == "已核对" and record["reviewed"] == {"by": "王审核", "at": "2026-12-02T03:57:08"}
    assert record["figures"]["fiscal_revenue"] == {
        "label": "财政总收入",
        "text": "0.1",
        "value": "10000000",
        "unit": "亿元",
    }
    again = signoff.state(params, figures(data, params))  # ledgers read and figures computed anew
    assert again.status == signoff.REVIEWED and again.by == "王审核" and again.at == AT
    assert str(again) == "已核对（王审核，2026年12月2日 03:57）"


def test_a_ledger_change_withdraws_it_naming_the_figure(minimal):
    data, params = minimal
    signoff.sign(params, figures(data, params), "王审核", now=AT)
    with_revenue(data, "87654.3")
    now = signoff.state(params, figures(data, params))
    assert now.status == signoff.PENDING and now.withdrawn and now.previous == signoff.REVIEWED
    assert now.moved == ["财政总收入：0.1亿元→8.77亿元"]
    assert str(now) == "待核对（已核对后数据有变化：财政总收入：0.1亿元→8.77亿元）"
    with_revenue(data, "1000")  # back to the figures marked: the mark holds again
    assert signoff.state(params, figures(data, params)).status == signoff.REVIEWED


def test_a_correction_withdraws_it_too(minimal):
    data, params = minimal
    signoff.sign(params, figures(data, params), "王审核", now=AT)
    save_override(params, figures(data, params), "survey_collected", "5条", "以复核为准", "李四")
    now = signoff.state(params, figures(data, params))
    assert now.status == signoff.PENDING and now.moved == ["大调研收集问题数：2→5"]


def test_a_value_changed_below_the_printed_digits_is_named_by_its_value(minimal):
    data, params = minimal
    signoff.sign(params, figures(data, params), "王审核", now=AT)
    with_revenue(data, "1000.01")  # 0.1000001亿元 prints as 0.1
    assert signoff.state(params, figures(data, params)).moved == ["财政总收入：0.1亿元（数值10000000元→10000100元）"]


def test_the_office_finalises_a_reviewed_report_only(minimal):
    data, params = minimal
    with pytest.raises(ParameterError) as refused:
        signoff.sign(params, figures(data, params), "市局办公室", final=True)
    assert "请先标记为已核对" in str(refused.value)
    signoff.sign(params, figures(data, params), "王审核", now=AT)
    final = signoff.sign(params, figures(data, params), "市局办公室", final=True, now=datetime(2026, 12, 3, 9, 0))
    assert (final.status, final.by) == (signoff.FINAL, "市局办公室")
    assert final.reviewed == signoff.Mark("王审核", AT) and str(final) == "已定稿（市局办公室，2026年12月3日 09:00）"
    assert signoff.state(params, figures(data, params)).status == signoff.FINAL
    with_revenue(data, "2000")
    later = signoff.state(params, figures(data, params))
    assert later.status == signoff.PENDING and later.previous == signoff.FINAL
    assert later.moved == ["财政总收入：0.1亿元→0.2亿元"]
    # reviewed anew, the old 已定稿 of other figures no longer holds
    assert signoff.sign(params, figures(data, params), "王审核").final is None


def test_no_final_with_missing_figures_and_no_mark_without_a_name(minimal):
    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "税收收入"])
    current = figures(data, params)
    with pytest.raises(ParameterError) as nameless:
        signoff.sign(params, current, "  ")
    assert "请填写核对人" in str(nameless.value)
    signoff.sign(params, current, "王审核")
    with pytest.raises(ParameterError) as missing:
        signoff.sign(params, current, "市局办公室", final=True)
    assert "1项数据缺失（税收收入）" in str(missing.value)


def test_two_signers_at_once_keep_both_marks(minimal):
    data, params = minimal
    current = figures(data, params)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def mark(name: str) -> None:
        try:
            start.wait()
            for _ in range(15):
                signoff.sign(params, current, name)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=mark, args=(name,)) for name in ("王审核", "李审核")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = yaml.safe_load((params / "signoffs" / "demo-2021.yaml").read_text(encoding="utf-8"))["history"]
    assert sorted(h["by"] for h in history) == ["李审核"] * 15 + ["王审核"] * 15
    assert not list((params / "signoffs").glob("*.tmp"))


def test_a_written_figures_json_gives_the_same_state(minimal):
    data, params = minimal
    current = figures(data, params)
    written = json.loads(figures_json(current))
    assert signoff.fingerprint(written) == signoff.fingerprint(current)
    signoff.sign(params, written, "王审核", now=AT)  # e.g. the command line, from the batch's output
    assert signoff.state(params, current).status == signoff.REVIEWED
    with_revenue(data, "87654.3")
    changed = json.loads(figures_json(figures(data, params)))
    assert signoff.state(params, changed).moved == ["财政总收入：0.1亿元→8.77亿元"]  # the unit kept from the mark


def test_the_signature_date_of_the_day_of_rendering_moves_nothing(tmp_path):
    year = date.today().year  # a year still running: no signed_on means the day of rendering, flagged
    data, params = minimal_folder(tmp_path, year)

    def current(**kw):
        return prepare(load_ledgers(data), params, "demo", year, **kw).figures

    today = current()
    tomorrow = current()
    tomorrow["signed_on"].value = date(year, 12, 31)
    tomorrow["signed_on"].text = f"{year}年12月31日"
    assert signoff.fingerprint(today) == signoff.fingerprint(tomorrow)
    given = current(signed_on=date(year, 1, 10))  # a date given is a figure like any other
    other = current(signed_on=date(year, 1, 11))
    assert signoff.fingerprint(given) != signoff.fingerprint(other)


def test_another_report_keeps_its_marks_in_its_own_folder(minimal):
    data, params = minimal
    current = figures(data, params)
    signoff.sign(params, current, "王审核", report="other")
    assert (params / "signoffs" / "other" / "demo-2021.yaml").is_file()
    assert signoff.state(params, current).status == signoff.PENDING  # the seed report: not marked
    assert signoff.state(params, current, report="other").status == signoff.REVIEWED
    assert signoff.withdraw(params, "demo", 2021, "other") and not signoff.withdraw(params, "demo", 2021, "other")


def test_an_unreadable_record_is_named(minimal):
    data, params = minimal
    path = params / "signoffs" / "demo-2021.yaml"
    path.parent.mkdir()
    path.write_text("status: 好了\n", encoding="utf-8")
    with pytest.raises(ParameterError) as bad:
        signoff.state(params, figures(data, params))
    assert "signoffs/demo-2021.yaml" in str(bad.value) and "核对与定稿记录格式不对" in str(bad.value)


def test_moments_read_as_people_write_them():
    assert signoff.shown_at(AT) == "2026年12月2日 03:57"
    assert signoff.shown_at("2026-12-02T03:57:08") == "2026年12月2日 03:57"
    assert signoff.shown_at(None) == "" and signoff.shown_at("昨天") == "昨天"


def test_plain_values_for_the_index_and_summary(minimal):
    data, params = minimal
    signed = signoff.sign(params, figures(data, params), "王审核", now=AT).to_dict()
    assert signed["status"] == "已核对" and signed["by"] == "王审核" and signed["at"] == "2026-12-02T03:57:08"
    assert signed["moved"] == [] and len(signed["fingerprint"]) == 64
    json.dumps(signed)  # plain values only
