"""The command line: Chinese messages, exit codes, no traceback, no partial output."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import FINANCE, PARAMS, SAMPLE, write_csv
from conftest import zongjie as run_cli


def zongjie(*args: object) -> subprocess.CompletedProcess:
    return run_cli(*args, timeout=120)


def test_render_writes_report_and_figures(tmp_path):
    result = zongjie(
        "render",
        "--data",
        SAMPLE,
        "--params",
        PARAMS,
        "--bureau",
        "hedong",
        "--year",
        2021,
        "--out",
        tmp_path,
        "--final",
        "--date",
        "2022-01-10",
    )
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "2021" / "hedong"
    assert sorted(p.name for p in folder.iterdir()) == ["figures.json", "report.docx"]
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    by_key = {f["key"]: f for f in figures["figures"]}
    assert by_key["fiscal_revenue"]["sources"][0]["table"] == "finance"
    assert by_key["signed_on"]["text"] == "2022年1月10日"
    assert "已生成" in result.stdout


def test_validate_clean_sample_exits_zero():
    result = zongjie("validate", "--data", SAMPLE, "--params", PARAMS)
    assert result.returncode == 0, result.stderr
    assert "检查通过" in result.stdout


def test_bad_data_is_refused_without_traceback_or_output(minimal, tmp_path):
    data, params = minimal
    rows = [dict(r) for r in FINANCE]
    rows[0]["数值"] = "-5"
    rows[1]["计量单位"] = "美元"
    write_csv(data / "财政指标.csv", rows)
    out = tmp_path / "out"
    for command in (["validate"], ["render", "--bureau", "demo", "--year", "2021", "--out", out]):
        result = zongjie(*command, "--data", data, "--params", params)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert "财政指标.csv" in result.stderr and "第2行" in result.stderr and "“数值”列" in result.stderr
        assert "第3行" in result.stderr and "美元" in result.stderr
    assert not out.exists()


def test_final_with_missing_value_refuses_and_names_it(minimal, tmp_path):
    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "民生工程项目资金"])
    out = tmp_path / "out"
    args = ["--data", data, "--params", params, "--bureau", "demo", "--year", "2021", "--out", out]
    final = zongjie("render", *args, "--final")
    assert final.returncode == 1 and "民生工程项目资金" in final.stderr and "Traceback" not in final.stderr
    assert not out.exists()
    draft = zongjie("render", *args)
    assert draft.returncode == 0 and "待补充" in draft.stdout and "民生工程项目资金" in draft.stdout


def test_unknown_bureau_and_bad_arguments_are_explained(minimal):
    data, params = minimal
    result = zongjie("render", "--data", data, "--params", params, "--bureau", "nowhere", "--year", "2021")
    assert result.returncode == 1 and "nowhere" in result.stderr and "Traceback" not in result.stderr
    result = zongjie("render", "--data", data)
    assert result.returncode == 2 and "缺少必需的参数" in result.stderr
    result = zongjie("render", "--data", data, "--bureau", "demo", "--year", "二〇二一")
    assert result.returncode == 2 and "年度应为四位数字" in result.stderr


# --- what a final report is refused for: render, run and batch decide alike ------------------


def _stray(data, code: str, day: str) -> int:
    """An activity row of ``code`` (no parameter file) dated ``day``; its row in 活动台账.csv."""
    from conftest import ACTIVITIES

    write_csv(data / "活动台账.csv", [*ACTIVITIES, dict(ACTIVITIES[-1], 单位代码=code, 日期=day)])
    return len(ACTIVITIES) + 2


@pytest.mark.parametrize("code", ["deom", "Demo1"])
def test_render_names_rows_of_unknown_codes_and_final_refuses_them(minimal, tmp_path, code):
    data, params = minimal
    row = _stray(data, code, "2021-08-01")
    args = ["--data", data, "--params", params, "--bureau", "demo", "--year", "2021", "--date", "2022-01-10"]
    final = zongjie("render", *args, "--out", tmp_path / "final", "--final")
    assert final.returncode == 1 and "Traceback" not in final.stderr
    for part in ("活动台账.csv", f"第{row}行", "“单位代码”列", f"“{code}”", "“demo”"):
        assert part in final.stderr, part
    assert not (tmp_path / "final").exists()
    draft = zongjie("render", *args, "--out", tmp_path / "draft")
    assert draft.returncode == 0 and (tmp_path / "draft" / "2021" / "demo" / "report.docx").is_file()
    assert f"第{row}行" in draft.stdout and f"“{code}”" in draft.stdout and "没有参数文件" in draft.stdout


def test_rows_of_unknown_codes_in_another_year_do_not_hold_a_final_report(minimal, tmp_path):
    data, params = minimal
    _stray(data, "deom", "2020-08-01")
    args = ["--data", data, "--params", params, "--bureau", "demo", "--year", "2021", "--date", "2022-01-10"]
    result = zongjie("render", *args, "--out", tmp_path, "--final")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "2021" / "demo" / "report.docx").is_file()


def test_run_final_refuses_rows_of_unknown_codes_before_running_anything(minimal, tmp_path):
    data, params = minimal
    row = _stray(data, "1", "2021-08-01")
    out = tmp_path / "out"
    result = zongjie(
        "run", "--data", data, "--params", params, "--bureau", "demo", "--year", 2021, "--out", out, "--final"
    )
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert f"第{row}行" in result.stdout and "不能生成正式稿" in result.stdout
    assert not out.exists()


@pytest.fixture
def unread(monkeypatch):
    """The loader reports a sheet that looks like ledger data but was not read (as for a WPS .et file)."""
    from toolkit.data import validate
    from toolkit.data.problems import Notice

    notice = Notice("台账2021.et", "WPS表格文件，未读取，请另存为 .xlsx", kind="ignored_file", unread=True)
    load_tables = validate.load_tables

    def loader(data_dir, notices, contract, mapper=map):
        tables = load_tables(data_dir, notices, contract, mapper)
        notices.append(notice)
        return tables

    monkeypatch.setattr(validate, "load_tables", loader)
    return notice


def test_unread_ledger_data_blocks_a_final_render_and_is_listed_with_a_draft(minimal, tmp_path, unread, capsys):
    from toolkit.cli import main

    data, params = minimal
    args = ["--data", str(data), "--params", str(params), "--bureau", "demo", "--year", "2021", "--date", "2022-01-10"]
    assert main(["render", *args, "--out", str(tmp_path / "final"), "--final"]) == 1
    err = capsys.readouterr().err
    assert str(unread) in err and "不能生成正式稿" in err
    assert not (tmp_path / "final").exists()
    assert main(["render", *args, "--out", str(tmp_path / "draft")]) == 0
    assert str(unread) in capsys.readouterr().out
    assert (tmp_path / "draft" / "2021" / "demo" / "report.docx").is_file()


def test_unread_ledger_data_blocks_a_final_run_and_batch_before_anything_is_written(minimal, tmp_path, unread):
    from toolkit.errors import FinalRefusedError
    from toolkit.run import batch, single
    from toolkit.run.spec import RunSpec

    data, params = minimal
    spec = RunSpec(data, params, 2021, tmp_path / "out", "demo", final=True)
    result = single.run(spec)
    assert not result.ok and str(unread) in result.error and str(unread) in result.describe()
    assert not (tmp_path / "out").exists()
    with pytest.raises(FinalRefusedError) as refused:
        batch.plan(spec.with_(bureau=""))
    assert str(unread) in str(refused.value) and "2021年" in str(refused.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["render", "run", "batch"])
def test_an_out_that_is_a_file_is_refused_before_any_work(minimal, tmp_path, command):
    data, params = minimal
    taken = tmp_path / "output.txt"
    taken.write_text("", encoding="utf-8")
    bureau = [] if command == "batch" else ["--bureau", "demo"]
    for out in (taken, taken / "sub"):
        result = zongjie(command, "--data", data, "--params", params, *bureau, "--year", 2021, "--out", out)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"“{taken}”是一个文件，请指定一个目录" in result.stderr
    assert taken.read_text(encoding="utf-8") == ""


def test_render_describes_a_report_as_run_does(minimal, tmp_path):
    from conftest import ACTIVITIES

    from toolkit.data.validate import load_ledgers
    from toolkit.report.prepare import prepare
    from toolkit.run.result import RunResult

    data, params = minimal
    write_csv(data / "财政指标.csv", [r for r in FINANCE if r["指标"] != "税收收入"])
    write_csv(data / "活动台账.csv", [*ACTIVITIES, dict(ACTIVITIES[-1], 日期="2021-09-01", 人数="")])
    args = ["--data", data, "--params", params, "--bureau", "demo", "--year", "2021", "--out", tmp_path]
    shown = zongjie("render", *args).stdout.splitlines()
    found = prepare(load_ledgers(data), params, "demo", 2021).record()
    assert any("税收收入" in m for m in found.missing)
    assert any("需核实" in w for w in found.warnings)  # a figure's own warning (the blank 人数), not only the checks'
    run = RunResult("demo", 2021, ok=True, missing=found.missing, warnings=found.warnings).describe()
    for line in run.splitlines()[1:]:
        assert line.strip() in shown, line


def test_a_batch_lists_unread_ledger_data_in_full_and_counts_the_rest(capsys):
    from toolkit.cli import _notices_hint
    from toolkit.data.problems import Notice

    unread = Notice("台账.et", "WPS表格文件，未读取", kind="ignored_file", unread=True)
    skipped = Notice("台账.xlsx", "隐藏工作表，未读取", sheet="活动台账 (2)", kind="ignored_sheet")
    _notices_hint([unread, skipped])
    err = capsys.readouterr().err
    assert str(unread) in err and "正式稿不会生成" in err
    assert str(skipped) not in err and "有1处内容未作为数据读取" in err
