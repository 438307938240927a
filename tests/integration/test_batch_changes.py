"""A second batch after one ledger value changed names that figure, old → new, in summary.csv and the HTML."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from conftest import FINANCE, PARAMS, SAMPLE, write_csv

from toolkit import cli
from toolkit.run.batch import read_summary


def _batch(data, params, out) -> None:
    args = ["batch", "--data", data, "--params", params, "--year", "2021", "--out", out, "--jobs", "1"]
    assert cli.main([str(a) for a in args]) == 0


def _texts(folder) -> dict[str, str]:
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]
    return {f["key"]: f for f in figures}


def test_second_batch_names_the_changed_figure(minimal, tmp_path):
    data, params = minimal
    out = tmp_path / "out"
    _batch(data, params, out)
    folder = out / "2021" / "demo"
    before = _texts(folder)
    first = read_summary(out / "2021" / "summary.csv")[0]
    assert first["changed_since_last_run"] == ""  # nothing to compare with yet

    changed = [dict(r, 数值="1520") if r["指标"] == "财政总收入" else r for r in FINANCE]
    write_csv(data / "财政指标.csv", changed)
    _batch(data, params, out)
    after = _texts(folder)
    differing = [k for k in after if after[k]["text"] != before[k]["text"]]
    assert differing == ["fiscal_revenue"]
    label, old, new = (
        after["fiscal_revenue"]["label"],
        before["fiscal_revenue"]["text"],
        after["fiscal_revenue"]["text"],
    )

    row = read_summary(out / "2021" / "summary.csv")[0]
    assert row["changed_since_last_run"] == f"{label}：{old}→{new}（台账数据变化）"
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "与上次生成相比" in page
    row_html = next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if f">{label}</td>" in r and "台账数据变化" in r)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row_html)
    # the page writes both in one column's decimals (0.10 beside 0.15): the same numbers as the report's
    assert cells[0] == label and [Decimal(c) for c in cells[1:3]] == [Decimal(old), Decimal(new)], cells


def test_a_batch_run_in_process_leaves_stop_signals_to_its_caller(tmp_path):
    """Ignored signals are inherited by every later process: a batch run from a caller's own
    process (as these tests do) must not leave Ctrl-C or SIGTERM ignored there."""
    import signal

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        cli.main(["batch", "--data", str(SAMPLE), "--params", str(PARAMS), "--year", "2021", "--out", str(tmp_path)])
        assert signal.SIG_IGN not in {signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
