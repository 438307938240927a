"""`zongjie new-report` writes into ./templates/ of the folder it runs in, quotes any title, and the report is found there."""

from __future__ import annotations

import yaml
from conftest import PARAMS, SAMPLE

from toolkit.cli import main
from toolkit.resources import PACKAGE, templates_dir


def test_new_report_goes_to_the_working_folder_and_renders_from_there(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    title = '主题教育: "总结" #1 {{ x }}'
    assert main(["new-report", "zhuti", "--title", title]) == 0
    folder = tmp_path / "templates" / "zhuti"
    assert (folder / "figures.yaml").is_file() and (folder / "template.docx").is_file()
    assert not (templates_dir() / "zhuti").exists() and not (PACKAGE / "templates" / "zhuti").exists()
    assert yaml.safe_load((folder / "figures.yaml").read_text(encoding="utf-8"))["title"] == title.strip()
    capsys.readouterr()
    assert main(["reports", "--params", str(PARAMS)]) == 0
    assert "zhuti" in capsys.readouterr().out
    args = ["--data", str(SAMPLE), "--params", str(PARAMS), "--bureau", "hedong", "--year", "2022", "--out", "out"]
    assert main(["render", "--report", "zhuti", *args]) == 0
    from docx import Document

    first = Document(str(tmp_path / "out" / "2022" / "hedong" / "zhuti.docx")).paragraphs[0].text
    assert first.replace("\n", "").endswith("2022年" + title)  # the title as given, braces and all


def test_new_report_with_templates_writes_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new-report", "brief", "--templates", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "brief" / "figures.yaml").is_file()
    assert not (tmp_path / "templates").exists()


def test_a_title_on_two_lines_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new-report", "bad", "--title", "一\n二"]) == 1
    assert "报告标题不合法" in capsys.readouterr().err
