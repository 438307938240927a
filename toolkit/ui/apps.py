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
"""

from __future__ import annotations

import ast
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyterlab.commands import get_app_dir
from nbformat import NotebookNode

from toolkit.resources import DEFAULT_REPORT, ENV_DATA, ENV_OUT, ENV_PARAMS, ENV_REPORT, notebook

#: A Jupyter data folder holding the review app's Voilà template (``voila/templates/zongjie``).
JUPYTER_DATA = Path(__file__).resolve().parent / "jupyter"
REVIEW_TEMPLATE = "zongjie"
#: Kernels kept started, the review notebook already run in them, for the next pages asked for.
REVIEW_POOL = 1
LOCALE = "zh_CN"
_TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"
_NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"


@dataclass(frozen=True)
class Launch:
    """A server command, its environment additions and the folder it runs in."""

    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = field(default_factory=Path.cwd)
    notebook: Path | None = None
    #: the address that opens the notebook itself, with the token (when the launcher knows it)
    url: str = ""

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def run(self) -> int:
        """Run the server in the foreground until it stops (Ctrl+C)."""
        try:
            return subprocess.call(self.command, cwd=self.cwd, env=self.environment())
        except KeyboardInterrupt:
            return 0


def _server_flags(port: int | None, open_browser: bool, ip: str) -> list[str]:
    flags = [f"--ServerApp.ip={ip}"] if ip else []
    if port:
        flags += [f"--port={port}", "--ServerApp.port_retries=0"]
    if not open_browser:
        flags.append("--no-browser")
    return flags


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
    open_browser: bool = True,
    ip: str = "127.0.0.1",
    extra: Sequence[str] = (),
    report: str = DEFAULT_REPORT,
    pool: int = REVIEW_POOL,
    token: str | None = None,
) -> Launch:
    """Voilà on the review notebook, the folders and report passed to its kernels (folders as absolute paths).

    ``pool`` kernels are kept started with the notebook already run (0: each page starts
    its own); ``token``, when given, is required in the page's address (``?token=…``).
    """
    page = notebook("review.ipynb")
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
        f"--Voila.ip={ip}",
        *([f"--port={port}"] if port else []),
        *([] if open_browser else ["--no-browser"]),
        *([f"--token={token}"] if token else []),
        *extra,
    ]
    known = os.environ.get("JUPYTER_PATH", "")
    env = {
        ENV_DATA: str(Path(data).resolve()),
        ENV_PARAMS: str(Path(params).resolve()),
        ENV_OUT: str(Path(out).resolve()),
        ENV_REPORT: report or DEFAULT_REPORT,
        # the template is found in a Jupyter data folder; the user's own folders keep their place after it
        "JUPYTER_PATH": os.pathsep.join([str(JUPYTER_DATA), *([known] if known else [])]),
    }
    return Launch(command, env, Path.cwd(), page)


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
    open_browser: bool = True,
    ip: str = "127.0.0.1",
    settings_home: Path | None = None,
    extra: Sequence[str] = (),
    token: str | None = None,
) -> Launch:
    """JupyterLab in Chinese, rooted at the current folder, opening the parameterized notebook.

    The server gets a port (a free one unless given) and a token (a new one unless given)
    chosen here, so :attr:`Launch.url` opens the notebook itself, logged in.
    """
    target = lab_notebook(data, params, out, bureau, year).resolve()
    root = Path.cwd().resolve()
    if not target.is_relative_to(root):
        root = target.parent
    port = port or free_port(ip)
    token = token or secrets.token_hex(24)
    settings = chinese_settings(settings_home or Path(tempfile.mkdtemp(prefix="zongjie-lab-")))
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        target.relative_to(root).as_posix(),
        f"--ServerApp.root_dir={root}",
        f"--LabApp.app_settings_dir={settings}",
        "--LabApp.news_url=None",  # bureau intranets are offline: no news fetched from the internet
        f"--IdentityProvider.token={token}",
        "--ServerApp.log_level=WARN",  # the address is said in Chinese by the command instead
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # containers run as root
        *_server_flags(port, open_browser, ip),
        *extra,
    ]
    path = urllib.parse.quote(target.relative_to(root).as_posix())
    url = f"http://{ip or '127.0.0.1'}:{port}/lab/tree/{path}?token={token}"
    return Launch(command, {}, root, target, url)


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
