"""What changed since the previous run, and why (toolkit.report.changes)."""

from __future__ import annotations

import json

from toolkit.outputs import keep_previous
from toolkit.report.changes import from_last_year, read_previous, since_last_run
from toolkit.report.figures import Figure, Figures
from toolkit.report.render import figures_json


def _figures(*items: Figure, year: int = 2021) -> Figures:
    return Figures("demo", year, list(items))


def test_reasons_data_override_and_template(tmp_path):
    old = _figures(
        Figure("a", "甲", "r", value=1, text="1"),
        Figure("b", "乙", "r", value=2, text="2"),
        Figure("gone", "旧项", "r", value=3, text="3"),
    )
    (tmp_path / "figures.json").write_bytes(figures_json(old))
    keep_previous(tmp_path)
    assert not (tmp_path / "figures.json").exists()
    previous = read_previous(tmp_path)
    new = _figures(
        Figure("a", "甲", "r", value=5, text="5"),
        Figure("b", "乙", "r", value=9, text="9", override={"computed": "2", "new": "9", "reason": "x", "by": "y"}),
        Figure("added", "新项", "r", value=1, text="1"),
    )
    shown = [str(c) for c in since_last_run(new, previous)]
    assert shown == [
        "甲：1→5（台账数据变化）",
        "乙：2→9（人工修改）",
        "新项：（无此项）→1（报告模板变化）",
        "旧项：3→（已删去）（报告模板变化）",
    ]
    assert since_last_run(new, None) == []


def test_last_year_numbers_with_relative_change():
    now = _figures(Figure("n", "收入", "r", value=152, text="152"), Figure("d", "名称", "r", value="x", text="x"))
    then = _figures(
        Figure("n", "收入", "r", value=100, text="100"), Figure("d", "名称", "r", value="y", text="y"), year=2020
    )
    [(change, ratio)] = from_last_year(now, then)
    assert str(change) == "收入：100→152" and float(ratio) == 0.52
    assert from_last_year(now, None) == []


def test_clearing_a_folder_again_and_again_keeps_one_previous_copy(tmp_path):
    from toolkit.run.execute import clear

    for run in range(30):
        (tmp_path / "figures.json").write_text(json.dumps({"figures": [{"key": "a", "text": str(run)}]}), "utf-8")
        clear(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".previous.figures.json"]
    assert read_previous(tmp_path)["a"]["text"] == "29"
