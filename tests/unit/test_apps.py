"""How ``zongjie review`` and ``zongjie lab`` are started (the browser tests start them for real)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
import urllib.parse

import nbformat
import pytest
from conftest import PARAMS, SAMPLE

from toolkit import cli
from toolkit.ui import apps
from toolkit.ui.server import Served


def test_review_launch_serves_the_review_notebook_with_absolute_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    launch = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", port=8123, home=tmp_path / "home")
    assert launch.command[1:3] == ["-m", "voila"] and launch.notebook.name == "review.ipynb"
    assert "--port=8123" in launch.command and "--Voila.port_retries=0" in launch.command
    assert "--no-browser" in launch.command  # the command opens the browser once the server answers
    assert launch.home == (tmp_path / "home").resolve()
    assert launch.env == {
        apps.ENV_DATA: str(SAMPLE.resolve()),
        apps.ENV_PARAMS: str(PARAMS.resolve()),
        apps.ENV_OUT: str((tmp_path / "out").resolve()),
        apps.ENV_REPORT: "report",
        "JUPYTER_PATH": str(apps.JUPYTER_DATA),
        "JUPYTER_RUNTIME_DIR": str(launch.home / "runtime"),
    }
    cells = nbformat.read(launch.notebook, as_version=4).cells
    assert any("parameters" in c.metadata.get("tags", []) for c in cells)
    assert not any(c.outputs for c in cells if c.cell_type == "code")  # committed without outputs


def test_review_app_keeps_kernels_ready_and_follows_the_chosen_report(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    home = tmp_path / "home"
    launch = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", report="brief", pool=2, token="abc", home=home)
    assert "--preheat_kernel=True" in launch.command and "--pool_size=2" in launch.command
    assert "--template=zongjie" in launch.command and launch.url.endswith("/?token=abc")
    assert launch.env[apps.ENV_REPORT] == "brief"
    assert launch.env["JUPYTER_PATH"].split(os.pathsep) == [str(apps.JUPYTER_DATA), "/elsewhere"]
    cold = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", pool=0, home=home)
    assert "--preheat_kernel=False" in cold.command and not any(a.startswith("--pool_size") for a in cold.command)


def voila_settings(launch: apps.Launch):
    """The configuration the Voilà server of ``launch`` runs with: its command line over its config files."""
    from voila.app import Voila

    app = Voila()
    app.parse_command_line(launch.command[4:])
    app.load_config_file("voila", path=app.config_file_paths)
    return app


@pytest.mark.parametrize("given", [None, "0123abcd" * 6])
def test_the_review_app_always_asks_for_a_token_kept_off_its_command_line(tmp_path, monkeypatch, given):
    monkeypatch.chdir(tmp_path)
    launches = [
        apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", token=given, home=tmp_path / f"h{i}") for i in (1, 2)
    ]
    tokens = [urllib.parse.parse_qs(urllib.parse.urlsplit(launch.url).query)["token"][0] for launch in launches]
    assert all(len(token) >= 32 for token in tokens)
    assert (tokens[0] == tokens[1]) == (given is not None)  # a new one each time unless given
    for launch, token in zip(launches, tokens):
        assert not any(token in argument for argument in launch.command)  # `ps` shows the command to everyone
        app = voila_settings(launch)
        assert app.token == token
        assert app.tornado_settings["allow_remote_access"] is False
        assert app.tornado_settings["local_hostnames"] == ["localhost"]
        assert (launch.home / "config" / "voila.json").stat().st_mode & 0o077 == 0
        assert launch.home.stat().st_mode & 0o077 == 0  # a folder only this user can read


def test_a_users_own_voila_configuration_cannot_open_the_review_app(tmp_path, monkeypatch):
    """A voila.json in the current folder or the Jupyter config folder is read, but below ours."""
    hostile = {"Voila": {"token": "", "tornado_settings": {"allow_remote_access": True}, "log_level": "ERROR"}}
    user = tmp_path / "jupyter-config"
    user.mkdir()
    for folder in (tmp_path, user):
        (folder / "voila.json").write_text(json.dumps(hostile), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    monkeypatch.chdir(tmp_path)
    launch = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", home=tmp_path / "home")
    app = voila_settings(launch)
    assert app.token and launch.url.endswith(f"?token={app.token}")
    assert app.tornado_settings["allow_remote_access"] is False


def kernel_manager(config):
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    return AsyncMappingKernelManager(config=config)


def test_the_review_apps_idle_kernels_without_a_page_are_shut_down(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = voila_settings(apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", home=tmp_path / "home"))
    manager = kernel_manager(app.config)
    assert manager.cull_idle_timeout == apps.CULL_IDLE and 0 < apps.CULL_IDLE <= 15 * 60
    assert 0 < manager.cull_interval <= apps.CULL_IDLE
    assert manager.cull_connected is False  # a page still open keeps its kernel
    from jupyter_client import KernelManager
    from voila.configuration import VoilaConfiguration

    assert KernelManager(config=app.config).shutdown_wait_time <= 3  # kernels end quickly when the server stops
    assert VoilaConfiguration(config=app.config).default_pool_size == apps.REVIEW_POOL  # the pool stays as it was


def test_the_review_page_says_loading_in_chinese_and_fetches_nothing_from_the_internet():
    folder = apps.JUPYTER_DATA / "voila" / "templates" / apps.REVIEW_TEMPLATE
    assert json.loads((folder / "conf.json").read_text(encoding="utf-8"))["base_template"] == "lab"
    page = (folder / "index.html.j2").read_text(encoding="utf-8")
    assert "正在打开数据核对页面" in page and "正在读取台账" in page
    assert "Executing" not in page and "Running" not in page
    assert "cdn.jsdelivr.net" in page  # named only to be taken out of Voilà's page
    # a preheated page makes the _xsrf cookie Voilà's script sends to shut a closed page's kernel down
    assert "_xsrf=" in page and "crypto.getRandomValues" in page


def test_the_review_notebook_reads_what_changed_while_its_kernel_waited():
    cells = nbformat.read(apps.notebook("review.ipynb"), as_version=4).cells
    assert "wait_for_request()" in cells[-1].source and "refresh_if_stale()" in cells[-1].source


def test_lab_launch_writes_the_parameterized_notebook_and_a_chinese_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    launch = apps.lab_launch(SAMPLE, PARAMS, tmp_path / "out", "hedong", 2022, home=tmp_path / "zh")
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
    assert set(launch.env) == {"JUPYTER_TOKEN", "JUPYTER_RUNTIME_DIR"}  # the token is in no command line
    assert launch.env["JUPYTER_RUNTIME_DIR"] == str(tmp_path.resolve() / "zh" / "runtime")
    assert not any(launch.env["JUPYTER_TOKEN"] in argument for argument in launch.command)
    assert "out/notebooks/report-hedong-2022.ipynb" in launch.command and launch.cwd == tmp_path.resolve()


def test_lab_serves_this_machine_only_and_culls_idle_kernels(tmp_path, monkeypatch):
    from jupyter_server.serverapp import ServerApp

    monkeypatch.chdir(tmp_path)
    launch = apps.lab_launch(SAMPLE, PARAMS, tmp_path / "out", "hedong", 2022, home=tmp_path / "home", port=8124)
    assert launch.command[1:4] == ["-m", "jupyter", "lab"]
    server = ServerApp()
    server.parse_command_line(launch.command[4:])
    assert server.allow_remote_access is False and list(server.local_hostnames) == ["localhost"]
    assert server.ip == "127.0.0.1" and server.port == 8124 and server.port_retries == 0
    assert server.open_browser is False  # the command opens the browser once the server answers
    assert not server.allow_origin and not server.allow_origin_pat and not server.disable_check_xsrf
    manager = kernel_manager(server.config)
    assert manager.cull_idle_timeout == apps.CULL_IDLE and manager.cull_connected is False


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
    runs = record_runs(monkeypatch)
    assert main(["lab", "--data", str(SAMPLE), "--params", str(PARAMS), "--out", "out", "--no-browser"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("在浏览器中打开"))
    assert re.search(
        r"http://127\.0\.0\.1:\d+/lab/tree/out/notebooks/report-\w+-\d{4}\.ipynb\?token=[0-9a-f]{48}$", line
    )
    (launch, options), *_ = runs
    assert options["open_browser"] is False and line.endswith(launch.url)
    assert not launch.home.exists()  # its temporary folder is gone with it


def record_runs(monkeypatch, served: Served | None = None) -> list:
    """Launch.run replaced: each call recorded with its options, the server's end as given."""
    runs = []

    def run(self, **options):
        runs.append((self, options))
        assert self.home is not None and self.home.is_dir()
        return served or Served(0, signal.SIGTERM)

    monkeypatch.setattr(apps.Launch, "run", run)
    return runs


@pytest.mark.parametrize("browser", [True, False])
def test_review_prints_its_address_with_a_token_and_opens_it_unless_told_not_to(tmp_path, monkeypatch, capsys, browser):
    monkeypatch.chdir(tmp_path)
    runs = record_runs(monkeypatch)
    port = apps.free_port()
    argv = ["review", "--data", str(SAMPLE), "--params", str(PARAMS), "--out", "out", "--port", str(port)]
    assert cli.main(argv + ([] if browser else ["--no-browser"])) == 0
    out = capsys.readouterr().out
    (launch, options), *_ = runs
    assert options["open_browser"] is browser
    assert options["child_setup"] is not None or not sys.platform.startswith("linux")  # dies with the command
    line = next(x for x in out.splitlines() if x.startswith("在浏览器中打开"))
    assert re.search(rf"http://127\.0\.0\.1:{port}/\?token=[0-9a-f]{{48}}$", line) and line.endswith(launch.url)
    assert "已停止" in out
    assert not launch.home.exists()


def test_a_server_that_ends_by_itself_with_an_error_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runs = record_runs(monkeypatch, Served(1))
    assert cli.main(["review", "--data", str(SAMPLE), "--params", str(PARAMS), "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert "数据核对页面意外退出" in err and "Traceback" not in err
    assert not runs[0][0].home.exists()


@pytest.mark.parametrize("command", ["review", "lab"])
def test_a_port_in_use_is_refused_in_chinese_before_anything_starts(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    runs = record_runs(monkeypatch)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = cli.main([command, "--data", str(SAMPLE), "--params", str(PARAMS), "--port", str(port)])
    assert status == 1 and runs == []
    err = capsys.readouterr().err
    assert f"端口{port}已被其他程序占用" in err and "--port" in err


@pytest.mark.parametrize("port", ["0", "70000", "八千"])
def test_a_port_that_is_no_port_is_refused_by_the_parser(capsys, port):
    with pytest.raises(SystemExit) as stop:
        cli.main(["review", "--data", str(SAMPLE), "--port", port])
    assert stop.value.code == 2
    assert f"端口应为1到65535之间的整数，收到“{port}”" in capsys.readouterr().err


def test_options_given_as_extra_replace_the_launchs_own(tmp_path, monkeypatch):
    """A server refuses an option given twice; one given in ``extra`` wins."""
    monkeypatch.chdir(tmp_path)
    extra = ["--Voila.log_level=DEBUG", "--MappingKernelManager.cull_idle_timeout=4"]
    launch = apps.review_launch(SAMPLE, PARAMS, tmp_path / "out", home=tmp_path / "home", extra=extra)
    assert launch.command[-2:] == extra
    app = voila_settings(launch)
    assert app.log_level == 10 and kernel_manager(app.config).cull_idle_timeout == 4
    assert kernel_manager(app.config).cull_interval == apps.CULL_INTERVAL  # the others stay
    lab = apps.lab_launch(SAMPLE, PARAMS, tmp_path / "out", "hedong", 2022, home=tmp_path / "l", extra=extra[1:])
    assert [a for a in lab.command if a.startswith("--MappingKernelManager.cull_idle_timeout")] == extra[1:]
