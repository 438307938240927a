"""`zongjie signoff` and `zongjie status`: a sign-off survives unchanged data and is withdrawn, naming the figure, when a ledger value behind it changes."""

from __future__ import annotations

from conftest import FINANCE, write_csv

from toolkit.cli import main


def _args(minimal, tmp_path, *more):
    data, params = minimal
    return ["--data", str(data), "--params", str(params), "--out", str(tmp_path / "out"), "--year", "2021", *more]


def test_signoff_then_status_then_a_changed_ledger_value_withdraws_it(minimal, tmp_path, capsys):
    data, _ = minimal
    assert main(["signoff", *_args(minimal, tmp_path, "--bureau", "demo", "--by", "王审核")]) == 0
    said = capsys.readouterr()
    assert "已核对（王审核，" in said.out
    assert "还没有这份报告" in said.err  # nothing rendered yet: the clerk is told so

    assert main(["status", *_args(minimal, tmp_path)]) == 0
    assert "demo 某县财政局：已核对（王审核，" in capsys.readouterr().out  # unchanged data: the mark holds

    changed = [dict(r, 数值="1200") if r["指标"] == "财政总收入" else r for r in FINANCE]
    write_csv(data / "财政指标.csv", changed)
    assert main(["status", *_args(minimal, tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "demo 某县财政局：待核对（已核对后数据有变化：财政总收入：" in out
    assert "→" in out and "待核对1个" in out


def test_final_needs_a_review_first(minimal, tmp_path, capsys):
    assert main(["signoff", *_args(minimal, tmp_path, "--bureau", "demo", "--by", "市局", "--final")]) == 1
    assert "请先标记为已核对" in capsys.readouterr().err
    assert main(["signoff", *_args(minimal, tmp_path, "--bureau", "demo", "--by", "王审核")]) == 0
    assert main(["signoff", *_args(minimal, tmp_path, "--bureau", "demo", "--by", "市局", "--final")]) == 0
    assert "已定稿（市局，" in capsys.readouterr().out


def test_signoff_of_a_rendered_report_says_nothing_more(minimal, tmp_path, capsys):
    assert main(["render", *_args(minimal, tmp_path, "--bureau", "demo")]) == 0
    capsys.readouterr()
    assert main(["signoff", *_args(minimal, tmp_path, "--bureau", "demo", "--by", "王审核")]) == 0
    assert capsys.readouterr().err == ""


def test_final_is_refused_while_the_ledgers_hold_unread_data(minimal, tmp_path, capsys):
    data, _ = minimal
    assert main(["signoff", *_args(minimal, tmp_path, "--bureau", "demo", "--by", "王审核")]) == 0
    (data / "旧台账.et").write_bytes(b"\xd0\xcf\x11\xe0")  # a WPS workbook the loader cannot read
    assert main(["signoff", *_args(minimal, tmp_path, "--bureau", "demo", "--by", "市局", "--final")]) == 1
    err = capsys.readouterr().err
    assert "不能定稿" in err and "旧台账.et" in err
    assert main(["status", *_args(minimal, tmp_path)]) == 0
    assert "已定稿" not in capsys.readouterr().out  # still 已核对
