"""Two ways in for people who do not write code: the review app and JupyterLab in Chinese.

``zongjie review`` serves ``notebooks/review.ipynb`` through Voilà: the review panel
alone, code hidden, bureau and year chosen in the page. ``zongjie lab`` writes the report
notebook with the given parameters into the output folder and opens it in JupyterLab
with the Simplified Chinese language pack as the default locale.

Neither touches the user's own Jupyter configuration: the default locale comes from a
settings override in a temporary application settings folder; a language the user
chose in JupyterLab's own settings still wins.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyterlab.commands import get_app_dir
from nbformat import NotebookNode

from toolkit.resources import notebook

#: Environment variables that carry the review app's folders into the Voilà kernel.
ENV_DATA, ENV_PARAMS, ENV_OUT = "ZONGJIE_DATA", "ZONGJIE_PARAMS", "ZONGJIE_OUT"
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


def review_launch(
    data: Path,
    params: Path,
    out: Path,
    *,
    port: int | None = None,
    open_browser: bool = True,
    ip: str = "127.0.0.1",
    extra: Sequence[str] = (),
) -> Launch:
    """Voilà on the review notebook, the folders passed to its kernel as absolute paths."""
    page = notebook("review.ipynb")
    command = [
        sys.executable,
        "-m",
        "voila",
        str(page),
        "--theme=light",
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--Voila.ip={ip}",
        *([f"--port={port}"] if port else []),
        *([] if open_browser else ["--no-browser"]),
        *extra,
    ]
    env = {
        ENV_DATA: str(Path(data).resolve()),
        ENV_PARAMS: str(Path(params).resolve()),
        ENV_OUT: str(Path(out).resolve()),
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
) -> Launch:
    """JupyterLab in Chinese, rooted at the current folder, opening the parameterized notebook."""
    target = lab_notebook(data, params, out, bureau, year).resolve()
    root = Path.cwd().resolve()
    if not target.is_relative_to(root):
        root = target.parent
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
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # containers run as root
        *_server_flags(port, open_browser, ip),
        *extra,
    ]
    return Launch(command, {}, root, target)


def notebook_defaults() -> dict[str, Any]:
    """The sample parameters written in the report notebook's parameters cell."""

    nb = _report_notebook()
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, Any] = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            values.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return values
