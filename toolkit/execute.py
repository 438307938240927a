"""Execute the report notebook with papermill and export it for reviewers.

Kernels talk over IPC sockets in a private folder instead of TCP ports, so parallel
runs cannot race for a port (papermill #511). Parameters are injected as readable
Chinese, and the HTML export loads nothing from the internet.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.engines import NBClientEngine, papermill_engines
from papermill.translators import PythonTranslator, papermill_translators

from .outputs import RESULT_MIME, atomic_write, report_dir
from .resources import PACKAGE, notebook

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


class ReadablePythonTranslator(PythonTranslator):
    """Write string parameters as Python literals that keep Chinese readable, not ``\\u`` escapes."""

    @classmethod
    def translate_str(cls, val: str) -> str:
        return repr(val)


papermill_translators.register("python", ReadablePythonTranslator)


class IPCKernelManager(AsyncKernelManager):
    """A kernel on IPC sockets under a private folder: no ports, so no collisions."""

    ipc_root: Path | None = None

    def __init__(self, **kwargs):
        root = self.ipc_root or Path(tempfile.gettempdir())
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", str(root / uuid.uuid4().hex[:12]))
        super().__init__(**kwargs)


def ipc_kernel_manager(root: Path) -> type[IPCKernelManager]:
    return type("IPCKernelManager", (IPCKernelManager,), {"ipc_root": Path(root)})


_RESET = """\
import os as _os, sys as _sys
if "ipywidgets" in _sys.modules:
    _sys.modules["ipywidgets"].Widget.close_all()
_os.chdir({folder!r})
get_ipython().run_line_magic("reset", "-f")
"""


class KernelSlot:
    """One kernel a batch worker keeps across notebooks, so imports are paid once, not per bureau.

    Before each notebook the user namespace is cleared (``%reset -f``), widgets are
    closed and the working folder is set; after any failure the kernel is discarded,
    so a broken bureau cannot leave state behind for the next one.
    """

    def __init__(self, ipc_root: Path):
        self.ipc_root, self.km = Path(ipc_root), None

    def manager(self, folder: Path) -> AsyncKernelManager:
        if self.km is not None and self.km.has_kernel:
            try:
                run_sync(self._reset)(folder)
                return self.km
            except Exception:  # a kernel that cannot be reset is replaced, never reused
                self.discard()
        self.km = ipc_kernel_manager(self.ipc_root)(kernel_name="python3")
        return self.km

    async def _reset(self, folder: Path) -> None:
        client = self.km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive(
                _RESET.format(folder=str(folder)), timeout=60, output_hook=lambda m: None
            )
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")
        finally:
            client.stop_channels()

    def peak_kb(self) -> int:
        """The kernel process's peak resident memory (VmHWM), 0 when unknown."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except (AttributeError, OSError):
            return 0
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) if match else 0

    def discard(self) -> None:
        if self.km is not None and self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
        self.km = None


class ReusingEngine(NBClientEngine):
    """papermill's nbclient engine, closing its kernel client when the kernel is not its own."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.utils import merge_kwargs, remove_args

        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, **final)
        try:
            return client.execute()
        finally:
            if client.kc is not None and not client.owns_km:
                client.kc.stop_channels()


papermill_engines.register("zongjie", ReusingEngine)


@dataclass
class RunResult:
    """What one notebook run produced, sent back from batch workers as a value."""

    bureau: str
    year: int
    ok: bool = False
    error: str = ""
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False
    folder: str = ""
    fingerprint: str = ""
    memory_mb: dict = field(default_factory=dict)

    def describe(self) -> str:
        head = f"{self.bureau} {self.year}年："
        if not self.ok:
            return head + f"失败。{self.error}"
        lines = [head + f"完成（{self.seconds:.1f}秒），文件在 {self.folder}"]
        if self.missing:
            lines.append(f"  待补充{len(self.missing)}项：" + "；".join(self.missing))
        if self.warnings:
            lines.append(f"  提示{len(self.warnings)}条：" + "；".join(self.warnings))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)


def parameters(
    data,
    params,
    bureau: str,
    year: int,
    out,
    *,
    final: bool = False,
    template=None,
    signed_on: date | None = None,
    ledger_cache=None,
) -> dict:
    """The notebook's parameters, paths made absolute so the kernel's folder does not matter."""
    return {
        "bureau": bureau,
        "year": int(year),
        "data": str(Path(data).resolve()),
        "params": str(Path(params).resolve()),
        "out": str(Path(out).resolve()),
        "final": bool(final),
        "template": str(Path(template).resolve()) if template else "",
        "signed_on": signed_on.isoformat() if signed_on else "",
        "ledger_cache": str(Path(ledger_cache).resolve()) if ledger_cache else "",
    }


def notebook_result(nb) -> dict:
    """The result record the notebook displayed last (missing values, warnings, overrides)."""
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RESULT_MIME in data:
                found = data[RESULT_MIME]
    return dict(found)


def error_of(exc: BaseException) -> str:
    """A short message for a failed run: the notebook's own exception text when it has one."""
    ename, evalue = getattr(exc, "ename", ""), getattr(exc, "evalue", "")
    if evalue:
        return (
            evalue
            if ename in ("MissingValuesError", "DataError", "TemplateError", "ParameterError", "NotFoundError")
            else f"{ename}: {evalue}"
        )
    if type(exc).__name__ in ("CellTimeoutError", "DeadKernelError", "TimeoutError"):
        return f"笔记本执行超时或内核退出（{type(exc).__name__}）"
    return f"{type(exc).__name__}: {exc}"


def export_html(nb, path: Path) -> None:
    """Write the executed notebook as HTML without inputs and with no internet resources."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(PACKAGE / "nbtemplates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # the batch's result record is data, not something to show
        cell["outputs"] = [o for o in cell.get("outputs", []) if RESULT_MIME not in o.get("data", {})]
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.parent.name}})
    body = body.replace('<html lang="en">', '<html lang="zh-CN">')
    if _EXTERNAL.search(body):
        raise RuntimeError("导出的HTML引用了外部网络资源，已拒绝写出（内网无法打开）")
    atomic_write(path, body.encode("utf-8"))


def execute(
    nb_params: dict,
    output: Path,
    *,
    ipc_root: Path,
    timeout: int = 600,
    source: Path | None = None,
    kernel: KernelSlot | None = None,
):
    """Run the notebook through papermill; return (executed notebook, exception or None)."""
    import papermill

    deadline = _Deadline(timeout)
    error = None
    if kernel is not None:
        manager = {"km": kernel.manager(output.parent)}
    else:
        manager = {"kernel_manager_class": ipc_kernel_manager(ipc_root)}
    try:
        papermill.execute_notebook(
            str(source or notebook()),
            str(output),
            parameters=nb_params,
            kernel_name="python3",
            progress_bar=False,
            language="python",
            cwd=str(output.parent),
            engine_name="zongjie",
            timeout_func=deadline,
            **manager,
        )
    except Exception as exc:  # the executed notebook on disk shows what failed
        error = exc
    nb = nbformat.read(output, as_version=4) if output.is_file() else None
    return nb, error


class _Deadline:
    """nbclient's per-cell timeout made into one budget for the whole notebook."""

    def __init__(self, seconds: int):
        self.seconds, self.start = seconds, None

    def __call__(self, cell) -> int:
        now = time.monotonic()
        self.start = self.start or now
        return max(1, int(self.seconds - (now - self.start)))


def _execute_and_export(source: Path, nb_params: dict, output: Path, timeout: int, kernel: KernelSlot | None = None):
    """Execute ``source`` into ``output`` (kernel on private IPC sockets) and export its HTML beside it.

    With a ``kernel`` slot the kernel is reused (and discarded if the run fails);
    without one, a kernel is started for this notebook alone.
    """
    if kernel is not None:
        try:
            nb, error = execute(
                nb_params, output, ipc_root=kernel.ipc_root, timeout=timeout, source=source, kernel=kernel
            )
        except Exception:
            kernel.discard()
            raise
        if error is not None:
            kernel.discard()
    else:
        ipc_root = Path(tempfile.mkdtemp(prefix="zongjie-ipc-"))
        try:
            nb, error = execute(nb_params, output, ipc_root=ipc_root, timeout=timeout, source=source)
        finally:
            shutil.rmtree(ipc_root, ignore_errors=True)
    if nb is not None:
        export_html(nb, output.with_suffix(".html"))
    return nb, error


def run_one(
    data,
    params,
    bureau: str,
    year: int,
    out,
    *,
    final: bool = False,
    template=None,
    signed_on: date | None = None,
    ledger_cache=None,
    timeout: int = 600,
    kernel: KernelSlot | None = None,
) -> RunResult:
    """Execute the report notebook for one bureau-year into ``<out>/<year>/<bureau>/``."""
    start = time.monotonic()
    folder = report_dir(out, year, bureau)
    folder.mkdir(parents=True, exist_ok=True)
    nb_params = parameters(
        data, params, bureau, year, out, final=final, template=template, signed_on=signed_on, ledger_cache=ledger_cache
    )
    result = RunResult(bureau, int(year), folder=str(folder))
    nb, error = _execute_and_export(notebook(), nb_params, folder / "report.ipynb", timeout, kernel)
    if nb is not None:
        record = notebook_result(nb)
        result.missing = record.get("missing", [])
        result.warnings = record.get("warnings", [])
        result.overrides = record.get("overrides", [])
    result.ok = error is None
    result.error = "" if error is None else error_of(error)
    result.seconds = round(time.monotonic() - start, 2)
    atomic_write(folder / "result.json", json.dumps(result.to_dict(), ensure_ascii=False, indent=2).encode())
    return result


def run_overview(
    data, params, year: int, out, *, ledger_cache=None, timeout: int = 600, kernel: KernelSlot | None = None
) -> RunResult:
    """Execute the overview notebook (every bureau side by side) into ``<out>/<year>/overview.ipynb``."""
    start = time.monotonic()
    folder = Path(out) / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    nb_params = {
        "year": int(year),
        "data": str(Path(data).resolve()),
        "params": str(Path(params).resolve()),
        "ledger_cache": str(Path(ledger_cache).resolve()) if ledger_cache else "",
    }
    nb, error = _execute_and_export(notebook("overview.ipynb"), nb_params, folder / "overview.ipynb", timeout, kernel)
    result = RunResult("overview", int(year), ok=error is None, folder=str(folder))
    result.error = "" if error is None else error_of(error)
    result.seconds = round(time.monotonic() - start, 2)
    return result
