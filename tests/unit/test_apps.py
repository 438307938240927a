"""How ``zongjie review`` and ``zongjie lab`` are started (the browser tests start them for real)."""

from __future__ import annotations

import json
import os
import re

import nbformat
from conftest import PARAMS, SAMPLE

from toolkit import cli
from toolkit.ui import apps


def test_review_launch_serves_the_review_notebook_with_absolute_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    launch = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", port=8123, open_browser=False)
    assert launch.command[1:3] == ["-m", "voila"] and launch.notebook.name == "review.ipynb"
    assert "--port=8123" in launch.command and "--no-browser" in launch.command
    assert launch.env == {
        apps.ENV_DATA: str(SAMPLE.resolve()),
        apps.ENV_PARAMS: str(PARAMS.resolve()),
        apps.ENV_OUT: str((tmp_path / "out").resolve()),
        apps.ENV_REPORT: "report",
        "JUPYTER_PATH": str(apps.JUPYTER_DATA),
    }
    cells = nbformat.read(launch.notebook, as_version=4).cells
    assert any("parameters" in c.metadata.get("tags", []) for c in cells)
    assert not any(c.outputs for c in cells if c.cell_type == "code")  # committed without outputs


def test_review_app_keeps_kernels_ready_and_follows_the_chosen_report(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    launch = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", report="brief", pool=2, token="abc")
    assert "--preheat_kernel=True" in launch.command and "--pool_size=2" in launch.command
    assert "--token=abc" in launch.command and "--template=zongjie" in launch.command
    assert launch.env[apps.ENV_REPORT] == "brief"
    assert launch.env["JUPYTER_PATH"].split(os.pathsep) == [str(apps.JUPYTER_DATA), "/elsewhere"]
    cold = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", pool=0)
    assert "--preheat_kernel=False" in cold.command and not any(a.startswith("--pool_size") for a in cold.command)
    assert not any(a.startswith("--token") for a in cold.command)  # as before: no token unless one is given


def test_the_review_page_says_loading_in_chinese_and_fetches_nothing_from_the_internet():
    folder = apps.JUPYTER_DATA / "voila" / "templates" / apps.REVIEW_TEMPLATE
    assert json.loads((folder / "conf.json").read_text(encoding="utf-8"))["base_template"] == "lab"
    page = (folder / "index.html.j2").read_text(encoding="utf-8")
    assert "正在打开数据核对页面" in page and "正在读取台账" in page
    assert "Executing" not in page and "Running" not in page
    assert "cdn.jsdelivr.net" in page  # named only to be taken out of Voilà's page


def test_the_review_notebook_reads_what_changed_while_its_kernel_waited():
    cells = nbformat.read(apps.notebook("review.ipynb"), as_version=4).cells
    assert "wait_for_request()" in cells[-1].source and "refresh_if_stale()" in cells[-1].source


def test_lab_launch_writes_the_parameterized_notebook_and_a_chinese_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    launch = apps.lab_launch(SAMPLE, PARAMS, tmp_path / "out", "hedong", 2022, settings_home=tmp_path / "zh")
    assert launch.notebook == (tmp_path / "out" / "notebooks" / "report-hedong-2022.ipynb").resolve()
    nb = nbformat.read(launch.notebook, as_version=4)
    cells = [c.source for c in nb.cells if {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    assert len(cells) == 1  # one parameters cell, the sample values replaced
    assert 'bureau = "hedong"' in cells[0] and "year = 2022" in cells[0] and SAMPLE.resolve().as_posix() in cells[0]
    assert "# 参数" in cells[0]
    settings = tmp_path / "zh" / "lab" / "settings"
    override = json.loads((settings / "overrides.json").read_text(encoding="utf-8"))
    assert override["@jupyterlab/translation-extension:plugin"]["locale"] == "zh_CN"
    assert f"--LabApp.app_settings_dir={settings}" in launch.command  # the user's own Jupyter folders are left alone
    assert launch.env == {}
    assert "out/notebooks/report-hedong-2022.ipynb" in launch.command and launch.cwd == tmp_path.resolve()


def test_lab_defaults_to_the_sample_parameters_of_the_notebook():
    defaults = apps.notebook_defaults()
    assert isinstance(defaults["bureau"], str) and defaults["bureau"]
    assert isinstance(defaults["year"], int)


def test_review_with_a_missing_folder_says_so_in_chinese(tmp_path, capsys):
    assert cli.main(["review", "--data", str(tmp_path / "nowhere"), "--params", str(PARAMS)]) == 1
    err = capsys.readouterr().err
    assert "台账目录" in err and "nowhere" in err and "Traceback" not in err


def test_the_notebooks_name_the_menu_items_of_jupyterlab_in_chinese():
    """JupyterLab's Chinese Run menu says 运行所有单元格 (the browser test reads it there); 全部运行 is no item."""
    for name in ("report.ipynb", "overview.ipynb", "review.ipynb"):
        text = "".join(
            c.source for c in nbformat.read(apps.notebook(name), as_version=4).cells if c.cell_type == "markdown"
        )
        assert "“运行 → 运行所有单元格”" in text, name
        assert "全部运行" not in text, name


def test_lab_no_browser_prints_the_address_of_the_notebook_with_its_token(tmp_path, monkeypatch, capsys):
    from toolkit.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(apps.Launch, "run", lambda self: 0)
    assert main(["lab", "--data", str(SAMPLE), "--params", str(PARAMS), "--out", "out", "--no-browser"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("在浏览器中打开"))
    assert re.search(
        r"http://127\.0\.0\.1:\d+/lab/tree/out/notebooks/report-\w+-\d{4}\.ipynb\?token=[0-9a-f]{48}$", line
    )
