"""A real batch: papermill kernels over the sample bureaus plus one that lacks an indicator."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import (
    ACTIVITIES,
    FINANCE,
    PARAMS,
    PROBLEMS,
    SAMPLE,
    assert_inline_charts,
    body_of,
    expected_texts,
    filled_reference,
    paragraphs,
    write_csv,
)
from docx import Document

from toolkit.publish.index_page import BUREAU_FILES
from toolkit.run.batch import read_summary

BUREAUS = ["fengling", "hedong", "meiling", "qingshan", "yunshui", "lacking"]


def zongjie(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *map(str, args)], capture_output=True, text=True, timeout=900
    )


def _as(rows: list[dict], code: str) -> list[dict]:
    return [dict(r, 单位代码=code) for r in rows]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Sample data (in a folder with a Chinese name) plus bureau ``lacking`` without 税收收入; --final."""
    root = tmp_path_factory.mktemp("batch")
    data, params, out = root / "台账数据", root / "params", root / "out"
    shutil.copytree(SAMPLE, data)
    shutil.copytree(PARAMS, params)
    write_csv(data / "新增" / "activities-lacking.csv", _as(ACTIVITIES, "lacking"))
    write_csv(data / "新增" / "problems-lacking.csv", _as(PROBLEMS, "lacking"))
    write_csv(data / "新增" / "finance-lacking.csv", _as([r for r in FINANCE if r["指标"] != "税收收入"], "lacking"))
    (params / "bureaus" / "lacking.yaml").write_text(
        "name: 缺数县财政局\noffice_director: 甲\nliaison: 乙\n", encoding="utf-8"
    )
    args = [
        "batch",
        "--data",
        data,
        "--params",
        params,
        "--year",
        2021,
        "--out",
        out,
        "--final",
        "--jobs",
        2,
        "--date",
        "2022-01-10",
    ]
    first = zongjie(*args)
    return {"root": root, "data": data, "params": params, "out": out / "2021", "args": args, "first": first}


def index_rows(page: str) -> list:
    """The bureaus' rows as index.html carries them (JSON the page's script shows)."""
    return json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', page, re.S).group(1))


def summary_rows(out: Path) -> dict[str, dict]:
    return {row["bureau"]: row for row in read_summary(out / "summary.csv")}


def test_batch_exit_code_and_summary(batch):
    result = batch["first"]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    rows = summary_rows(batch["out"])
    assert sorted(rows) == sorted(BUREAUS)
    assert {b: rows[b]["status"] for b in BUREAUS} == {**{b: "ok" for b in BUREAUS[:-1]}, "lacking": "failed"}
    assert "税收收入" in rows["lacking"]["error"]
    assert float(rows["qingshan"]["seconds"]) > 0


def test_progress_counts_bureaus_and_shows_the_overview_apart(batch):
    shown = batch["first"].stderr.replace("\r", "\n")
    assert f"{len(BUREAUS)}/{len(BUREAUS)}" in shown and f"/{len(BUREAUS) + 1}" not in shown
    assert "个单位" in shown and "各单位汇总：成功" in shown


def test_failed_bureau_is_isolated_and_keeps_its_notebook(batch):
    folder = batch["out"] / "lacking"
    assert (folder / "report.ipynb").is_file() and (folder / "report.html").is_file()
    assert not (folder / "report.docx").exists() and not (folder / "figures.json").exists()
    nb = json.loads((folder / "report.ipynb").read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "MissingValuesError" and "税收收入" in errors[0]["evalue"]


@pytest.mark.parametrize("bureau", BUREAUS[:-1])
def test_each_report_matches_reference(batch, bureau, tmp_path):
    docx = (batch["out"] / bureau / "report.docx").read_bytes()
    assert body_of(paragraphs(docx, tmp_path)) == filled_reference(expected_texts(bureau, 2021))


def test_executed_notebook_outputs_hold_the_figures(batch):
    nb = json.loads((batch["out"] / "qingshan" / "report.ipynb").read_text(encoding="utf-8"))
    shown = json.dumps([c.get("outputs", []) for c in nb["cells"]], ensure_ascii=False)
    expected = expected_texts("qingshan", 2021)
    for key in ("fiscal_revenue", "kickoff_date", "members_visit_dates", "youth_visit_venue", "open_day_examples"):
        assert expected[key] in shown, key
    assert "县级财政局台账.xlsx" in shown  # sources are shown
    injected = next("".join(c["source"]) for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert "台账数据" in injected and "\\u" not in injected, injected


def test_executed_notebooks_read_without_a_kernel(batch):
    """Every notebook of the batch: counts from 1, no widget (nor its repr), the panel summarised instead."""
    notebooks = sorted(batch["out"].glob("*/report.ipynb"))
    assert len(notebooks) >= 5  # two workers reused their kernels across these
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code" and c["execution_count"]]
        assert counts == list(range(1, len(counts) + 1)), (path, counts)
        if path.parent.name == "lacking":
            continue  # its final report was refused before the panel
        text = path.read_text(encoding="utf-8") + path.with_suffix(".html").read_text(encoding="utf-8")
        assert "VBox(" not in text and "children=" not in text and "widget-view" not in text, path
        assert "widgets" not in nb["metadata"]
        assert "交互核对面板" in text and "zongjie review" in text, path


def test_html_is_offline_and_readable(batch):
    page = (batch["out"] / "qingshan" / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    text = re.sub(r"data:[\w/+.-]+;base64,[\w+/=]+", "data:", page)  # embedded images may spell anything
    assert "cdn" not in text.lower() and "@import url(" not in text
    assert "<table" in page and "19.37" in page and "报告数据" in page
    assert "bureau = " not in page  # inputs hidden
    assert_inline_charts(page, ["青山县财政局2021年各月活动", "2021年财政指标（无可比的上年数据）"])


def test_index_links_every_bureau(batch):
    page = (batch["out"] / "index.html").read_text(encoding="utf-8")
    rows = {r[0]: r for r in index_rows(page)}
    assert sorted(rows) == sorted(BUREAUS)
    for bureau in BUREAUS:
        assert "report.html" in [BUREAU_FILES[i][0] for i in rows[bureau][7]]
    assert "report.docx" in [BUREAU_FILES[i][0] for i in rows["qingshan"][7]]
    assert "report.docx" not in [BUREAU_FILES[i][0] for i in rows["lacking"][7]]
    assert rows["lacking"][2] == "failed" and rows["qingshan"][2] == "ok"


def test_rerun_skips_unchanged_bureaus(batch):
    params = batch["params"]
    yaml_path = params / "bureaus" / "hedong.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace("赵丽娟", "赵丽"), encoding="utf-8")
    again = zongjie(*batch["args"])
    assert again.returncode == 1
    rows = summary_rows(batch["out"])
    reused = {b for b, r in rows.items() if r["reused"]}
    assert reused == {"fengling", "meiling", "qingshan", "yunshui"}
    assert rows["lacking"]["status"] == "failed"
    paras = paragraphs((batch["out"] / "hedong" / "report.docx").read_bytes(), batch["root"])
    assert "赵丽同志为联络员" in "".join(p.text for p in paras)


def test_a_row_edited_in_the_shared_workbook_reruns_that_bureau_alone(batch):
    """Every bureau's rows sit in one workbook; one of meiling's is changed and the file saved again whole."""
    path = batch["data"] / "县级财政局台账.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["财政指标"]
    header = [c.value for c in sheet[1]]
    code, year, name, value = (header.index(h) for h in ("单位代码", "年度", "指标", "数值"))
    row = next(
        r
        for r in sheet.iter_rows(min_row=2)
        if (r[code].value, str(r[year].value), r[name].value) == ("meiling", "2021", "税收收入")
    )
    row[value].value = round(float(row[value].value) + 0.5, 3)  # 亿元
    book.save(path)
    stamp = (batch["out"] / ".zongjie" / "overview.fingerprint").read_text()
    before = json.loads((batch["out"] / "meiling" / "figures.json").read_text(encoding="utf-8"))

    again = zongjie(*batch["args"])
    assert again.returncode == 1  # lacking is refused as a final report, as before
    rows = summary_rows(batch["out"])
    assert {b for b, r in rows.items() if r["reused"]} == {"fengling", "hedong", "qingshan", "yunshui"}
    assert "税收收入" in rows["meiling"]["changed_since_last_run"]
    after = json.loads((batch["out"] / "meiling" / "figures.json").read_text(encoding="utf-8"))
    revenue = [next(f["value"] for f in x["figures"] if f["key"] == "tax_revenue") for x in (before, after)]
    assert revenue[0] != revenue[1]
    page = (batch["out"] / "meiling" / "report.html").read_text(encoding="utf-8")
    assert "meiling" in page and not any(other in page for other in ("fengling", "hedong", "qingshan", "yunshui"))
    assert (batch["out"] / ".zongjie" / "overview.fingerprint").read_text() != stamp  # the overview shows every row


def test_override_reaches_report_figures_notebook_and_summary(batch):
    from toolkit.data.validate import load_ledgers
    from toolkit.report import prepare as report
    from toolkit.report.overrides import save_override

    rep = report.prepare(load_ledgers(batch["data"]), batch["params"], "meiling", 2021)
    save_override(batch["params"], rep.figures, "tax_revenue", "9.99", "以税务部门数据为准", "审核员")
    result = zongjie(*batch["args"], "--bureau", "meiling")
    assert result.returncode == 0, result.stderr
    folder = batch["out"] / "meiling"
    text = "".join(p.text for p in paragraphs((folder / "report.docx").read_bytes(), batch["root"]))
    assert "税收收入9.99亿元" in text
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    assert next(f for f in figures["figures"] if f["key"] == "tax_revenue")["status"] == "overridden"
    nb = (folder / "report.ipynb").read_text(encoding="utf-8")
    assert "已修改" in nb and "以税务部门数据为准" in nb
    rows = summary_rows(batch["out"])
    assert "税收收入" in rows["meiling"]["overrides"] and "9.99" in rows["meiling"]["overrides"]
    assert sorted(rows) == sorted(BUREAUS)  # earlier bureaus stay listed


def test_overview_is_run_and_linked(batch):
    page = (batch["out"] / "overview.html").read_text(encoding="utf-8")
    for name in ("青山县财政局", "河东县财政局", "缺数县财政局"):
        assert name in page
    assert "待补充" in page and "税收收入" in page
    assert 'href="overview.html"' in (batch["out"] / "index.html").read_text(encoding="utf-8")


# --- 汇总表 through the batch


def test_final_summary_table_is_refused_for_a_lacking_bureau(batch):
    assert not (batch["out"] / "汇总表.docx").exists() and not (batch["out"] / "汇总表.json").exists()
    stderr = batch["first"].stderr
    assert "汇总表缺少" in stderr and "缺数县财政局" in stderr and "税收收入" in stderr
    assert "汇总表缺少" in (batch["out"] / "index.html").read_text(encoding="utf-8")


def test_draft_batch_writes_the_summary_table_of_every_bureau(batch, tmp_path):
    out = tmp_path / "out"
    args = ["--data", batch["data"], "--params", batch["params"], "--year", 2021, "--out", out]
    result = zongjie("batch", *args, "--bureau", "qingshan", "--date", "2022-01-10")
    assert result.returncode == 0, result.stderr
    year_dir = out / "2021"
    rows = [[c.text for c in r.cells] for r in Document(str(year_dir / "汇总表.docx")).tables[0].rows[2:]]
    params = batch["params"] / "bureaus"
    names = [yaml.safe_load((params / f"{code}.yaml").read_text(encoding="utf-8"))["name"] for code in sorted(BUREAUS)]
    assert [r[1] for r in rows[:-1]] == names  # every bureau, although the run named one
    lacking = rows[names.index("缺数县财政局")]
    assert lacking[13] == "【待补充】" and rows[-1][13] == "【待补充】"
    for column in range(2, 12):
        assert int(rows[-1][column]) == sum(int(r[column]) for r in rows[:-1])
    table = json.loads((year_dir / "汇总表.json").read_text(encoding="utf-8"))
    assert [r["bureau"] for r in table["rows"]] == sorted(BUREAUS)
    assert 'href="汇总表.docx"' in (year_dir / "index.html").read_text(encoding="utf-8")
