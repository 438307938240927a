"""`--report` chooses a report definition for a notebook run, through the run specification."""

from __future__ import annotations

from conftest import PARAMS, SAMPLE, expected_texts, own_template
from docx import Document

from toolkit.cli import main
from toolkit.report.definitions import new_report


def test_run_renders_a_definition_made_with_new_report(tmp_path):
    folder = new_report("brief", tmp_path / "templates", title="工作简报")
    out = tmp_path / "out"
    args = ["run", "--report", str(folder), "--data", str(SAMPLE), "--params", str(PARAMS)]
    assert main([*args, "--bureau", "qingshan", "--year", "2021", "--out", str(out), "--date", "2022-01-10"]) == 0
    produced = out / "2021" / "qingshan"
    assert (produced / "brief.figures.json").is_file() and not (produced / "report.docx").exists()
    texts = [p.text for p in Document(str(produced / "brief.docx")).paragraphs]
    assert texts[0] == f"{expected_texts('qingshan', 2021)['bureau_name']}2021年工作简报"
    assert texts[-1] == "2022年1月10日"


def test_batch_renders_the_chosen_report_and_a_bureaus_own_template(tmp_path):
    import shutil

    params = tmp_path / "parameters"
    shutil.copytree(PARAMS, params)
    own_template(params, "hedong", "党史学习教育开展以来，", "本局党史学习教育开展以来，")
    out = tmp_path / "out"
    base = ["batch", "--data", str(SAMPLE), "--params", str(params), "--year", "2021", "--out", str(out)]
    assert main([*base, "--bureau", "hedong", "--bureau", "qingshan", "--jobs", "1"]) == 0
    hedong = [p.text for p in Document(str(out / "2021" / "hedong" / "report.docx")).paragraphs]
    qingshan = [p.text for p in Document(str(out / "2021" / "qingshan" / "report.docx")).paragraphs]
    assert any(t.startswith("本局党史学习教育开展以来") for t in hedong)
    assert not any(t.startswith("本局") for t in qingshan)

    folder = new_report("brief", tmp_path / "templates", title="工作简报")
    assert main([*base, "--bureau", "qingshan", "--jobs", "1", "--report", str(folder)]) == 0
    texts = [p.text for p in Document(str(out / "2021" / "qingshan" / "brief.docx")).paragraphs]
    assert texts[0] == f"{expected_texts('qingshan', 2021)['bureau_name']}2021年工作简报"
