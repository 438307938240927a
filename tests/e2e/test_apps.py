"""The two ways in started by one command: ``zongjie review`` (Voilà) and ``zongjie lab`` (JupyterLab in Chinese)."""

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
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import cmdline, descendants, free_port, running, wait_for

from toolkit.resources import notebook
from toolkit.ui.apps import Launch, lab_launch, review_launch

from .conftest import ARTIFACTS, ROOT, fresh_artifact_folder

SECOND = 1000
START_TIMEOUT = 90.0


def isolated_env(home: Path) -> dict[str, str]:
    """Jupyter folders of its own, so the user's settings neither leak in nor get written."""
    folders = {
        "JUPYTERLAB_SETTINGS_DIR": home / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "IPYTHONDIR": home / "ipython",
        "XDG_CONFIG_HOME": home / "xdg",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {name: str(path) for name, path in folders.items()} | {"PYTHONWARNINGS": "ignore"}


def start(launch: Launch, env: dict[str, str], url: str, log: Path) -> subprocess.Popen:
    """Start a server and wait until ``url`` answers; fail with its log if it exits or never answers."""
    with log.open("w", encoding="utf-8") as handle:
        process = subprocess.Popen(
            launch.command,
            cwd=launch.cwd,
            env={**launch.environment(), **env},
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text(encoding='utf-8')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    stop(process)
    pytest.fail(f"server did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text(encoding='utf-8')[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# ----------------------------------------------------------------------------- review app

#: A page served by a preheated kernel is usable well within this many seconds of being asked
#: for: the notebook has run, only the page is left. A kernel started for the page would
#: not be (its imports and the ledgers alone take longer). The goal, 3 s, is measured by
#: ``benchmarks/review_app.py``, which runs the test below and prints what it wrote.
READY_WITHIN = 15.0
#: How Voilà's debug log shows a kernel starting the review notebook's last cell, where a
#: preheated kernel waits for its page (once per kernel: the execute_input message).
WAITING_CELL = (
    "{'code': '" + nbformat.read(notebook("review.ipynb"), as_version=4).cells[-1].source.splitlines()[0][:12]
)
#: Records every text the loading page shows (Voilà's English "Executing 3 of 3" must never be one).
LOADING_WATCH = """
window.__loadingTexts = [];
new MutationObserver(() => {
  const el = document.getElementById('loading_text');
  if (el && window.__loadingTexts[window.__loadingTexts.length - 1] !== el.textContent) {
    window.__loadingTexts.push(el.textContent);
  }
}).observe(document, {childList: true, subtree: true, characterData: true});
"""


@dataclass
class ReviewApp:
    """``zongjie review`` running: its address with the token, its folders, log and kernels."""

    url: str
    root: Path
    log: Path
    process: subprocess.Popen
    pool: int

    def waiting_kernels(self) -> int:
        """Kernels that ran the review notebook ahead and reached its last cell (the log says so)."""
        return self.log.read_text(encoding="utf-8", errors="replace").count(WAITING_CELL)

    def kernels(self) -> int:
        """Kernel processes of this server alive now."""
        return len(kernels_below(self.process.pid))


@pytest.fixture
def review_app(lab_root: Path, tmp_path: Path) -> Iterator[ReviewApp]:
    """``zongjie review`` on a copy of the sample data, its own parameters and output folders, with a token."""
    import shutil

    params = tmp_path / "parameters"
    shutil.copytree(lab_root / "parameters", params)
    out = tmp_path / "output"
    port, token = free_port(), secrets.token_hex(16)
    launch = review_launch(
        lab_root / "data" / "sample",
        params,
        out,
        port=port,
        token=token,
        home=tmp_path / "server",
        extra=["--Voila.log_level=DEBUG"],  # the log shows when a preheated kernel is ready
    )
    env = isolated_env(tmp_path / "home")
    reviewer = tmp_path / "home" / "xdg" / "zongjie" / "reviewer.json"
    reviewer.parent.mkdir(parents=True, exist_ok=True)
    reviewer.write_text('{"name": "王审核"}', encoding="utf-8")
    log = tmp_path / "voila.log"
    # asking for a static file, not the page: each page asked for takes a kernel
    process = start(launch, env, f"http://127.0.0.1:{port}/voila/static/voila.js", log)
    app = ReviewApp(launch.url, tmp_path, log, process, 1)
    try:
        yield app
    finally:
        stop(process)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "voila.log")


def time_to_usable(browser, app: ReviewApp, shot: Path) -> float:
    """Seconds from asking for the page to a panel one can use: figures listed, controls shown."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.add_init_script(LOADING_WATCH)
    try:
        start_at = time.perf_counter()
        page.goto(app.url, wait_until="commit")
        page.locator(".zj-figures select option").first.wait_for(state="attached", timeout=120 * SECOND)
        page.locator(".zj-override-save").wait_for(state="visible", timeout=60 * SECOND)
        elapsed = time.perf_counter() - start_at
        page.screenshot(path=str(shot))
        seen = page.evaluate("() => window.__loadingTexts")
        assert all("正在" in text for text in seen), seen  # the loading page speaks Chinese only
        assert "Executing" not in page.content() and "Running " not in page.inner_text("body")
        bureau = page.locator(".zj-bureau select")
        first = bureau.locator("option").first.get_attribute("value")
        assert bureau.input_value() == first  # the first bureau, which needs attention in the sample
        assert page.locator(".zj-filter button.mod-active").inner_text().strip() == "需关注"
        page.close(run_before_unload=True)  # Voilà shuts the page's kernel down as it goes
        return elapsed
    finally:
        context.close()


def test_review_app_pages_are_served_by_preheated_kernels(review_app: ReviewApp, browser, request):
    folder = fresh_artifact_folder(request.node)
    # warm-up: the server's preheated kernel has run the review notebook and waits for a page
    wait_for(lambda: review_app.waiting_kernels() >= 1, START_TIMEOUT, "no preheated kernel ready", step=0.2)
    first = time_to_usable(browser, review_app, folder / "first.png")
    assert review_app.log.read_text(encoding="utf-8").count("Using pre-heated kernel") >= 1
    # the pool is filled again behind it, and the next page is served the same way
    wait_for(lambda: review_app.waiting_kernels() >= 2, START_TIMEOUT, "the pool was not filled again", step=0.2)
    second = time_to_usable(browser, review_app, folder / "second.png")
    assert review_app.log.read_text(encoding="utf-8").count("Using pre-heated kernel") >= 2
    (folder / "timing.txt").write_text(f"request to usable panel: {first:.2f} s, then {second:.2f} s\n")
    assert first < READY_WITHIN and second < READY_WITHIN, (first, second)
    # closed pages' kernels are shut down: only the pool's kernel stays alive
    wait_for(lambda: review_app.kernels() <= review_app.pool, 60, "kernels of closed pages still alive", step=0.2)


def test_review_app_without_code(review_app: ReviewApp, browser, request):
    root = review_app.root
    folder = fresh_artifact_folder(request.node)
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(review_app.url, wait_until="domcontentloaded")
        panel = page.locator(".zj-panel")
        panel.wait_for(state="visible", timeout=120 * SECOND)
        assert page.locator(".jp-InputArea-editor, .CodeMirror, .cm-editor").count() == 0  # no code shown
        page.locator(".zj-figures").first.wait_for(state="visible")
        page.screenshot(path=str(folder / "review-app.png"), full_page=True)
        box = page.locator(".zj-panel").bounding_box()
        widest = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.zj-panel *')].map(e => e.getBoundingClientRect().right))"
        )
        (folder / "panel-size.txt").write_text(f"panel at 1024 px: {box['width']:.0f} x {box['height']:.0f} px\n")
        assert widest <= 1024 and box["height"] < 900, (widest, box)  # nothing clipped, no 4,000 px panel

        # Pick a bureau by its name, then the attention filter.
        bureau = page.locator(".zj-bureau select")
        hedong = bureau.locator("option", has_text="河东县财政局")
        bureau.select_option(hedong.first.get_attribute("value"))
        page.locator(".zj-status", has_text="河东县财政局").wait_for(timeout=60 * SECOND)
        years = page.locator(".zj-year select option").all_inner_texts()
        assert years == ["2021", "2022"], years  # not the stray 2020 / 2023 rows
        page.locator(".zj-year select").select_option(label="2021")
        page.locator(".zj-status", has_text="河东县财政局2021年").wait_for(timeout=60 * SECOND)
        page.locator(".zj-filter button", has_text="需关注").click()
        options = page.locator(".zj-figures select option")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.zj-figures select option')].every(o => !o.textContent.startsWith('正常'))"
        )
        assert options.count() > 0

        # Values read with their units; a count typed in words is refused at once, as the save would.
        page.locator(".zj-filter button", has_text="全部").click()
        revenue = page.locator(".zj-figures select option", has_text="｜财政总收入：")
        revenue.wait_for(state="attached")
        assert revenue.inner_text().strip().endswith("亿元"), revenue.inner_text()
        visitors = page.locator(".zj-figures select option", has_text="｜开放日接待人数：")
        page.locator(".zj-figures select").select_option(label=visitors.inner_text().strip())
        page.locator(".zj-detail", has_text="开放日接待人数").wait_for()
        beside = page.locator(".zj-override-feedback")
        page.locator(".zj-override-value input").fill("九十七")
        beside.filter(has_text="新值“九十七”不能使用：不是整数").wait_for(timeout=30 * SECOND)
        assert "可以保存" not in beside.inner_text()

        # A correction without a reason: the message appears beside the save button.
        page.locator(".zj-figures select").select_option(label=revenue.inner_text().strip())
        page.locator(".zj-detail", has_text="财政总收入").wait_for()
        page.locator(".zj-override-value input").fill("20.5")
        page.locator(".zj-override-reason input").fill("")
        page.locator(".zj-override-save").click()
        beside.filter(has_text="请填写修改原因").wait_for(timeout=30 * SECOND)
        save_box = page.locator(".zj-override-save").bounding_box()
        note_box = beside.bounding_box()
        assert abs(note_box["y"] - save_box["y"]) < 60, (save_box, note_box)  # on the same line, not far below
        page.screenshot(path=str(folder / "no-reason.png"))

        # With a reason it is saved, by the remembered reviewer.
        page.locator(".zj-override-reason input").fill("以决算数为准")
        page.locator(".zj-override-save").click()
        beside.filter(has_text="已保存").wait_for(timeout=60 * SECOND)
        entry = yaml.safe_load((root / "parameters" / "overrides" / "hedong-2021.yaml").read_text(encoding="utf-8"))
        assert entry["overrides"]["fiscal_revenue"]["new"] == "20.5"
        assert entry["overrides"]["fiscal_revenue"]["by"] == "王审核"
        detail = page.locator(".zj-detail")
        assert re.search(r"王审核于\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d修改", detail.inner_text()), detail.inner_text()

        # The figures are marked 已核对, by the remembered reviewer.
        page.locator(".zj-signoff-review").click()
        page.locator(".zj-signoff-feedback", has_text="已标记为已核对").wait_for(timeout=30 * SECOND)
        assert page.locator(".zj-signoff-state").inner_text().startswith("核对状态：已核对（王审核，")
        mark = yaml.safe_load((root / "parameters" / "signoffs" / "hedong-2021.yaml").read_text(encoding="utf-8"))
        assert mark["status"] == "已核对" and mark["reviewed"]["by"] == "王审核"

        # Generate and download the report through the download button, under its Chinese name.
        page.locator(".zj-generate").click()
        button = page.locator(".zj-result a.zj-download")
        button.wait_for(timeout=90 * SECOND)
        with page.expect_download() as download:
            button.click()
        assert download.value.suggested_filename == "河东县财政局2021年党史学习教育开展情况总结.docx"
        saved = folder / "report.docx"
        download.value.save_as(saved)
        with zipfile.ZipFile(saved) as docx:
            assert "财政总收入20.5亿元" in docx.read("word/document.xml").decode("utf-8")
        page.screenshot(path=str(folder / "generated.png"), full_page=True)
        text = page.inner_text(".zj-panel")
        assert "overrides" not in text and "fiscal_revenue" not in text, text
    except Exception:
        page.screenshot(path=str(folder / "failure.png"), full_page=True)
        raise
    finally:
        context.close()


# ----------------------------------------------------------------------------- JupyterLab in Chinese


def test_lab_opens_in_chinese_on_the_report_notebook(lab_root: Path, tmp_path: Path, browser, request):
    folder = fresh_artifact_folder(request.node)
    port, token = free_port(), secrets.token_hex(16)
    out = tmp_path / "output"
    launch = lab_launch(
        lab_root / "data" / "sample",
        lab_root / "parameters",
        out,
        "hedong",
        2022,
        port=port,
        home=tmp_path / "zh",
        extra=["--ServerApp.terminals_enabled=False"],
        token=token,
    )
    assert launch.url == f"http://127.0.0.1:{port}/lab/tree/{launch.notebook.name}?token={token}"
    assert launch.notebook == (out / "notebooks" / "report-hedong-2022.ipynb").resolve()
    source = "".join(c.source for c in nbformat.read(launch.notebook, as_version=4).cells)
    assert '"hedong"' in source and "2022" in source and (lab_root / "data" / "sample").resolve().as_posix() in source
    log = tmp_path / "lab.log"
    process = start(launch, isolated_env(tmp_path / "home"), f"http://127.0.0.1:{port}/api/status?token={token}", log)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(launch.url)  # what `zongjie lab --no-browser` prints
        menu = page.locator(".lm-MenuBar-item")
        menu.first.wait_for(state="visible", timeout=90 * SECOND)
        page.locator(".jp-NotebookPanel").first.wait_for(state="visible", timeout=90 * SECOND)
        titles = [t.strip() for t in menu.all_inner_texts()]
        assert "文件" in titles and "运行" in titles, titles
        assert "File" not in titles
        tab = page.locator(".lm-TabBar-tab", has_text="report-hedong-2022.ipynb")
        assert tab.count() >= 1
        page.locator(".jp-Notebook").first.get_by_text(re.compile("hedong")).first.wait_for()
        page.locator(".jp-RenderedMarkdown h1").first.wait_for(state="visible", timeout=30 * SECOND)
        assert page.get_by_text("新闻").count() == 0  # no question about news from the internet
        # the menu items the notebooks' instructions name are there, in these words
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*运行\s*$")).click()
        items = page.locator(".lm-Menu .lm-Menu-itemLabel")
        items.first.wait_for(state="visible")
        labels = [t.strip() for t in items.all_inner_texts()]
        (folder / "run-menu.txt").write_text("\n".join(labels), encoding="utf-8")
        assert "运行所有单元格" in labels and "运行选中的单元格" in labels, labels
        page.keyboard.press("Escape")
        page.screenshot(path=str(folder / "lab-chinese.png"))
    except Exception:
        page.screenshot(path=str(folder / "failure.png"))
        raise
    finally:
        context.close()
        stop(process)


# ----------------------------------------------------------------------------- who may come in, and what is left


@dataclass
class Command:
    """``zongjie review`` or ``zongjie lab`` started as a user starts it, with the address it printed."""

    process: subprocess.Popen
    output: Path
    url: str
    #: the command's temporary folder (TMPDIR): everything temporary of it goes there
    tmp: Path

    @property
    def base(self) -> str:
        return "/".join(self.url.split("/", 3)[:3])

    @property
    def token(self) -> str:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.url).query)["token"][0]

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port

    def kernels(self) -> dict[str, int]:
        return kernels_below(self.process.pid)


def kernels_below(root: int) -> dict[str, int]:
    """Kernel id → pid of the kernels running below process ``root``."""
    found = {}
    for pid in descendants(root):
        match = re.search(rb"kernel-([0-9a-f-]{36})\.json", cmdline(pid))
        if match and b"ipykernel" in cmdline(pid) and running(pid):
            found[match.group(1).decode()] = pid
    return found


def run_command(args: list[str], cwd: Path, home: Path) -> Command:
    """Start ``zongjie <args> --no-browser`` and wait for the address it prints."""
    tmp = Path(tempfile.mkdtemp(prefix="zj-", dir="/tmp"))  # short: the command's folders are made here
    output = home / "command.log"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **isolated_env(home), "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    with output.open("w", encoding="utf-8") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit.cli", *args, "--no-browser"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )

    def printed() -> str:
        text = output.read_text(encoding="utf-8", errors="replace")
        if process.poll() is not None:
            pytest.fail(f"zongjie {args[0]} exited with {process.returncode}:\n{text[-3000:]}")
        found = re.search(r"在浏览器中打开[^：]*：(http://\S+)", text)
        return found.group(1) if found else ""

    wait_for(printed, START_TIMEOUT, f"zongjie {args[0]} printed no address", step=0.2)
    return Command(process, output, printed(), tmp)


def end(command: Command) -> None:
    """Stop a command still running (a failed test), then its leftovers, so nothing outlives the test."""
    left = descendants(command.process.pid)
    if command.process.poll() is None:
        command.process.kill()
        command.process.wait(timeout=20)
    for pid in left:
        if running(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(command.tmp, ignore_errors=True)


@dataclass
class Answer:
    status: int
    location: str
    body: str
    cookie: str


def answer(url: str, *, method: str = "GET", headers: dict[str, str] | None = None, form: str = "") -> Answer:
    """One request's answer, redirects not followed (``form``: a POST's urlencoded body)."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    headers = {**(headers or {}), **({"Content-Type": "application/x-www-form-urlencoded"} if form else {})}
    request = urllib.request.Request(
        url, method=method, headers=headers, data=form.encode() if method == "POST" else None
    )
    try:
        response = urllib.request.build_opener(Stay).open(request, timeout=120)
    except urllib.error.HTTPError as err:
        response = err
    with response:
        cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
        body = response.read().decode("utf-8", "replace")
        return Answer(response.status, response.headers.get("Location", ""), body, cookie)


def answers(url: str) -> bool:
    """Whether a server answers ``url`` with 200 yet."""
    try:
        return answer(url).status == 200
    except (urllib.error.URLError, OSError):
        return False


def websocket_status(url: str, port: int, **headers: str) -> int:
    """The status a websocket handshake to ``url`` gets (101 when it opens), sent to 127.0.0.1:``port``
    whatever host the address names (as a browser does after DNS rebinding)."""
    import socket

    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    origin = headers.pop("Origin", None)
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        with connect(url, sock=sock, origin=origin, additional_headers=headers, open_timeout=30):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code
    finally:
        sock.close()


def page_kernel(html: str) -> str:
    return json.loads(re.search(r'"kernelId":\s*("[^"]+")', html).group(1))


@pytest.fixture(scope="module")
def review_command(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Command]:
    """``zongjie review`` on the sample, its preheated kernel started."""
    home = tmp_path_factory.mktemp("review-command")
    out = home / "output"
    command = run_command(
        ["review", "--data", "data/sample", "--params", "parameters", "--out", str(out)], lab_root, home
    )
    try:
        wait_for(lambda: len(command.kernels()) == 1, START_TIMEOUT, "no preheated kernel", step=0.2)
        yield command
    finally:
        end(command)


def test_review_without_the_token_gets_no_page_no_kernel_and_no_api(review_command: Command):
    app = review_command
    (pooled,) = app.kernels()
    for address in (f"{app.base}/", f"{app.base}/?token=0{app.token[1:]}", f"{app.base}/review.ipynb"):
        got = answer(address)
        assert got.status in (302, 403), (address, got.status)
        assert got.status == 403 or urllib.parse.urlsplit(got.location).path == "/login", got.location
        assert pooled not in got.body and "kernelId" not in got.body
    assert answer(f"{app.base}/api/kernels/{pooled}").status == 403
    assert answer(f"{app.base}/api/kernels/{pooled}", method="DELETE").status == 403
    assert answer(f"{app.base}/voila/api/shutdown/{pooled}", method="POST").status == 403
    channels = f"ws://127.0.0.1:{app.port}/api/kernels/{pooled}/channels"
    assert websocket_status(channels, app.port) == 403
    assert list(app.kernels()) == [pooled]  # still the one kernel, alive
    # the first page asked for with the token gets that very kernel: none was taken or started before
    got = answer(app.url)
    assert got.status == 200 and page_kernel(got.body) == pooled
    assert websocket_status(f"{channels}?token={app.token}", app.port) == 101


def test_review_refuses_a_foreign_host_and_a_cross_origin_websocket(review_command: Command):
    app = review_command
    evil = f"evil.example:{app.port}"
    for path in ("/", "/login", f"/?token={app.token}"):
        assert answer(f"{app.base}{path}", headers={"Host": evil}).status == 403, path
    page = answer(app.url)  # a page of its own, and the login cookie its scripts send
    kernel = page_kernel(page.body)
    assert page.status == 200 and page.cookie and kernel in app.kernels()
    channels = f"ws://127.0.0.1:{app.port}/api/kernels/{kernel}/channels"
    assert websocket_status(channels, app.port, Origin=app.base, Cookie=page.cookie) == 101  # the page itself
    assert websocket_status(channels, app.port, Origin="http://evil.example", Cookie=page.cookie) == 403
    rebound = f"ws://{evil}/api/kernels/{kernel}/channels"
    assert websocket_status(f"{rebound}?token={app.token}", app.port, Origin=f"http://{evil}") == 403
    assert websocket_status(rebound, app.port, Origin=f"http://{evil}", Cookie=page.cookie) == 403
    # the POST a closed page sends to shut its kernel down: accepted from the page's own origin only
    shutdown, xsrf = f"{app.base}/voila/api/shutdown/{kernel}", secrets.token_hex(16)
    cookie, form = f"{page.cookie}; _xsrf={xsrf}", f"_xsrf={xsrf}"
    assert answer(shutdown, method="POST", headers={"Host": evil, "Cookie": cookie}, form=form).status == 403
    elsewhere = {"Origin": "http://evil.example", "Cookie": cookie}
    assert answer(shutdown, method="POST", headers=elsewhere, form=form).status in (403, 404)
    assert (
        answer(shutdown, method="POST", headers={"Origin": app.base, "Cookie": page.cookie}).status == 403
    )  # no _xsrf
    assert kernel in app.kernels()  # nothing shut it down
    assert answer(shutdown, method="POST", headers={"Origin": app.base, "Cookie": cookie}, form=form).status == 204
    wait_for(lambda: kernel not in app.kernels(), 30, "the page's kernel was not shut down", step=0.2)
    assert "Traceback" not in app.output.read_text(encoding="utf-8")  # each refusal a page, not a crash


def test_the_printed_address_opens_the_review_panel(review_command: Command, browser, request):
    folder = fresh_artifact_folder(request.node)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{review_command.base}/", wait_until="domcontentloaded")  # without the token: the login page
        assert urllib.parse.urlsplit(page.url).path == "/login"
        assert page.locator(".zj-panel").count() == 0
        page.goto(review_command.url, wait_until="domcontentloaded")
        page.locator(".zj-panel").wait_for(state="visible", timeout=120 * SECOND)
        page.screenshot(path=str(folder / "printed-address.png"))
    except Exception:
        page.screenshot(path=str(folder / "failure.png"))
        raise
    finally:
        context.close()


def test_idle_kernels_without_a_page_are_culled_and_the_pool_kept(lab_root: Path, tmp_path: Path, browser):
    """A page asked for and left (no websocket) loses its kernel after the idle time; an open page
    and the preheated kernel keep theirs. Culled after 4 s here instead of 10 minutes."""
    port = free_port()
    launch = review_launch(
        lab_root / "data" / "sample",
        lab_root / "parameters",
        tmp_path / "output",
        port=port,
        home=tmp_path / "server",
        extra=[
            "--MappingKernelManager.cull_idle_timeout=4",
            "--MappingKernelManager.cull_interval=1",
            "--Voila.log_level=DEBUG",
        ],
    )
    log = tmp_path / "voila.log"
    env = isolated_env(tmp_path / "home")
    process = start(launch, env, f"http://127.0.0.1:{port}/voila/static/voila.js", log)
    context = browser.new_context(locale="zh-CN")
    try:
        wait_for(lambda: len(kernels_below(process.pid)) == 1, START_TIMEOUT, "no preheated kernel", step=0.2)
        left = page_kernel(answer(launch.url).body)  # asked for, never connected to
        page = context.new_page()
        page.goto(launch.url)
        page.locator(".zj-panel").wait_for(state="visible", timeout=120 * SECOND)
        kept = page_kernel(page.content())
        assert kept != left
        wait_for(lambda: left not in kernels_below(process.pid), 60, "the left kernel was not culled", step=0.2)
        assert "Culling 'idle' kernel" in log.read_text(encoding="utf-8")

        def polls() -> int:
            return log.read_text(encoding="utf-8").count("Polling every 1 seconds for kernels idle > 4 seconds")

        after = polls()
        wait_for(lambda: polls() >= after + 6, 60, "the culler stopped", step=0.2)  # > 4 s more: all idle long enough
        alive = kernels_below(process.pid)
        assert kept in alive and len(alive) == 2, alive  # the open page's kernel and one preheated kernel
    finally:
        context.close()
        stop(process)


def assert_all_gone(command: Command, pids: set[int], asked: float) -> None:
    """Within 10 s of the signal: the command exited, none of its processes runs, its folders are gone."""
    command.process.wait(timeout=10)
    wait_for(lambda: not any(map(running, pids)), max(0.1, asked + 10 - time.monotonic()), "processes left", step=0.2)
    took = time.monotonic() - asked
    assert took < 10, took
    left = sorted(p.name for p in command.tmp.iterdir())
    assert left == [], left  # settings, runtime and connection files: nothing of the server is left
    assert command.process.returncode == 0, command.output.read_text(encoding="utf-8")


def test_sigterm_to_review_leaves_no_process_and_no_folder(lab_root: Path, tmp_path: Path):
    command = run_command(
        ["review", "--data", "data/sample", "--params", "parameters", "--out", str(tmp_path / "output")],
        lab_root,
        tmp_path,
    )
    try:
        wait_for(lambda: len(command.kernels()) == 1, START_TIMEOUT, "no preheated kernel", step=0.2)
        (folder,) = command.tmp.glob(f"zongjie-review-{command.process.pid}-*")
        assert any(folder.glob("voila_*/kernel-*.json")) and (folder / "config" / "voila.json").is_file()
        assert answer(command.url).status == 200  # a page's kernel, and the pool filled again
        wait_for(lambda: len(command.kernels()) == 2, START_TIMEOUT, "the pool was not filled again", step=0.2)
        pids = descendants(command.process.pid)
        asked = time.monotonic()
        command.process.send_signal(signal.SIGTERM)
        assert_all_gone(command, pids, asked)
        assert "数据核对页面已停止" in command.output.read_text(encoding="utf-8")
    finally:
        end(command)


def test_lab_lets_in_only_its_token_and_ctrl_c_leaves_nothing(lab_root: Path, tmp_path: Path):
    command = run_command(["lab", "--data", "data/sample", "--params", "parameters"], lab_root, tmp_path)
    try:
        status = f"{command.base}/api/status"
        wait_for(lambda: answers(f"{status}?token={command.token}"), START_TIMEOUT, "lab did not answer", step=0.2)
        assert answer(status).status == 403 and answer(f"{command.base}/api/kernels", method="POST").status == 403
        assert answer(f"{command.base}/lab").status in (302, 403)
        evil = {"Host": f"evil.example:{command.port}"}
        assert answer(f"{status}?token={command.token}", headers=evil).status == 403
        authorized = {"Authorization": f"token {command.token}"}
        created = answer(f"{command.base}/api/kernels", method="POST", headers=authorized)
        assert created.status == 201, created
        kernel = json.loads(created.body)["id"]
        wait_for(lambda: kernel in command.kernels(), START_TIMEOUT, "the kernel did not start", step=0.2)
        channels = f"ws://127.0.0.1:{command.port}/api/kernels/{kernel}/channels"
        assert websocket_status(channels, command.port, Origin="http://evil.example") == 403
        rebound = f"ws://evil.example:{command.port}/api/kernels/{kernel}/channels?token={command.token}"
        assert websocket_status(rebound, command.port) == 403
        pids = descendants(command.process.pid)
        asked = time.monotonic()
        command.process.send_signal(signal.SIGINT)  # Ctrl-C: no question asked, the same end as SIGTERM
        assert_all_gone(command, pids, asked)
        text = command.output.read_text(encoding="utf-8")
        assert "JupyterLab已停止" in text and "(y/[n])" not in text
    finally:
        end(command)
