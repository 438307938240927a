"""`zongjie correct`: the review panel's 保存修改 from the command line, by the same rules, never losing one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from toolkit.cli import main
from toolkit.data.validate import read_ledgers
from toolkit.report import overrides, signoff
from toolkit.report.formatting import Refused
from toolkit.report.prepare import prepare, write


@pytest.fixture
def no_remembered_name(tmp_path, monkeypatch):
    """No name the review panel remembers: --by is the only one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _args(minimal, *more: str, bureau: str = "demo") -> list[str]:
    data, params = minimal
    return ["correct", "--data", str(data), "--params", str(params), "--bureau", bureau, "--year", "2021", *more]


def _figures(minimal):
    data, params = minimal
    return prepare(read_ledgers(data, params), params, "demo", 2021).figures


def _written(minimal) -> dict:
    path = overrides.overrides_path(minimal[1], "demo", 2021)
    return yaml.safe_load(path.read_text(encoding="utf-8"))["overrides"] if path.exists() else {}


def test_a_correction_is_saved_as_the_panel_saves_it(minimal, capsys, no_remembered_name):
    before = _figures(minimal)["fiscal_revenue"]
    said = main(_args(minimal, "--figure", "fiscal_revenue", "--value", "20.5亿元", "--reason", "以决算数为准"))
    assert said == 1 and "请填写修改人" in capsys.readouterr().err  # no name given, none remembered
    assert _written(minimal) == {}
    argv = _args(
        minimal, "--figure", "fiscal_revenue", "--value", "20.5亿元", "--reason", "以决算数为准", "--by", "张三"
    )
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "已保存对某县财政局（demo）2021年“财政总收入”（fiscal_revenue）的修改" in out
    assert f"台账计算值：{before.text}亿元" in out and "新值：20.5亿元" in out
    assert "原因：以决算数为准" in out and "修改人：张三，时间：" in out and "年" in out.split("时间：")[1]
    assert "None" not in out and "nan" not in out
    entry = _written(minimal)["fiscal_revenue"]
    assert {k: entry[k] for k in ("label", "old", "new", "reason", "by")} == {
        "label": "财政总收入",
        "old": before.text,
        "new": "20.5亿元",
        "reason": "以决算数为准",
        "by": "张三",
    }
    figure = _figures(minimal)["fiscal_revenue"]
    assert (figure.text, figure.status) == ("20.5", "overridden")


def test_a_second_correction_keeps_the_ledger_value_as_old_and_remove_undoes_it(minimal, capsys):
    computed = _figures(minimal)["drill_count"].text
    for value in ("9", "12"):
        assert main(_args(minimal, "--figure", "drill_count", "--value", value, "--reason", "核对", "--by", "王")) == 0
    assert _written(minimal)["drill_count"]["old"] == computed and _written(minimal)["drill_count"]["new"] == "12"
    capsys.readouterr()
    assert main(_args(minimal, "--figure", "drill_count", "--remove")) == 0
    assert "已撤销对某县财政局（demo）2021年“实战演练次数”的修改" in capsys.readouterr().out
    assert _written(minimal) == {} and _figures(minimal)["drill_count"].text == computed
    assert main(_args(minimal, "--figure", "drill_count", "--remove")) == 1
    assert "没有修改记录" in capsys.readouterr().err


def test_a_correction_of_a_signed_report_says_it_needs_checking_again(minimal, capsys):
    signoff.sign(minimal[1], _figures(minimal), "王审核")
    assert main(_args(minimal, "--figure", "drill_count", "--value", "9", "--reason", "补记", "--by", "王")) == 0
    assert "原为已核对（王审核，" in capsys.readouterr().err
    assert signoff.state(minimal[1], _figures(minimal)).status == signoff.PENDING


def _refusal(figure_key: str, typed: str, minimal) -> str:
    """The panel's words for a value the figure's form cannot read."""
    figure = _figures(minimal)[figure_key]
    try:
        overrides.read_new(typed, figure.form)
    except Refused as refused:
        return f"新值“{typed}”不能使用：{refused.message}，应为{refused.expected}"
    raise AssertionError(f"{typed} was read")


@pytest.mark.parametrize(
    ("more", "bureau", "expected"),
    [
        (["--figure", "drill_count", "--value", "9", "--reason", "补记", "--by", "王"], "nosuch", ["找不到单位“nosuch”", "demo"]),
        (["--figure", "fiscal_revenu", "--value", "9", "--reason", "补记", "--by", "王"], "demo", ["没有这个数据项", "fiscal_revenue（财政总收入）", "drill_count（实战演练次数）"]),
        (["--figure", "drill_count", "--value", "9", "--by", "王"], "demo", ["请填写修改原因"]),
        (["--figure", "drill_count", "--value", "9", "--reason", "  ", "--by", "王"], "demo", ["请填写修改原因"]),
        (["--figure", "drill_count", "--value", "9", "--reason", "补记"], "demo", ["请填写修改人", "--by"]),
        (["--figure", "drill_count", "--reason", "补记", "--by", "王"], "demo", ["请填写新值"]),
        (["--figure", "drill_count", "--value", "1", "--reason", "补记", "--by", "王"], "demo", ["新值与报告中的写法相同"]),
        (["--figure", "drill_count", "--remove"], "demo", ["没有修改记录"]),
        (["--figure", "nope", "--remove"], "demo", ["没有这个数据项", "fiscal_revenue（财政总收入）"]),
    ],
)  # fmt: skip
def test_refused_corrections_say_why_in_chinese_and_write_nothing(
    minimal, capsys, no_remembered_name, more, bureau, expected
):
    assert main(_args(minimal, *more, bureau=bureau)) == 1
    err = capsys.readouterr().err
    for words in expected:
        assert words in err, (words, err)
    assert err.startswith("错误：") and "Traceback" not in err and "None" not in err
    assert not (minimal[1] / "overrides").exists() or not any((minimal[1] / "overrides").glob("*.yaml"))


@pytest.mark.parametrize(
    ("key", "typed"),
    [("drill_count", "九"), ("drill_count", "-3"), ("fiscal_revenue", "20.1万元"), ("kickoff_date", "3月35日")],
)
def test_a_value_the_figure_cannot_read_is_refused_in_the_panels_words(minimal, capsys, key, typed):
    assert main(_args(minimal, "--figure", key, "--value", typed, "--reason", "补记", "--by", "王")) == 1
    assert _refusal(key, typed, minimal) in capsys.readouterr().err
    assert _written(minimal) == {}


# --- two clerks at once ------------------------------------------------------------------------

#: Five corrections per clerk, different figures of the same bureau-year (the same file).
CLERKS = {
    "张三": {
        "fiscal_revenue": "20.5",
        "tax_revenue": "10.2亿元",
        "general_budget_revenue": "8.8",
        "agri_budget": "1234",
        "agri_spending": "2345万元",
    },
    "李四": {
        "drill_count": "9",
        "home_visit_count": "11次",
        "traffic_volunteer_count": "13",
        "open_day_visitors": "180",
        "student_aid_persons": "77",
    },
}


def _zongjie() -> list[str]:
    """The installed command beside this Python, else the module (the same code either way)."""
    script = Path(sys.executable).with_name("zongjie")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "toolkit.cli"]


def test_two_clerks_correcting_at_once_keep_all_ten_and_every_render_applies_them(minimal, tmp_path):
    """Each clerk starts five `zongjie correct` at once on the same file; without the lock some are lost."""
    data, params = minimal
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    runs = [
        subprocess.Popen(
            [
                *_zongjie(),
                *_args(minimal, "--figure", key, "--value", value, "--reason", "以原始记录为准", "--by", clerk),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for clerk, values in CLERKS.items()
        for key, value in values.items()
    ]
    said = [run.communicate(timeout=300) for run in runs]  # all started, then all waited for
    for run, (out, err) in zip(runs, said):
        assert run.returncode == 0, err
        assert "已保存对" in out

    written = _written(minimal)
    assert sorted(written) == sorted(k for values in CLERKS.values() for k in values)
    rep = prepare(read_ledgers(data, params), params, "demo", 2021)
    folder = write(rep, tmp_path / "out")
    stored = {f["key"]: f for f in json.loads((folder / "figures.json").read_text(encoding="utf-8"))["figures"]}
    for clerk, values in CLERKS.items():
        for key, value in values.items():
            figure = rep.figures[key]
            assert figure.status == "overridden" and figure.override["by"] == clerk, key
            assert figure.value == overrides.read_new(value, figure.form), key
            assert stored[key]["status"] == "overridden" and stored[key]["text"] == figure.text, key
