"""The command line: Chinese messages, exit codes, no traceback, no partial output."""

from __future__ import annotations

import json
import subprocess

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
