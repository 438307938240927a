"""The batch and sign-off: states in summary.csv and index.html, finals only for reviewed reports."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ACTIVITIES, FINANCE, PROBLEMS, write_csv

from toolkit.cli import main
from toolkit.run.batch import read_summary

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def two(minimal, tmp_path):
    """Bureaus ``demo`` and ``other`` with the same rows; returns the batch's arguments and folders."""
    data, params = minimal
    for name, rows in (("活动台账", ACTIVITIES), ("问题台账", PROBLEMS), ("财政指标", FINANCE)):
        write_csv(data / f"{name}.csv", [*rows, *(dict(r, 单位代码="other") for r in rows)])
    (params / "bureaus" / "other.yaml").write_text("name: 另县财政局\noffice_director: 王五\nliaison: 赵六\n", "utf-8")
    out = tmp_path / "out"
    args = ["--data", str(data), "--params", str(params), "--year", "2021", "--out", str(out)]
    return args, data, out


def _index_rows(page: str) -> dict[str, list]:
    data = re.search(r'<script type="application/json" id="rows">(.*?)</script>', page, re.S)
    assert data, "no rows in the page"
    return {r[0]: r for r in json.loads(data.group(1))}


def test_summary_and_index_carry_the_sign_off_and_finals_wait_for_it(two, capsys):
    args, data, out = two
    assert main(["signoff", *args, "--bureau", "demo", "--by", "王审核"]) == 0
    assert main(["batch", *args, "--jobs", "1"]) == 0
    rows = {r["bureau"]: r for r in read_summary(out / "2021" / "summary.csv")}
    assert rows["demo"]["signoff"].startswith("已核对（王审核，") and rows["other"]["signoff"] == "待核对"
    header = (out / "2021" / "summary.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("单位代码,单位名称,状态,核对状态") and "ok" not in header
    page = (out / "2021" / "index.html").read_text(encoding="utf-8")
    assert "已核对" in json.dumps(_index_rows(page)["demo"], ensure_ascii=False)

    capsys.readouterr()
    assert main(["batch", *args, "--jobs", "1", "--final", "--reviewed-only"]) == 0
    said = capsys.readouterr().out
    assert "未核对1个" in said and "other 待核对，未生成正式稿" in said
    rows = {r["bureau"]: r for r in read_summary(out / "2021" / "summary.csv")}
    assert rows["demo"]["status"] == "ok" and rows["other"]["status"] == "held"

    # a ledger value behind demo's figures changes: its sign-off is withdrawn, naming the figure
    changed = [dict(r, 数值="1500") if r["指标"] == "税收收入" and r["单位代码"] == "demo" else r for r in FINANCE]
    write_csv(data / "财政指标.csv", [*changed, *(dict(r, 单位代码="other") for r in FINANCE)])
    assert main(["batch", *args, "--jobs", "1"]) == 0
    rows = {r["bureau"]: r for r in read_summary(out / "2021" / "summary.csv")}
    assert rows["demo"]["signoff"].startswith("待核对（已核对后数据有变化：税收收入：")


def test_reviewed_only_needs_final(two, capsys):
    args, _, _ = two
    assert main(["batch", *args, "--reviewed-only"]) == 2
    assert "--final" in capsys.readouterr().err
