"""Two ways in for people who do not write code: the review app and JupyterLab in Chinese.

``zongjie review`` serves ``notebooks/review.ipynb`` through Voilà: the review panel
alone, code hidden, bureau and year chosen in the page. Its kernels are started and the
notebook run before anyone asks for the page (Voilà's preheated kernels, ``pool`` of them
waiting), so the panel is there in about a second instead of the ten a kernel takes to
start, read the ledgers and compute; the page is Voilà's lab template with its loading
text in Chinese and nothing fetched from the internet (``ui/jupyter/voila/templates/zongjie``).
``zongjie lab`` writes the report notebook with the given parameters into the output
folder and opens it in JupyterLab with the Simplified Chinese language pack as the
default locale.

Neither touches the user's own Jupyter configuration: the default locale comes from a
settings override in a temporary application settings folder; a language the user
chose in JupyterLab's own settings still wins.

Both let in only the person who started them: every page, kernel and API call needs the
token in the printed address (``?token=…``, then a login cookie); a request whose Host
is not this machine's (a page elsewhere rebinding its name to 127.0.0.1) is refused; a
kernel left idle with no page connected is shut down after :data:`CULL_IDLE` seconds.
Each server keeps its runtime files, connection files and settings in one temporary
folder of its own (``home``), removed when it stops (:mod:`toolkit.ui.server`).
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import socket
import sys
import tempfile
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.paths import jupyter_config_path
from jupyter_server import DEFAULT_STATIC_FILES_PATH
from jupyterlab.commands import get_app_dir
from nbformat import NotebookNode

from toolkit.resources import DEFAULT_REPORT, ENV_DATA, ENV_OUT, ENV_PARAMS, ENV_REPORT, notebook
from toolkit.ui.server import Served, serve

#: A Jupyter data folder holding the review app's Voilà template (``voila/templates/zongjie``).
JUPYTER_DATA = Path(__file__).resolve().parent / "jupyter"
REVIEW_TEMPLATE = "zongjie"
#: Kernels kept started, the review notebook already run in them, for the next pages asked for.
REVIEW_POOL = 1
LOCALE = "zh_CN"
#: A kernel idle this many seconds with no page connected is shut down (checked every CULL_INTERVAL seconds);
#: one whose page is still open is kept, and so are the review app's preheated kernels.
CULL_IDLE, CULL_INTERVAL = 600, 60
#: Seconds a kernel has to end when its server stops before it is killed.
KERNEL_STOP_WAIT = 2
#: The only host name (besides loopback addresses) a request may be addressed to.
LOCAL_HOSTNAMES = ("localhost",)
_TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"
_NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"


@dataclass(frozen=True)
class Launch:
    """A server command, its environment additions and the folder it runs in."""

    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = field(default_factory=Path.cwd)
    notebook: Path | None = None
    #: the address that opens the page or notebook itself, with the token
    url: str = ""
    #: the server's temporary folder (runtime and connection files, settings), removed when it stops
    home: Path | None = None

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def run(
        self,
        *,
        open_browser: bool = False,
        child_setup: Callable[[], None] | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> Served:
        """Run the server in the foreground until it exits or this process is stopped
        (Ctrl-C, SIGTERM): then its kernels are shut down and its temporary folder removed."""
        return serve(
            self.command,
            cwd=self.cwd,
            env=self.environment(),
            url=self.url,
            open_browser=open_browser,
            folders=[self.home] if self.home else [],
            child_setup=child_setup,
            on_ready=on_ready,
        )


def _server_flags(port: int, ip: str) -> list[str]:
    """Where JupyterLab listens, for this machine only; the browser is opened by :meth:`Launch.run`."""
    return [
        f"--ServerApp.ip={ip}",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--no-browser",
        "--ServerApp.allow_remote_access=False",  # a foreign Host header (DNS rebinding) gets 403
        *[f"--ServerApp.local_hostnames={name}" for name in LOCAL_HOSTNAMES],
    ]


def _kernel_flags() -> list[str]:
    """Kernels shut down when idle with no page connected, and quickly when the server stops."""
    return [
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
        f"--KernelManager.shutdown_wait_time={KERNEL_STOP_WAIT}",
    ]


def _overridden(command: list[str], extra: Sequence[str]) -> list[str]:
    """``command`` followed by ``extra``, whose ``--name=value`` options replace the command's own
    (a server refuses an option given twice)."""
    names = {option.split("=", 1)[0] for option in extra if option.startswith("--") and "=" in option}
    return [option for option in command if option.split("=", 1)[0] not in names] + list(extra)


def _home(home: Path | None, prefix: str) -> Path:
    """The server's temporary folder, private to this user; a new one unless given."""
    folder = Path(home) if home is not None else Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder.resolve()


def chinese_settings(folder: Path) -> Path:
    """An application settings folder for JupyterLab whose overrides make Simplified Chinese the default.

    It starts from the installation's own ``overrides.json`` (if any) and links the
    application's ``static`` folder beside it, so everything else reads as before.
    """

    app_dir = Path(get_app_dir())
    settings = folder / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, Any] = {}
    installed = app_dir / "settings" / "overrides.json"
    if installed.is_file():
        try:
            overrides = json.loads(installed.read_text(encoding="utf-8"))
        except ValueError:
            overrides = {}
    overrides.setdefault(_TRANSLATION_PLUGIN, {})["locale"] = LOCALE
    # No question about news from the internet: bureau intranets are offline.
    overrides.setdefault(_NOTIFICATION_PLUGIN, {}).update(fetchNews="false", checkForUpdates=False)
    (settings / "overrides.json").write_text(json.dumps(overrides, ensure_ascii=False), encoding="utf-8")
    static = folder / "lab" / "static"
    if (app_dir / "static").is_dir() and not static.exists():
        static.symlink_to(app_dir / "static", target_is_directory=True)
    return settings


def _preheat_flags(pool: int) -> list[str]:
    """Voilà's preheated kernels: ``pool`` of them started and run ahead, none when ``pool`` is 0."""
    if pool <= 0:
        return ["--preheat_kernel=False"]
    # the kernel Voilà takes for a page is replaced a second later, so at most ``pool`` wait
    return ["--preheat_kernel=True", f"--pool_size={int(pool)}", "--VoilaKernelManager.fill_delay=1"]


def review_launch(
    data: Path,
    params: Path,
    out: Path,
    *,
    port: int | None = None,
    ip: str = "127.0.0.1",
    extra: Sequence[str] = (),
    report: str = DEFAULT_REPORT,
    pool: int = REVIEW_POOL,
    token: str | None = None,
    home: Path | None = None,
) -> Launch:
    """Voilà on the review notebook, the folders and report passed to its kernels (folders as absolute paths).

    ``pool`` kernels are kept started with the notebook already run (0: each page starts
    its own). The server gets a port (a free one unless given) and a token (a new one
    unless given), so :attr:`Launch.url` is the page's address, logged in; the token and
    the host check are in a Voilà configuration file in ``home`` (a new temporary folder
    unless given), not on the command line, which every user of the machine can read.
    """
    page = notebook("review.ipynb")
    port = port or free_port(ip)
    token = token or secrets.token_hex(24)
    folder = _home(home, "zongjie-review-")
    config = _voila_config(folder, token)
    command = [
        sys.executable,
        "-m",
        "voila",
        str(page),
        f"--template={REVIEW_TEMPLATE}",
        "--theme=light",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaConfiguration.extension_denylist=jupyterlab_pygments",  # highlights code, and no code is shown
        *_preheat_flags(pool),
        *_kernel_flags(),
        # ours first: a user's own voila.json (read after it) cannot open the server again
        *[f"--Voila.config_file_paths={path}" for path in (config, Path.cwd(), *jupyter_config_path())],
        f"--Voila.connection_dir_root={folder}",
        f"--Voila.ip={ip}",
        f"--port={port}",
        "--Voila.port_retries=0",
        "--no-browser",  # opened by Launch.run once the server answers
        "--Voila.log_level=WARN",  # the address is said in Chinese by the command instead
    ]
    command = _overridden(command, extra)
    known = os.environ.get("JUPYTER_PATH", "")
    env = {
        ENV_DATA: str(Path(data).resolve()),
        ENV_PARAMS: str(Path(params).resolve()),
        ENV_OUT: str(Path(out).resolve()),
        ENV_REPORT: report or DEFAULT_REPORT,
        # the template is found in a Jupyter data folder; the user's own folders keep their place after it
        "JUPYTER_PATH": os.pathsep.join([str(JUPYTER_DATA), *([known] if known else [])]),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
    }
    url = f"http://{ip or '127.0.0.1'}:{port}/?token={token}"
    return Launch(command, env, Path.cwd(), page, url, folder)


def _voila_config(home: Path, token: str) -> Path:
    """A folder with ``voila.json``: the token, and the Host check Voilà leaves off by default.

    A mapping of tornado settings cannot be given on Voilà's command line (its values
    would stay strings, and the string "False" is true), hence the file.
    """
    folder = home / "config"
    folder.mkdir(mode=0o700, exist_ok=True)
    tornado = {
        "allow_remote_access": False,
        "local_hostnames": list(LOCAL_HOSTNAMES),
        # the refusal page (403) links Jupyter's stylesheets, which Voilà serves under /voila/static/;
        # without these it fails to render and prints a traceback for every refused websocket
        "static_path": DEFAULT_STATIC_FILES_PATH,
        "static_url_prefix": "/voila/static/",
    }
    settings = {"Voila": {"token": token, "tornado_settings": tornado}}
    file = folder / "voila.json"
    with os.fdopen(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(settings))
    file.chmod(0o600)  # also when the file was there before
    return folder


def _report_notebook() -> NotebookNode:
    """The packaged report notebook (nbformat's reader is not annotated)."""
    nb: NotebookNode = nbformat.read(notebook("report.ipynb"), as_version=4)  # type: ignore[no-untyped-call]
    return nb


def lab_notebook(data: Path, params: Path, out: Path, bureau: str, year: int) -> Path:
    """The report notebook with these values in its parameters cell, at ``<out>/notebooks/report-<bureau>-<year>.ipynb``.

    The parameters cell itself is rewritten (its Chinese comments kept), so the reader
    sees one set of parameters, not the sample's followed by an injected cell.
    """

    values = {
        "bureau": bureau,
        "year": int(year),
        "data_dir": Path(data).resolve().as_posix(),
        "params_dir": Path(params).resolve().as_posix(),
        "out_dir": Path(out).resolve().as_posix(),
    }
    nb = _report_notebook()
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = []
    for line in cell.source.splitlines():
        name = line.split("=", 1)[0].strip()
        lines.append(f"{name} = {json.dumps(values[name], ensure_ascii=False)}" if name in values else line)
    cell.source = "\n".join(lines)
    target = Path(out) / "notebooks" / f"report-{bureau}-{year}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)  # type: ignore[no-untyped-call]
    return target


def lab_launch(
    data: Path,
    params: Path,
    out: Path,
    bureau: str,
    year: int,
    *,
    port: int | None = None,
    ip: str = "127.0.0.1",
    home: Path | None = None,
    extra: Sequence[str] = (),
    token: str | None = None,
) -> Launch:
    """JupyterLab in Chinese, rooted at the current folder, opening the parameterized notebook.

    The server gets a port (a free one unless given) and a token (a new one unless given)
    chosen here, so :attr:`Launch.url` opens the notebook itself, logged in. The token is
    passed in the server's environment, which only this user can read; its settings and
    runtime files are in ``home`` (a new temporary folder unless given).
    """
    target = lab_notebook(data, params, out, bureau, year).resolve()
    root = Path.cwd().resolve()
    if not target.is_relative_to(root):
        root = target.parent
    port = port or free_port(ip)
    token = token or secrets.token_hex(24)
    folder = _home(home, "zongjie-lab-")
    settings = chinese_settings(folder)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        target.relative_to(root).as_posix(),
        f"--ServerApp.root_dir={root}",
        f"--LabApp.app_settings_dir={settings}",
        "--LabApp.news_url=None",  # bureau intranets are offline: no news fetched from the internet
        "--ServerApp.log_level=WARN",  # the address is said in Chinese by the command instead
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # containers run as root
        *_server_flags(port, ip),
        *_kernel_flags(),
    ]
    command = _overridden(command, extra)
    env = {"JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(folder / "runtime")}
    path = urllib.parse.quote(target.relative_to(root).as_posix())
    url = f"http://{ip or '127.0.0.1'}:{port}/lab/tree/{path}?token={token}"
    return Launch(command, env, root, target, url, folder)


def free_port(ip: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a server started next."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((ip or "127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def notebook_defaults() -> dict[str, Any]:
    """The sample parameters written in the report notebook's parameters cell."""

    nb = _report_notebook()
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, Any] = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            values.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return values
