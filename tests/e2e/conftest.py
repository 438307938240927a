"""Browser harness: a copy of the project's folders, a real JupyterLab server on it, and headless Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips the tests (or fails them on CI)
    expect = None

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
USER_FOLDERS = ("notebooks", "parameters", "data", "templates")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT = 60.0

# User settings that keep JupyterLab quiet and deterministic: no news or update pop-ups,
# no extension manager, and every notebook cell attached to the DOM (no virtual scrolling).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


# ----------------------------------------------------------------------------- server


@dataclass
class LabServer:
    """A running JupyterLab server on a temporary copy of the project."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen
    log: Path
    runtime_dir: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str, workspace: str) -> str:
        """The URL that opens ``path`` (relative to the root) in a fresh, named workspace."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10.0) -> Any:
        """Call the server's REST API; returns the decoded JSON body (None when empty)."""
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in ("POST", "PUT", "PATCH") else None,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def shutdown_sessions(self) -> None:
        """Shut down every notebook session and its kernel."""
        try:
            for session in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
            for kernel in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
        except (urllib.error.URLError, OSError):
            pass


def copy_project(target: Path) -> Path:
    """Copy the user-facing folders into ``target`` (without outputs or checkpoints)."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "output")
    for name in USER_FOLDERS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
    return target


def write_lab_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2), encoding="utf-8")


def wait_for_status(server: LabServer, timeout: float) -> None:
    """Wait until ``/api/status`` answers, failing early if the server process exits."""
    deadline = time.monotonic() + timeout
    url = f"{server.base}/api/status?token={server.token}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def kill_kernels(runtime_dir: Path) -> None:
    """Kill kernels still alive whose connection file lies in this server's runtime folder."""
    marker = str(runtime_dir).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline and b"ipykernel" in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)


def stop_server(server: LabServer) -> None:
    """Shut down kernels and the server; escalate to SIGTERM and SIGKILL if it lingers."""
    server.shutdown_sessions()
    with contextlib.suppress(urllib.error.URLError, OSError):
        server.api("POST", "/api/shutdown", timeout=10)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    kill_kernels(server.runtime_dir)


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of notebooks/, parameters/, data/ and templates/."""
    return copy_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def lab_server(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A real JupyterLab server rooted at the project copy, isolated from the user's settings."""
    home = tmp_path_factory.mktemp("jupyter")
    settings, workspaces, runtime = home / "settings", home / "workspaces", home / "runtime"
    for folder in (settings, workspaces, runtime, home / "config", home / "data", home / "ipython"):
        folder.mkdir()
    write_lab_settings(settings)
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workspaces),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONWARNINGS="ignore",
    )
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={lab_root}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
    ]
    log = home / "server.log"
    with log.open("w", encoding="utf-8") as log_handle:
        process = subprocess.Popen(
            command, cwd=lab_root, env=env, stdin=subprocess.DEVNULL, stdout=log_handle, stderr=subprocess.STDOUT
        )
    server = LabServer(root=lab_root, port=port, token=token, process=process, log=log, runtime_dir=runtime)
    try:
        wait_for_status(server, SERVER_START_TIMEOUT)
        yield server
    finally:
        stop_server(server)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "server.log")


# ----------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright; skipped without it (a failure on CI)."""
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed"
    if not reason and not CHROMIUM.exists():
        reason = f"{CHROMIUM} does not exist"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"e2e tests need a browser on CI, but {reason}", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def artifact_folder(node: pytest.Item) -> Path:
    """``tests/artifacts/e2e/<test name>/``."""
    return ARTIFACTS / re.sub(r"[^\w.-]+", "_", node.name)


def fresh_artifact_folder(node: pytest.Item) -> Path:
    """The test's artifact folder, emptied for a new run."""
    folder = artifact_folder(node)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    folder = fresh_artifact_folder(request.node)
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"[{msg.type}] {msg.text}"))
    page.on("pageerror", lambda err: messages.append(f"[pageerror] {err}"))
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            with contextlib.suppress(Exception):  # the page may already be gone
                page.screenshot(path=str(folder / "failure.png"))
            (folder / "console.log").write_text("\n".join(messages), encoding="utf-8")
        context.close()


# ----------------------------------------------------------------------------- JupyterLab page


@dataclass
class Lab:
    """A JupyterLab page: open a notebook, run it through the Run menu, keep screenshots."""

    page: Any
    server: LabServer
    artifacts: Path
    workspace: str
    steps: int = field(default=0)

    def shot(self, name: str, target: Any = None) -> Path:
        """Save ``step-NN-<name>.png`` in this test's artifact folder, scrolled to ``target`` if given."""
        if target is not None:
            target.scroll_into_view_if_needed()
        self.steps += 1
        path = self.artifacts / f"step-{self.steps:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def open(self, path: str, timeout: float = 90.0) -> None:
        """Open a notebook and wait until its kernel is idle."""
        self.page.goto(self.server.lab_url(path, self.workspace), wait_until="domcontentloaded")
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(state="visible", timeout=timeout * 1000)
        self.wait_idle(timeout)

    def accept_kernel_dialog(self) -> bool:
        """Accept a "Select Kernel" dialog with its Select button, if one is open."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count() and dialog.first.is_visible():
            button = dialog.locator("button", has_text=re.compile(r"^\s*Select\s*$"))
            if button.count():
                button.first.click()
                return True
        return False

    def wait_idle(self, timeout: float = 90.0) -> None:
        """Wait until the status bar shows the kernel as Idle."""
        deadline = time.monotonic() + timeout
        idle = self.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\|\s*Idle\s*$"))
        while time.monotonic() < deadline:
            self.accept_kernel_dialog()
            if idle.count() and idle.first.is_visible():
                return
            self.page.wait_for_timeout(250)
        pytest.fail(f"kernel not idle after {timeout:.0f} s; status bar: {self.status_bar_text()!r}")

    def status_bar_text(self) -> str:
        bar = self.page.locator("#jp-main-statusbar")
        return bar.inner_text() if bar.count() else ""

    def prompts(self) -> list[str]:
        """The execution prompt of every code cell, e.g. ``[3]:``, ``[*]:`` or ``[ ]:``."""
        return [p.strip() for p in self.page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]

    def run_all(self, timeout: float = 180.0) -> None:
        """Run every cell through Run ▸ Run All Cells, then wait for the kernel to finish."""
        self.wait_idle()
        before = self.prompts()
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).click()
        item = self.page.locator('.lm-Menu [data-command="runmenu:run-all"]')
        item.wait_for(state="visible")
        item.click()
        self.wait_done(before, timeout)

    def wait_done(self, before: list[str], timeout: float = 180.0) -> None:
        """Wait until the run has started and ended (no cell shows ``[*]``) and the kernel is idle.

        ``before`` holds the prompts from before the run, so outputs saved in the notebook
        are not mistaken for a finished run. Fails if a cell stopped the run.
        """
        deadline = time.monotonic() + timeout
        seen_running = False
        while True:
            self.accept_kernel_dialog()
            prompts = self.prompts()
            if any("*" in p for p in prompts):
                seen_running = True
            elif prompts and (seen_running or prompts != before) and re.fullmatch(r"\[\d+\]:", prompts[0]):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"cells still running after {timeout:.0f} s: {prompts}")
            self.page.wait_for_timeout(200)
        self.wait_idle(max(deadline - time.monotonic(), 10))
        pending = [i for i, p in enumerate(self.prompts()) if not re.fullmatch(r"\[\d+\]:", p)]
        if pending:
            errors = self.page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            detail = "\n---\n".join(errors.all_inner_texts())[-3000:]
            pytest.fail(f"the run stopped before code cells {pending} (0-based); error output:\n{detail}")

    def widget(self, css_class: str) -> Any:
        """The element that carries one of the panel's fixed classes (e.g. ``zj-figures``)."""
        return self.page.locator(f".{css_class}")


@pytest.fixture
def lab(page: Any, lab_server: LabServer, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """A JupyterLab page in its own workspace; the notebooks' kernels are shut down afterwards."""
    folder = artifact_folder(request.node)
    workspace = "e2e-" + re.sub(r"[^\w-]+", "-", request.node.name)[:40] + "-" + secrets.token_hex(3)
    try:
        yield Lab(page=page, server=lab_server, artifacts=folder, workspace=workspace)
    finally:
        lab_server.shutdown_sessions()
